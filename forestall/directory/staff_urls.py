"""Staff-side URLs of the directory app (mounted under /staff/)."""

from django.urls import path  # noqa: F401

app_name = "directory"
urlpatterns: list = []
