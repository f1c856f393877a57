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
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from forestall.accounts.decorators import staff_required
from forestall.audit.actions import record_event
from forestall.safeguarding import actions, forms
from forestall.safeguarding.access import access_concern
from forestall.safeguarding.models import Concern, ConcernStatus, Decision


@require_safe
@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    """Open concerns, most serious and longest waiting first; then the recently decided."""
    concerns = Concern.objects.visible_to(request.user).select_related(
        "centre", "case__client", "proposed_by"
    )
    record_event(request.user, "concern.list")
    return render(
        request,
        "safeguarding/queue.html",
        {
            "open": concerns.awaiting_decision().in_queue_order()[:200],
            "decided": concerns.filter(status=ConcernStatus.DECIDED).order_by("-decided_at")[:50],
        },
    )


def _detail_context(request: HttpRequest, concern: Concern) -> dict:
    proposer = concern.proposed_by_id
    return {
        "concern": concern,
        "steps": concern.steps.select_related("by"),
        "awaiting_approval": concern.status == ConcernStatus.AWAITING_APPROVAL,
        "can_approve": concern.status == ConcernStatus.AWAITING_APPROVAL
        and proposer != request.user.pk,
        "can_record_disclosure": concern.decision == Decision.DISCLOSURE
        and concern.status == ConcernStatus.DECIDED
        and concern.disclosed_at is None,
        "decision_form": forms.DecisionForm(),
        "note_form": forms.StepNoteForm(),
    }


@require_safe
@staff_required
def concern_detail(request: HttpRequest, concern_id: uuid.UUID) -> HttpResponse:
    concern = access_concern(request.user, concern_id)
    record_event(request.user, "concern.read", concern, centre=concern.centre)
    return render(request, "safeguarding/concern.html", _detail_context(request, concern))


def _step(
    request: HttpRequest,
    concern_id: uuid.UUID,
    form_class: type[django_forms.Form],
    title: str,
    run: Callable[[Concern, dict], object],
    done: str,
) -> HttpResponse:
    concern = access_concern(request.user, concern_id)
    form = form_class(request.POST or None)
    context = {"concern": concern, "form": form, "title": title}
    if request.method == "POST":
        if form.is_valid():
            try:
                run(concern, form.cleaned_data)
            except actions.SafeguardingError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, done)
                return redirect("safeguarding:concern", concern_id=concern.pk)
        return render(request, "safeguarding/step.html", context, status=400)
    record_event(request.user, "concern.read", concern, centre=concern.centre)
    return render(request, "safeguarding/step.html", context)


class _Confirm(django_forms.Form):
    pass


@require_http_methods(["GET", "POST"])
@staff_required
def concern_review(request: HttpRequest, concern_id: uuid.UUID) -> HttpResponse:
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
def concern_note(request: HttpRequest, concern_id: uuid.UUID) -> HttpResponse:
    return _step(
        request,
        concern_id,
        forms.StepNoteForm,
        _("Add a review note"),
        lambda concern, data: actions.add_review_note(concern, by=request.user, note=data["note"]),
        _("Note added."),
    )


@require_http_methods(["GET", "POST"])
@staff_required
def concern_decide(request: HttpRequest, concern_id: uuid.UUID) -> HttpResponse:
    return _step(
        request,
        concern_id,
        forms.DecisionForm,
        _("Decide"),
        lambda concern, data: actions.decide_concern(
            concern, by=request.user, decision=data["decision"], note=data["note"]
        ),
        _("Decision recorded. A disclosure waits for a second safeguarding lead."),
    )


@require_http_methods(["GET", "POST"])
@staff_required
def concern_approve(request: HttpRequest, concern_id: uuid.UUID) -> HttpResponse:
    return _step(
        request,
        concern_id,
        forms.OptionalNoteForm,
        _("Approve the disclosure (second safeguarding lead)"),
        lambda concern, data: actions.approve_disclosure(
            concern, by=request.user, note=data["note"]
        ),
        _("Disclosure approved."),
    )


@require_http_methods(["GET", "POST"])
@staff_required
def concern_reject(request: HttpRequest, concern_id: uuid.UUID) -> HttpResponse:
    return _step(
        request,
        concern_id,
        forms.StepNoteForm,
        _("Do not approve the disclosure"),
        lambda concern, data: actions.reject_disclosure(
            concern, by=request.user, note=data["note"]
        ),
        _("The disclosure was not approved; the concern is back in review."),
    )


@require_http_methods(["GET", "POST"])
@staff_required
def concern_disclosed(request: HttpRequest, concern_id: uuid.UUID) -> HttpResponse:
    return _step(
        request,
        concern_id,
        forms.OptionalNoteForm,
        _("Record that the disclosure was made"),
        lambda concern, data: actions.record_disclosure_made(
            concern, by=request.user, note=data["note"]
        ),
        _("Disclosure recorded as made."),
    )
