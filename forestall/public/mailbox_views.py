"""The confidential mailbox: start, confirm, sign in, write, sign out, delete.

Every rejected form is shown again with what the person typed, a translated
explanation and a 4xx status; too many attempts answer 429 the same way.
Nothing typed here is ever logged.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from forestall.inbox.models import ConversationStatus, MessageAuthor
from forestall.lib.ratelimit import hit
from forestall.public import actions
from forestall.public.expectations import reply_notice, retention_notice
from forestall.public.forms import ConfirmForm, MessageForm, SignInForm, StartForm
from forestall.public.mailbox_session import (
    idle_seconds,
    mailbox_required,
    sign_in,
    sign_out,
    signed_in_mailbox,
)
from forestall.public.models import Mailbox, Pathway

# (attempts, seconds) per visitor bucket; see forestall.lib.ratelimit.
START_LIMIT = (10, 3600)
SIGN_IN_LIMIT = (10, 300)
WRITE_LIMIT = (30, 600)


def _language() -> str:
    return translation.get_language() or "en"


def _signin_page(
    request: HttpRequest, form: SignInForm, *, status: int = 200, form_error: str = ""
) -> HttpResponse:
    context = {"form": form, "form_error": form_error, "idle_minutes": idle_seconds() // 60}
    return render(request, "public/mailbox/signin.html", context, status=status)


def _too_many_message() -> str:
    return _(
        "There were too many attempts in a short time. Please wait a few minutes "
        "and try again. What you typed is still here."
    )


@require_http_methods(["GET", "HEAD", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """Explain the mailbox and, on POST, create one and show its codename once."""
    if request.method != "POST":
        pathway = request.GET.get("pathway", "")
        form = StartForm(
            initial={
                "pathway": pathway if pathway in Pathway.values else Pathway.SELF,
                "urgent": request.GET.get("urgent", "")[:300],
            }
        )
        return render(request, "public/mailbox/start.html", {"form": form})
    form = StartForm(request.POST)
    if hit(request, "mailbox-start", *START_LIMIT):
        return render(
            request,
            "public/mailbox/start.html",
            {"form": form, "form_error": _too_many_message()},
            status=429,
        )
    if not form.is_valid():
        return render(request, "public/mailbox/start.html", {"form": form}, status=400)
    _mailbox, codename = actions.start_mailbox(
        _language(), form.cleaned_data["pathway"], urgent=form.is_urgent()
    )
    confirm = ConfirmForm(initial={"codename": codename})
    return render(
        request,
        "public/mailbox/codename.html",
        {"codename": codename, "form": confirm, "retention_notice": retention_notice()},
    )


@require_POST
def confirm(request: HttpRequest) -> HttpResponse:
    """ "I have written it down": sign in to the new mailbox and open it."""
    form = ConfirmForm(request.POST)
    codename = form.data.get("codename", "")[:400]
    if hit(request, "mailbox-signin", *SIGN_IN_LIMIT):
        return render(
            request,
            "public/mailbox/codename.html",
            {"codename": codename, "form": form, "form_error": _too_many_message()},
            status=429,
        )
    mailbox = actions.find_mailbox(codename) if codename else None
    if mailbox is None:
        return _signin_page(
            request,
            SignInForm(),
            status=400,
            form_error=_("This mailbox no longer exists. Please start a new one."),
        )
    if not form.is_valid():
        return render(
            request,
            "public/mailbox/codename.html",
            {"codename": codename, "form": form, "retention_notice": retention_notice()},
            status=400,
        )
    return sign_in(redirect("public:mailbox"), mailbox)


@require_http_methods(["GET", "HEAD", "POST"])
def mailbox(request: HttpRequest) -> HttpResponse:
    """The mailbox when signed in; otherwise the codename sign-in (POST signs in)."""
    if request.method == "POST":
        return _sign_in(request)
    current = signed_in_mailbox(request)
    if current is None:
        response = _signin_page(request, SignInForm())
        return sign_out(response) if "forestall_mailbox" in request.COOKIES else response
    form = MessageForm(mailbox=current)
    response = _render_mailbox(request, current, form, sent=request.GET.get("sent") == "1")
    return sign_in(response, current)


def _sign_in(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST)
    if hit(request, "mailbox-signin", *SIGN_IN_LIMIT):
        kept = SignInForm(initial={"codename": form.data.get("codename", "")[:400]})
        return _signin_page(request, kept, status=429, form_error=_too_many_message())
    if not form.is_valid():
        return _signin_page(request, form, status=400)
    return sign_in(redirect("public:mailbox"), form.mailbox)


def _render_mailbox(
    request: HttpRequest,
    mailbox: Mailbox,
    form: MessageForm,
    *,
    status: int = 200,
    sent: bool = False,
    form_error: str = "",
) -> HttpResponse:
    actions.touch_mailbox(mailbox)
    conversations = list(
        mailbox.conversations.select_related("centre")
        .prefetch_related("messages")
        .order_by("created_at")
    )
    # From the conversations just fetched rather than more queries; and no
    # write (on SQLite, a wait for the one write lock) when nothing is unread.
    open_conversation = next(
        (c for c in reversed(conversations) if c.status != ConversationStatus.CLOSED), None
    )
    shown_unread = any(
        message.author_kind == MessageAuthor.COUNSELLOR and message.read_at is None
        for conversation in conversations
        for message in conversation.messages.all()
    )
    unread = actions.mark_replies_read(mailbox) if shown_unread else 0
    context: dict[str, Any] = {
        "mailbox": mailbox,
        "conversations": conversations,
        "open_conversation": open_conversation,
        "form": form,
        "sent": sent,
        "unread": unread,
        "form_error": form_error,
        "reply_notice": reply_notice(open_conversation.centre if open_conversation else None),
        "retention_notice": retention_notice(),
        "questionnaires": _pending_questionnaires(mailbox),
        "idle_minutes": idle_seconds() // 60,
    }
    return render(request, "public/mailbox/mailbox.html", context, status=status)


def _pending_questionnaires(mailbox: Mailbox) -> list[dict[str, Any]]:
    """Questionnaires a centre sent to this mailbox, with their titles in the page language."""
    from forestall.instruments.actions import pending_for_mailbox
    from forestall.instruments.catalogue import UnknownInstrument, catalogue

    language = _language()
    pending = []
    for administration in pending_for_mailbox(mailbox):
        try:
            definition = catalogue().get(administration.instrument, administration.version)
            title = definition.localized("title", language)
        except UnknownInstrument:
            continue
        pending.append({"pk": administration.pk, "title": title})
    return pending


@require_POST
@mailbox_required
def write(request: HttpRequest) -> HttpResponse:
    """Send the help-seeker's message; on any rejection keep the text and explain."""
    current: Mailbox = request.mailbox  # type: ignore[attr-defined]
    form = MessageForm(request.POST, mailbox=current)
    if hit(request, "mailbox-write", *WRITE_LIMIT):
        return _render_mailbox(request, current, form, status=429, form_error=_too_many_message())
    if not form.is_valid():
        return _render_mailbox(request, current, form, status=400)
    actions.post_seeker_message(current, form.cleaned_data["body"], form.cleaned_data["centre"])
    return redirect(reverse("public:mailbox") + "?sent=1#latest")


@require_POST
def sign_out_view(request: HttpRequest) -> HttpResponse:
    response = render(request, "public/mailbox/signed_out.html")
    return sign_out(response)


@require_http_methods(["GET", "HEAD", "POST"])
@mailbox_required
def delete(request: HttpRequest) -> HttpResponse:
    """Confirm, then delete the mailbox with every conversation and message."""
    current: Mailbox = request.mailbox  # type: ignore[attr-defined]
    if request.method != "POST":
        return render(request, "public/mailbox/delete.html")
    actions.delete_mailbox(current)
    request.mailbox_signed_out = True  # type: ignore[attr-defined]
    return sign_out(render(request, "public/mailbox/deleted.html"))


@require_http_methods(["GET", "HEAD", "POST"])
@mailbox_required
def questionnaire(request: HttpRequest, administration_id: uuid.UUID) -> HttpResponse:
    """A questionnaire a counsellor or clinician sent to this mailbox."""
    from forestall.instruments.views import answer_in_mailbox

    current: Mailbox = request.mailbox  # type: ignore[attr-defined]
    return answer_in_mailbox(request, current, administration_id)
