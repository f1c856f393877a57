"""Risk flags of questionnaires (PHQ-9 item 9): what a clinician must see and do today.

A flag is defined by the instrument (``flags`` in its definition file) and
stored on the administration when it is scored. It stays "current" while it
is on the client's latest completed administration of that instrument that
answered the flag's item: a later answer to the item without it means it was
followed up and has gone; a later answer that left the item out does not.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from forestall.instruments.catalogue import localized
from forestall.instruments.models import Administration, completion_order

if TYPE_CHECKING:
    from forestall.cases.models import Client


@dataclass(frozen=True)
class RiskFlag:
    administration: Administration
    instrument: str
    label: str
    completed_at: datetime.datetime | None


def flag_labels(administration: Administration, language: str) -> list[str]:
    """The labels of the flags ``administration`` carries, in ``language``."""
    return [
        localized(flag.label, language)
        for flag in administration.definition.flags
        if flag.id in (administration.flags or ())
    ]


def _answered(administration: Administration, item: str) -> bool:
    return (administration.answers or {}).get(item) is not None  # type: ignore[union-attr]


def current_risk_flags(
    client: Client, language: str, completed: Sequence[Administration] | None = None
) -> list[RiskFlag]:
    """Each flag on the client's latest completed answer to its item, instrument by instrument.

    A later answer clears a flag only where it answered the flag's item: a
    PHQ-9 with item 9 left out (allowed, and prorated) says nothing about
    self-harm, so the warning from the last answer to item 9 stays.

    ``completed``: the client's completed administrations if the caller has
    them already (``Administration.objects.completed_of``), to save a query.
    """
    if completed is None:
        completed = Administration.objects.completed_of(client)
    newest_first = sorted(completed, key=completion_order, reverse=True)
    decided: set[tuple[str, str]] = set()
    found: list[RiskFlag] = []
    for administration in newest_first:
        for flag in administration.definition.flags:
            key = (administration.instrument, flag.id)
            if key in decided or not _answered(administration, flag.item):
                continue
            decided.add(key)
            if flag.id in (administration.flags or ()):
                found.append(
                    RiskFlag(
                        administration,
                        administration.definition.name,
                        localized(flag.label, language),
                        administration.completed_at,
                    )
                )
    return found
