"""Public-side URLs of the front door (mounted under the language prefix)."""

from django.urls import path

from forestall.public import views

app_name = "public"
urlpatterns = [
    path("", views.home, name="home"),
]
