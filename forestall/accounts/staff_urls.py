"""Staff-side URLs of the accounts app (mounted under /staff/)."""

from django.urls import path

from forestall.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.home, name="home"),
    path("logout/", views.sign_out, name="logout"),
    path("language/", views.set_language, name="language"),
]
