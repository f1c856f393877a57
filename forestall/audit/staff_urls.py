"""Staff-side URLs of the audit app (mounted under /staff/audit/)."""

from django.urls import path

from forestall.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.audit_log, name="log"),
]
