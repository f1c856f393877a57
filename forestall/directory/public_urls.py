"""Public-side URLs of the directory (mounted at /centres/ under the language prefix)."""

from django.urls import path

from forestall.directory import views

app_name = "directory_public"
urlpatterns = [
    path("", views.finder, name="finder"),
    path("<slug:slug>/", views.centre_detail, name="centre"),
]
