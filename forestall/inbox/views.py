"""The counsellors' inbox: the queue, one conversation, and reply templates.

Every conversation is fetched through ``access_conversation`` (the gate), so
a conversation that does not exist and one addressed elsewhere both answer
404. Every read and write is audited (reads here, writes in ``actions``).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from forestall.accounts.decorators import staff_required
from forestall.accounts.models import Role, User
from forestall.audit.actions import record_event
from forestall.directory.models import Centre
from forestall.inbox import actions
from forestall.inbox.forms import (
    ConcernForm,
    ContactSummaryForm,
    FlagForm,
    NoteForm,
    ProtectiveActionForm,
    QueueFilterForm,
    ReferralForm,
    ReplyForm,
    ReplyTemplateForm,
)
from forestall.inbox.models import (
    ContactSummary,
    Conversation,
    ConversationStatus,
    InternalNote,
    Message,
    ProtectiveAction,
    ReplyTemplate,
    can_manage_templates,
)


def access_conversation(user: User, conversation_id: uuid.UUID) -> Conversation:
    """The conversation if ``user`` may see it; 404 whether missing or forbidden."""
    return get_object_or_404(
        Conversation.objects.visible_to(user).select_related("centre", "claimed_by", "mailbox"),
        pk=conversation_id,
    )


def _detail_url(conversation: Conversation, anchor: str = "") -> str:
    url = reverse("inbox:conversation", args=[conversation.pk])
    return f"{url}#{anchor}" if anchor else url


@require_safe
@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    user = request.user
    centres = list(Centre.objects.filter(pk__in=user.centre_ids_with(Role.COUNSELLOR)))
    network = user.has_network_role(Role.COUNSELLOR)
    form = QueueFilterForm(request.GET or None, centres=centres, network=network)
    conversations = Conversation.objects.visible_to(user).select_related("centre", "claimed_by")
    filters: dict[str, str] = {}
    if form.is_bound and form.is_valid():
        filters = form.cleaned_data
    status = filters.get("status") or ConversationStatus.AWAITING_REPLY
    if status != "all":
        conversations = conversations.filter(status=status)
    if filters.get("language"):
        conversations = conversations.filter(language=filters["language"])
    addressed_to = filters.get("addressed_to")
    if addressed_to == "network":
        conversations = conversations.filter(centre__isnull=True)
    elif addressed_to:
        conversations = conversations.filter(centre_id=addressed_to)
    now = timezone.now()
    if filters.get("claim") == "unclaimed":
        conversations = conversations.claimable_by(user, now).exclude(claimed_by=user)
    elif filters.get("claim") == "mine":
        conversations = conversations.filter(claimed_by=user, claimed_until__gt=now)
    rows = list(conversations.in_queue_order()[:200])
    record_event(user, "inbox.queue.read")
    status_code = 400 if form.is_bound and not form.is_valid() else 200
    return render(
        request,
        "inbox/queue.html",
        {
            "form": form,
            "rows": rows,
            "now": now,
            "can_manage_templates": can_manage_templates(user),
            "has_any_inbox": bool(centres) or network,
        },
        status=status_code,
    )


@require_POST
@staff_required
def claim_next(request: HttpRequest) -> HttpResponse:
    conversation = actions.claim_next(request.user)
    if conversation is None:
        messages.info(request, _("No conversation is waiting for you."))
        return redirect("inbox:queue")
    messages.success(request, _("You have claimed this conversation."))
    return redirect(_detail_url(conversation, "reply"))


def _render_detail(
    request: HttpRequest,
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
    templates = ReplyTemplate.objects.visible_to(user).filter(is_active=True)
    # What came of the conversation: the counsellor sees each referral's case
    # summary (reference, centre, stage) and each concern's level and status.
    referrals = conversation.cases.select_related("client", "centre").order_by("opened_at")
    concerns = conversation.concerns.order_by("raised_at")
    reply_form = forms.get("reply_form")
    if reply_form is None:
        initial = {}
        template_id = request.GET.get("template", "")
        if template_id:
            try:
                chosen = templates.filter(pk=uuid.UUID(template_id)).first()
            except ValueError:
                chosen = None
            if chosen is not None:
                initial["body"] = chosen.body
        reply_form = ReplyForm(initial=initial)
    summary_form = forms.get("summary_form") or ContactSummaryForm(
        initial={
            "writer": summary.writer,
            "concern": summary.concern,
            "risk_indicators": summary.risk_indicators,
        }
        if summary
        else None
    )
    record_event(user, "conversation.read", conversation, centre=conversation.centre)
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
            "note_form": forms.get("note_form") or NoteForm(),
            "summary_form": summary_form,
            "protective_form": forms.get("protective_form") or ProtectiveActionForm(),
            "now": now,
        },
        status=status,
    )


@require_safe
@staff_required
def conversation_detail(request: HttpRequest, conversation_id: uuid.UUID) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
    return _render_detail(request, conversation)


@require_POST
@staff_required
def claim(request: HttpRequest, conversation_id: uuid.UUID) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
    try:
        actions.claim_conversation(request.user, conversation)
    except actions.AlreadyClaimed:
        messages.error(request, _("A colleague has already claimed this conversation."))
        return _render_detail(request, conversation, status=409)
    messages.success(request, _("You have claimed this conversation."))
    return redirect(_detail_url(conversation, "reply"))


@require_POST
@staff_required
def release(request: HttpRequest, conversation_id: uuid.UUID) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
    try:
        actions.release_conversation(request.user, conversation)
    except actions.NotClaimant:
        messages.error(request, _("You do not hold the claim on this conversation."))
        return _render_detail(request, conversation, status=409)
    messages.success(request, _("You have released this conversation."))
    return redirect("inbox:queue")


@require_POST
@staff_required
def reply(request: HttpRequest, conversation_id: uuid.UUID) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, conversation, status=400, reply_form=form)
    try:
        actions.send_reply(request.user, conversation, form.cleaned_data["body"])
    except actions.NotClaimant:
        messages.error(
            request,
            _("Claim the conversation before replying: only the counsellor holding it can reply."),
        )
        return _render_detail(request, conversation, status=409, reply_form=form)
    messages.success(request, _("Your reply has been sent."))
    return redirect(_detail_url(conversation, "messages"))


@require_POST
@staff_required
def add_note(request: HttpRequest, conversation_id: uuid.UUID) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, conversation, status=400, note_form=form)
    actions.add_note(request.user, conversation, form.cleaned_data["body"])
    messages.success(request, _("The note has been saved."))
    return redirect(_detail_url(conversation, "notes"))


@require_POST
@staff_required
def flag(request: HttpRequest, conversation_id: uuid.UUID) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
    form = FlagForm(request.POST)
    form.is_valid()
    urgent = bool(form.cleaned_data.get("urgent"))
    actions.flag_conversation(request.user, conversation, urgent=urgent)
    if urgent:
        messages.success(request, _("The conversation is flagged as urgent."))
    else:
        messages.success(request, _("The urgent flag has been removed."))
    return redirect(_detail_url(conversation))


@require_POST
@staff_required
def save_summary(request: HttpRequest, conversation_id: uuid.UUID) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
    form = ContactSummaryForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, conversation, status=400, summary_form=form)
    actions.save_contact_summary(
        request.user,
        conversation,
        writer=form.cleaned_data["writer"],
        concern=form.cleaned_data["concern"],
        risk_indicators=form.cleaned_data["risk_indicators"],
    )
    messages.success(request, _("The contact summary has been saved."))
    return redirect(_detail_url(conversation, "summary"))


@require_POST
@staff_required
def protective_action(request: HttpRequest, conversation_id: uuid.UUID) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
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
@staff_required
def refer(request: HttpRequest, conversation_id: uuid.UUID) -> HttpResponse:
    from forestall.cases.actions import ReferralError
    from forestall.inbox.forms import PATHWAY_PROGRAMME

    conversation = access_conversation(request.user, conversation_id)
    pathway = getattr(conversation.mailbox, "pathway", "self")
    form = ReferralForm(
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
            except ReferralError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _("The referral has been passed to the centre's case work (%(reference)s).")
                    % {"reference": getattr(getattr(case, "client", None), "reference", "")},
                )
                return redirect(_detail_url(conversation))
        status = 400
    else:
        record_event(request.user, "conversation.read", conversation, centre=conversation.centre)
    return render(
        request,
        "inbox/refer.html",
        {"conversation": conversation, "form": form, "summary": summary},
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def raise_concern(request: HttpRequest, conversation_id: uuid.UUID) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
    form = ConcernForm(request.POST or None)
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
    else:
        record_event(request.user, "conversation.read", conversation, centre=conversation.centre)
    return render(
        request,
        "inbox/concern.html",
        {"conversation": conversation, "form": form},
        status=status,
    )


@require_safe
@staff_required
def template_list(request: HttpRequest) -> HttpResponse:
    templates = ReplyTemplate.objects.visible_to(request.user)
    if not can_manage_templates(request.user):
        templates = templates.filter(is_active=True)
    record_event(request.user, "reply_template.list")
    return render(
        request,
        "inbox/templates.html",
        {"templates": templates, "can_manage": can_manage_templates(request.user)},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def template_edit(request: HttpRequest, template_id: uuid.UUID | None = None) -> HttpResponse:
    template = None
    if template_id is not None:
        template = get_object_or_404(
            ReplyTemplate.objects.manageable_by(request.user), pk=template_id
        )
    elif not can_manage_templates(request.user):
        raise Http404
    form = ReplyTemplateForm(request.POST or None, instance=template)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            actions.save_reply_template(
                request.user,
                template,
                language=form.cleaned_data["language"],
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                is_active=form.cleaned_data["is_active"],
            )
            messages.success(request, _("The reply template has been saved."))
            return redirect("inbox:templates")
        status = 400
    return render(
        request, "inbox/template_form.html", {"form": form, "template": template}, status=status
    )
