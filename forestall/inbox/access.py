"""The ``access_*`` helpers of the counsellors' inbox.

Conversations come through ``Conversation.objects.visible_to`` (the gate), so
a conversation that does not exist and one addressed elsewhere both answer
404; each helper writes the audit read entry itself, at the conversation's
centre (reads here, writes in ``actions``).
"""

from __future__ import annotations

import datetime
import uuid
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone

from forestall.accounts.models import Role
from forestall.audit.actions import read_or_404, record_event, record_read
from forestall.inbox.models import (
    Conversation,
    ReplyTemplate,
    ReplyTemplateQuerySet,
    can_manage_templates,
)
from forestall.inbox.queue import QueueFilters, QueueRows

if TYPE_CHECKING:
    from forestall.accounts.models import User


def access_conversation(user: User, conversation_id: uuid.UUID) -> Conversation:
    """The conversation if ``user`` may see it, or 404; audited as ``conversation.read``."""
    gated = Conversation.objects.visible_to(user).select_related("centre", "claimed_by", "mailbox")
    return read_or_404(user, gated, conversation_id, "conversation.read")


def find_conversations(user: User, reference: str) -> list[Conversation]:
    """Up to two conversations ``user`` sees with this (normalised) reference, newest first.

    Audited as ``inbox.queue.search``; the reference itself is never written
    to the audit log.
    """
    record_event(user, "inbox.queue.search")
    return list(
        Conversation.objects.visible_to(user)
        .filter(Q(reference=reference) | Q(offline_contact__person_reference=reference))
        .order_by("-created_at")[:2]
    )


def list_queue(
    user: User, filters: QueueFilters | None = None, now: datetime.datetime | None = None
) -> QueueRows:
    """The conversations in ``user``'s queue under ``filters``; audited as ``inbox.queue.read``.

    The rows are read a page at a time (``forestall.inbox.queue``) under the
    gate's own condition: the centres where ``user`` is a counsellor, and
    the network's conversations if they are one network-wide.
    """
    record_read(user, "inbox.queue.read")
    signed_in = getattr(user, "is_authenticated", False) and user.is_active
    return QueueRows(
        centres=user.centre_ids_with(Role.COUNSELLOR) if signed_in else [],
        network=bool(signed_in and user.has_network_role(Role.COUNSELLOR)),
        reader=user.pk,
        filters=filters or QueueFilters(),
        now=now or timezone.now(),
    )


def list_templates(user: User, *, active_only: bool = False) -> ReplyTemplateQuerySet:
    """Reply templates ``user`` may use (all of them for those who manage them).

    Audited as ``reply_template.list``, except where the templates are only
    offered inside a conversation page already audited (``active_only``).
    """
    templates = ReplyTemplate.objects.visible_to(user)
    if active_only or not can_manage_templates(user):
        templates = templates.filter(is_active=True)
    if not active_only:
        record_read(user, "reply_template.list")
    return templates


def access_template_for_editing(user: User, template_id: uuid.UUID) -> ReplyTemplate:
    """A reply template ``user`` may change, or 404; audited as ``reply_template.read``.

    Templates belong to the network (no centre) and hold no personal data;
    opening one is recorded like every other staff read all the same.
    """
    gated = ReplyTemplate.objects.manageable_by(user)
    return read_or_404(user, gated, template_id, "reply_template.read", centre=None)
