"""Retention of confidential messaging: inactive mailboxes, and unsent replies.

A mailbox not used for ``FORESTALL_RETENTION_DAYS["mailbox"]`` days
(``FORESTALL_RETAIN_MAILBOX_DAYS``, default 180) is deleted with its
conversations and messages (cascade). Nothing is kept: the de-identified
counts were recorded when things happened.

A counsellor's unsent reply is kept (encrypted) for
``FORESTALL_REPLY_DRAFT_MINUTES`` after the last form that carried it; a reply
posted after the staff session expired waits a shorter time for the sign-in.
Each draft carries its own expiry (``expires_at``, set when it is written), so
a draft is due once that has passed. The inbox purges expired drafts on the
way (``actions.purge_expired_drafts``); ``forestall purge-expired`` catches any
that nobody opened a page for.
"""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import ngettext

from forestall.inbox.models import Mailbox, ReplyDraft
from forestall.lib.retention import RetentionPolicy, register


def _notice(days: int) -> str:
    return ngettext(
        "If you do not open your mailbox for %(days)d day, it is deleted automatically "
        "together with all its messages.",
        "If you do not open your mailbox for %(days)d days, it is deleted automatically "
        "together with all its messages.",
        days,
    ) % {"days": days}


def _inactive_mailboxes(cutoff: datetime.date) -> QuerySet[Mailbox]:
    return Mailbox.objects.filter(last_active_on__lt=cutoff)


MAILBOX = register(
    RetentionPolicy(
        name="mailbox",
        model="inbox.Mailbox",
        inactive_since=_inactive_mailboxes,
        description="Mailboxes not used for the period, with their conversations and messages.",
        public_notice=_notice,
    )
)


def _expired(cutoff: datetime.date) -> QuerySet[ReplyDraft]:
    # The expiry was set from the period when the draft was written.
    return ReplyDraft.objects.filter(expires_at__lte=timezone.now())


REPLY_DRAFT = register(
    RetentionPolicy(
        name="reply_draft",
        model="inbox.ReplyDraft",
        inactive_since=_expired,
        description="Unsent replies past their expiry.",
        setting="FORESTALL_REPLY_DRAFT_MINUTES",
        unit="minutes",
    )
)
