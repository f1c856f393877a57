"""Staff-side URLs of the audit app (mounted under /staff/audit/)."""

from django.urls import path

from forestall.audit import staff_views

app_name = "audit"
urlpatterns = [
    path("", staff_views.audit_log, name="log"),
]
