"""Retention of the counsellors' unsent replies: a draft goes when it expires.

A draft is kept (encrypted) for ``FORESTALL_REPLY_DRAFT_MINUTES`` after the
last form that carried it; a reply posted after the staff session expired
waits a shorter time for the sign-in. Each draft carries its own expiry
(``expires_at``, set when it is written), so a draft is due once that has
passed. The inbox purges expired drafts on the way (``actions.purge_expired_drafts``);
``forestall purge-expired`` catches any that nobody opened a page for.
Conversations and messages go with their mailbox (``public.retention``).
"""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from forestall.inbox.models import ReplyDraft
from forestall.lib.retention import RetentionPolicy, register


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
