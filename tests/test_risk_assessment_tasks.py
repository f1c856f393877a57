"""One open "risk assessment today" task per case, however many positive answers come in.

A positive self-harm item (PHQ-9 item 9) asks for a risk assessment on each
open case of the client. While that task is open, a further positive answer
adds no identical task: it brings the open one to today and counts itself
on it, so the clinician sees one task that says "2 positive answers
since …". Once the task is done, the next positive answer makes a new one.
"""

from __future__ import annotations

import datetime
import importlib
import re
import threading
import uuid

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from forestall.accounts.models import Role
from forestall.audit.models import AuditEntry
from forestall.cases import actions as case_actions
from forestall.cases.models import Task, TaskKind
from forestall.cases.pathway import Stage
from forestall.instruments import actions
from tests.factories_cases import (
    make_case,
    make_client,
    make_mailbox,
    phq9_answers,
    record_phq9,
)

TITLE = "Risk assessment today"
# With the soft hyphen (U+00AD) that lets the heading break at phone width.
GERMAN_TITLE = "Heute Risiko\u00adeinschätzung"


def _case_led_by(clinician, centre, **fields):
    case = make_case(centre, stage=Stage.IN_TREATMENT, **fields)
    case.lead_clinician = clinician
    case.save(update_fields=["lead_clinician"])
    return case


def _open_risk_tasks(case):
    return list(Task.objects.filter(case=case, kind=TaskKind.RISK_ASSESSMENT, done_at=None))


def _raised_note(page: str) -> list[str]:
    """The text of each "positive answers since" note on a page."""
    return [
        re.sub(r"\s+", " ", text).strip()
        for text in re.findall(r'<span class="task-raised">(.*?)</span>', page, re.S)
    ]


def test_two_positive_answers_give_one_task_on_the_case_page_and_in_my_tasks(
    sign_in, centre_a, clinician_a
):
    case = _case_led_by(clinician_a, centre_a)
    browser = sign_in(clinician_a)

    record_phq9(browser, case, 2)
    record_phq9(browser, case, 3)

    [task] = Task.objects.filter(case=case)
    assert task.kind == TaskKind.RISK_ASSESSMENT
    assert task.times_raised == 2 and task.last_raised_at is not None
    assert task.assignee == clinician_a and task.due_on == timezone.localdate()
    case_page = browser.get(f"/staff/cases/{case.pk}/").content.decode()
    my_tasks = browser.get("/staff/cases/tasks/").content.decode()
    for page in (case_page, my_tasks):
        assert page.count(TITLE) == 1
        [note] = _raised_note(page)
        assert note.startswith("2 positive answers since ")
        assert "; the latest on " in note
    assert my_tasks.count(f"/staff/cases/tasks/{task.pk}/done/") == 1


def test_the_note_says_how_often_and_when_and_nothing_of_thephq9_answers(
    sign_in, centre_a, clinician_a
):
    case = _case_led_by(clinician_a, centre_a)
    browser = sign_in(clinician_a)
    for item9 in (1, 2, 3):
        record_phq9(browser, case, item9)

    [note] = _raised_note(browser.get(f"/staff/cases/{case.pk}/").content.decode())

    # Only the count and two times ("1 Dec 2026, 09:10" in English).
    when = r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d"
    assert re.fullmatch(rf"3 positive answers since {when}; the latest on {when}\.", note), note


@pytest.mark.parametrize("days", [-3, 5], ids=["was-overdue", "was-due-later"])
def test_a_repeat_brings_the_open_task_to_today_and_keeps_its_assignee(
    sign_in, centre_a, clinician_a, manager_a, days
):
    case = _case_led_by(clinician_a, centre_a)
    browser = sign_in(clinician_a)
    record_phq9(browser, case, 1)
    [task] = _open_risk_tasks(case)
    task.due_on = timezone.localdate() + datetime.timedelta(days=days)
    task.assignee = manager_a
    task.save(update_fields=["due_on", "assignee"])

    record_phq9(browser, case, 1)

    [again] = _open_risk_tasks(case)
    assert again.pk == task.pk
    assert again.due_on == timezone.localdate()
    assert again.assignee == manager_a
    assert again.times_raised == 2


def test_a_repeat_gives_an_unassigned_task_to_the_lead_clinician(sign_in, centre_a, clinician_a):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    browser = sign_in(clinician_a)
    record_phq9(browser, case, 1)
    [task] = _open_risk_tasks(case)
    assert task.assignee is None
    case.lead_clinician = clinician_a
    case.save(update_fields=["lead_clinician"])

    record_phq9(browser, case, 1)

    [again] = _open_risk_tasks(case)
    assert again.assignee == clinician_a


def test_once_the_task_is_done_the_next_positive_answer_makes_a_new_one(
    sign_in, centre_a, clinician_a
):
    case = _case_led_by(clinician_a, centre_a)
    browser = sign_in(clinician_a)
    record_phq9(browser, case, 2)
    record_phq9(browser, case, 2)
    [first] = _open_risk_tasks(case)
    assert browser.post(f"/staff/cases/tasks/{first.pk}/done/").status_code == 302

    record_phq9(browser, case, 1)

    first.refresh_from_db()
    assert first.done_at is not None and first.times_raised == 2
    [second] = _open_risk_tasks(case)
    assert second.pk != first.pk
    assert second.times_raised == 1 and second.last_raised_at is None
    my_tasks = browser.get("/staff/cases/tasks/").content.decode()
    assert my_tasks.count(TITLE) == 1 and _raised_note(my_tasks) == []


def test_an_answer_that_came_in_after_the_page_was_shown_is_not_ticked_off_unseen(
    sign_in, centre_a, clinician_a
):
    case = _case_led_by(clinician_a, centre_a)
    browser = sign_in(clinician_a)
    record_phq9(browser, case, 1)
    my_tasks = browser.get("/staff/cases/tasks/").content.decode()
    assert 'name="seen_times_raised" value="1"' in my_tasks
    record_phq9(browser, case, 2)  # while the list is open, in another tab (or the mailbox)
    [task] = _open_risk_tasks(case)

    refused = browser.post(f"/staff/cases/tasks/{task.pk}/done/", {"seen_times_raised": "1"})

    assert refused.status_code == 302
    assert refused["Location"] == f"/staff/cases/tasks/{task.pk}/done/"
    assert _open_risk_tasks(case) == [task]
    again = browser.get(refused["Location"]).content.decode()
    assert "another positive answer came in after the task was shown" in again
    assert _raised_note(again)[0].startswith("2 positive answers since ")
    assert 'name="seen_times_raised" value="2"' in again
    done = browser.post(f"/staff/cases/tasks/{task.pk}/done/", {"seen_times_raised": "2"})
    assert done.status_code == 302 and _open_risk_tasks(case) == []


def test_a_done_form_with_a_count_that_is_not_a_number_answers_with_the_task_page(
    sign_in, centre_a, clinician_a
):
    case = _case_led_by(clinician_a, centre_a)
    browser = sign_in(clinician_a)
    record_phq9(browser, case, 1)
    [task] = _open_risk_tasks(case)

    for forged in (
        {"seen_times_raised": "x"},
        {"seen_times_raised": "-1"},
        {"back": "https://evil.example/"},
    ):
        response = browser.post(f"/staff/cases/tasks/{task.pk}/done/", forged)
        assert response.status_code == 400, forged
        assert TITLE in response.content.decode()  # the task's own page again
        assert _open_risk_tasks(case) == [task]


def test_done_from_my_tasks_goes_back_to_my_tasks_and_from_the_case_to_the_case(
    sign_in, centre_a, clinician_a
):
    case = _case_led_by(clinician_a, centre_a)
    browser = sign_in(clinician_a)
    first = case_actions.add_task(case, by=clinician_a, title="Call back", assignee=clinician_a)
    second = case_actions.add_task(case, by=clinician_a, title="Write up", assignee=clinician_a)

    listed = browser.get("/staff/cases/tasks/").content.decode()
    assert 'name="back" value="tasks"' in listed
    response = browser.post(f"/staff/cases/tasks/{first.pk}/done/", {"back": "tasks"})
    assert response.status_code == 302 and response["Location"] == "/staff/cases/tasks/"
    response = browser.post(f"/staff/cases/tasks/{second.pk}/done/")
    assert response["Location"] == f"/staff/cases/{case.pk}/"


def test_a_negative_answer_adds_nothing_and_leaves_the_open_task_as_it_was(
    sign_in, centre_a, clinician_a
):
    case = _case_led_by(clinician_a, centre_a)
    browser = sign_in(clinician_a)
    record_phq9(browser, case, 0)
    assert not Task.objects.filter(case=case).exists()
    record_phq9(browser, case, 1)

    record_phq9(browser, case, 0)

    [task] = Task.objects.filter(case=case)
    assert task.times_raised == 1 and task.last_raised_at is None


def test_a_client_with_cases_at_two_centres_gets_one_task_on_each(
    sign_in, centre_a, centre_b, clinician_a, clinician_b
):
    client = make_client()
    here = _case_led_by(clinician_a, centre_a, client=client)
    there = _case_led_by(clinician_b, centre_b, client=client)
    browser = sign_in(clinician_a)

    # Answers given at centre A ask centre A only, as before.
    record_phq9(browser, here, 2)
    record_phq9(browser, here, 2)
    assert [task.times_raised for task in _open_risk_tasks(here)] == [2]
    assert _open_risk_tasks(there) == []
    # Answers given nowhere in particular (centre None) ask every open case.
    for _ in range(2):
        with transaction.atomic():
            actions.record_administration(
                client,
                "phq9",
                {f"q{i}": 1 for i in range(1, 10)},
                occasion="session",
                by=None,
                centre=None,
            )

    assert [task.times_raised for task in _open_risk_tasks(here)] == [4]
    [theirs] = _open_risk_tasks(there)
    assert theirs.times_raised == 2 and theirs.assignee == clinician_b
    other = sign_in(clinician_b)
    their_tasks = other.get("/staff/cases/tasks/").content.decode()
    assert their_tasks.count(TITLE) == 1 and f"/staff/cases/{there.pk}/" in their_tasks
    [ours] = _open_risk_tasks(here)
    assert other.post(f"/staff/cases/tasks/{ours.pk}/done/").status_code == 404


def test_a_closed_case_gets_no_task(sign_in, centre_a, clinician_a):
    case = make_case(centre_a, stage=Stage.CLOSED)
    record_phq9(sign_in(clinician_a), case, 3)
    assert not Task.objects.filter(case=case).exists()


def test_staff_are_told_plainly_when_no_task_could_be_added(sign_in, centre_a, clinician_a):
    """The message after recording promised "A task is on the case" on a closed case too."""
    closed = make_case(centre_a, stage=Stage.CLOSED)
    browser = sign_in(clinician_a)
    url = f"/staff/instruments/clients/{closed.client_id}/record/phq9/"
    page = browser.post(url, phq9_answers(2), follow=True).content.decode()
    assert "A task is on the case." not in page
    assert "No case of this client is open, so no task was added" in page

    running = _case_led_by(clinician_a, centre_a)
    url = f"/staff/instruments/clients/{running.client_id}/record/phq9/"
    page = browser.post(url, phq9_answers(2), follow=True).content.decode()
    assert "A task is on the case." in page
    assert "no task was added" not in page


def test_a_mailbox_answer_after_the_case_ended_still_reaches_its_clinicians(
    sign_in, centre_a, clinician_a
):
    """A follow-up sent after discharge and answered with nobody watching must reach someone."""
    client = make_client(mailbox=make_mailbox("de"))
    older = make_case(
        centre_a, stage=Stage.CLOSED, client=client, opened_ago=datetime.timedelta(days=400)
    )
    latest = _case_led_by(clinician_a, centre_a, client=client)
    latest.stage = Stage.CLOSED
    latest.save(update_fields=["stage"])
    sent = actions.send_to_mailbox(
        client, "phq9", occasion="follow_up", by=clinician_a, centre=centre_a
    )
    actions.complete_from_mailbox(sent, {f"q{i}": 1 for i in range(1, 10)})

    [task] = _open_risk_tasks(latest)
    assert task.assignee == clinician_a and task.due_on == timezone.localdate()
    assert _open_risk_tasks(older) == []
    mine = sign_in(clinician_a).get("/staff/cases/tasks/").content.decode()
    assert f"/staff/cases/{latest.pk}/" in mine


def test_every_task_made_or_asked_for_again_is_audited(sign_in, centre_a, clinician_a):
    case = _case_led_by(clinician_a, centre_a)
    browser = sign_in(clinician_a)

    record_phq9(browser, case, 1)
    record_phq9(browser, case, 1)

    entries = AuditEntry.objects.filter(target_id=case.pk, action__startswith="case.task.")
    assert sorted(entries.values_list("action", flat=True)) == [
        "case.task.create",
        "case.task.update",
    ]
    assert {entry.actor_id for entry in entries} == {clinician_a.pk}


def test_a_free_task_with_the_same_words_is_left_alone(sign_in, centre_a, clinician_a):
    case = _case_led_by(clinician_a, centre_a)
    browser = sign_in(clinician_a)
    written = case_actions.add_task(
        case,
        by=clinician_a,
        title="Risk assessment today: PHQ-9 self-harm item answered positively; "
        "raise a safeguarding concern if someone is at risk.",
        assignee=clinician_a,
    )

    record_phq9(browser, case, 1)
    record_phq9(browser, case, 1)

    written.refresh_from_db()
    assert written.kind == TaskKind.FREE and written.times_raised == 1
    assert len(_open_risk_tasks(case)) == 1


def test_the_task_and_its_note_are_german_on_german_pages(sign_in, centre_a, clinician_a):
    case = _case_led_by(clinician_a, centre_a)
    browser = sign_in(clinician_a)
    for _ in range(2):
        response = browser.post(
            f"/staff/instruments/clients/{case.client_id}/record/phq9/",
            phq9_answers(2),
            HTTP_ACCEPT_LANGUAGE="de",
        )
        assert response.status_code == 302

    for url in (f"/staff/cases/{case.pk}/", "/staff/cases/tasks/"):
        page = browser.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
        assert page.count(GERMAN_TITLE) == 1
        [note] = _raised_note(page)
        when = r"\d\d\.\d\d\.\d{4}, \d\d:\d\d"
        assert re.fullmatch(rf"2 positive Antworten seit {when}; die letzte am {when}\.", note), (
            note
        )


def test_the_database_allows_one_open_risk_assessment_per_case(centre_a, clinician_a):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    done = Task.objects.create(
        case=case, kind=TaskKind.RISK_ASSESSMENT, title="x", done_at=timezone.now()
    )
    Task.objects.create(case=case, kind=TaskKind.RISK_ASSESSMENT, title="x")
    Task.objects.create(case=case, title="free")
    Task.objects.create(case=case, title="free")
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.create(case=case, kind=TaskKind.RISK_ASSESSMENT, title="x")
    assert done.done_at is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_answers_recorded_at_the_same_moment_give_one_task(centre_a, clinician_a):
    """The second insert waits for the first, fails on the constraint, and asks again.

    The first transaction has made its task and not yet committed when the
    second looks (and finds none); without the constraint both would insert.
    """
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: two connections at once (SQLite writers queue at BEGIN)")
    case = _case_led_by(clinician_a, centre_a)
    made = threading.Event()
    errors: list[BaseException] = []

    def ask(after: threading.Event | None, hold: float) -> None:
        try:
            if after is not None:
                after.wait(10)
            with transaction.atomic():
                case_actions.ask_for_risk_assessment(
                    case.client, centre_id=None, instrument="PHQ-9", by=None
                )
                made.set()
                threading.Event().wait(hold)  # the first keeps its transaction open a while
        except BaseException as error:  # reported by the test below
            errors.append(error)
        finally:
            connection.close()

    first = threading.Thread(target=ask, args=(None, 0.5))
    second = threading.Thread(target=ask, args=(made, 0))
    first.start()
    second.start()
    first.join(30)
    second.join(30)

    assert errors == []
    [task] = Task.objects.filter(case=case)
    assert task.kind == TaskKind.RISK_ASSESSMENT and task.times_raised == 2


# --- The data migration that merged the duplicates ----------------------------

_merge = importlib.import_module("forestall.cases.migrations.0007_merge_open_risk_assessment_tasks")
_instrument_only = importlib.import_module(
    "forestall.cases.migrations.0009_risk_assessment_title_is_the_instrument"
)

_ENGLISH = (
    "Risk assessment today: PHQ-9 self-harm item answered positively; "
    "raise a safeguarding concern if someone is at risk."
)
_GERMAN = (
    "Heute Risikoeinschätzung: PHQ-9, Frage zur Selbstverletzung positiv beantwortet; "
    "bei Gefährdung ein Kinderschutzanliegen melden."
)


def test_the_migration_merges_each_cases_open_risk_tasks_into_the_earliest(
    centre_a, clinician_a, manager_a
):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    alone = make_case(centre_a, stage=Stage.IN_TREATMENT)
    now = timezone.now()
    today = timezone.localdate()

    def old_task(on, title, days_ago, **fields):
        # As tasks were before 0006: every one of the free kind.
        return Task.objects.create(
            case=on,
            title=title,
            created_at=now - datetime.timedelta(days=days_ago),
            due_on=today - datetime.timedelta(days=days_ago),
            **fields,
        )

    earliest = old_task(case, _ENGLISH, 9)
    old_task(case, _GERMAN, 5, assignee=manager_a)
    latest = old_task(case, _ENGLISH, 2, assignee=clinician_a)
    done = old_task(case, _ENGLISH, 20, done_at=now - datetime.timedelta(days=15))
    written = old_task(case, "Risk assessment today: ask about sleep", 1)
    single = old_task(alone, _GERMAN, 3)

    deleted = _merge.merge_open_risk_assessment_tasks(apps, None)

    assert deleted == 2
    assert set(Task.objects.filter(case=case).values_list("pk", flat=True)) == {
        earliest.pk,
        done.pk,
        written.pk,
    }
    earliest.refresh_from_db()
    assert earliest.kind == TaskKind.RISK_ASSESSMENT and earliest.done_at is None
    assert earliest.times_raised == 3
    assert earliest.last_raised_at == latest.created_at
    assert earliest.due_on == latest.due_on
    assert earliest.assignee == manager_a  # it had none: the first of the others'
    assert earliest.title == _ENGLISH
    done.refresh_from_db()
    assert done.kind == TaskKind.RISK_ASSESSMENT and done.times_raised == 1
    written.refresh_from_db()
    assert written.kind == TaskKind.FREE
    single.refresh_from_db()
    assert single.kind == TaskKind.RISK_ASSESSMENT
    assert (single.times_raised, single.last_raised_at) == (1, None)
    # Run again (a second attempt after a failure): nothing more to do.
    assert _merge.merge_open_risk_assessment_tasks(apps, None) == 0


def test_after_the_merge_a_new_answer_asks_for_the_kept_task_again(sign_in, centre_a, clinician_a):
    case = _case_led_by(clinician_a, centre_a)
    for days_ago in (4, 1):
        Task.objects.create(
            case=case,
            title=_ENGLISH,
            created_at=timezone.now() - datetime.timedelta(days=days_ago),
            assignee=clinician_a,
        )
    _merge.merge_open_risk_assessment_tasks(apps, None)

    record_phq9(sign_in(clinician_a), case, 1)

    [task] = Task.objects.filter(case=case)
    assert task.times_raised == 3


# --- The demo ---------------------------------------------------------------------


def test_the_demo_puts_at_most_one_open_risk_assessment_on_a_case(db):
    from forestall.accounts import demo as accounts_demo
    from forestall.cases import demo as cases_demo
    from forestall.demo import DemoNetwork
    from forestall.directory import demo as directory_demo

    network = DemoNetwork()
    for seeder in (directory_demo, accounts_demo, cases_demo):
        seeder.seed(network)

    risk = Task.objects.filter(kind=TaskKind.RISK_ASSESSMENT)
    per_case = [task.case_id for task in risk]
    assert per_case and len(per_case) == len(set(per_case))
    for task in risk:
        # Dated as the (backdated) answers that asked for it, not all "a moment ago".
        assert task.done_at is None
        if task.times_raised > 1:
            assert task.created_at < task.last_raised_at
            assert task.due_on == timezone.localdate(task.last_raised_at)
    assert any(task.times_raised > 1 for task in risk)


@pytest.mark.django_db(transaction=True)
def test_an_installed_database_with_duplicates_migrates_to_one_open_task(centre_a):
    """Through the migrations themselves: the historical models decrypt the titles."""
    from django.db.migrations.executor import MigrationExecutor

    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    before = [("cases", "0005_client_mailbox_in_inbox")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old_task = executor.loader.project_state(before).apps.get_model("cases", "Task")
        for days_ago in (3, 2, 1):
            old_task.objects.create(
                case_id=case.pk,
                title=_ENGLISH,
                created_at=timezone.now() - datetime.timedelta(days=days_ago),
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    [task] = Task.objects.filter(case=case)
    assert task.kind == TaskKind.RISK_ASSESSMENT and task.times_raised == 3
    assert task.title == "PHQ-9"  # 0009: the sentence is translated for each reader
    assert task.display_title == _ENGLISH
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.create(case=case, kind=TaskKind.RISK_ASSESSMENT, title="x")


# --- The title in the reader's language ---------------------------------------------


def test_a_task_asked_for_in_english_reads_german_to_a_german_clinician(
    sign_in, centre_a, clinician_a
):
    """The answers came in English (a help-seeker's mailbox, a colleague); the reader is German."""
    case = _case_led_by(clinician_a, centre_a)
    browser = sign_in(clinician_a)
    response = browser.post(
        f"/staff/instruments/clients/{case.client_id}/record/phq9/",
        phq9_answers(2),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    [task] = _open_risk_tasks(case)
    assert task.title == "PHQ-9"  # only the instrument is stored

    for url in (
        f"/staff/cases/{case.pk}/",
        "/staff/cases/tasks/",
        f"/staff/cases/tasks/{task.pk}/done/",
    ):
        german = browser.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
        assert german.count(GERMAN_TITLE) == 1, url
        assert TITLE not in german, url
        english = browser.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert english.count(TITLE) == 1 and GERMAN_TITLE not in english, url


def test_the_migration_keeps_only_the_instrument_of_each_generated_sentence(centre_a):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    german = (
        "Heute Risikoeinschätzung: GAD-7, Frage zur Selbstverletzung positiv "
        "beantwortet; bei Gefährdung ein Kinderschutzanliegen melden."
    )
    english = Task.objects.create(
        case=case, kind=TaskKind.RISK_ASSESSMENT, title=_ENGLISH, done_at=timezone.now()
    )
    in_german = Task.objects.create(case=case, kind=TaskKind.RISK_ASSESSMENT, title=german)
    already = Task.objects.create(
        case=case, kind=TaskKind.RISK_ASSESSMENT, title="WHO-5", done_at=timezone.now()
    )
    free = Task.objects.create(case=case, title=_ENGLISH)

    assert _instrument_only.keep_only_the_instrument(apps, None) == 2

    for task, title in ((english, "PHQ-9"), (in_german, "GAD-7"), (already, "WHO-5")):
        task.refresh_from_db()
        assert task.title == title
    free.refresh_from_db()
    assert free.title == _ENGLISH and free.display_title == _ENGLISH  # someone's own words
    assert _instrument_only.keep_only_the_instrument(apps, None) == 0


def test_a_risk_assessment_nobody_is_assigned_is_on_every_clinician_s_list_at_its_centre(
    sign_in, centre_a, clinician_a, clinician_b
):
    """A case without a lead clinician: the urgent task must be on somebody's list,
    not only on the case page; the other centre's clinicians never see it."""
    from tests import factories

    colleague = factories.make_user(Role.CLINICIAN, centre_a, username="colleague_a")
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)  # no lead clinician
    record_phq9(sign_in(clinician_a), case, 1)
    [task] = _open_risk_tasks(case)
    assert task.assignee_id is None

    for person in (clinician_a, colleague):
        browser = sign_in(person)
        english = browser.get("/staff/cases/tasks/").content.decode()
        assert english.count(TITLE) == 1 and f"/staff/cases/{case.pk}/" in english
        assert "Nobody is assigned" in english
        german = browser.get("/staff/cases/tasks/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
        assert german.count(GERMAN_TITLE) == 1
        assert "Niemand ist zugewiesen" in german
    elsewhere = sign_in(clinician_b).get("/staff/cases/tasks/").content.decode()
    assert TITLE not in elsewhere and str(case.pk) not in elsewhere

    # Once someone takes it, it is theirs alone.
    task.assignee = colleague
    task.save(update_fields=["assignee"])
    assert TITLE not in sign_in(clinician_a).get("/staff/cases/tasks/").content.decode()
    assert TITLE in sign_in(colleague).get("/staff/cases/tasks/").content.decode()


def test_someone_takes_a_risk_assessment_nobody_had_and_only_one_gets_it(
    sign_in, centre_a, clinician_a, clinician_b
):
    from tests import factories

    colleague = factories.make_user(Role.CLINICIAN, centre_a, username="colleague_a")
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)  # no lead clinician
    record_phq9(sign_in(clinician_a), case, 1)
    [task] = _open_risk_tasks(case)
    take = f"/staff/cases/tasks/{task.pk}/take/"

    first, second = sign_in(colleague), sign_in(clinician_a)
    listed = first.get("/staff/cases/tasks/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Übernehmen" in listed and take in listed
    assert first.get(take).status_code == 405  # a link or prefetch takes nothing
    response = first.post(take, follow=True)
    assert response.redirect_chain[-1][0] == "/staff/cases/tasks/"
    assert "The task is yours now." in response.content.decode()
    task.refresh_from_db()
    assert task.assignee == colleague
    assert AuditEntry.objects.filter(action="case.task.update", actor=colleague).count() == 1

    late = second.post(take, follow=True).content.decode()
    assert "Someone else has already taken this task." in late
    task.refresh_from_db()
    assert task.assignee == colleague
    assert TITLE not in second.get("/staff/cases/tasks/").content.decode()

    # Another centre's clinician cannot even find it: the same 404 as a missing task.
    assert sign_in(clinician_b).post(take).status_code == 404
    assert sign_in(clinician_b).post(f"/staff/cases/tasks/{uuid.uuid4()}/take/").status_code == 404


def test_my_tasks_puts_one_s_own_and_nobody_s_tasks_in_one_order_by_due_day(
    sign_in, centre_a, clinician_a
):
    """Overdue first, then by due day, undated last, whoever's the task is."""
    today = timezone.localdate()
    own = make_case(centre_a, stage=Stage.IN_TREATMENT)
    for title, due in (
        ("Undated letter", None),
        ("Call back tomorrow", today + datetime.timedelta(days=1)),
        ("Overdue report", today - datetime.timedelta(days=2)),
    ):
        Task.objects.create(case=own, title=title, due_on=due, assignee=clinician_a)
    nobodys = make_case(centre_a, stage=Stage.IN_TREATMENT)  # no lead clinician
    record_phq9(sign_in(clinician_a), nobodys, 1)

    page = sign_in(clinician_a).get("/staff/cases/tasks/").content.decode()
    order = ["Overdue report", TITLE, "Call back tomorrow", "Undated letter"]
    positions = [page.index(title) for title in order]
    assert positions == sorted(positions)


def test_my_tasks_does_not_walk_every_case_of_the_centre(sign_in, centre_a, clinician_a):
    """Each "My tasks" query starts from the tasks' own indexes.

    One query for "mine, or nobody's at my centre" made SQLite go through
    every case of the centre and its tasks: 5 ms at a centre of 2,000 cases
    on every page view. Read from the query plans, so it fails at any size.
    """
    if connection.vendor != "sqlite":
        pytest.skip("reads SQLite's query plans")
    from django.test.utils import CaptureQueriesContext

    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    record_phq9(sign_in(clinician_a), case, 1)
    browser = sign_in(clinician_a)
    with CaptureQueriesContext(connection) as captured:
        assert browser.get("/staff/cases/tasks/").status_code == 200
    plans = []
    for query in captured.captured_queries:
        if query["sql"].startswith("SELECT") and '"cases_task"' in query["sql"]:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
                plans.append([row[-1] for row in cursor.fetchall()])
    assert len(plans) == 2, plans
    for plan in plans:
        assert not any("cases_case_centre_id" in step for step in plan), plan
        [first] = [step for step in plan if " cases_task " in step or " cases_case " in step][:1]
        assert first.startswith("SEARCH cases_task USING INDEX"), plan
