"""The reach landing page (mounted under the language prefix): /r/<partner>/<variant>/."""

from django.urls import path

from forestall.reach import public_views

app_name = "reach"
urlpatterns = [
    path("<str:partner>/<str:variant>/", public_views.landing, name="landing"),
]
