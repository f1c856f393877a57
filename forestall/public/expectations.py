"""What a help-seeker is told to expect: time to a reply and how long a mailbox is kept."""

from __future__ import annotations

import datetime
import statistics

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from forestall.directory.models import Centre
from forestall.inbox.models import Conversation
from forestall.lib.pagecache import remember_for_public_pages

# Fewer recent first replies than this and the configured default is shown,
# both because a median of two says little and because it would describe
# individual counsellors' days.
MINIMUM_SAMPLES = 5
LOOKBACK_DAYS = 90


def expected_reply_time(centre: Centre | None) -> datetime.timedelta:
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
                centre=centre, first_reply_at__isnull=False, created_at__gte=since
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


def mailbox_retention_days() -> int:
    """Days an unused mailbox is kept before the retention job deletes it."""
    return int(settings.FORESTALL_RETENTION_DAYS["mailbox"])


def retention_notice() -> str:
    days = mailbox_retention_days()
    return ngettext(
        "If you do not open your mailbox for %(days)d day, it is deleted automatically "
        "together with all its messages.",
        "If you do not open your mailbox for %(days)d days, it is deleted automatically "
        "together with all its messages.",
        days,
    ) % {"days": days}


def reply_notice(centre: Centre | None) -> str:
    return _("A counsellor usually replies within %(time)s.") % {
        "time": describe_duration(expected_reply_time(centre))
    }


def _years(days: int) -> int:
    return max(1, round(days / 365))


def kept_after_referral_notice() -> list[str]:
    """What stays with a centre after a consented referral, and for how long (exactly true).

    Deleting a mailbox deletes everything tied to the codename; these are the
    records that belong to a centre's case work or to child protection, with
    the retention periods the operator configured.
    """
    retention = settings.FORESTALL_RETENTION_DAYS
    case_years = _years(int(retention.get("case", 3650)))
    concern_years = _years(int(retention.get("concern", 3650)))
    return [
        ngettext(
            "If you agreed to be referred to a centre, that centre keeps its own record of "
            "your case: a reference number, your appointments and the notes of your sessions, "
            "questionnaires you answered at the centre, and contact details only if you gave "
            "them. Deleting your mailbox does not delete that record. The centre keeps it for "
            "%(years)d year after your case is closed and then deletes it.",
            "If you agreed to be referred to a centre, that centre keeps its own record of "
            "your case: a reference number, your appointments and the notes of your sessions, "
            "questionnaires you answered at the centre, and contact details only if you gave "
            "them. Deleting your mailbox does not delete that record. The centre keeps it for "
            "%(years)d years after your case is closed and then deletes it.",
            case_years,
        )
        % {"years": case_years},
        ngettext(
            "If a counsellor had to record a concern that a child is at risk, that record "
            "(without your messages) is kept for %(years)d year and then deleted.",
            "If a counsellor had to record a concern that a child is at risk, that record "
            "(without your messages) is kept for %(years)d years and then deleted.",
            concern_years,
        )
        % {"years": concern_years},
    ]
