"""Raising, reviewing and deciding safeguarding concerns.

The two-person rule lives here (and, as a last line, in a database
constraint): a disclosure to an outside agency is proposed by one
safeguarding lead and approved by a different one before it counts as
decided, and only a decided disclosure can be marked as made. "No further
action" on a concern that a child may be at immediate risk takes two leads
in the same way. The acting
person is always the signed-in user passed as ``by``; nothing a form sends
can name someone else as approver.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from forestall.audit.actions import record_event
from forestall.safeguarding.models import (
    Concern,
    ConcernStatus,
    ConcernStep,
    Decision,
    Level,
    StepKind,
)
from forestall.stats.actions import record as record_stat
from forestall.stats.events import Detail, Event

if TYPE_CHECKING:
    from forestall.accounts.models import User
    from forestall.cases.models import Case
    from forestall.inbox.models import Conversation


# The statistics' coarse vocabulary for concern levels.
_LEVEL_DETAIL: dict[str, str] = {
    Level.INFORMATION.value: Detail.LOW.value,
    Level.CONCERN.value: Detail.MEDIUM.value,
    Level.IMMEDIATE_RISK.value: Detail.URGENT.value,
}


class SafeguardingError(Exception):
    """A step the safeguarding rules do not allow (the message is safe to show)."""


class TwoPersonRuleError(SafeguardingError):
    """A disclosure approved by the person who proposed it, or not approved at all."""


class ProposalChanged(TwoPersonRuleError):
    """The answer was given to a proposal that has since been replaced by another."""


def _refuse_a_changed_proposal(locked: Concern, proposal: str | None) -> None:
    # ``None``: the caller shows no page (the command line, the demo seeder).
    if proposal is not None and proposal != locked.proposal_key:
        raise ProposalChanged(
            _(
                "The proposal has changed since you opened this page. "
                "Read the proposal now waiting before you answer it."
            )
        )


def raise_concern(
    *,
    by: User,
    level: str,
    description: str,
    case: Case | None = None,
    conversation: Conversation | None = None,
) -> Concern:
    """Raise a safeguarding concern from a case or from a conversation (exactly one).

    The concern belongs to the case's centre, or to the centre the
    conversation was addressed to (network-wide leads see those addressed to
    the network).
    """
    if (case is None) == (conversation is None):
        raise SafeguardingError(_("A concern is raised from a case or from a conversation."))
    if level not in Level.values:
        raise SafeguardingError(_("Unknown level."))
    description = description.strip()
    if not description:
        raise SafeguardingError(_("A concern needs a description."))
    centre_id = case.centre_id if case is not None else conversation.centre_id  # type: ignore[union-attr]
    with transaction.atomic():
        concern = Concern.objects.create(
            centre_id=centre_id,
            case=case,
            conversation=conversation,
            level=level,
            description=description,
            raised_by=by,
        )
        ConcernStep.objects.create(concern=concern, kind=StepKind.RAISED, by=by)
        record_event(by, "concern.raise", concern, centre=concern.centre)
        record_stat(Event.CONCERN_RAISED, centre=concern.centre, detail=_LEVEL_DETAIL[level])
    return concern


def _locked_for(concern: Concern, by: User) -> Concern:
    """Lock the concern, if ``by`` is a safeguarding lead who may act on it."""
    locked = Concern.objects.visible_to(by).select_for_update().filter(pk=concern.pk).first()
    if locked is None:
        raise SafeguardingError(_("Only a safeguarding lead responsible for this concern may act."))
    return locked


def _sync(concern: Concern) -> Concern:
    concern.refresh_from_db()
    return concern


def start_review(concern: Concern, *, by: User) -> Concern:
    """A lead takes the concern into review (they become its reviewer)."""
    with transaction.atomic():
        locked = _locked_for(concern, by)
        if locked.status == ConcernStatus.DECIDED:
            raise SafeguardingError(_("This concern has been decided."))
        if locked.status == ConcernStatus.OPEN:
            locked.status = ConcernStatus.IN_REVIEW
        locked.reviewer = by
        locked.save(update_fields=["status", "reviewer"])
        ConcernStep.objects.create(concern=locked, kind=StepKind.REVIEW_STARTED, by=by)
        record_event(by, "concern.review", locked, centre=locked.centre)
    return _sync(concern)


def add_review_note(concern: Concern, *, by: User, note: str) -> ConcernStep:
    """Add an encrypted note to the concern's history."""
    note = note.strip()
    if not note:
        raise SafeguardingError(_("The note is empty."))
    with transaction.atomic():
        locked = _locked_for(concern, by)
        step = ConcernStep.objects.create(
            concern=locked, kind=StepKind.REVIEW_NOTE, by=by, note=note
        )
        record_event(by, "concern.note", locked, centre=locked.centre)
    return step


def _finish(locked: Concern, *, by: User, now: datetime.datetime) -> None:
    locked.status = ConcernStatus.DECIDED
    locked.decided_by = by
    locked.decided_at = now
    record_stat(
        Event.CONCERN_DECIDED,
        centre=locked.centre,
        detail=locked.decision,
        duration=now - locked.raised_at,
    )


def decide_concern(concern: Concern, *, by: User, decision: str, note: str = "") -> Concern:
    """Decide a concern that is in review.

    A disclosure, and "no further action" on an immediate-risk concern, are
    only proposed here: they wait for a second, different lead
    (``approve_decision``). Every other decision is final at once. The
    reasons are required: a decision nobody can explain later is not one.
    """
    if decision not in Decision.values:
        raise SafeguardingError(_("Unknown decision."))
    note = note.strip()
    if not note:
        raise SafeguardingError(_("A decision needs its reasons."))
    with transaction.atomic():
        locked = _locked_for(concern, by)
        if locked.status in (ConcernStatus.DECIDED, ConcernStatus.AWAITING_APPROVAL):
            raise SafeguardingError(_("This concern already has a decision or a proposal."))
        if locked.status != ConcernStatus.IN_REVIEW:
            raise SafeguardingError(_("Take the concern into review before deciding it."))
        now = timezone.now()
        locked.decision = decision
        locked.decision_note = note
        if locked.reviewer_id is None:
            locked.reviewer = by
        if locked.needs_second_lead(decision):
            locked.status = ConcernStatus.AWAITING_APPROVAL
            locked.proposed_by = by
            locked.proposed_at = now
            kind = (
                StepKind.DISCLOSURE_PROPOSED
                if decision == Decision.DISCLOSURE
                else StepKind.DECISION_PROPOSED
            )
        else:
            _finish(locked, by=by, now=now)
            kind = StepKind.DECIDED
        locked.save()
        ConcernStep.objects.create(concern=locked, kind=kind, by=by, note=note)
        record_event(by, f"concern.{kind}", locked, centre=locked.centre)
    return _sync(concern)


def approve_decision(
    concern: Concern, *, by: User, note: str = "", proposal: str | None = None
) -> Concern:
    """A second, different safeguarding lead approves a proposed decision: now it is decided.

    ``proposal`` is the ``proposal_key`` the approver's page showed: if the
    proposal waiting now is another one, nothing is approved.
    """
    with transaction.atomic():
        locked = _locked_for(concern, by)
        if locked.status != ConcernStatus.AWAITING_APPROVAL:
            raise TwoPersonRuleError(_("There is no proposed decision to approve."))
        _refuse_a_changed_proposal(locked, proposal)
        if locked.proposed_by_id is None or locked.proposed_by_id == by.pk:
            record_event(
                by, "concern.disclosure_self_approval_refused", locked, centre=locked.centre
            )
            raise TwoPersonRuleError(
                _("This decision needs the approval of a second safeguarding lead.")
            )
        now = timezone.now()
        locked.approved_by = by
        locked.approved_at = now
        _finish(locked, by=by, now=now)
        locked.save()
        disclosure = locked.decision == Decision.DISCLOSURE
        ConcernStep.objects.create(
            concern=locked,
            kind=StepKind.DISCLOSURE_APPROVED if disclosure else StepKind.DECISION_APPROVED,
            by=by,
            note=note.strip(),
        )
        action = "concern.disclosure_approved" if disclosure else "concern.decision_approved"
        record_event(by, action, locked, centre=locked.centre)
    return _sync(concern)


# The two-person rule began with disclosures; the name stays for its callers.
approve_disclosure = approve_decision


def reject_decision(
    concern: Concern, *, by: User, note: str, proposal: str | None = None
) -> Concern:
    """A second lead does not approve the proposal: the concern goes back into review.

    ``proposal`` as for ``approve_decision``.
    """
    note = note.strip()
    if not note:
        raise SafeguardingError(_("Say why the proposal is not approved."))
    with transaction.atomic():
        locked = _locked_for(concern, by)
        if locked.status != ConcernStatus.AWAITING_APPROVAL:
            raise TwoPersonRuleError(_("There is no proposed decision to answer."))
        _refuse_a_changed_proposal(locked, proposal)
        if locked.proposed_by_id == by.pk:
            raise TwoPersonRuleError(_("A second safeguarding lead must answer the proposal."))
        disclosure = locked.decision == Decision.DISCLOSURE
        locked.status = ConcernStatus.IN_REVIEW
        locked.decision = ""
        locked.proposed_by = None
        locked.proposed_at = None
        locked.save()
        ConcernStep.objects.create(
            concern=locked,
            kind=StepKind.DISCLOSURE_REJECTED if disclosure else StepKind.DECISION_REJECTED,
            by=by,
            note=note,
        )
        action = "concern.disclosure_rejected" if disclosure else "concern.decision_rejected"
        record_event(by, action, locked, centre=locked.centre)
    return _sync(concern)


reject_disclosure = reject_decision


def record_disclosure_made(
    concern: Concern,
    *,
    by: User,
    agency: str,
    disclosed_on: datetime.date,
    reference: str = "",
    note: str = "",
) -> Concern:
    """Record that an approved disclosure was made: to which agency, on which day, their reference.

    The agency and the reference are encrypted; the day cannot be in the
    future nor before the concern was raised.
    """
    agency = agency.strip()
    if not agency:
        raise SafeguardingError(_("Name the agency the disclosure was made to."))
    if disclosed_on > timezone.localdate():
        raise SafeguardingError(_("The day of the disclosure cannot be in the future."))
    with transaction.atomic():
        locked = _locked_for(concern, by)
        if not (
            locked.status == ConcernStatus.DECIDED
            and locked.decision == Decision.DISCLOSURE
            and locked.approved_by_id is not None
            and locked.approved_by_id != locked.proposed_by_id
        ):
            raise TwoPersonRuleError(
                _("A disclosure can only be made once a second lead approved it.")
            )
        if disclosed_on < timezone.localdate(locked.raised_at):
            raise SafeguardingError(
                _("The day of the disclosure cannot be before the concern was raised.")
            )
        if locked.disclosed_at is None:
            locked.disclosed_at = timezone.now()
        locked.disclosure_agency = agency
        locked.disclosed_on = disclosed_on
        locked.disclosure_reference = reference.strip()
        locked.save(
            update_fields=[
                "disclosed_at",
                "disclosure_agency",
                "disclosed_on",
                "disclosure_reference",
            ]
        )
        ConcernStep.objects.create(
            concern=locked, kind=StepKind.DISCLOSURE_MADE, by=by, note=note.strip()
        )
        record_event(by, "concern.disclosure_made", locked, centre=locked.centre)
    return _sync(concern)
