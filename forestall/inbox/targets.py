"""Reply-time targets: how long a waiting person may wait, and when that runs out.

Targets are configured per queue (a centre's slug, "network", else
"default") and urgency in ``FORESTALL_REPLY_TARGETS``: "4h" (hours), "2d"
(calendar days) or "3wd" (working days, skipping the days that are not in
``FORESTALL_WORKING_DAYS`` and the dates in ``FORESTALL_HOLIDAYS``, counted in
the service's time zone). A malformed setting fails loudly at the first use
rather than silently measuring against nothing.
"""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

if TYPE_CHECKING:
    from forestall.inbox.models import Conversation

_TARGET = re.compile(r"^\s*(\d+)\s*(h|d|wd)\s*$")
URGENT = "urgent"
NORMAL = "normal"


@dataclass(frozen=True)
class Target:
    amount: int
    unit: str  # "h", "d" or "wd"

    def label(self) -> str:
        if self.unit == "h":
            return ngettext("%(n)d hour", "%(n)d hours", self.amount) % {"n": self.amount}
        if self.unit == "d":
            return ngettext("%(n)d day", "%(n)d days", self.amount) % {"n": self.amount}
        return ngettext("%(n)d working day", "%(n)d working days", self.amount) % {"n": self.amount}

    def deadline(
        self, start: datetime.datetime, calendar: Calendar | None = None
    ) -> datetime.datetime:
        """When a wait from ``start`` reaches the target (``calendar``: ``working_calendar()``)."""
        if self.unit == "h":
            return start + datetime.timedelta(hours=self.amount)
        if self.unit == "d":
            return start + datetime.timedelta(days=self.amount)
        return add_working_days(start, self.amount, calendar)


@functools.lru_cache(maxsize=256)
def parse_target(text: str) -> Target:
    match = _TARGET.match(str(text))
    if not match or int(match.group(1)) <= 0:
        raise ImproperlyConfigured(
            f"FORESTALL_REPLY_TARGETS: {text!r} is not a target such as '4h', '2d' or '3wd'."
        )
    return Target(int(match.group(1)), match.group(2))


# (working weekdays, holidays as ISO dates).
Calendar = tuple[frozenset[int], frozenset[str]]


def working_calendar() -> Calendar:
    """(working weekdays, holidays as ISO dates), read from the settings once per use.

    A page that works out many deadlines reads it once and passes it on.
    """
    return (
        frozenset(settings.FORESTALL_WORKING_DAYS),
        frozenset(str(value) for value in settings.FORESTALL_HOLIDAYS),
    )


def _is_working_day(day: datetime.date, calendar: Calendar | None = None) -> bool:
    working, holidays = calendar or working_calendar()
    return day.weekday() in working and day.isoformat() not in holidays


def add_working_days(
    start: datetime.datetime, days: int, calendar: Calendar | None = None
) -> datetime.datetime:
    """``start`` plus ``days`` working days, in local time.

    A clock that starts on a day off starts at the beginning of the next
    working day (a message on Saturday with a 3-working-day target is due on
    Thursday 00:00, not on Wednesday); otherwise the time of day is kept
    (Friday 15:00 + 3 working days = Wednesday 15:00). Holidays are skipped.

    Every queue page asks it for each of its rows, whose start does not
    change from one page to the next: the answers are remembered per start,
    number of days, calendar and time zone (all that the answer depends on).
    """
    return _add_working_days(
        start, days, calendar or working_calendar(), timezone.get_current_timezone_name()
    )


@functools.lru_cache(maxsize=4096)
def _add_working_days(
    start: datetime.datetime,
    days: int,
    calendar: Calendar,
    _zone: str,
) -> datetime.datetime:
    local = timezone.localtime(start)
    if not _is_working_day(local.date(), calendar):
        day = local.date()
        for _step in range(366):
            day += datetime.timedelta(days=1)
            if _is_working_day(day, calendar):
                break
        local = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
    day = local.date()
    remaining = days
    for _step in range(days * 7 + 366):
        if remaining == 0:
            break
        day += datetime.timedelta(days=1)
        if _is_working_day(day, calendar):
            remaining -= 1
    naive = datetime.datetime.combine(day, local.time().replace(tzinfo=None))
    return timezone.make_aware(naive)


def target_for(conversation: Conversation) -> Target:
    """The target of ``conversation``'s queue and urgency."""
    centre = conversation.centre
    return queue_target(centre.slug if centre is not None else None, conversation.is_priority)


def queue_target(centre_slug: str | None, priority: bool) -> Target:
    """The target of the queue of the centre with this slug (``None``: the network's)."""
    configured = settings.FORESTALL_REPLY_TARGETS or {}
    urgency = URGENT if priority else NORMAL
    queue = centre_slug if centre_slug is not None else "network"
    for key in (queue, "default"):
        value = (configured.get(key) or {}).get(urgency)
        if value:
            return parse_target(value)
    return parse_target("4h" if urgency == URGENT else "3wd")


@dataclass(frozen=True)
class TargetState:
    target: Target
    deadline: datetime.datetime
    breached: bool

    def describe(self, now: datetime.datetime) -> str:
        if self.breached:
            return _("over the target of %(target)s") % {"target": self.target.label()}
        return _("target %(target)s") % {"target": self.target.label()}


def target_state(
    conversation: Conversation, now: datetime.datetime | None = None
) -> TargetState | None:
    """Where a waiting conversation stands against its target (None if nobody waits)."""
    if not conversation.waiting_since or conversation.status != "awaiting_reply":
        return None
    return waiting_state(conversation.waiting_since, target_for(conversation), now)


def waiting_state(
    waiting_since: datetime.datetime,
    target: Target,
    now: datetime.datetime | None = None,
    calendar: Calendar | None = None,
) -> TargetState:
    """Where a person waiting since ``waiting_since`` stands against ``target``."""
    deadline = target.deadline(waiting_since, calendar)
    return TargetState(target, deadline, (now or timezone.now()) > deadline)


def reply_within_target(conversation: Conversation, replied_at: datetime.datetime) -> bool:
    """Whether a reply at ``replied_at`` met the target of the waiting conversation."""
    assert conversation.waiting_since is not None  # noqa: S101 - callers check
    return replied_at <= target_for(conversation).deadline(conversation.waiting_since)
