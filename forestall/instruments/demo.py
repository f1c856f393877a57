"""Demo data for the instruments: plausible PHQ-9/GAD-7 courses for the cases seeder.

The instruments app has nothing of its own to seed (definitions are files);
``seed`` only reports what is loaded. The cases seeder calls ``demo_course``
for clients in treatment::

    from forestall.instruments.demo import demo_course

    demo_course(client, centre, by=clinician, rng=network.random, sessions=6)
"""

from __future__ import annotations

import datetime
import random
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from forestall.instruments import actions
from forestall.instruments.catalogue import catalogue
from forestall.instruments.models import Administration, Occasion

if TYPE_CHECKING:
    from forestall.accounts.models import User
    from forestall.cases.models import Client
    from forestall.directory.models import Centre


def seed(network: Any) -> None:
    """Nothing to store: report the questionnaires the demo will use."""
    names = ", ".join(definition.name for definition in catalogue().latest())
    network.say(f"Instruments: {names}.")


def _answers(total: int, items: int, highest: int, rng: random.Random) -> list[int]:
    """Random answers to ``items`` items (0..highest) that add up to ``total``."""
    answers = [0] * items
    for _ in range(total):
        open_items = [index for index, value in enumerate(answers) if value < highest]
        answers[rng.choice(open_items)] += 1
    return answers


def _phq9_answers(total: int, self_harm: bool, rng: random.Random) -> list[int]:
    """PHQ-9 answers adding up to about ``total``; item 9 (self-harm) above 0 only if asked.

    Spreading the total over all nine items would answer item 9 positively
    in nearly every course, so every demo case would carry a risk flag.
    """
    item9 = max(1 if self_harm else 0, total - 24)
    return [*_answers(max(0, total - item9), 8, 3, rng), item9]


def _trajectory(start: int, end: int, steps: int, highest: int, rng: random.Random) -> list[int]:
    if steps == 1:
        return [start]
    points = []
    for step in range(steps):
        expected = start + (end - start) * step / (steps - 1)
        noise = 0 if step in (0, steps - 1) else rng.randint(-2, 2)
        points.append(max(0, min(highest, round(expected) + noise)))
    return points


def demo_course(
    client: Client,
    centre: Centre | None,
    by: User | None,
    rng: random.Random,
    sessions: int,
    *,
    discharge: bool = True,
    started: datetime.datetime | None = None,
) -> list[Administration]:
    """Record a PHQ-9 and GAD-7 at intake, every session and (optionally) discharge.

    Most courses improve, some barely change and about one in ten gets worse,
    roughly as in routine services. Measurements are a week apart, ending
    today unless ``started`` is given. Idempotent: a client who already has
    measures keeps them and nothing is added.
    """
    existing = list(Administration.objects.filter(client=client).order_by("completed_at"))
    if existing:
        return existing
    measurements = sessions + 1 + (1 if discharge else 0)
    started = started or timezone.now() - datetime.timedelta(weeks=measurements - 1)
    luck = rng.random()
    phq9_start, gad7_start = rng.randint(8, 22), rng.randint(6, 18)
    if luck < 0.1:  # deteriorates
        phq9_end, gad7_end = phq9_start + rng.randint(3, 7), gad7_start + rng.randint(2, 5)
    elif luck < 0.3:  # little change
        phq9_end, gad7_end = phq9_start - rng.randint(0, 4), gad7_start - rng.randint(0, 3)
    else:  # improves
        phq9_end, gad7_end = rng.randint(2, 11), rng.randint(1, 9)
    phq9 = _trajectory(phq9_start, min(27, phq9_end), measurements, 27, rng)
    gad7 = _trajectory(gad7_start, min(21, gad7_end), measurements, 21, rng)
    # About one person in six answers the self-harm item positively, in the
    # last two measurements: one risk-assessment task, asked for twice.
    self_harm_from = measurements - 2 if rng.random() < 1 / 6 else measurements
    occasions = [Occasion.INTAKE] + [Occasion.SESSION] * sessions
    if discharge:
        occasions.append(Occasion.DISCHARGE)
    recorded = []
    for index, occasion in enumerate(occasions):
        when = started + datetime.timedelta(weeks=index)
        for instrument, totals in (("phq9", phq9), ("gad7", gad7)):
            if instrument == "phq9":
                answers = _phq9_answers(totals[index], index >= self_harm_from, rng)
            else:
                answers = _answers(totals[index], 7, 3, rng)
            administration = actions.record_administration(
                client,
                instrument,
                answers,
                occasion=occasion,
                by=by,
                centre=centre,
            )
            administration.completed_at = when
            administration.save(update_fields=["completed_at"])
            recorded.append(administration)
    return recorded
