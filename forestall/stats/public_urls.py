"""Public-side URLs of the stats app (mounted under the language prefix)."""

from django.urls import path  # noqa: F401

app_name = "stats_public"
urlpatterns: list = []
