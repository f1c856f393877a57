"""The care pathway of a case: its stages and the one table of allowed moves.

Everything that asks "may a case go from X to Y?" or "what does that move
count as in the statistics?" reads ``TRANSITIONS`` below; there is no other
place where the pathway is defined. Terminal stages (closed and the four
exits) have no way out: a person who returns later gets a new case, so that
every case's path can be counted once.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from forestall.stats.events import Event


class Stage(models.TextChoices):
    ENQUIRY = "enquiry", _("Enquiry")
    SCREENING = "screening", _("Screening")
    ASSESSMENT = "assessment", _("Assessment")
    WAITING_LIST = "waiting_list", _("Waiting list")
    IN_TREATMENT = "in_treatment", _("In treatment")
    AFTERCARE = "aftercare", _("Aftercare")
    CLOSED = "closed", _("Closed")
    NOT_SUITABLE = "not_suitable", _("Not suitable")
    REFERRED_ELSEWHERE = "referred_elsewhere", _("Referred elsewhere")
    WITHDREW = "withdrew", _("Withdrew")
    LOST_CONTACT = "lost_contact", _("Lost contact")


# The main path, in order (used for display and for "stage reached").
MAIN_PATH = (
    Stage.ENQUIRY,
    Stage.SCREENING,
    Stage.ASSESSMENT,
    Stage.WAITING_LIST,
    Stage.IN_TREATMENT,
    Stage.AFTERCARE,
    Stage.CLOSED,
)
EXITS = (Stage.NOT_SUITABLE, Stage.REFERRED_ELSEWHERE, Stage.WITHDREW, Stage.LOST_CONTACT)
TERMINAL = frozenset({Stage.CLOSED, *EXITS})
OPEN_STAGES = tuple(stage for stage in MAIN_PATH if stage not in TERMINAL)


@dataclass(frozen=True)
class Transition:
    """One allowed move and the de-identified events it counts as."""

    source: Stage
    target: Stage
    events: tuple[Event, ...]


def _exits(source: Stage, *, assessed: bool = False) -> list[Transition]:
    prefix: tuple[Event, ...] = (Event.ASSESSED,) if assessed else ()
    exit_events = {
        Stage.NOT_SUITABLE: Event.NOT_SUITABLE,
        Stage.REFERRED_ELSEWHERE: Event.REFERRED_ELSEWHERE,
        Stage.WITHDREW: Event.WITHDREW,
        Stage.LOST_CONTACT: Event.LOST_CONTACT,
    }
    return [Transition(source, target, (*prefix, event)) for target, event in exit_events.items()]


# THE pathway. Read it as "from → to: counts as".
TRANSITIONS: tuple[Transition, ...] = (
    Transition(Stage.ENQUIRY, Stage.SCREENING, ()),
    *_exits(Stage.ENQUIRY),
    Transition(Stage.SCREENING, Stage.ASSESSMENT, (Event.SCREENED,)),
    *_exits(Stage.SCREENING),
    Transition(Stage.ASSESSMENT, Stage.WAITING_LIST, (Event.ASSESSED, Event.WAITLISTED)),
    Transition(Stage.ASSESSMENT, Stage.IN_TREATMENT, (Event.ASSESSED, Event.THERAPY_STARTED)),
    # An assessment that ends in "not suitable" or a referral still counts as assessed.
    *_exits(Stage.ASSESSMENT, assessed=True),
    Transition(Stage.WAITING_LIST, Stage.IN_TREATMENT, (Event.THERAPY_STARTED,)),
    # Nobody on a waiting list is "not suitable" without a new assessment.
    *[t for t in _exits(Stage.WAITING_LIST) if t.target != Stage.NOT_SUITABLE],
    Transition(Stage.IN_TREATMENT, Stage.AFTERCARE, (Event.THERAPY_COMPLETED,)),
    Transition(Stage.IN_TREATMENT, Stage.CLOSED, (Event.THERAPY_COMPLETED, Event.CASE_CLOSED)),
    *[t for t in _exits(Stage.IN_TREATMENT) if t.target != Stage.NOT_SUITABLE],
    Transition(Stage.AFTERCARE, Stage.CLOSED, (Event.CASE_CLOSED,)),
    # Aftercare can lead back into treatment (a relapse, a crisis).
    Transition(Stage.AFTERCARE, Stage.IN_TREATMENT, ()),
    *[
        t
        for t in _exits(Stage.AFTERCARE)
        if t.target in (Stage.WITHDREW, Stage.LOST_CONTACT, Stage.REFERRED_ELSEWHERE)
    ],
)

_BY_PAIR = {(t.source, t.target): t for t in TRANSITIONS}


def find_transition(source: str, target: str) -> Transition | None:
    """The allowed move from ``source`` to ``target``, or None if the pathway forbids it."""
    if source not in Stage.values or target not in Stage.values:
        return None
    return _BY_PAIR.get((Stage(source), Stage(target)))


def allowed_targets(source: str) -> list[Stage]:
    """The stages a case at ``source`` may move to, in the table's order."""
    return [t.target for t in TRANSITIONS if t.source == source]
