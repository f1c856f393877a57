"""Staff-side URLs of the front door: editing public content (mounted at /staff/content/)."""

from django.urls import path

from forestall.public import staff_views

app_name = "public_staff"
urlpatterns = [
    path("", staff_views.content_list, name="list"),
    path("versions/<uuid:version_id>/", staff_views.content_version, name="version"),
    path("<slug:page>/<slug:language>/", staff_views.content_edit, name="edit"),
]
