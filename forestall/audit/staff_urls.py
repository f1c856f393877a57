"""Staff-side URLs of the audit app (mounted under /staff/)."""

from django.urls import path  # noqa: F401

app_name = "audit"
urlpatterns: list = []
