"""Staff-side URLs of the safeguarding app (mounted under /staff/)."""

from django.urls import path  # noqa: F401

app_name = "safeguarding"
urlpatterns: list = []
