"""The counsellors' inbox: the queue, one conversation, and reply templates.

Every conversation is fetched through ``inbox.access`` (the gate), so a
conversation that does not exist and one addressed elsewhere both answer
404. Every read is audited by those helpers, every write in ``actions``.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from forestall.accounts.decorators import StaffRequest, staff_required
from forestall.accounts.models import Role
from forestall.directory.models import Centre, centre_names_where_holds
from forestall.inbox import actions
from forestall.inbox.access import (
    access_conversation,
    access_template_for_editing,
    find_conversations,
    list_queue,
    list_templates,
)
from forestall.inbox.forms import (
    CloseForm,
    ContactSummaryForm,
    ConversationConcernForm,
    ConversationNoteForm,
    DraftForm,
    DraftTokenForm,
    FlagForm,
    KeepDraftForm,
    OfflineContactForm,
    ProtectiveActionForm,
    QueueFilterForm,
    ReferenceSearchForm,
    ReferToCaseWorkForm,
    ReplyForm,
    ReplyTemplateForm,
    TemplateInsertForm,
)
from forestall.inbox.models import (
    ContactSummary,
    Conversation,
    ConversationStatus,
    InternalNote,
    Message,
    ProtectiveAction,
    ProtectiveActionKind,
    ProtectiveActionState,
    Writer,
    can_manage_templates,
    normalise_reference,
)
from forestall.inbox.queue import QUEUE_PAGE_SIZE, QueueFilters, describe_rows, rows_html
from forestall.inbox.targets import target_state
from forestall.lib.methods import declare_methods
from forestall.lib.stale_edits import ChangedMeanwhile, form_after_change, version_of
from forestall.public.models import Pathway

# "Who is writing" suggested by the pathway the person chose at the front door.
WRITER_FOR_PATHWAY: dict[str, Writer] = {
    Pathway.SELF: Writer.SELF,
    Pathway.OTHER: Writer.FAMILY_OR_FRIEND,
    Pathway.PROFESSIONAL: Writer.PROFESSIONAL,
}


def _detail_url(conversation: Conversation, anchor: str = "") -> str:
    url = reverse("inbox:conversation", args=[conversation.pk])
    return f"{url}#{anchor}" if anchor else url


def posts_to_section(
    section: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A working-area address of the conversation page: POST only, and opened plainly, its section.

    A refusal from one of these (400, or 409 from a stale tab) is shown at the
    address it was posted to, and the message says to compare with the saved
    version by opening "this page" in a new tab; a reload-less visit there
    (a new tab, the address copied, back and forward) answered 405 "nothing
    to see here". Now it leads to the conversation page at ``section``, which
    applies the conversation's own gate (404 for anyone who may not see it).
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(
            request: StaffRequest, conversation_id: uuid.UUID, *args: Any, **kwargs: Any
        ) -> HttpResponse:
            if request.method in ("GET", "HEAD"):
                url = reverse("inbox:conversation", args=[conversation_id])
                return redirect(f"{url}#{section}")
            return require_POST(view)(request, conversation_id, *args, **kwargs)

        declare_methods(wrapper, ["GET", "HEAD", "POST"])
        return wrapper

    return decorator


def keeps_reply_through_sign_in(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Keep the reply (and the note typed) of a form posted after the staff session expired.

    Without this the sign-in would send the counsellor back to a POST-only
    address (an empty 405) and the reply would be gone. The reply is kept
    server-side (``actions.keep_reply_through_sign_in``: encrypted, for a few
    minutes, never logged) and the sign-in returns to the conversation with a
    one-time token that puts it back into the reply box. Put it above
    ``staff_required``; a signed-in, verified request passes straight through.
    """

    @wraps(view)
    def wrapper(request: StaffRequest, conversation_id: uuid.UUID, **kwargs: Any) -> HttpResponse:
        user = request.user
        admitted = (
            user.is_authenticated and user.is_active and user.is_verified()  # type: ignore[union-attr,attr-defined]
        )
        if request.method != "POST" or admitted:
            return view(request, conversation_id, **kwargs)
        form = DraftForm(request.POST)
        body = form.cleaned_data["body"] if form.is_valid() else ""
        # The note typed on the page goes along (as every button of the page keeps it).
        note_form = DraftForm({"body": request.POST.get("note-body", "")})
        note = note_form.cleaned_data["body"] if note_form.is_valid() else ""
        token = actions.keep_reply_through_sign_in(conversation_id, body, note)
        url = reverse("inbox:conversation", args=[conversation_id])
        next_url = f"{url}?{urlencode({'draft': token})}#reply"
        return redirect_to_login(next_url, settings.LOGIN_URL)

    return wrapper


def tells_when_the_mailbox_was_deleted(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Send the counsellor to the queue, in words, if the conversation was deleted meanwhile.

    The help-seeker deleted their mailbox (``delete_mailbox``) while this
    form was on its way: the conversation and everything in it are gone,
    and what this form would have added (a reply, a note) goes nowhere, so
    nothing of it is kept. Put it just above ``staff_required``.
    """

    @wraps(view)
    def wrapper(request: StaffRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except actions.ConversationDeleted:
            messages.error(
                request,
                _(
                    "The person deleted their mailbox meanwhile: this conversation and "
                    "everything in it no longer exist. Nothing was sent or saved."
                ),
            )
            return redirect("inbox:queue")

    return wrapper


# The sections of the conversation page besides the reply, as kept in a draft.
SUMMARY, PROTECTIVE, NOTE = "summary", "protective", "note"


def _unsaved_entries(
    request: StaffRequest, conversation: Conversation, *, done: str = ""
) -> dict[str, Any]:
    """What this post carries in the page's other sections that is not saved.

    Every button of the page posts every section (one HTML form), but only
    its own section is saved; the page it leads back to showed the others
    as stored, and the counsellor's choices in them were lost. Kept: the
    contact summary's choices where they differ from the stored summary (with
    the version the page was opened with, so that saving them later is still
    checked against a colleague's newer save), a protective action other than
    the form's default, a note typed. ``done`` is the section this post saves
    (its entries go, with the form, to its own action).
    """
    entries: dict[str, Any] = {}
    if done != SUMMARY and "writer" in request.POST:
        summary_form = ContactSummaryForm(request.POST)
        if summary_form.is_valid():
            chosen = {
                "writer": summary_form.cleaned_data["writer"],
                "concern": summary_form.cleaned_data["concern"],
                "risk_indicators": sorted(summary_form.cleaned_data["risk_indicators"]),
            }
            if chosen != _stored_summary_choices(conversation):
                entries[SUMMARY] = chosen | {"edited_from": summary_form.edited_from}
    if done != PROTECTIVE and "action" in request.POST:
        protective_form = ProtectiveActionForm(request.POST)
        if (
            protective_form.is_valid()
            and protective_form.cleaned_data != _default_protective_action()
        ):
            entries[PROTECTIVE] = protective_form.cleaned_data
    if done != NOTE:
        note = DraftForm({"body": request.POST.get("note-body", "")})
        if note.is_valid() and note.cleaned_data["body"].strip():
            entries[NOTE] = note.cleaned_data["body"]
    return entries


def _default_protective_action() -> dict[str, str]:
    """The protective action form as the page shows it empty (the first action, agreed)."""
    return {"action": ProtectiveActionKind.values[0], "state": ProtectiveActionState.AGREED}


def _stored_summary_choices(conversation: Conversation) -> dict[str, Any]:
    """The contact summary's choices as the page shows them before anyone changes them."""
    summary = ContactSummary.objects.filter(conversation=conversation).first()
    if summary is None:
        return {
            "writer": WRITER_FOR_PATHWAY.get(conversation.mailbox.pathway, Writer.UNKNOWN),
            "concern": "",
            "risk_indicators": [],
        }
    return {
        "writer": summary.writer,
        "concern": summary.concern,
        "risk_indicators": sorted(summary.risk_indicators),
    }


def _keep_draft(request: StaffRequest, conversation: Conversation, *, done: str = "") -> None:
    """Keep the unsent reply that came with this form, and the other sections' unsaved entries.

    ``done`` is the section this post saves: "reply" once the reply is sent,
    or one of the other sections (``_unsaved_entries``).
    """
    form = DraftForm(request.POST)
    body: str | None = None
    if done == "reply":
        body = ""
    elif form.is_valid() and "body" in form.data:
        body = form.cleaned_data["body"]
    actions.keep_reply_draft(
        request.user, conversation, body, _unsaved_entries(request, conversation, done=done)
    )


def _filters_key(
    form: QueueFilterForm,
    search: ReferenceSearchForm,
    centres: list[tuple[Any, str]],
    network: bool,
) -> str:
    """What the queue's two small forms show, as a key to keep them rendered under; or "".

    The forms' markup depends only on the language, the addressee choices
    (network, the person's centres) and the filters chosen. Rendering their
    select lists through Django's widget templates cost more than a page's
    worth of queries, so the rendered forms are kept per process under this
    key. Nothing is kept for what a person typed (a reference searched for,
    a person's reference filtered on) or for filters that were not
    understood (``""``: rendered afresh).
    """
    if search.is_bound and (search.data.get("reference") or not search.is_valid()):
        return ""
    if form.is_bound and not form.is_valid():
        return ""
    chosen = form.cleaned_data if form.is_bound else {}
    # As typed, not as cleaned: spaces clean to "" but are shown in the hidden field.
    if form.is_bound and form.data.get("person"):
        return ""
    parts = [
        get_language() or "",
        "network" if network else "",
        *(f"{pk}:{name}" for pk, name in centres),
        *(
            f"{name}={chosen.get(name, '')}"
            for name in ("status", "language", "addressed_to", "claim")
        ),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@require_safe
@staff_required
def queue(request: StaffRequest) -> HttpResponse:
    user = request.user
    centres = centre_names_where_holds(user, Role.COUNSELLOR)
    network = user.has_network_role(Role.COUNSELLOR)
    search = ReferenceSearchForm(request.GET or None)
    if search.is_valid() and search.cleaned_data["reference"]:
        reference = normalise_reference(search.cleaned_data["reference"])
        found = find_conversations(user, reference)
        if len(found) == 1 or (found and found[0].reference == reference):
            return redirect(_detail_url(found[0]))
        if not found:
            messages.info(request, _("No conversation you can see has this reference."))
            return redirect("inbox:queue")
        query = urlencode({"status": "all", "person": reference})
        return redirect(f"{reverse('inbox:queue')}?{query}")
    form = QueueFilterForm(request.GET or None, centres=centres, network=network)
    chosen: dict[str, Any] = form.cleaned_data if form.is_bound and form.is_valid() else {}
    filters = QueueFilters(
        status=chosen.get("status") or ConversationStatus.AWAITING_REPLY,
        language=chosen.get("language") or "",
        addressed_to=chosen.get("addressed_to") or "",
        claim=chosen.get("claim") or "",
        person=normalise_reference(chosen["person"]) if chosen.get("person") else "",
    )
    now = timezone.now()
    page = Paginator(list_queue(user, filters, now), QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = describe_rows(list(page.object_list), user.pk, now)
    filters_key = _filters_key(form, search, centres, network)
    page_query = request.GET.copy()
    page_query.pop("page", None)
    status_code = 400 if form.is_bound and not form.is_valid() else 200
    return render(
        request,
        "inbox/queue.html",
        {
            "form": form,
            "search": search,
            "rows": rows,
            "rows_html": rows_html(rows, page.start_index()) if rows else "",
            "filters_key": filters_key,
            "page": page,
            "query": page_query.urlencode(),
            "now": now,
            "can_manage_templates": can_manage_templates(user),
            "has_any_inbox": bool(centres) or network,
        },
        status=status_code,
    )


@require_POST
@staff_required
def claim_next(request: StaffRequest) -> HttpResponse:
    conversation = actions.claim_next(request.user)
    if conversation is None:
        messages.info(request, _("No conversation is waiting for you."))
        return redirect("inbox:queue")
    messages.success(request, _("You have claimed this conversation."))
    return redirect(_detail_url(conversation, "reply"))


def _render_detail(
    request: StaffRequest,
    conversation: Conversation,
    *,
    status: int = 200,
    **forms: Any,
) -> HttpResponse:
    user = request.user
    now = timezone.now()
    conversation_messages = Message.objects.filter(conversation=conversation).select_related(
        "author"
    )
    notes = InternalNote.objects.filter(conversation=conversation).select_related("author")
    summary = ContactSummary.objects.filter(conversation=conversation).first()
    protective_actions = ProtectiveAction.objects.filter(conversation=conversation)
    templates = list_templates(user, active_only=True)
    # What came of the conversation: the counsellor sees each referral's case
    # summary (reference, centre, stage) and each concern's level and status.
    referrals = conversation.cases.select_related("client", "centre").order_by("opened_at")
    concerns = conversation.concerns.order_by("raised_at")
    kept_body, kept = actions.working_draft(user, conversation)
    reply_form = forms.get("reply_form") or ReplyForm(initial={"body": kept_body})
    summary_form = forms.get("summary_form")
    if summary_form is None and SUMMARY in kept:
        # Chosen earlier on this page and not saved yet: shown as chosen, still
        # counting as opened from the version the page was opened with.
        chosen = kept[SUMMARY]
        summary_form = ContactSummaryForm(initial=chosen, edited_from=chosen["edited_from"])
    if summary_form is None:
        summary_form = ContactSummaryForm(
            initial=_stored_summary_choices(conversation), edited_from=version_of(summary)
        )
    unsaved = [
        section
        for section, form_name in ((SUMMARY, "summary_form"), (PROTECTIVE, "protective_form"))
        if section in kept and form_name not in forms
    ]
    if NOTE in kept and "note_form" not in forms:
        unsaved.append(NOTE)
    return render(
        request,
        "inbox/conversation.html",
        {
            "conversation": conversation,
            "conversation_messages": conversation_messages,
            "notes": notes,
            "summary": summary,
            "protective_actions": protective_actions,
            "referrals": referrals,
            "concerns": concerns,
            "templates": sorted(
                templates, key=lambda t: (t.language != conversation.language, t.language, t.title)
            ),
            "claimed_by_me": conversation.is_claimed_by(user, now),
            "claim_holder": conversation.claimed_by if conversation.live_claimant_id(now) else None,
            "reply_form": reply_form,
            "note_form": forms.get("note_form")
            or ConversationNoteForm(initial={"body": kept.get(NOTE, "")}),
            "summary_form": summary_form,
            "protective_form": forms.get("protective_form")
            or ProtectiveActionForm(initial=kept.get(PROTECTIVE)),
            "unsaved": unsaved,
            "offline_contact": getattr(conversation, "offline_contact", None),
            "target_state": target_state(conversation, now),
            "now": now,
        },
        status=status,
    )


@require_safe
@staff_required
def conversation_detail(request: StaffRequest, conversation_id: uuid.UUID) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
    token_form = DraftTokenForm(request.GET)
    if (
        "draft" in request.GET
        and token_form.is_valid()
        and actions.take_reply_kept_through_sign_in(
            request.user, conversation, token_form.cleaned_data["draft"]
        )
    ):
        kept_body, _kept = actions.working_draft(request.user, conversation)
        if kept_body.strip():
            messages.info(request, _("Your unsent reply was kept while you signed in again."))
        else:
            messages.info(
                request,
                _("Your unsaved note was kept while you signed in again. It is not saved yet."),
            )
    return _render_detail(request, conversation)


@posts_to_section("reply")
@keeps_reply_through_sign_in
@tells_when_the_mailbox_was_deleted
@staff_required
def keep_draft(request: StaffRequest, conversation_id: uuid.UUID) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
    form = KeepDraftForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, conversation, status=400, reply_form=ReplyForm(request.POST))
    _keep_draft(request, conversation)
    then = form.cleaned_data["then"]
    if then == "refer":
        return redirect("inbox:refer", conversation.pk)
    if then == "concern":
        return redirect("inbox:concern", conversation.pk)
    messages.success(request, _("Your draft has been kept."))
    return redirect(_detail_url(conversation, "reply"))


@posts_to_section("reply")
@keeps_reply_through_sign_in
@tells_when_the_mailbox_was_deleted
@staff_required
def insert_template(request: StaffRequest, conversation_id: uuid.UUID) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
    templates = list_templates(request.user, active_only=True)
    form = TemplateInsertForm(request.POST, templates=templates)
    if not form.is_valid():
        _keep_draft(request, conversation)
        messages.error(request, _("That template is not available."))
        return _render_detail(request, conversation, status=400, reply_form=ReplyForm(request.POST))
    actions.insert_reply_template(
        request.user,
        conversation,
        form.cleaned_data["body"],
        form.cleaned_data["template"],
        _unsaved_entries(request, conversation),
    )
    return redirect(_detail_url(conversation, "reply"))


@require_POST
@keeps_reply_through_sign_in
@tells_when_the_mailbox_was_deleted
@staff_required
def close(request: StaffRequest, conversation_id: uuid.UUID) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
    _keep_draft(request, conversation)
    form = CloseForm(request.POST)
    seen = form.cleaned_data["seen_last_message"] if form.is_valid() else ""
    try:
        actions.close_conversation(request.user, conversation, seen_last_message=seen or None)
    except actions.NewMessageSinceSeen:
        conversation.refresh_from_db()
        messages.error(
            request,
            _(
                "The person wrote again after you opened this page. Read the new message "
                "before you close the conversation."
            ),
        )
        return _render_detail(request, conversation, status=409)
    except actions.InboxError:
        messages.info(request, _("This conversation is already closed."))
        return redirect(_detail_url(conversation))
    messages.success(request, _("The conversation is closed."))
    return redirect(_detail_url(conversation))


@require_POST
@keeps_reply_through_sign_in
@tells_when_the_mailbox_was_deleted
@staff_required
def reopen(request: StaffRequest, conversation_id: uuid.UUID) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
    _keep_draft(request, conversation)
    try:
        actions.reopen_conversation(request.user, conversation)
    except actions.InboxError:
        messages.info(request, _("This conversation is open."))
        return redirect(_detail_url(conversation))
    messages.success(request, _("The conversation is open again."))
    return redirect(_detail_url(conversation))


@require_POST
@keeps_reply_through_sign_in
@tells_when_the_mailbox_was_deleted
@staff_required
def claim(request: StaffRequest, conversation_id: uuid.UUID) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
    _keep_draft(request, conversation)
    try:
        actions.claim_conversation(request.user, conversation)
    except actions.AlreadyClaimed:
        messages.error(request, _("A colleague has already claimed this conversation."))
        return _render_detail(request, conversation, status=409)
    messages.success(request, _("You have claimed this conversation."))
    return redirect(_detail_url(conversation, "reply"))


@require_POST
@keeps_reply_through_sign_in
@tells_when_the_mailbox_was_deleted
@staff_required
def release(request: StaffRequest, conversation_id: uuid.UUID) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
    _keep_draft(request, conversation)
    try:
        actions.release_conversation(request.user, conversation)
    except actions.NotClaimant:
        messages.error(request, _("You do not hold the claim on this conversation."))
        return _render_detail(request, conversation, status=409)
    messages.success(request, _("You have released this conversation."))
    return redirect("inbox:queue")


@posts_to_section("reply")
@keeps_reply_through_sign_in
@tells_when_the_mailbox_was_deleted
@staff_required
def reply(request: StaffRequest, conversation_id: uuid.UUID) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        _keep_draft(request, conversation)
        return _render_detail(request, conversation, status=400, reply_form=form)
    try:
        actions.send_reply(request.user, conversation, form.cleaned_data["body"])
    except actions.NotClaimant:
        _keep_draft(request, conversation)
        messages.error(
            request,
            _("Claim the conversation before replying: only the counsellor holding it can reply."),
        )
        return _render_detail(request, conversation, status=409, reply_form=form)
    _keep_draft(request, conversation, done="reply")
    messages.success(request, _("Your reply has been sent."))
    return redirect(_detail_url(conversation, "messages"))


@posts_to_section("notes")
@keeps_reply_through_sign_in
@tells_when_the_mailbox_was_deleted
@staff_required
def add_note(request: StaffRequest, conversation_id: uuid.UUID) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
    _keep_draft(request, conversation, done=NOTE)
    form = ConversationNoteForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, conversation, status=400, note_form=form)
    actions.add_note(request.user, conversation, form.cleaned_data["body"])
    messages.success(request, _("The note has been saved."))
    return redirect(_detail_url(conversation, "notes"))


@require_POST
@keeps_reply_through_sign_in
@tells_when_the_mailbox_was_deleted
@staff_required
def flag(request: StaffRequest, conversation_id: uuid.UUID) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
    _keep_draft(request, conversation)
    form = FlagForm(request.POST)
    form.is_valid()
    urgent = bool(form.cleaned_data.get("urgent"))
    actions.flag_conversation(request.user, conversation, urgent=urgent)
    if urgent:
        messages.success(request, _("The conversation is flagged as urgent."))
    else:
        messages.success(request, _("The urgent flag has been removed."))
    return redirect(_detail_url(conversation))


@posts_to_section("summary")
@keeps_reply_through_sign_in
@tells_when_the_mailbox_was_deleted
@staff_required
def save_summary(request: StaffRequest, conversation_id: uuid.UUID) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
    _keep_draft(request, conversation, done=SUMMARY)
    form = ContactSummaryForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, conversation, status=400, summary_form=form)
    try:
        summary = actions.save_contact_summary(
            request.user,
            conversation,
            writer=form.cleaned_data["writer"],
            concern=form.cleaned_data["concern"],
            risk_indicators=form.cleaned_data["risk_indicators"],
            edited_from=form.edited_from,
        )
    except ChangedMeanwhile as changed:
        form = form_after_change(ContactSummaryForm, request.POST, changed, viewer=request.user)
        return _render_detail(request, conversation, status=409, summary_form=form)
    messages.success(request, _("The contact summary has been saved."))
    if actions.needs_safeguarding_prompt(summary.risk_indicators):
        messages.warning(
            request,
            _(
                "Thoughts about a specific child and access to children: the conversation "
                "is now urgent. Raise a safeguarding concern unless one is already raised."
            ),
        )
        if not conversation.concerns.exists():
            return redirect("inbox:concern", conversation.pk)
    return redirect(_detail_url(conversation, "summary"))


@posts_to_section("protective-actions")
@keeps_reply_through_sign_in
@tells_when_the_mailbox_was_deleted
@staff_required
def protective_action(request: StaffRequest, conversation_id: uuid.UUID) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
    _keep_draft(request, conversation, done=PROTECTIVE)
    form = ProtectiveActionForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, conversation, status=400, protective_form=form)
    actions.record_protective_action(
        request.user,
        conversation,
        action=form.cleaned_data["action"],
        state=form.cleaned_data["state"],
    )
    messages.success(request, _("The protective action has been recorded."))
    return redirect(_detail_url(conversation, "protective-actions"))


@require_http_methods(["GET", "HEAD", "POST"])
@tells_when_the_mailbox_was_deleted
@staff_required
def refer(request: StaffRequest, conversation_id: uuid.UUID) -> HttpResponse:
    from forestall.cases.actions import CaseError
    from forestall.inbox.forms import PATHWAY_PROGRAMME

    conversation = access_conversation(request.user, conversation_id)
    pathway = getattr(conversation.mailbox, "pathway", "self")
    form = ReferToCaseWorkForm(
        request.POST or None,
        initial={
            "centre": conversation.centre_id,
            "programme": PATHWAY_PROGRAMME.get(pathway, "individual_therapy"),
        },
    )
    summary = ContactSummary.objects.filter(conversation=conversation).first()
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                case = actions.refer_conversation(
                    request.user,
                    conversation,
                    form.cleaned_data["centre"],
                    consent_note=form.cleaned_data["consent_note"],
                    programme=form.cleaned_data["programme"]
                    or PATHWAY_PROGRAMME.get(pathway, "individual_therapy"),
                    share_summary=form.cleaned_data["share_summary"],
                )
            except CaseError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _("The referral has been passed to the centre's case work (%(reference)s).")
                    % {"reference": getattr(getattr(case, "client", None), "reference", "")},
                )
                return redirect(_detail_url(conversation))
        status = 400
    return render(
        request,
        "inbox/refer.html",
        {"conversation": conversation, "form": form, "summary": summary},
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@tells_when_the_mailbox_was_deleted
@staff_required
def raise_concern(request: StaffRequest, conversation_id: uuid.UUID) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
    form = ConversationConcernForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            actions.raise_conversation_concern(
                request.user,
                conversation,
                level=form.cleaned_data["level"],
                description=form.cleaned_data["description"],
            )
            messages.success(request, _("The concern has been passed to the safeguarding leads."))
            return redirect(_detail_url(conversation))
        status = 400
    return render(
        request,
        "inbox/concern.html",
        {"conversation": conversation, "form": form},
        status=status,
    )


@require_safe
@staff_required
def template_list(request: StaffRequest) -> HttpResponse:
    templates = list_templates(request.user)
    return render(
        request,
        "inbox/templates.html",
        {"templates": templates, "can_manage": can_manage_templates(request.user)},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def template_edit(request: StaffRequest, template_id: uuid.UUID | None = None) -> HttpResponse:
    template = None
    if template_id is not None:
        template = access_template_for_editing(request.user, template_id)
    elif not can_manage_templates(request.user):
        raise Http404
    form = ReplyTemplateForm(request.POST or None, instance=template)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.save_reply_template(
                    request.user,
                    template,
                    language=form.cleaned_data["language"],
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    is_active=form.cleaned_data["is_active"],
                    edited_from=form.edited_from,
                )
            except ChangedMeanwhile as changed:
                if template_id is None:  # pragma: no cover - only a saved template is checked
                    raise
                template = access_template_for_editing(request.user, template_id)
                form = form_after_change(
                    ReplyTemplateForm, request.POST, changed, instance=template, viewer=request.user
                )
                return render(
                    request,
                    "inbox/template_form.html",
                    {"form": form, "template": template},
                    status=409,
                )
            except actions.TemplateTitleTaken:
                form.add_error(
                    "title",
                    _("Another reply template in this language has this title. Choose another."),
                )
            else:
                messages.success(request, _("The reply template has been saved."))
                return redirect("inbox:templates")
        status = 400
    return render(
        request, "inbox/template_form.html", {"form": form, "template": template}, status=status
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def log_contact(request: StaffRequest) -> HttpResponse:
    """Log a phone, video, in-person or other-chat contact (counsellors only)."""
    user = request.user
    centres = list(Centre.objects.where_holds(user, Role.COUNSELLOR))
    network = user.has_network_role(Role.COUNSELLOR)
    if not centres and not network:
        raise Http404
    initial: dict[str, Any] = {"happened_at": timezone.localtime().replace(second=0, microsecond=0)}
    reference_form = ReferenceSearchForm(request.GET)
    if reference_form.is_valid() and reference_form.cleaned_data["reference"]:
        initial["person_reference"] = normalise_reference(reference_form.cleaned_data["reference"])
    form = OfflineContactForm(
        request.POST or None, centres=centres, network=network, initial=initial
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                contact = actions.log_offline_contact(
                    user,
                    centre=form.chosen_centre(),
                    channel=data["channel"],
                    happened_at=data["happened_at"],
                    duration_minutes=data["duration_minutes"],
                    language=data["language"],
                    writer=data["writer"],
                    concern=data["concern"],
                    risk_indicators=data["risk_indicators"],
                    protective_actions=data["protective_actions"],
                    follow_up=data["follow_up"],
                    follow_up_on=data["follow_up_on"],
                    contact_details=data["contact_details"],
                    note=data["note"],
                    person_reference=data["person_reference"],
                )
            except actions.UnknownPersonReference:
                form.add_error(
                    "person_reference", _("No earlier contact you can see has this reference.")
                )
            else:
                messages.success(
                    request,
                    _(
                        "The contact has been logged. The person's reference is %(reference)s: "
                        "give it to them so that a later contact can be linked."
                    )
                    % {"reference": contact.person_reference},
                )
                if actions.needs_safeguarding_prompt(data["risk_indicators"]):
                    messages.warning(
                        request,
                        _(
                            "Thoughts about a specific child and access to children: "
                            "raise a safeguarding concern."
                        ),
                    )
                    return redirect("inbox:concern", contact.conversation_id)
                return redirect(_detail_url(contact.conversation))
        status = 400
    return render(request, "inbox/contact_form.html", {"form": form}, status=status)
