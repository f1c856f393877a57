"""Public-side URLs of the inbox: the help-seeker's mailbox (under /mailbox/,
language-prefixed), in the ``mailbox`` namespace.

The mailbox addresses and field names are the public contract (see
ARCHITECTURE.md): ``/mailbox/start/`` (codename in ``#codename``),
``/mailbox/`` (field ``codename``), textarea ``body`` and select ``centre``,
``/mailbox/delete/``.
"""

from django.urls import path

from forestall.inbox import public_views

app_name = "mailbox"
urlpatterns = [
    path("", public_views.mailbox, name="mailbox"),
    path("start/", public_views.start, name="start"),
    path("start/codename/", public_views.codename, name="codename"),
    path("start/confirm/", public_views.confirm, name="confirm"),
    path("write/", public_views.write, name="write"),
    path("sign-out/", public_views.sign_out_view, name="sign_out"),
    path("delete/", public_views.delete, name="delete"),
    path(
        "questionnaires/<uuid:administration_id>/",
        public_views.questionnaire,
        name="questionnaire",
    ),
]
