"""Staff-side URLs of the stats app (mounted under /staff/statistics/)."""

from django.urls import path

from forestall.stats import views

app_name = "stats"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("regions/<uuid:region_id>/", views.dashboard, name="region"),
    path("centres/<uuid:centre_id>/", views.dashboard, name="centre"),
    path("csv/", views.dashboard_csv, name="dashboard_csv"),
    path("regions/<uuid:region_id>/csv/", views.dashboard_csv, name="region_csv"),
    path("centres/<uuid:centre_id>/csv/", views.dashboard_csv, name="centre_csv"),
]
