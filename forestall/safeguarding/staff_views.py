"""The safeguarding leads' queue and the review of one concern.

Each step has its own URL: GET shows the step's form, POST runs the action.
The acting lead is always ``request.user``; the actions enforce the
two-person rule whatever a form sends.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django import forms as django_forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from forestall.accounts.decorators import StaffRequest, staff_required
from forestall.safeguarding import actions, forms
from forestall.safeguarding.access import (
    access_concern,
    access_concern_context,
    list_concerns,
    list_raised_by,
)
from forestall.safeguarding.models import Concern, ConcernStatus, Decision


@require_safe
@staff_required
def queue(request: StaffRequest) -> HttpResponse:
    """Open concerns, most serious and longest waiting first; then the recently decided."""
    concerns = list_concerns(request.user)
    return render(
        request,
        "safeguarding/queue.html",
        {
            "open": concerns.awaiting_decision().in_queue_order()[:200],
            "decided": concerns.filter(status=ConcernStatus.DECIDED).order_by("-decided_at")[:50],
        },
    )


def _detail_context(request: StaffRequest, concern: Concern) -> dict:
    proposer = concern.proposed_by_id
    awaiting = concern.status == ConcernStatus.AWAITING_APPROVAL
    return {
        "concern": concern,
        "steps": concern.steps.select_related("by"),
        "awaiting_approval": awaiting,
        "can_approve": awaiting and proposer != request.user.pk,
        "can_decide": concern.status == ConcernStatus.IN_REVIEW,
        "can_record_disclosure": concern.decision == Decision.DISCLOSURE
        and concern.status == ConcernStatus.DECIDED
        and concern.disclosed_at is None,
        "decision_form": forms.DecisionForm(),
        "note_form": forms.StepNoteForm(),
    }


@require_safe
@staff_required
def concern_detail(request: StaffRequest, concern_id: uuid.UUID) -> HttpResponse:
    concern = access_concern(request.user, concern_id)
    return render(request, "safeguarding/concern.html", _detail_context(request, concern))


def _step(
    request: StaffRequest,
    concern_id: uuid.UUID,
    form_class: type[django_forms.Form],
    title: str,
    run: Callable[[Concern, dict], object],
    done: str | Callable[[Concern], str],
) -> HttpResponse:
    concern = access_concern(request.user, concern_id)
    form = form_class(request.POST or None, initial={"proposal": concern.proposal_key})
    context = {"concern": concern, "form": form, "title": title}
    if request.method == "POST":
        if form.is_valid():
            try:
                run(concern, form.cleaned_data)
            except actions.ProposalChanged as error:
                # Show the proposal now waiting, keep what was typed, and let the
                # next submit answer that one (once it has been read here).
                concern = access_concern(request.user, concern_id)
                data = request.POST.copy()
                data["proposal"] = concern.proposal_key
                form = form_class(data)
                form.is_valid()
                form.add_error(None, str(error))
                context = {"concern": concern, "form": form, "title": title}
            except actions.SafeguardingError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, done(concern) if callable(done) else done)
                return redirect("safeguarding:concern", concern_id=concern.pk)
        return render(request, "safeguarding/step.html", context, status=400)
    return render(request, "safeguarding/step.html", context)


def _approval_message(concern: Concern) -> str:
    """What an approval did: a disclosure is still to be made and recorded."""
    if concern.decision == Decision.DISCLOSURE:
        return _(
            "Approved: the disclosure may now be made. Once it is made, record it here "
            "with the agency, the day and the reference."
        )
    return _("Approved: the decision now counts and the concern is closed.")


class _Confirm(django_forms.Form):
    pass


@require_http_methods(["GET", "POST"])
@staff_required
def concern_review(request: StaffRequest, concern_id: uuid.UUID) -> HttpResponse:
    return _step(
        request,
        concern_id,
        _Confirm,
        _("Take this concern into review"),
        lambda concern, data: actions.start_review(concern, by=request.user),
        _("You are reviewing this concern."),
    )


@require_http_methods(["GET", "POST"])
@staff_required
def concern_note(request: StaffRequest, concern_id: uuid.UUID) -> HttpResponse:
    return _step(
        request,
        concern_id,
        forms.StepNoteForm,
        _("Add a review note"),
        lambda concern, data: actions.add_review_note(concern, by=request.user, note=data["note"]),
        _("Note added."),
    )


def consequence_of(concern: Concern, decision: str) -> str:
    """What recording ``decision`` will do, in words, for the confirmation step."""
    label = Decision(decision).label
    if decision == Decision.DISCLOSURE:
        return _(
            "You propose to disclose to an outside agency. This breaks the person's "
            "confidentiality. Nothing is disclosed yet: a second, different safeguarding "
            "lead must approve the proposal first; until then the concern stays open."
        )
    if concern.needs_second_lead(decision):
        return _(
            "A child may be at immediate risk. Closing this concern with “%(decision)s” "
            "needs a second, different safeguarding lead: your proposal waits for their "
            "approval, and the concern stays open until then."
        ) % {"decision": label}
    return _(
        "The concern will be closed with the decision “%(decision)s”. Nothing leaves the "
        "service. The person who raised it will see this outcome."
    ) % {"decision": label}


def _decision_message(concern: Concern) -> str:
    """What actually happened, after ``decide_concern``."""
    label = concern.get_decision_display()
    if concern.status == ConcernStatus.AWAITING_APPROVAL:
        if concern.decision == Decision.DISCLOSURE:
            return _("Disclosure proposed. It waits for a second safeguarding lead's approval.")
        return _(
            "“%(decision)s” proposed. A second safeguarding lead must approve it; "
            "the concern stays open until then."
        ) % {"decision": label}
    return _("Decision recorded: “%(decision)s”. The concern is closed.") % {"decision": label}


@require_http_methods(["GET", "POST"])
@staff_required
def concern_decide(request: StaffRequest, concern_id: uuid.UUID) -> HttpResponse:
    """Decide in two steps: choose and give reasons, then confirm what it will do."""
    concern = access_concern(request.user, concern_id)
    form = forms.DecisionForm(request.POST or None)
    context = {"concern": concern, "form": form, "title": _("Decide")}
    if concern.status != ConcernStatus.IN_REVIEW:
        refusal = (
            _("Take the concern into review before deciding it.")
            if concern.status == ConcernStatus.OPEN
            else _("This concern already has a decision or a proposal.")
        )
        status = 400 if request.method == "POST" else 200
        # A colleague decided (or proposed) while this page was open: the
        # reasons typed here are not thrown away but offered as a review note.
        typed = forms.StepNoteForm(request.POST) if request.method == "POST" else None
        return render(
            request,
            "safeguarding/step.html",
            {
                **context,
                "form": None,
                "refusal": refusal,
                "kept_note": typed if typed is not None and typed.has_changed() else None,
            },
            status=status,
        )
    if request.method == "POST":
        if form.is_valid():
            decision = form.cleaned_data["decision"]
            if not form.cleaned_data["confirmed"]:
                return render(
                    request,
                    "safeguarding/confirm_decision.html",
                    {
                        **context,
                        "decision_label": Decision(decision).label,
                        "consequence": consequence_of(concern, decision),
                        "needs_second_lead": concern.needs_second_lead(decision),
                    },
                )
            try:
                decided = actions.decide_concern(
                    concern, by=request.user, decision=decision, note=form.cleaned_data["note"]
                )
            except actions.SafeguardingError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _decision_message(decided))
                return redirect("safeguarding:concern", concern_id=concern.pk)
        return render(request, "safeguarding/step.html", context, status=400)
    return render(request, "safeguarding/step.html", context)


@require_http_methods(["GET", "POST"])
@staff_required
def concern_approve(request: StaffRequest, concern_id: uuid.UUID) -> HttpResponse:
    return _step(
        request,
        concern_id,
        forms.ApprovalForm,
        _("Approve the proposed decision (second safeguarding lead)"),
        lambda concern, data: actions.approve_decision(
            concern, by=request.user, note=data["note"], proposal=data["proposal"] or None
        ),
        _approval_message,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def concern_reject(request: StaffRequest, concern_id: uuid.UUID) -> HttpResponse:
    return _step(
        request,
        concern_id,
        forms.RejectionForm,
        _("Do not approve the proposed decision"),
        lambda concern, data: actions.reject_decision(
            concern, by=request.user, note=data["note"], proposal=data["proposal"] or None
        ),
        _("The proposal was not approved; the concern is back in review."),
    )


@require_http_methods(["GET", "POST"])
@staff_required
def concern_disclosed(request: StaffRequest, concern_id: uuid.UUID) -> HttpResponse:
    return _step(
        request,
        concern_id,
        forms.DisclosureMadeForm,
        _("Record that the disclosure was made"),
        lambda concern, data: actions.record_disclosure_made(
            concern,
            by=request.user,
            agency=data["agency"],
            disclosed_on=data["disclosed_on"],
            reference=data["reference"],
            note=data["note"],
        ),
        _("Disclosure recorded as made, with the agency, the day and the reference."),
    )


# How much of the conversation or case behind a concern a lead reads.
CONTEXT_MESSAGES = 20
CONTEXT_NOTES = 10


@require_safe
@staff_required
def concern_context(request: StaffRequest, concern_id: uuid.UUID) -> HttpResponse:
    """What lies behind a concern: the conversation's messages, or the case's notes, up to it.

    Only what was written up to the moment the concern was raised (the lead
    reviews what the raiser saw, not everything since); the gate and the
    audit entries are ``access_concern_context``'s.
    """
    context = access_concern_context(
        request.user, concern_id, messages=CONTEXT_MESSAGES, notes=CONTEXT_NOTES
    )
    return render(
        request,
        "safeguarding/context.html",
        {
            "concern": context.concern,
            "messages_before": context.messages_before,
            "notes_before": context.notes_before,
        },
    )


@require_safe
@staff_required
def raised_by_me(request: StaffRequest) -> HttpResponse:
    """The concerns the signed-in person raised, with their outcome (not the leads' notes)."""
    concerns = list_raised_by(request.user)[:200]
    return render(request, "safeguarding/raised.html", {"concerns": concerns})
