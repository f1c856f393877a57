"""Public-side URLs of the directory (mounted at /centres/ under the language prefix)."""

from django.urls import path

from forestall.directory import public_views

app_name = "directory_public"
urlpatterns = [
    path("", public_views.finder, name="finder"),
    path("<slug:slug>/", public_views.centre_detail, name="centre"),
]
