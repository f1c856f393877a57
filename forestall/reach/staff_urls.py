"""Staff pages of reach (mounted at /staff/reach/)."""

from django.urls import path

from forestall.reach import staff_views

app_name = "reach_staff"
urlpatterns = [
    path("", staff_views.overview, name="overview"),
    path("results/", staff_views.results_page, name="results"),
    path("results/csv/", staff_views.results_csv, name="results_csv"),
    path("partners/new/", staff_views.partner_new, name="partner_new"),
    path("partners/<uuid:partner_id>/", staff_views.partner_detail, name="partner"),
    path("keys/<uuid:key_id>/revoke/", staff_views.key_revoke, name="key_revoke"),
    path("variants/new/", staff_views.variant_new, name="variant_new"),
    path("variants/<uuid:variant_id>/", staff_views.variant_settings, name="variant"),
    path(
        "variants/<uuid:variant_id>/<slug:language>/",
        staff_views.variant_text,
        name="variant_text",
    ),
]
