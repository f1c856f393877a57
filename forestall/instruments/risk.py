"""Risk flags of questionnaires (PHQ-9 item 9): what a clinician must see and do today.

A flag is defined by the instrument (``flags`` in its definition file) and
stored on the administration when it is scored. It stays "current" while it
is on the client's latest completed administration of that instrument: a
later answer without it means it was followed up and has gone.
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


def current_risk_flags(
    client: Client, language: str, completed: Sequence[Administration] | None = None
) -> list[RiskFlag]:
    """The flags on the client's latest completed answer to each instrument.

    ``completed``: the client's completed administrations if the caller has
    them already (``Administration.objects.completed_of``), to save a query.
    """
    if completed is None:
        completed = Administration.objects.completed_of(client)
    latest: dict[str, Administration] = {}
    newest_first = sorted(completed, key=completion_order, reverse=True)
    for administration in newest_first:
        latest.setdefault(administration.instrument, administration)
    return [
        RiskFlag(administration, administration.definition.name, label, administration.completed_at)
        for administration in latest.values()
        if administration.flags
        for label in flag_labels(administration, language)
    ]
