"""Staff-side URLs of the stats app (mounted under /staff/statistics/)."""

from django.urls import path

from forestall.stats import views

app_name = "stats"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("regions/<uuid:region_id>/", views.dashboard, name="region"),
    path("centres/<uuid:centre_id>/", views.dashboard, name="centre"),
]
