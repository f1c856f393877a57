"""The help-seeker's side of the inbox: the confidential mailbox (start,
confirm, sign in, write, sign out, delete, answer a questionnaire). The
counsellors' side is ``staff_views.py``; the front door's other pages are the
public app's.

Every rejected mailbox form is shown again with what the person typed, a
translated explanation and a 4xx status; too many attempts answer 429 the
same way. Nothing typed here is ever logged.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from forestall.directory.models import Centre
from forestall.inbox import actions, codename_view, start_once
from forestall.inbox.forms import (
    ConfirmForm,
    MessageForm,
    SignInForm,
    StartForm,
    UnsentMessageForm,
    chosen_centre_query,
    is_urgent_token,
    message_limit,
    selfhelp_place_query,
)
from forestall.inbox.mailbox_session import (
    end_session,
    idle_seconds,
    is_use,
    mailbox_required,
    renew,
    sign_in,
    sign_out,
    signed_in_mailbox,
    tells_when_deleted_meanwhile,
)
from forestall.inbox.models import Mailbox
from forestall.inbox.thread import mailbox_thread
from forestall.instruments.actions import (
    NotPending,
    answered_in_mailbox,
    complete_from_mailbox,
    pending_for_mailbox,
    pending_for_mailbox_ids,
)
from forestall.instruments.forms import InstrumentForm, instrument_form
from forestall.lib.codenames import codename_hash
from forestall.lib.ratelimit import Per, over_any, wait_message, with_retry_after
from forestall.public.crisis import emergency_numbers, help_open_now
from forestall.public.expectations import (
    kept_after_referral_notice,
    reply_notice,
    retention_notice,
)
from forestall.public.models import Pathway
from forestall.public.post_only import post_only
from forestall.reach.arrival import arrived_through_reach

# (attempts, seconds) per bucket; see forestall.lib.ratelimit. A source is a
# client address only where it is one (not behind an onion service); the
# session, the target tried and the ceilings over everyone hold everywhere.
START_LIMIT = (10, 3600)
START_CEILING = (2000, 3600)
SIGN_IN_LIMIT = (10, 300)
SIGN_IN_PER_CODENAME = (5, 300)
SIGN_IN_CEILING = (3000, 300)
WRITE_LIMIT = (30, 600)
WRITE_CEILING = (6000, 600)


def start_refused(request: HttpRequest) -> bool:
    """Count one new mailbox; True if over a limit (every form that starts one uses this)."""
    return over_any(
        request,
        "mailbox-start",
        Per.source(*START_LIMIT),
        Per.session(*START_LIMIT),
        Per.everyone(*START_CEILING),
    )


def sign_in_refused(request: HttpRequest, codename: str) -> bool:
    """Count one codename attempt; True if over a limit (every form that signs in uses this)."""
    return over_any(
        request,
        "mailbox-signin",
        Per.source(*SIGN_IN_LIMIT),
        Per.session(*SIGN_IN_LIMIT),
        Per.target(codename_hash(codename), *SIGN_IN_PER_CODENAME),
        Per.everyone(*SIGN_IN_CEILING),
    )


def opened_by_codename(request: HttpRequest) -> tuple[Mailbox | None, SignInForm, int, str]:
    """Check the codename of an "open my mailbox and ..." form sent after the session ended.

    Returns the mailbox it opens (or None), the codename form to show again,
    and the status and message for a page that did not open it: 401 when no
    codename was sent yet, 400 for a wrong one, 429 with the wait for too
    many (the sign-in rate limits, ``sign_in_refused``).
    """
    if "codename" not in request.POST:
        return None, SignInForm(), 401, ""
    sign_in_form = SignInForm({"codename": str(request.POST.get("codename", ""))})
    if sign_in_refused(request, sign_in_form.data["codename"][:400]):
        return None, SignInForm(), 429, wait_message(request)
    if not sign_in_form.is_valid():
        return None, sign_in_form, 400, ""
    return sign_in_form.mailbox, sign_in_form, 200, ""


def _write_refused(request: HttpRequest, mailbox: Mailbox) -> bool:
    return over_any(
        request,
        "mailbox-write",
        Per.target(str(mailbox.pk), *WRITE_LIMIT),
        Per.everyone(*WRITE_CEILING),
    )


def _language() -> str:
    return translation.get_language() or "en"


def _signin_page(
    request: HttpRequest, form: SignInForm, *, status: int = 200, form_error: str = ""
) -> HttpResponse:
    context = {
        "form": form,
        "form_error": form_error,
        "idle_minutes": idle_seconds() // 60,
        # Nothing typed, carried over or wrong: the same page for everyone.
        "pristine": not form.is_bound and not form_error and not any(form.initial.values()),
    }
    return render(request, "inbox/mailbox/signin.html", context, status=status)


def started_here_unconfirmed(request: HttpRequest) -> Mailbox | None:
    """The mailbox this browser started whose codename it has not confirmed yet, if any.

    Every form that starts a mailbox asks first: the same form sent again
    (back and "resend") then leads to that mailbox's codename page instead of
    starting a second one, which would leave the first unreachable.
    """
    codename = codename_view.shown(request)
    return actions.find_mailbox(codename) if codename else None


def too_many_message(request: HttpRequest) -> str:
    """The 429 sentence of every form that keeps what was typed (start, sign-in, write, keep)."""
    return wait_message(request) + " " + _("What you typed is still here.")


@require_http_methods(["GET", "HEAD", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """Explain the mailbox and, on POST, create one and show its codename once."""
    if request.method != "POST":
        pathway = request.GET.get("pathway", "")
        carried = {
            "urgent": request.GET.get("urgent", "")[:300],
            "centre": request.GET.get("centre", "")[:60],
            "selfhelp": request.GET.get("selfhelp", "")[:120],
        }
        chosen = pathway if pathway in Pathway.values else Pathway.SELF
        context = {
            # Built only if the page is rendered anew (a first visit's page is kept).
            "form": SimpleLazyObject(lambda: StartForm(initial={"pathway": chosen, **carried})),
            # Nothing carried over from another page: the same page for
            # everyone who chose this pathway.
            "pristine": not any(carried.values()),
            "pristine_pathway": chosen,
            "once": start_once.new_token(),
        }
        return render(request, "inbox/mailbox/start.html", context)
    form = StartForm(request.POST)
    repeated = started_here_unconfirmed(request)
    if repeated is not None and form.is_valid():
        # The start form sent again from this browser (back from the codename
        # page and "resend", a reload of the answer to the POST) while the
        # codename of the mailbox it started is still waiting to be written
        # down: that mailbox is the one. A second would show another codename
        # on a page that says it is shown once, and count one more start.
        if form.is_urgent():
            actions.mark_mailbox_urgent(repeated)
        return redirect(
            reverse("mailbox:codename")
            + selfhelp_place_query(
                chosen_centre_query(form.cleaned_data.get("centre")),
                form.cleaned_data.get("selfhelp"),
            )
        )
    if not form.is_valid():
        return render(
            request,
            "inbox/mailbox/start.html",
            {"form": form, "once": start_once.new_token()},
            status=400,
        )
    # Post/redirect/get: a reload shows this same codename again instead of
    # posting the form a second time and creating a second mailbox; the same
    # form sent twice at once (a double click) starts one (``start_once``).
    to_codename = reverse("mailbox:codename") + selfhelp_place_query(
        chosen_centre_query(form.cleaned_data.get("centre")), form.cleaned_data.get("selfhelp")
    )

    def too_many() -> HttpResponse | None:
        if not start_refused(request):
            return None
        return with_retry_after(
            request,
            render(
                request,
                "inbox/mailbox/start.html",
                {
                    "form": form,
                    "form_error": too_many_message(request),
                    "once": start_once.new_token(),
                },
                status=429,
            ),
        )

    return start_once.start_mailbox_once(
        request,
        redirect(to_codename),
        lambda: actions.start_mailbox(
            _language(),
            form.cleaned_data["pathway"],
            urgent=form.is_urgent(),
            through_reach=arrived_through_reach(request),
        ),
        too_many,
    )


@require_http_methods(["GET", "HEAD"])
def codename(request: HttpRequest) -> HttpResponse:
    """The new codename, for this browser only, until it is confirmed or expires."""
    codename = codename_view.shown(request)
    if codename is None:
        return render(request, "inbox/mailbox/codename_gone.html", status=410)
    confirm = ConfirmForm(
        initial={
            "codename": codename,
            "centre": request.GET.get("centre", "")[:60],
            "selfhelp": request.GET.get("selfhelp", "")[:120],
        }
    )
    return render(
        request,
        "inbox/mailbox/codename.html",
        {"codename": codename, "form": confirm, "retention_notice": retention_notice()},
    )


@post_only(way_on="mailbox:start")
def confirm(request: HttpRequest) -> HttpResponse:
    """ "I have written it down": sign in to the new mailbox and open it."""
    form = ConfirmForm(request.POST)
    codename = form.data.get("codename", "")[:400]
    if sign_in_refused(request, codename):
        return with_retry_after(
            request,
            render(
                request,
                "inbox/mailbox/codename.html",
                {"codename": codename, "form": form, "form_error": too_many_message(request)},
                status=429,
            ),
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
            "inbox/mailbox/codename.html",
            {"codename": codename, "form": form, "retention_notice": retention_notice()},
            status=400,
        )
    to_mailbox = _onward(
        form.cleaned_data.get("selfhelp"),
        reverse("mailbox:mailbox") + chosen_centre_query(form.cleaned_data.get("centre")),
    )
    return codename_view.forget(request, sign_in(redirect(to_mailbox), mailbox))


@require_http_methods(["GET", "HEAD", "POST"])
def mailbox(request: HttpRequest) -> HttpResponse:
    """The mailbox when signed in; otherwise the codename sign-in (POST signs in)."""
    if request.method == "POST":
        return _sign_in(request)
    current = signed_in_mailbox(request)
    urgent = request.GET.get("urgent", "")[:300]
    if current is None:
        response = _signin_page(
            request,
            SignInForm(
                initial={
                    "urgent": urgent,
                    "centre_choice": request.GET.get("centre", "")[:60],
                    "selfhelp": request.GET.get("selfhelp", "")[:120],
                }
            ),
        )
        return sign_out(response) if "forestall_mailbox" in request.COOKIES else response
    if is_urgent_token(urgent) and not current.urgent and is_use(request):
        actions.mark_mailbox_urgent(current)
    slug = request.GET.get("centre", "")[:60]
    chosen = Centre.objects.answering_messages().filter(slug=slug).first() if slug else None
    response = _render_mailbox(
        request,
        current,
        None,
        centre=chosen,
        sent=request.GET.get("sent") == "1",
        # An urgent mailbox (the person said it cannot wait) is shown the
        # help reachable now after every message, not a reply time.
        sent_urgent=request.GET.get("sent") == "1" and current.urgent,
    )
    return renew(request, response, current)


def _sign_in(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST)
    typed = form.data.get("codename", "")[:400]
    if sign_in_refused(request, typed):
        kept = SignInForm(initial={"codename": typed})
        return with_retry_after(
            request,
            _signin_page(request, kept, status=429, form_error=too_many_message(request)),
        )
    if not form.is_valid():
        return _signin_page(request, form, status=400)
    if form.is_urgent():
        actions.mark_mailbox_urgent(form.mailbox)
    to_mailbox = _onward(
        form.cleaned_data.get("selfhelp"),
        reverse("mailbox:mailbox") + chosen_centre_query(form.cleaned_data.get("centre_choice")),
    )
    return sign_in(redirect(to_mailbox), form.mailbox)


def _onward(place: object, otherwise: str) -> str:
    """Back to the self-help place the person signed in from, if any; else ``otherwise``."""
    from forestall.selfhelp.places import place_url

    url = place_url(place) if isinstance(place, str) and place else ""
    return url or otherwise


def _render_mailbox(
    request: HttpRequest,
    mailbox: Mailbox,
    typed: MessageForm | None,
    *,
    centre: Centre | None = None,
    status: int = 200,
    sent: bool = False,
    sent_urgent: bool = False,
    form_error: str = "",
) -> HttpResponse:
    """The signed-in mailbox; ``typed`` is a message form as sent (refused), if any.

    Without one, the page's empty form (``centre`` chosen, if given) is built
    only if the page needs it: for the centre list, shown before the first
    message, or for the parts kept for everyone, when they are rendered anew.
    """
    if is_use(request):  # a HEAD request is nobody's activity
        actions.touch_mailbox(mailbox)
    conversations = mailbox_thread(mailbox)
    # From the conversations just fetched rather than more queries; and no
    # write (on SQLite, a wait for the one write lock) when nothing is unread.
    open_conversation = next((c for c in reversed(conversations) if c.is_open), None)
    shown_unread = any(
        message.is_unread_reply
        for conversation in conversations
        for message in conversation.messages
    )
    # Read when a page with them is shown: never for a HEAD request (a link
    # checker or a prefetch gets the headers only, and nobody has read them).
    shown = shown_unread and is_use(request)
    unread = actions.mark_replies_read(mailbox) if shown else 0
    context: dict[str, Any] = {
        "mailbox": mailbox,
        "conversations": conversations,
        "open_conversation": open_conversation,
        "form": typed
        if typed is not None
        else SimpleLazyObject(
            lambda: MessageForm(
                mailbox=mailbox, initial={"centre": str(centre.pk)} if centre else None
            )
        ),
        "typed": typed,
        "sent": sent,
        "sent_urgent": sent_urgent,
        "help_now": help_open_now(_language()) if sent_urgent else None,
        "numbers": emergency_numbers(),
        "unread": unread,
        "form_error": form_error,
        "reply_notice": reply_notice(open_conversation.centre if open_conversation else None),
        # Shown only in the parts kept for everyone: worked out when those
        # are rendered anew, not on every page.
        "retention_notice": SimpleLazyObject(retention_notice),
        "questionnaires": _pending_questionnaires(mailbox),
        "idle_minutes": idle_seconds() // 60,
        "idle_seconds": idle_seconds(),
        "message_limit": SimpleLazyObject(message_limit),
        # The language switch sends what is being typed along (forestall_i18n).
        "typing_form": {"id": "message-form", "action": reverse("mailbox:write")},
        # A message form shown back holds what was sent, as changed since:
        # the switch sends that form, not the entries as first sent.
        "carry_entries": typed is None,
    }
    return render(request, "inbox/mailbox/mailbox.html", context, status=status)


def _pending_questionnaires(mailbox: Mailbox) -> list[dict[str, Any]]:
    """Questionnaires a centre sent to this mailbox, with their titles in the page language."""
    from forestall.instruments.catalogue import UnknownInstrument, catalogue

    language = _language()
    pending = []
    for pk, instrument, version in pending_for_mailbox_ids(mailbox):
        try:
            definition = catalogue().get(instrument, version)
            title = definition.localized("title", language)
        except UnknownInstrument:
            continue
        pending.append({"pk": pk, "title": title})
    return pending


@post_only(way_on="mailbox:mailbox")
@tells_when_deleted_meanwhile
def write(request: HttpRequest) -> HttpResponse:
    """Send the help-seeker's message; on any rejection keep the text and explain.

    A message written over a long time may arrive after the mailbox session
    ended. It is never dropped: the page explains, shows the text again and
    asks for the codename; that same form then signs in and sends. The text
    makes this round trip inside the page (``no-store``); the server keeps
    nothing of it.
    """
    current = signed_in_mailbox(request)
    if current is None:
        return _write_after_sign_in(request)
    return sign_in(_send(request, current), current)


def _send(request: HttpRequest, current: Mailbox) -> HttpResponse:
    form = MessageForm(request.POST, mailbox=current)
    if _write_refused(request, current):
        return with_retry_after(
            request,
            _render_mailbox(
                request, current, form, status=429, form_error=too_many_message(request)
            ),
        )
    if not form.is_valid():
        return _render_mailbox(request, current, form, status=400)
    actions.post_seeker_message(current, form.cleaned_data["body"], form.cleaned_data["centre"])
    if form.cleaned_data["urgent_now"]:
        # After posting, so that the conversation it opened is marked too.
        # The address stays "?sent=1": a browser's history keeps it, so it
        # says nothing about what was sent or how urgent it was.
        actions.mark_mailbox_urgent(current)
    return redirect(reverse("mailbox:mailbox") + "?sent=1#latest")


def _write_after_sign_in(request: HttpRequest) -> HttpResponse:
    """The session ended before Send: keep the text, ask for the codename, then send."""
    form = UnsentMessageForm(request.POST)
    signed_out = "forestall_mailbox" in request.COOKIES
    if "codename" not in request.POST:
        response = _unsent_page(request, UnsentMessageForm(initial=form.kept()), status=401)
    elif sign_in_refused(request, form.data.get("codename", "")[:400]):
        response = with_retry_after(
            request,
            _unsent_page(
                request,
                UnsentMessageForm(initial=form.kept()),
                status=429,
                error=too_many_message(request),
            ),
        )
    elif not form.is_valid():
        response = _unsent_page(request, form, status=400)
    else:
        # The ended session's row goes now, not only at its maximum age.
        end_session(request)
        return sign_in(_send(request, form.mailbox), form.mailbox)
    return sign_out(response, request) if signed_out else response


def _unsent_page(
    request: HttpRequest, form: UnsentMessageForm, *, status: int, error: str = ""
) -> HttpResponse:
    context = {"form": form, "form_error": error, "idle_minutes": idle_seconds() // 60}
    return render(request, "inbox/mailbox/unsent.html", context, status=status)


@post_only(way_on="mailbox:mailbox")
def sign_out_view(request: HttpRequest) -> HttpResponse:
    response = render(request, "inbox/mailbox/signed_out.html")
    return sign_out(response, request)


@require_http_methods(["GET", "HEAD", "POST"])
@mailbox_required
def delete(request: HttpRequest) -> HttpResponse:
    """Confirm, then delete the mailbox with every conversation and message."""
    current: Mailbox = request.mailbox  # type: ignore[attr-defined]
    if request.method != "POST":
        return render(
            request,
            "inbox/mailbox/delete.html",
            {"kept_after_referral": kept_after_referral_notice()},
        )
    actions.delete_mailbox(current)
    request.mailbox_signed_out = True  # type: ignore[attr-defined]
    return sign_out(render(request, "inbox/mailbox/deleted.html"))


@require_http_methods(["GET", "HEAD", "POST"])
@tells_when_deleted_meanwhile
def questionnaire(request: HttpRequest, administration_id: uuid.UUID) -> HttpResponse:
    """A questionnaire a counsellor or clinician sent to this mailbox.

    Answers sent after the mailbox session ended are not dropped: see
    ``_answers_after_sign_in``. Without a session anything else goes to the
    sign-in page.
    """
    if request.method == "POST" and signed_in_mailbox(request) is None:
        return _answers_after_sign_in(request, administration_id)
    return _questionnaire_in_session(request, administration_id)


@mailbox_required
def _questionnaire_in_session(request: HttpRequest, administration_id: uuid.UUID) -> HttpResponse:
    current: Mailbox = request.mailbox  # type: ignore[attr-defined]
    return answer_in_mailbox(request, current, administration_id)


def _answers_after_sign_in(request: HttpRequest, administration_id: uuid.UUID) -> HttpResponse:
    """The session ended before "Send my answers": keep them, ask for the codename, then record.

    Like a message written after the session ended (``write``), the answers
    make the round trip inside the page (``no-store``) and nothing of them is
    kept until the codename has opened the mailbox. Before that the database
    is not asked about ``administration_id`` at all: the page is rebuilt from
    the questionnaire named in the form itself, so it tells nobody whether
    the address exists. After it, only a questionnaire waiting in the mailbox
    that signed in is found; anything else is the same 404, and nobody is
    signed in by it.
    """
    mailbox, sign_in_form, status, form_error = opened_by_codename(request)
    if mailbox is not None:
        response = answer_in_mailbox(request, mailbox, administration_id)  # 404 unless its own
        # The ended session's row goes now, not only at its maximum age.
        end_session(request)
        return sign_in(response, mailbox)
    context = {
        "session_ended": True,
        "form": _questionnaire_as_chosen(request),
        "carried": _carried_answers(request),
        "sign_in_form": sign_in_form,
        "form_error": form_error,
        "idle_minutes": idle_seconds() // 60,
    }
    response = render(request, "inbox/mailbox/questionnaire.html", context, status=status)
    if status == 429:
        with_retry_after(request, response)
    return sign_out(response, request) if "forestall_mailbox" in request.COOKIES else response


def _questionnaire_as_chosen(request: HttpRequest) -> InstrumentForm | None:
    """The questionnaire named in the POST, unbound, with exactly the answers chosen.

    None if the page that sent it did not name one the catalogue knows (a
    page from before it did); the answers then travel as hidden fields.
    """
    from forestall.instruments.catalogue import UnknownInstrument, catalogue

    instrument = str(request.POST.get("instrument", ""))[:60]
    version = str(request.POST.get("instrument_version", ""))[:10]
    if not instrument or not version.isdigit():
        return None
    try:
        definition = catalogue().get(instrument, int(version))
    except UnknownInstrument:
        return None
    chosen = {item.id: str(request.POST.get(item.id, ""))[:20] for item in definition.items}
    return InstrumentForm(
        definition=definition,
        language=get_language() or "en",
        initial={item: value for item, value in chosen.items() if value},
    )


def _carried_answers(request: HttpRequest) -> list[tuple[str, str]]:
    """Every answer of the POST as (name, value), for hidden fields (nothing else of the form)."""
    not_answers = {"csrfmiddlewaretoken", "codename"}
    return [
        (name, value[:200])
        for name, values in request.POST.lists()
        if name not in not_answers
        for value in values
    ][:200]


def answer_in_mailbox(
    request: HttpRequest, mailbox: Mailbox, administration_id: uuid.UUID
) -> HttpResponse:
    """Show a questionnaire waiting in ``mailbox`` and store the answers.

    Only pending questionnaires of this mailbox's client are found; anything
    else (answered, someone else's, unknown) is the same 404. Invalid answers
    answer 400 with the form, keeping what was chosen. The questionnaire's
    form and its storing are the instruments app's (``instrument_form``,
    ``complete_from_mailbox``).
    """
    administration = pending_for_mailbox(mailbox).filter(pk=administration_id).first()
    if administration is None:
        return _answered_already(request, mailbox, administration_id)
    data = request.POST if request.method == "POST" else None
    form = instrument_form(
        administration.instrument,
        get_language() or mailbox.language,
        data=data,
        version=administration.version,
    )
    if data is not None:
        if form.is_valid():
            try:
                complete_from_mailbox(administration, form.answers)
            except NotPending:
                return _answered_already(request, mailbox, administration_id)
            # Recorded: the language switch is plain links (a second send: "already arrived").
            context = {"done": True, "carry_entries": False}
            return render(request, "inbox/mailbox/questionnaire.html", context)
        return render(request, "inbox/mailbox/questionnaire.html", {"form": form}, status=400)
    return render(request, "inbox/mailbox/questionnaire.html", {"form": form})


def _answered_already(
    request: HttpRequest, mailbox: Mailbox, administration_id: uuid.UUID
) -> HttpResponse:
    """A questionnaire of this mailbox that was answered before: say so (anything else is 404).

    The first answers stay; answers sent again are not stored (409, so that
    nothing reads the page as "saved"). Only this mailbox's own questionnaires
    are found, so the page tells nobody else anything.
    """
    if not answered_in_mailbox(mailbox).filter(pk=administration_id).exists():
        raise Http404
    resent = request.method == "POST"
    context = {"answered_already": True, "resent": resent, "carry_entries": False}
    return render(
        request, "inbox/mailbox/questionnaire.html", context, status=409 if resent else 200
    )
