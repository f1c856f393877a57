"""Demo case work: in every demo centre, cases at every stage of the pathway, a
waiting list, this week's appointments (with a group session), measures and
referrals between centres. Every case that got past the first contact has a
lead clinician of its centre (the few new enquiries nobody has triaged yet
have none). Idempotent: demo clients have fixed references, and whatever
exists already is left as it is.
"""

from __future__ import annotations

import datetime
from typing import cast

from django.utils import timezone

from forestall.accounts.models import Role, User
from forestall.cases import actions
from forestall.cases.models import (
    Appointment,
    AppointmentMode,
    AttendanceStatus,
    Case,
    Client,
    Priority,
    Programme,
    ReferralReason,
    TaskKind,
    TherapyGroup,
    WaitingListEntry,
)
from forestall.cases.pathway import Stage
from forestall.demo import DemoNetwork

# How each demo case reaches its stage.
ROUTES: dict[str, list[Stage]] = {
    Stage.ENQUIRY: [],
    Stage.SCREENING: [Stage.SCREENING],
    Stage.ASSESSMENT: [Stage.SCREENING, Stage.ASSESSMENT],
    Stage.WAITING_LIST: [Stage.SCREENING, Stage.ASSESSMENT, Stage.WAITING_LIST],
    Stage.IN_TREATMENT: [Stage.SCREENING, Stage.ASSESSMENT, Stage.WAITING_LIST, Stage.IN_TREATMENT],
    Stage.AFTERCARE: [
        Stage.SCREENING,
        Stage.ASSESSMENT,
        Stage.WAITING_LIST,
        Stage.IN_TREATMENT,
        Stage.AFTERCARE,
    ],
    Stage.CLOSED: [
        Stage.SCREENING,
        Stage.ASSESSMENT,
        Stage.WAITING_LIST,
        Stage.IN_TREATMENT,
        Stage.AFTERCARE,
        Stage.CLOSED,
    ],
    Stage.NOT_SUITABLE: [Stage.SCREENING, Stage.ASSESSMENT, Stage.NOT_SUITABLE],
    Stage.REFERRED_ELSEWHERE: [Stage.SCREENING, Stage.REFERRED_ELSEWHERE],
    Stage.WITHDREW: [Stage.SCREENING, Stage.ASSESSMENT, Stage.WAITING_LIST, Stage.WITHDREW],
    Stage.LOST_CONTACT: [Stage.LOST_CONTACT],
}

# (number, final stage, programme, priority on the waiting list, weeks waited)
CASES = [
    (1, Stage.ENQUIRY, Programme.INDIVIDUAL, Priority.ROUTINE, 0),
    (2, Stage.ENQUIRY, Programme.INDIVIDUAL, Priority.ROUTINE, 0),
    (3, Stage.SCREENING, Programme.INDIVIDUAL, Priority.ROUTINE, 0),
    (4, Stage.ASSESSMENT, Programme.INDIVIDUAL, Priority.ROUTINE, 0),
    (5, Stage.ASSESSMENT, Programme.GROUP, Priority.ROUTINE, 0),
    (6, Stage.WAITING_LIST, Programme.INDIVIDUAL, Priority.ROUTINE, 9),
    (7, Stage.WAITING_LIST, Programme.INDIVIDUAL, Priority.URGENT, 1),
    (8, Stage.WAITING_LIST, Programme.INDIVIDUAL, Priority.ROUTINE, 4),
    (9, Stage.WAITING_LIST, Programme.INDIVIDUAL, Priority.HIGH, 3),
    (10, Stage.WAITING_LIST, Programme.GROUP, Priority.ROUTINE, 6),
    (11, Stage.WAITING_LIST, Programme.GROUP, Priority.HIGH, 2),
    (12, Stage.IN_TREATMENT, Programme.INDIVIDUAL, Priority.ROUTINE, 7),
    (13, Stage.IN_TREATMENT, Programme.INDIVIDUAL, Priority.ROUTINE, 5),
    (14, Stage.IN_TREATMENT, Programme.GROUP, Priority.ROUTINE, 8),
    (15, Stage.IN_TREATMENT, Programme.GROUP, Priority.ROUTINE, 6),
    (16, Stage.IN_TREATMENT, Programme.GROUP, Priority.HIGH, 4),
    (17, Stage.AFTERCARE, Programme.INDIVIDUAL, Priority.ROUTINE, 10),
    (18, Stage.CLOSED, Programme.INDIVIDUAL, Priority.ROUTINE, 12),
    (19, Stage.NOT_SUITABLE, Programme.INDIVIDUAL, Priority.ROUTINE, 0),
    (20, Stage.REFERRED_ELSEWHERE, Programme.INDIVIDUAL, Priority.ROUTINE, 0),
    (21, Stage.WITHDREW, Programme.INDIVIDUAL, Priority.ROUTINE, 5),
    (22, Stage.LOST_CONTACT, Programme.INDIVIDUAL, Priority.ROUTINE, 0),
]

REASONS = {
    Stage.SCREENING: "Screening call booked.",
    Stage.ASSESSMENT: "Screening fits the programme; diagnostic interviews next.",
    Stage.WAITING_LIST: "Assessment complete; agreed with the person to wait for a place.",
    Stage.IN_TREATMENT: "A place became free.",
    Stage.AFTERCARE: "Therapy goals reached; monthly aftercare agreed.",
    Stage.CLOSED: "Aftercare finished as planned.",
    Stage.NOT_SUITABLE: "Needs a different kind of help; given addresses.",
    Stage.REFERRED_ELSEWHERE: "Referred to a local psychotherapist.",
    Stage.WITHDREW: "Decided not to continue for now.",
    Stage.LOST_CONTACT: "No answer to three calls and a letter.",
}


def demo_reference(centre_slug: str, number: int) -> str:
    return f"K-{centre_slug[:2].upper()}{number:02d}-DM"


def _clinician(network: DemoNetwork, slug: str) -> User:
    user = network.staff.get(f"clinician.{slug}") or network.staff.get(f"manager.{slug}")
    if user is None:
        user = (
            User.objects.filter(
                memberships__centre=network.centres[slug],
                memberships__role__in=(Role.CLINICIAN, Role.CENTRE_MANAGER),
            )
            .order_by("username")
            .first()
        )
    if user is None:
        # A demo centre without clinical staff (Kiel): its cases are opened by
        # "the system", as a seeding command would (no actor in the audit chain).
        return cast(User, None)
    return user


# The stages before anyone triaged the case: an enquiry nobody has screened
# yet, or contact lost before screening. Nobody leads these cases yet; every
# other demo case has a lead clinician of its centre.
UNTRIAGED = frozenset({Stage.ENQUIRY, Stage.LOST_CONTACT})


def _lead(network: DemoNetwork, slug: str, number: int) -> User | None:
    """The lead clinician of demo case ``number`` at the centre ``slug``, or None.

    The centre's clinicians take turns by case number, so a centre with two
    has cases of each, and every run picks the same (no random choice). A
    centre without clinicians (Kiel) leads no case.
    """
    clinicians = list(
        User.objects.filter(
            memberships__centre=network.centres[slug], memberships__role=Role.CLINICIAN
        )
        .distinct()
        .order_by("username")
    )
    return clinicians[number % len(clinicians)] if clinicians else None


def _walk(case: Case, route: list[Stage], *, by: User, priority: int, weeks_waited: int) -> None:
    for stage in route:
        if stage == Stage.IN_TREATMENT and weeks_waited:
            # Backdate the wait before the start, so the start reports it truly.
            added = timezone.now() - datetime.timedelta(weeks=weeks_waited, days=2)
            WaitingListEntry.objects.filter(case=case, left_at__isnull=True).update(added_at=added)
            Case.objects.filter(pk=case.pk).update(waitlisted_at=added)
            case.refresh_from_db()
        actions.transition_case(case, stage, by=by, reason=REASONS[stage], priority=priority)
    if route and route[-1] == Stage.WAITING_LIST and weeks_waited:
        added = timezone.now() - datetime.timedelta(weeks=weeks_waited, days=1)
        WaitingListEntry.objects.filter(case=case, left_at__isnull=True).update(added_at=added)
        Case.objects.filter(pk=case.pk).update(waitlisted_at=added)


def _seed_centre(network: DemoNetwork, slug: str) -> int:
    centre = network.centres[slug]
    clinician = _clinician(network, slug)
    # Waits scale with the centre's published wait, so each centre differs.
    scale = (centre.typical_wait_weeks or 8) / 8
    made = 0
    for number, stage, programme, priority, demo_weeks in CASES:
        weeks = max(1, round(demo_weeks * scale)) if demo_weeks else 0
        reference = demo_reference(slug, number)
        if Client.objects.filter(reference=reference).exists():
            continue
        client = Client.objects.create(reference=reference, language="de")
        case = actions.open_case(client, centre, by=clinician, programme=programme)
        Case.objects.filter(pk=case.pk).update(
            opened_at=timezone.now() - datetime.timedelta(weeks=weeks + 6)
        )
        case.refresh_from_db()
        lead = _lead(network, slug, number) if stage not in UNTRIAGED else None
        if lead is not None:
            actions.assign_lead_clinician(case, lead, by=clinician)
        _walk(case, ROUTES[stage], by=clinician, priority=priority, weeks_waited=weeks)
        if number % 3 == 0 and case.is_open:
            actions.add_note(
                case,
                by=clinician,
                body="Demo note: talked about the week, the safety plan holds.",
            )
            actions.add_task(
                case,
                by=clinician,
                title="Demo reminder: call back about the next appointment",
                due_on=timezone.localdate() + datetime.timedelta(days=number % 5 - 2),
                assignee=clinician,
            )
        made += 1
    return made


def _this_week(day: int, hour: int) -> datetime.datetime:
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    moment = datetime.datetime.combine(
        monday + datetime.timedelta(days=day), datetime.time(hour, 0)
    )
    return timezone.make_aware(moment)


def _seed_appointments(network: DemoNetwork, slug: str) -> None:
    centre = network.centres[slug]
    clinician = _clinician(network, slug)
    if Appointment.objects.filter(
        centre=centre, starts_at__gte=_this_week(0, 0), starts_at__lt=_this_week(7, 0)
    ).exists():
        return
    treated = Case.objects.filter(
        centre=centre, stage=Stage.IN_TREATMENT, client__reference__endswith="-DM"
    ).order_by("client__reference")
    modes = [AppointmentMode.IN_PERSON, AppointmentMode.VIDEO, AppointmentMode.PHONE]
    for index, case in enumerate(treated.filter(programme=Programme.INDIVIDUAL)):
        past = actions.schedule_appointment(
            case,
            by=clinician,
            starts_at=_this_week(-7 + index, 10),
            clinician=clinician,
            mode=modes[index % 3],
        )
        actions.record_attendance(
            past,
            case,
            AttendanceStatus.ATTENDED if index % 2 == 0 else AttendanceStatus.DID_NOT_ATTEND,
            by=clinician,
        )
        actions.schedule_appointment(
            case,
            by=clinician,
            starts_at=_this_week(index % 5, 10 + index),
            clinician=clinician,
            mode=modes[index % 3],
        )
    assessment = Case.objects.filter(
        centre=centre, stage=Stage.ASSESSMENT, client__reference__endswith="-DM"
    ).first()
    if assessment is not None:
        actions.schedule_appointment(
            assessment,
            by=clinician,
            starts_at=_this_week(3, 14),
            clinician=clinician,
            purpose="assessment",
        )
    group = TherapyGroup.objects.filter(centre=centre, name="Tuesday evening group").first()
    if group is None:
        group = actions.create_group(
            centre, by=clinician, name="Tuesday evening group", clinician=clinician
        )
    for case in treated.filter(programme=Programme.GROUP):
        if not group.members.filter(pk=case.pk).exists():
            actions.add_group_member(group, case, by=clinician)
    actions.schedule_group_session(group, by=clinician, starts_at=_this_week(1, 18))


def _seed_referrals(network: DemoNetwork) -> None:
    pairs = [
        # (from centre, case number, to centre, accept?)
        ("hamburg", 4, "berlin", False),
        ("kiel", 8, "regensburg", True),
        ("berlin", 5, "hamburg", False),
    ]
    for from_slug, number, to_slug, accept in pairs:
        if from_slug not in network.centres or to_slug not in network.centres:
            continue
        case = Case.objects.filter(
            centre=network.centres[from_slug], client__reference=demo_reference(from_slug, number)
        ).first()
        if case is None or case.referrals_out.exists() or not case.is_open:
            continue
        referral = actions.refer_case(
            case,
            network.centres[to_slug],
            by=_clinician(network, from_slug),
            reason=ReferralReason.NEARER if accept else ReferralReason.FREE_PLACE,
            consent_given=True,
            consent_note="Agreed in the last session; happy for the summary to be shared.",
            summary="Assessed here; motivated; prefers appointments after work.",
        )
        receiver = _clinician(network, to_slug)
        if accept and receiver is not None:
            taken = actions.accept_referral(referral, by=receiver, note="We have a place.")
            lead = _lead(network, to_slug, number)
            if lead is not None:
                actions.assign_lead_clinician(taken, lead, by=receiver)


def _seed_measures(network: DemoNetwork, slug: str) -> None:
    try:
        from forestall.instruments.demo import demo_course
    except ImportError:  # pragma: no cover - the instruments work is part of forestall
        return
    centre = network.centres[slug]
    clinician = _clinician(network, slug)
    finished = {Stage.AFTERCARE, Stage.CLOSED}
    cases = Case.objects.filter(
        centre=centre,
        client__reference__endswith="-DM",
        stage__in=[Stage.IN_TREATMENT, *finished],
    ).select_related("client")
    for case in cases:
        demo_course(
            case.client,
            centre,
            clinician,
            network.random,
            sessions=6 if case.stage in finished else 3,
            discharge=case.stage in finished,
        )
        _date_risk_assessment(case)


def _date_risk_assessment(case: Case) -> None:
    """Give the case's open risk assessment the times of the answers that asked for it.

    The demo's questionnaires are all recorded now and dated weeks back
    afterwards; the task they asked for would otherwise say "2 positive
    answers since" a moment ago.
    """
    from forestall.instruments.models import Administration

    task = case.tasks.filter(kind=TaskKind.RISK_ASSESSMENT, done_at__isnull=True).first()
    if task is None:
        return
    answered = [
        administration.completed_at
        for administration in Administration.objects.filter(
            client=case.client, centre=case.centre, completed_at__isnull=False
        ).order_by("completed_at")
        if administration.flags and administration.completed_at is not None
    ]
    if len(answered) != task.times_raised:  # not (only) the demo's answers: leave it
        return
    task.created_at = answered[0]
    task.last_raised_at = answered[-1] if len(answered) > 1 else None
    task.due_on = timezone.localdate(answered[-1])
    task.save(update_fields=["created_at", "last_raised_at", "due_on"])


def seed(network: DemoNetwork) -> None:
    made = 0
    for slug in network.centres:
        made += _seed_centre(network, slug)
        _seed_appointments(network, slug)
        _seed_measures(network, slug)
    _seed_referrals(network)
    for centre in network.centres.values():
        # The public finder shows the wait computed from the demo's recent starts.
        actions.update_typical_wait(centre)
    network.say(f"  cases: {made} new demo cases across {len(network.centres)} centres")
