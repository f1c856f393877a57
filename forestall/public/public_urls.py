"""Public-side URLs of the front door (mounted under the language prefix).

The confidential mailbox (``/mailbox/...``) is the inbox app's
(``forestall.inbox.public_urls``, namespace ``mailbox``).
"""

from django.urls import path

from forestall.public import public_views

app_name = "public"
urlpatterns = [
    path("", public_views.home, name="home"),
    path("help/<slug:slug>/", public_views.pathway, name="pathway"),
    path("confidentiality/", public_views.confidentiality, name="confidentiality"),
    path("self-check/", public_views.self_check, name="self_check"),
]
