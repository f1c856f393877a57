"""Staff-side URLs of the research app (mounted under /staff/research/)."""

from django.urls import path

from forestall.research import staff_views

app_name = "research"
urlpatterns = [
    path("", staff_views.export_page, name="export"),
    path("cases/<uuid:case_id>/consent/", staff_views.case_consent, name="consent"),
    path("consents/<uuid:consent_id>/withdraw/", staff_views.withdraw_consent, name="withdraw"),
]
