"""The fastest help that exists at this moment: crisis lines, emergency numbers, centres open now.

Read from settings at call time (``FORESTALL_CRISIS_LINES``,
``FORESTALL_POLICE_NUMBER``, ``FORESTALL_EMERGENCY_NUMBER``) and from the
directory (active centres with a public phone whose opening hours say they
are open now). Nothing about the visitor goes in or out.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone

from forestall.directory.models import Centre
from forestall.directory.opening_hours import is_open


@dataclass(frozen=True)
class Line:
    name: str
    phones: tuple[str, ...]
    hours: str
    open_text: str = ""
    url_name: str = ""
    slug: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def dial(self) -> list[tuple[str, str]]:
        """(number as written, number for a tel: link)."""
        return [
            (phone, "".join(ch for ch in phone if ch.isdigit() or ch == "+"))
            for phone in self.phones
        ]


def crisis_lines(language: str) -> list[Line]:
    """The configured crisis lines for ``language`` (or ``"*"``), in order."""
    configured: dict[str, list[dict[str, Any]]] = settings.FORESTALL_CRISIS_LINES
    entries = configured.get(language) or configured.get("*") or []
    lines = []
    for entry in entries:
        phones = entry.get("phones") or ([entry["phone"]] if entry.get("phone") else [])
        lines.append(
            Line(
                name=str(entry.get("name", "")),
                phones=tuple(str(phone) for phone in phones),
                hours=str(entry.get("hours", "")),
                open_text=str(entry.get("open", "")),
            )
        )
    return lines


def emergency_numbers() -> dict[str, str]:
    return {
        "police": str(settings.FORESTALL_POLICE_NUMBER),
        "emergency": str(settings.FORESTALL_EMERGENCY_NUMBER),
    }


def _now() -> datetime.datetime:
    return timezone.localtime()


def help_open_now(language: str, when: datetime.datetime | None = None) -> dict[str, Any]:
    """Crisis lines open now and centres open now (with phone and hours), and the rest by phone."""
    moment = when or _now()
    lines = [line for line in crisis_lines(language) if is_open(line.open_text, moment)]
    centres_open: list[Centre] = []
    centres_later: list[Centre] = []
    for centre in Centre.objects.public().exclude(public_phone="").select_related("region"):
        (centres_open if is_open(centre.opening_hours, moment) else centres_later).append(centre)
    return {
        "crisis_lines": lines,
        "centres_open": centres_open,
        "centres_later": centres_later,
        "numbers": emergency_numbers(),
    }
