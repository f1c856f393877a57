"""Staff-side URLs of the stats app (mounted under /staff/statistics/)."""

from django.urls import path

from forestall.stats import staff_views

app_name = "stats"
urlpatterns = [
    path("", staff_views.dashboard, name="dashboard"),
    path("regions/<uuid:region_id>/", staff_views.dashboard, name="region"),
    path("centres/<uuid:centre_id>/", staff_views.dashboard, name="centre"),
    path("csv/", staff_views.dashboard_csv, name="dashboard_csv"),
    path("regions/<uuid:region_id>/csv/", staff_views.dashboard_csv, name="region_csv"),
    path("centres/<uuid:centre_id>/csv/", staff_views.dashboard_csv, name="centre_csv"),
]
