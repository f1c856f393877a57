"""Public self-help addresses (under the language prefix): ``/self-help/…``."""

from django.urls import path

from forestall.selfhelp import views

app_name = "selfhelp"
urlpatterns = [
    path("", views.index, name="index"),
    path("my-progress/", views.progress, name="progress"),
    path("<slug:programme>/", views.programme, name="programme"),
    path("<slug:programme>/<slug:module>/", views.module, name="module"),
    path("<slug:programme>/<slug:module>/rating/", views.rating, name="rating"),
    path("<slug:programme>/<slug:module>/done/", views.done, name="done"),
    path("<slug:programme>/<slug:module>/print/", views.print_page, name="print"),
    path("<slug:programme>/<slug:module>/share/", views.share, name="share"),
]
