"""Raising, reviewing and deciding safeguarding concerns.

The two-person rule lives here (and, as a last line, in a database
constraint): a disclosure to an outside agency is proposed by one
safeguarding lead and approved by a different one before it counts as
decided, and only a decided disclosure can be marked as made. The acting
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
    """Decide a concern. A disclosure is only proposed here: it waits for a second lead."""
    if decision not in Decision.values:
        raise SafeguardingError(_("Unknown decision."))
    with transaction.atomic():
        locked = _locked_for(concern, by)
        if locked.status in (ConcernStatus.DECIDED, ConcernStatus.AWAITING_APPROVAL):
            raise SafeguardingError(_("This concern already has a decision or a proposal."))
        now = timezone.now()
        locked.decision = decision
        locked.decision_note = note.strip()
        if locked.reviewer_id is None:
            locked.reviewer = by
        if decision == Decision.DISCLOSURE:
            locked.status = ConcernStatus.AWAITING_APPROVAL
            locked.proposed_by = by
            locked.proposed_at = now
            kind = StepKind.DISCLOSURE_PROPOSED
        else:
            _finish(locked, by=by, now=now)
            kind = StepKind.DECIDED
        locked.save()
        ConcernStep.objects.create(concern=locked, kind=kind, by=by, note=note.strip())
        record_event(by, f"concern.{kind}", locked, centre=locked.centre)
    return _sync(concern)


def approve_disclosure(concern: Concern, *, by: User, note: str = "") -> Concern:
    """A second, different safeguarding lead approves a proposed disclosure: now it is decided."""
    with transaction.atomic():
        locked = _locked_for(concern, by)
        if locked.status != ConcernStatus.AWAITING_APPROVAL:
            raise TwoPersonRuleError(_("There is no proposed disclosure to approve."))
        if locked.proposed_by_id is None or locked.proposed_by_id == by.pk:
            record_event(
                by, "concern.disclosure_self_approval_refused", locked, centre=locked.centre
            )
            raise TwoPersonRuleError(
                _("A disclosure needs the approval of a second safeguarding lead.")
            )
        now = timezone.now()
        locked.approved_by = by
        locked.approved_at = now
        _finish(locked, by=by, now=now)
        locked.save()
        ConcernStep.objects.create(
            concern=locked, kind=StepKind.DISCLOSURE_APPROVED, by=by, note=note.strip()
        )
        record_event(by, "concern.disclosure_approved", locked, centre=locked.centre)
    return _sync(concern)


def reject_disclosure(concern: Concern, *, by: User, note: str) -> Concern:
    """A second lead does not approve the disclosure: the concern goes back into review."""
    note = note.strip()
    if not note:
        raise SafeguardingError(_("Say why the disclosure is not approved."))
    with transaction.atomic():
        locked = _locked_for(concern, by)
        if locked.status != ConcernStatus.AWAITING_APPROVAL:
            raise TwoPersonRuleError(_("There is no proposed disclosure to answer."))
        if locked.proposed_by_id == by.pk:
            raise TwoPersonRuleError(_("A second safeguarding lead must answer the proposal."))
        locked.status = ConcernStatus.IN_REVIEW
        locked.decision = ""
        locked.proposed_by = None
        locked.proposed_at = None
        locked.save()
        ConcernStep.objects.create(
            concern=locked, kind=StepKind.DISCLOSURE_REJECTED, by=by, note=note
        )
        record_event(by, "concern.disclosure_rejected", locked, centre=locked.centre)
    return _sync(concern)


def record_disclosure_made(concern: Concern, *, by: User, note: str = "") -> Concern:
    """Mark an approved disclosure as made (to whom, in the encrypted note)."""
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
        if locked.disclosed_at is None:
            locked.disclosed_at = timezone.now()
            locked.save(update_fields=["disclosed_at"])
        ConcernStep.objects.create(
            concern=locked, kind=StepKind.DISCLOSURE_MADE, by=by, note=note.strip()
        )
        record_event(by, "concern.disclosure_made", locked, centre=locked.centre)
    return _sync(concern)
