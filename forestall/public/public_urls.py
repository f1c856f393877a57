"""Public-side URLs of the front door (mounted under the language prefix).

The mailbox addresses and field names are the public contract (see
ARCHITECTURE.md): ``/mailbox/start/`` (codename in ``#codename``),
``/mailbox/`` (field ``codename``), textarea ``body`` and select ``centre``,
``/mailbox/delete/``.
"""

from django.urls import path

from forestall.public import public_views

app_name = "public"
urlpatterns = [
    path("", public_views.home, name="home"),
    path("help/<slug:slug>/", public_views.pathway, name="pathway"),
    path("confidentiality/", public_views.confidentiality, name="confidentiality"),
    path("self-check/", public_views.self_check, name="self_check"),
    path("mailbox/", public_views.mailbox, name="mailbox"),
    path("mailbox/start/", public_views.start, name="mailbox_start"),
    path("mailbox/start/codename/", public_views.codename, name="mailbox_codename"),
    path("mailbox/start/confirm/", public_views.confirm, name="mailbox_confirm"),
    path("mailbox/write/", public_views.write, name="mailbox_write"),
    path("mailbox/sign-out/", public_views.sign_out_view, name="mailbox_sign_out"),
    path("mailbox/delete/", public_views.delete, name="mailbox_delete"),
    path(
        "mailbox/questionnaires/<uuid:administration_id>/",
        public_views.questionnaire,
        name="mailbox_questionnaire",
    ),
]
