"""Staff-side URLs of the instruments app (mounted under /staff/instruments/)."""

from django.urls import path

from forestall.instruments import staff_views

app_name = "instruments"
urlpatterns = [
    path("", staff_views.instrument_list, name="list"),
    path("clients/<uuid:client_id>/", staff_views.client_measures, name="client"),
    path("clients/<uuid:client_id>/send/", staff_views.send, name="send"),
    path(
        "clients/<uuid:client_id>/record/<slug:instrument>/",
        staff_views.record,
        name="record",
    ),
    path(
        "administrations/<uuid:administration_id>/",
        staff_views.administration_detail,
        name="administration",
    ),
    path("<slug:instrument>/v<int:version>/", staff_views.instrument_detail, name="detail"),
]
