"""Staff-side URLs of the stats app (mounted under /staff/)."""

from django.urls import path  # noqa: F401

app_name = "stats"
urlpatterns: list = []
