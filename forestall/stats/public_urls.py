"""Public-side URLs of the stats app (mounted under the language prefix at /statistics/)."""

from django.urls import path

from forestall.stats import public_views

app_name = "stats_public"
urlpatterns = [
    path("", public_views.public_statistics, name="statistics"),
    path("data.csv", public_views.open_data_csv, name="data_csv"),
    path("data.json", public_views.open_data_json, name="data_json"),
]
