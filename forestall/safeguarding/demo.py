"""Demo safeguarding concerns: open ones in every centre, one disclosure awaiting
a second lead's approval in Berlin, and a decided one. Idempotent: a demo case
that already has a concern gets no new one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from forestall.cases.demo import demo_reference
from forestall.cases.models import Case
from forestall.demo import DemoNetwork
from forestall.safeguarding import actions
from forestall.safeguarding.models import Decision, Level

if TYPE_CHECKING:
    from forestall.accounts.models import User

# (centre, case number, level, description, what happens next)
CONCERNS = [
    (
        "berlin",
        12,
        Level.IMMEDIATE_RISK,
        "Demo: says he will look after his partner's daughter alone this weekend.",
        "open",
    ),
    (
        "berlin",
        13,
        Level.CONCERN,
        "Demo: has started volunteering at a youth football club.",
        "propose_disclosure",
    ),
    (
        "berlin",
        17,
        Level.INFORMATION,
        "Demo: mentions a nephew staying for the holidays; plan discussed.",
        "decide",
    ),
    ("hamburg", 12, Level.CONCERN, "Demo: contact with a child through an online game.", "open"),
    ("kiel", 13, Level.INFORMATION, "Demo: new job in a school canteen.", "open"),
    ("regensburg", 12, Level.CONCERN, "Demo: babysitting for neighbours was mentioned.", "open"),
]


def seed(network: DemoNetwork) -> None:
    lead = network.staff.get("safeguarding.berlin")
    second = network.staff.get("safeguarding.berlin2") or network.staff.get("safeguarding.network")
    made = 0
    for slug, number, level, description, then in CONCERNS:
        case = Case.objects.filter(
            centre=network.centres.get(slug), client__reference=demo_reference(slug, number)
        ).first()
        if case is None or case.concerns.exists():
            continue
        # A demo centre without clinical staff (Kiel): "the system" raises it, as a
        # seeding command would (no actor in the audit chain).
        raiser = cast(
            "User", network.staff.get(f"clinician.{slug}") or network.staff.get(f"manager.{slug}")
        )
        concern = actions.raise_concern(by=raiser, level=level, description=description, case=case)
        made += 1
        if lead is None or then == "open":
            continue
        actions.start_review(concern, by=lead)
        if then == "propose_disclosure":
            actions.decide_concern(
                concern,
                by=lead,
                decision=Decision.DISCLOSURE,
                note="Demo: inform the youth welfare office (Jugendamt).",
            )
        elif then == "decide" and second is not None:
            actions.decide_concern(
                concern,
                by=second,
                decision=Decision.PLAN_AGREED,
                note="Demo: safety plan agreed; never alone with the nephew.",
            )
    network.say(f"  safeguarding: {made} new demo concerns")
