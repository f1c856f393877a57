"""The care pathway: every allowed move works, every other move is refused."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.utils import timezone

from forestall.cases import actions
from forestall.cases.actions import PathwayError, transition_case
from forestall.cases.models import Case, CaseTransition, WaitingListEntry
from forestall.cases.pathway import TERMINAL, TRANSITIONS, Stage, allowed_targets
from forestall.stats.events import Event
from tests.factories_cases import make_case

ALLOWED = [(t.source, t.target) for t in TRANSITIONS]
FORBIDDEN = [
    (source, target)
    for source, target in itertools.product(Stage, Stage)
    if (source, target) not in set(ALLOWED)
]


@pytest.fixture
def recorded_stats(monkeypatch):
    """Every de-identified count the actions report, as (event, kwargs)."""
    calls: list[tuple[str, dict]] = []
    original = actions.record_stat

    def spy(event, **kwargs):
        calls.append((event, kwargs))
        return original(event, **kwargs)

    monkeypatch.setattr(actions, "record_stat", spy)
    return calls


@pytest.mark.parametrize(("source", "target"), ALLOWED)
def test_an_allowed_move_changes_the_stage_and_records_who_when_and_why(
    source, target, centre_a, clinician_a, recorded_stats
):
    case = make_case(centre_a, stage=source)

    step = transition_case(case, target, by=clinician_a, reason="agreed in the team meeting")

    case.refresh_from_db()
    assert case.stage == target
    assert step.from_stage == source
    assert step.to_stage == target
    assert step.by == clinician_a
    assert step.centre == centre_a
    assert CaseTransition.objects.get(pk=step.pk).reason == "agreed in the team meeting"
    expected_events = next(
        t.events for t in TRANSITIONS if (t.source, t.target) == (source, target)
    )
    assert [event for event, _kwargs in recorded_stats] == list(expected_events)
    assert (case.closed_at is not None) == (target in TERMINAL)


@pytest.mark.parametrize(("source", "target"), FORBIDDEN)
def test_a_move_outside_the_table_is_refused_and_changes_nothing(
    source, target, centre_a, clinician_a
):
    case = make_case(centre_a, stage=source)

    with pytest.raises(PathwayError):
        transition_case(case, target, by=clinician_a)

    case.refresh_from_db()
    assert case.stage == source
    assert case.transitions.count() == 1


def test_terminal_stages_have_no_way_out():
    for stage in TERMINAL:
        assert allowed_targets(stage) == []


def test_every_open_stage_can_reach_an_exit():
    for stage in set(Stage) - TERMINAL:
        assert set(allowed_targets(stage)) & {Stage.WITHDREW, Stage.LOST_CONTACT}


def test_therapy_start_reports_the_wait_since_the_person_was_waitlisted(
    centre_a, clinician_a, recorded_stats
):
    case = make_case(centre_a, stage=Stage.WAITING_LIST, waitlisted_ago=datetime.timedelta(weeks=8))

    transition_case(case, Stage.IN_TREATMENT, by=clinician_a)

    [(event, kwargs)] = recorded_stats
    assert event == Event.THERAPY_STARTED
    assert datetime.timedelta(weeks=8) <= kwargs["duration"] < datetime.timedelta(weeks=8, hours=1)
    assert kwargs["centre"] == centre_a
    assert "case" not in kwargs and "client" not in kwargs


def test_completing_therapy_reports_the_length_of_treatment(centre_a, clinician_a, recorded_stats):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    Case.objects.filter(pk=case.pk).update(
        treatment_started_at=timezone.now() - datetime.timedelta(days=200)
    )
    case.refresh_from_db()

    transition_case(case, Stage.AFTERCARE, by=clinician_a)

    [(event, kwargs)] = recorded_stats
    assert event == Event.THERAPY_COMPLETED
    assert kwargs["duration"] >= datetime.timedelta(days=200)


def test_entering_the_waiting_list_adds_an_entry_and_leaving_it_closes_the_entry(
    centre_a, clinician_a
):
    case = make_case(centre_a, stage=Stage.ASSESSMENT)

    transition_case(case, Stage.WAITING_LIST, by=clinician_a, priority=1)
    entry = WaitingListEntry.objects.get(case=case)
    assert entry.priority == 1
    assert entry.left_at is None

    transition_case(case, Stage.WITHDREW, by=clinician_a)
    entry.refresh_from_db()
    assert entry.left_at is not None
    assert entry.outcome == Stage.WITHDREW


def test_the_history_keeps_every_move_in_order(centre_a, clinician_a):
    case = make_case(centre_a, stage=Stage.ENQUIRY)
    for stage in (Stage.SCREENING, Stage.ASSESSMENT, Stage.WAITING_LIST, Stage.IN_TREATMENT):
        transition_case(case, stage, by=clinician_a)

    history = list(case.transitions.values_list("from_stage", "to_stage"))
    assert history == [
        ("", Stage.ENQUIRY),
        (Stage.ENQUIRY, Stage.SCREENING),
        (Stage.SCREENING, Stage.ASSESSMENT),
        (Stage.ASSESSMENT, Stage.WAITING_LIST),
        (Stage.WAITING_LIST, Stage.IN_TREATMENT),
    ]


def test_a_stale_copy_of_the_case_cannot_skip_the_table(centre_a, clinician_a):
    stale = make_case(centre_a, stage=Stage.ASSESSMENT)
    fresh = Case.objects.get(pk=stale.pk)
    transition_case(fresh, Stage.NOT_SUITABLE, by=clinician_a)

    with pytest.raises(PathwayError):
        transition_case(stale, Stage.WAITING_LIST, by=clinician_a)


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_case_list_and_a_case_page_cost_the_same_queries_for_few_or_many(
    sign_in, centre_a, centre_b, clinician_a, clinician_b
):
    from forestall.cases import actions as case_actions

    few = make_case(centre_a, stage=Stage.IN_TREATMENT)
    many = [make_case(centre_b, stage=Stage.IN_TREATMENT) for _ in range(12)]
    for case in many[:3]:
        case_actions.add_note(case, by=clinician_b, body="A note.")
        case_actions.add_task(case, by=clinician_b, title="A task")
    client_a, client_b = sign_in(clinician_a), sign_in(clinician_b)

    assert _queries(client_a, "/staff/cases/") == _queries(client_b, "/staff/cases/")
    assert _queries(client_a, f"/staff/cases/{few.pk}/") == _queries(
        client_b, f"/staff/cases/{many[0].pk}/"
    )
