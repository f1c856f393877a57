"""Staff-side URLs of the self-help programmes: editing modules (mounted at /staff/self-help/)."""

from django.urls import path

from forestall.selfhelp import staff_views

app_name = "selfhelp_staff"
urlpatterns = [
    path("", staff_views.module_list, name="list"),
    path("versions/<uuid:version_id>/", staff_views.module_version, name="version"),
    path("<slug:programme>/<slug:module>/", staff_views.module_edit, name="edit"),
]
