"""Public-side URLs of the front door (mounted under the language prefix).

The mailbox addresses and field names are the public contract (see
ARCHITECTURE.md): ``/mailbox/start/`` (codename in ``#codename``),
``/mailbox/`` (field ``codename``), textarea ``body`` and select ``centre``,
``/mailbox/delete/``.
"""

from django.urls import path

from forestall.public import mailbox_views, views

app_name = "public"
urlpatterns = [
    path("", views.home, name="home"),
    path("help/<slug:slug>/", views.pathway, name="pathway"),
    path("confidentiality/", views.confidentiality, name="confidentiality"),
    path("self-check/", views.self_check, name="self_check"),
    path("mailbox/", mailbox_views.mailbox, name="mailbox"),
    path("mailbox/start/", mailbox_views.start, name="mailbox_start"),
    path("mailbox/start/codename/", mailbox_views.codename, name="mailbox_codename"),
    path("mailbox/start/confirm/", mailbox_views.confirm, name="mailbox_confirm"),
    path("mailbox/write/", mailbox_views.write, name="mailbox_write"),
    path("mailbox/sign-out/", mailbox_views.sign_out_view, name="mailbox_sign_out"),
    path("mailbox/delete/", mailbox_views.delete, name="mailbox_delete"),
    path(
        "mailbox/questionnaires/<uuid:administration_id>/",
        mailbox_views.questionnaire,
        name="mailbox_questionnaire",
    ),
]
