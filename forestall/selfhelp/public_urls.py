"""Public self-help addresses (under the language prefix): ``/self-help/…``."""

from django.urls import path

from forestall.selfhelp import public_views

app_name = "selfhelp"
urlpatterns = [
    path("", public_views.index, name="index"),
    path("my-progress/", public_views.progress, name="progress"),
    path("<slug:programme>/", public_views.programme, name="programme"),
    path("<slug:programme>/<slug:module>/", public_views.module, name="module"),
    path("<slug:programme>/<slug:module>/rating/", public_views.rating, name="rating"),
    path("<slug:programme>/<slug:module>/done/", public_views.done, name="done"),
    path("<slug:programme>/<slug:module>/print/", public_views.print_page, name="print"),
    path("<slug:programme>/<slug:module>/share/", public_views.share, name="share"),
    path("<slug:programme>/<slug:module>/keep/", public_views.keep, name="keep"),
]
