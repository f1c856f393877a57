"""Staff-side URLs of the instruments app (mounted under /staff/)."""

from django.urls import path  # noqa: F401

app_name = "instruments"
urlpatterns: list = []
