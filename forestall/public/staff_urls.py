"""Staff-side URLs of the front door: editing public content (mounted at /staff/content/)."""

from django.urls import path  # noqa: F401

app_name = "public_staff"
urlpatterns: list = []
