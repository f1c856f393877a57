"""Staff-side URLs of the accounts app (mounted under /staff/)."""

from django.urls import path

from forestall.accounts import staff_views

app_name = "accounts"
urlpatterns = [
    path("", staff_views.home, name="home"),
    path("logout/", staff_views.sign_out, name="logout"),
    path("language/", staff_views.set_language, name="language"),
    path("kept/<str:token>/", staff_views.kept_form, name="kept_form"),
]
