"""Staff-side URLs of the directory app (mounted at /staff/centres/)."""

from django.urls import path

from forestall.directory import staff_views

app_name = "directory"
urlpatterns = [
    path("", staff_views.staff_centre_list, name="list"),
    path("new/", staff_views.staff_centre_create, name="create"),
    path("<uuid:centre_id>/edit/", staff_views.staff_centre_edit, name="edit"),
]
