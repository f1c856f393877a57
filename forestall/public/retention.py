"""Retention of the front door's records: inactive mailboxes are deleted whole.

A mailbox not used for ``FORESTALL_RETENTION_DAYS["mailbox"]`` days
(``FORESTALL_RETAIN_MAILBOX_DAYS``, default 180) is deleted with its
conversations and messages (cascade). Nothing is kept: the de-identified
counts were recorded when things happened.
"""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils.translation import ngettext

from forestall.lib.retention import RetentionPolicy, register
from forestall.public.models import Mailbox


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
        model="public.Mailbox",
        inactive_since=_inactive_mailboxes,
        description="Mailboxes not used for the period, with their conversations and messages.",
        public_notice=_notice,
    )
)
