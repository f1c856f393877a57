"""The ``access_*`` helpers of safeguarding: the only way staff views fetch concerns.

Concerns come through ``Concern.objects.visible_to`` (the safeguarding leads
responsible for them): missing and forbidden are the same 404. Each helper
writes the audit read entry itself, at the concern's centre, so that no
safeguarding page can be shown unaudited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.shortcuts import get_object_or_404

from forestall.audit.actions import read_or_404, record_read
from forestall.safeguarding.models import Concern, ConcernQuerySet

if TYPE_CHECKING:
    from forestall.accounts.models import User
    from forestall.cases.models import Note
    from forestall.inbox.models import Message


def _gated_concerns(user: User) -> ConcernQuerySet:
    return Concern.objects.visible_to(user).select_related(
        "centre", "case__client", "case__centre", "raised_by", "reviewer", "proposed_by"
    )


def access_concern(user: User, concern_id: uuid.UUID) -> Concern:
    """A concern ``user`` may review (a responsible safeguarding lead), or 404; ``concern.read``."""
    return read_or_404(user, _gated_concerns(user), concern_id, "concern.read")


@dataclass
class ConcernContext:
    """What lies behind a concern, up to the moment it was raised."""

    concern: Concern
    messages_before: list[Message] = field(default_factory=list)
    notes_before: list[Note] = field(default_factory=list)


def access_concern_context(
    user: User, concern_id: uuid.UUID, *, messages: int, notes: int
) -> ConcernContext:
    """The last ``messages`` of the conversation or ``notes`` of the case behind a concern.

    Only what was written up to the moment the concern was raised (the lead
    reviews what the raiser saw, not everything since), only for a lead who
    may review the concern; audited as ``concern.read_context`` and as a read
    of the conversation or case it opens (``…read_for_concern``).
    """
    from forestall.cases.models import Note
    from forestall.inbox.models import Message

    concern = get_object_or_404(_gated_concerns(user), pk=concern_id)
    context = ConcernContext(concern)
    if concern.conversation_id is not None:
        context.messages_before = list(
            Message.objects.filter(
                conversation_id=concern.conversation_id, created_at__lte=concern.raised_at
            ).order_by("-created_at")[:messages]
        )[::-1]
        record_read(
            user, "conversation.read_for_concern", concern.conversation, centre=concern.centre
        )
    if concern.case is not None:
        context.notes_before = list(
            Note.objects.filter(case=concern.case, created_at__lte=concern.raised_at)
            .select_related("author")
            .order_by("-created_at")[:notes]
        )
        record_read(user, "case.read_for_concern", concern.case, centre=concern.centre)
    record_read(user, "concern.read_context", concern, centre=concern.centre)
    return context


def list_concerns(user: User) -> ConcernQuerySet:
    """The concerns ``user`` reviews (the leads' queue); audited as ``concern.list``."""
    record_read(user, "concern.list")
    return Concern.objects.visible_to(user).select_related("centre", "case__client", "proposed_by")


def list_raised_by(user: User) -> ConcernQuerySet:
    """The concerns ``user`` raised, newest first; audited as ``concern.list_raised``."""
    record_read(user, "concern.list_raised")
    return (
        Concern.objects.raised_by_user(user)
        .select_related("case__client", "centre")
        .order_by("-raised_at")
    )
