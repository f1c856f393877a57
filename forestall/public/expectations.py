"""What a help-seeker is told to expect: time to a reply and how long a mailbox is kept."""

from __future__ import annotations

import datetime
import statistics
from typing import Any, Protocol

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from forestall.inbox.models import Conversation
from forestall.lib.pagecache import remember_for_public_pages
from forestall.lib.retention import get_policy, public_notices


class _Addressed(Protocol):
    """A centre, or what a page knows of one (``inbox.thread.AddressedCentre``): its key."""

    @property
    def pk(self) -> Any: ...


# Fewer recent first replies than this and the configured default is shown,
# both because a median of two says little and because it would describe
# individual counsellors' days.
MINIMUM_SAMPLES = 5
LOOKBACK_DAYS = 90


def expected_reply_time(centre: _Addressed | None) -> datetime.timedelta:
    """The median time to a first reply over recent conversations to ``centre``.

    ``None`` means the network (conversations addressed to any centre).
    Falls back to ``FORESTALL_EXPECTED_REPLY_HOURS`` when there are too few.
    """
    since = timezone.now() - datetime.timedelta(days=LOOKBACK_DAYS)
    # The same for every help-seeker: kept like cached public pages.
    rows = remember_for_public_pages(
        f"reply-waits:{centre.pk if centre else 'network'}",
        lambda: list(
            Conversation.objects.filter(
                Q(centre_id=centre.pk) if centre else Q(centre__isnull=True),
                first_reply_at__isnull=False,
                created_at__gte=since,
            )
            .order_by("-created_at")
            .values_list("created_at", "first_reply_at")[:500]
        ),
    )
    waits = [
        (replied - created).total_seconds()
        for created, replied in rows
        if replied and replied >= created
    ]
    if len(waits) < MINIMUM_SAMPLES:
        hours = settings.FORESTALL_EXPECTED_REPLY_HOURS
        return datetime.timedelta(hours=hours)
    return datetime.timedelta(seconds=statistics.median(waits))


def describe_duration(duration: datetime.timedelta) -> str:
    """ "about 5 hours", "about 3 days": rounded up, never more precise than that."""
    hours = max(1, round(duration.total_seconds() / 3600))
    if hours < 48:
        return ngettext("about %(count)d hour", "about %(count)d hours", hours) % {"count": hours}
    days = round(hours / 24)
    return ngettext("about %(count)d day", "about %(count)d days", days) % {"count": days}


def retention_notice() -> str:
    """How long an unused mailbox is kept (from the mailbox's retention rule)."""
    return get_policy("mailbox").notice() or ""


def reply_notice(centre: _Addressed | None) -> str:
    """ "A counsellor usually replies within about 5 hours." for ``centre`` (None: the network).

    The same for everyone writing there in a language: kept like the reply
    times it comes from, instead of working out the median and the words on
    every mailbox page.
    """
    return remember_for_public_pages(
        f"reply-notice:{centre.pk if centre else 'network'}:{get_language() or ''}",
        lambda: (
            _("A counsellor usually replies within %(time)s.")
            % {"time": describe_duration(expected_reply_time(centre))}
        ),
    )


def kept_after_referral_notice() -> list[str]:
    """What stays with a centre after a consented referral, and for how long (exactly true).

    Deleting a mailbox deletes everything tied to the codename; what a
    centre keeps are the records of every other retention rule that tells
    help-seekers about itself (case work, child protection), each with the
    period the operator configured.
    """
    return [notice for name, notice in public_notices().items() if name != "mailbox"]
