"""Staff-side URLs of the research app (mounted under /staff/research/)."""

from django.urls import path

from forestall.research import views

app_name = "research"
urlpatterns = [
    path("", views.export_page, name="export"),
    path("cases/<uuid:case_id>/consent/", views.case_consent, name="consent"),
    path("consents/<uuid:consent_id>/withdraw/", views.withdraw_consent, name="withdraw"),
]
