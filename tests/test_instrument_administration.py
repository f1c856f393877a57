"""Giving instruments to clients: recording, the mailbox hook, versions, access, statistics."""

from __future__ import annotations

import pytest
import yaml
from django.db import connection
from django.db.models import Sum
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from forestall.audit.models import AuditEntry
from forestall.inbox.public_views import answer_in_mailbox
from forestall.instruments import actions
from forestall.instruments.catalogue import DEFINITIONS_DIR
from forestall.instruments.forms import instrument_form
from forestall.instruments.models import Administration, Occasion, Status
from forestall.instruments.scoring import InvalidAnswers, score
from forestall.stats.models import DailyCount
from tests.factories_cases import make_case, make_client, make_mailbox

PHQ9_MODERATE = [1, 2, 0, 3, 1, 0, 2, 1, 0]  # 10
GAD7_MILD = [1, 1, 1, 1, 1, 1, 0]  # 6


@pytest.fixture
def client_a(centre_a):
    return make_case(centre_a).client


@pytest.fixture
def client_with_mailbox(centre_a):
    client = make_client(mailbox=make_mailbox("de"))
    make_case(centre_a, client=client)
    return client


@pytest.fixture
def phq9_version_2(tmp_path, settings):
    """A stricter PHQ-9 v2 (caseness from 12, renamed bands) in an extra directory."""
    data = yaml.safe_load((DEFINITIONS_DIR / "phq9.v1.yaml").read_text(encoding="utf-8"))
    data["version"] = 2
    data["caseness"] = {"at_least": 12}
    data["bands"] = [
        {"id": "low", "min": 0, "max": 11, "label": {"en": "Low", "de": "Niedrig"}},
        {"id": "high", "min": 12, "max": 27, "label": {"en": "High", "de": "Hoch"}},
    ]
    (tmp_path / "phq9.v2.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    settings.FORESTALL_INSTRUMENT_DIRS = [str(tmp_path)]
    return data


def _raw_answers(administration: Administration) -> bytes:
    table = Administration._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT answers FROM {table} WHERE id = %s",  # noqa: S608 - our own table
            [administration.pk.hex if connection.vendor == "sqlite" else administration.pk],
        )
        return bytes(cursor.fetchone()[0])


def _count(event: str, detail: str = "") -> int:
    rows = DailyCount.objects.filter(event=event)
    if detail:
        rows = rows.filter(detail=detail)
    return rows.aggregate(total=Sum("count"))["total"] or 0


# --- recording -------------------------------------------------------------


def test_recording_stores_the_score_with_the_version(client_a, clinician_a, centre_a):
    administration = actions.record_administration(
        client_a, "PHQ-9", PHQ9_MODERATE, occasion=Occasion.INTAKE, by=clinician_a, centre=centre_a
    )
    stored = Administration.objects.get(pk=administration.pk)
    assert (stored.instrument, stored.version, stored.occasion) == ("phq9", 1, "intake")
    assert (stored.total, stored.band, stored.caseness) == (10, "moderate", True)
    assert stored.status == Status.COMPLETED and stored.completed_at is not None
    assert stored.administered_by == clinician_a and stored.centre == centre_a
    assert stored.answers == {f"q{number}": value for number, value in enumerate(PHQ9_MODERATE, 1)}
    assert stored.band_label("de") == "Mittelgradig"


def test_answers_are_encrypted_in_the_database(client_a, clinician_a, centre_a):
    administration = actions.record_administration(
        client_a, "gad7", GAD7_MILD, occasion=Occasion.SESSION, by=clinician_a, centre=centre_a
    )
    raw = _raw_answers(administration)
    assert raw.startswith(b"fe2")
    assert b"q1" not in raw


def test_recording_is_audited(client_a, clinician_a, centre_a):
    administration = actions.record_administration(
        client_a, "gad7", GAD7_MILD, occasion=Occasion.SESSION, by=clinician_a, centre=centre_a
    )
    entry = AuditEntry.objects.get(action="instrument.record")
    assert entry.target_id == administration.pk
    assert entry.actor_uuid == clinician_a.pk
    assert entry.centre_uuid == centre_a.pk


def test_opening_the_record_page_of_a_client_is_audited_at_their_centre(
    client_a, clinician_a, clinician_b, centre_a, sign_in
):
    url = reverse("instruments:record", args=[client_a.pk, "phq9"])
    assert sign_in(clinician_a).get(url).status_code == 200
    entry = AuditEntry.objects.get(action="instrument.record_form.read")
    assert (entry.actor_uuid, entry.target_id, entry.centre_uuid) == (
        clinician_a.pk,
        client_a.pk,
        centre_a.pk,
    )
    # Another centre's clinician gets the same 404 as for no client, and no entry.
    assert sign_in(clinician_b).get(url).status_code == 404
    assert AuditEntry.objects.filter(actor_uuid=clinician_b.pk).count() == 0


def test_invalid_answers_record_nothing(client_a, clinician_a, centre_a):
    with pytest.raises(InvalidAnswers, match="GAD-7 has 7 items"):
        actions.record_administration(
            client_a, "gad7", [1, 2], occasion=Occasion.SESSION, by=clinician_a, centre=centre_a
        )
    with pytest.raises(ValueError, match="unknown occasion"):
        actions.record_administration(
            client_a, "gad7", GAD7_MILD, occasion="lunch", by=clinician_a, centre=centre_a
        )
    assert not Administration.objects.exists()


def test_incomplete_answers_are_kept_without_a_total(client_a, clinician_a, centre_a):
    administration = actions.record_administration(
        client_a, "who5", [5, 4, None, 3, 2], occasion="session", by=clinician_a, centre=centre_a
    )
    assert (administration.total, administration.band, administration.caseness) == (None, "", None)
    assert administration.answers["q3"] is None


def test_the_self_check_is_never_recorded_for_a_client(client_a, clinician_a, centre_a):
    with pytest.raises(InvalidAnswers):
        actions.record_administration(
            client_a, "self-check", {}, occasion="intake", by=clinician_a, centre=centre_a
        )


# --- versions ----------------------------------------------------------------


def test_old_responses_keep_their_score_after_a_new_version_is_added(
    client_a, clinician_a, centre_a, settings, phq9_version_2
):
    with_version_2 = settings.FORESTALL_INSTRUMENT_DIRS
    settings.FORESTALL_INSTRUMENT_DIRS = []
    old = actions.record_administration(
        client_a, "phq9", PHQ9_MODERATE, occasion="intake", by=clinician_a, centre=centre_a
    )
    settings.FORESTALL_INSTRUMENT_DIRS = with_version_2

    new = actions.record_administration(
        client_a, "phq9", PHQ9_MODERATE, occasion="session", by=clinician_a, centre=centre_a
    )
    old.refresh_from_db()
    assert (old.version, old.total, old.band, old.caseness) == (1, 10, "moderate", True)
    assert old.definition.version == 1
    assert old.band_label("en") == "Moderate"
    assert (new.version, new.total, new.band, new.caseness) == (2, 10, "low", False)
    # Scoring the stored answers again under the stored version reproduces the stored score.
    again = score(old.instrument, old.answers, old.version)
    assert (again.total, again.band, again.caseness) == (old.total, old.band, old.caseness)


def test_a_questionnaire_sent_before_a_new_version_is_answered_under_the_old_one(
    client_with_mailbox, clinician_a, centre_a, settings, phq9_version_2
):
    with_version_2 = settings.FORESTALL_INSTRUMENT_DIRS
    settings.FORESTALL_INSTRUMENT_DIRS = []
    pending = actions.send_to_mailbox(
        client_with_mailbox, "phq9", occasion="session", by=clinician_a, centre=centre_a
    )
    settings.FORESTALL_INSTRUMENT_DIRS = with_version_2
    form = instrument_form("phq9", "en", version=pending.version)
    assert form.definition.version == 1
    completed = actions.complete_from_mailbox(pending, PHQ9_MODERATE)
    assert (completed.version, completed.band, completed.caseness) == (1, "moderate", True)


# --- the mailbox hook ----------------------------------------------------------


def test_sending_needs_a_mailbox(client_a, clinician_a, centre_a):
    with pytest.raises(actions.NoMailbox):
        actions.send_to_mailbox(
            client_a, "phq9", occasion="session", by=clinician_a, centre=centre_a
        )
    assert not Administration.objects.exists()


def test_a_sent_questionnaire_waits_in_the_clients_mailbox_only(
    client_with_mailbox, clinician_a, centre_a
):
    pending = actions.send_to_mailbox(
        client_with_mailbox, "GAD-7", occasion="session", by=clinician_a, centre=centre_a
    )
    assert (pending.status, pending.answers, pending.total) == (Status.PENDING, None, None)
    assert list(actions.pending_for_mailbox(client_with_mailbox.mailbox)) == [pending]
    assert not actions.pending_for_mailbox(make_mailbox()).exists()
    assert AuditEntry.objects.filter(action="instrument.send", target_id=pending.pk).exists()


def test_completing_from_the_mailbox_scores_once(client_with_mailbox, clinician_a, centre_a):
    pending = actions.send_to_mailbox(
        client_with_mailbox, "gad7", occasion="session", by=clinician_a, centre=centre_a
    )
    completed = actions.complete_from_mailbox(pending, GAD7_MILD)
    assert (completed.status, completed.total, completed.band) == ("completed", 6, "mild")
    assert not actions.pending_for_mailbox(client_with_mailbox.mailbox).exists()
    entry = AuditEntry.objects.get(action="instrument.complete")
    assert entry.actor_uuid is None
    with pytest.raises(actions.NotPending):
        actions.complete_from_mailbox(Administration.objects.get(pk=pending.pk), GAD7_MILD)


def _mailbox_request(method: str, data: dict | None = None):
    factory = RequestFactory()
    request = (
        factory.post("/mailbox/questionnaires/x/", data or {})
        if method == "POST"
        else (factory.get("/mailbox/questionnaires/x/"))
    )
    request._dont_enforce_csrf_checks = True
    return request


def test_the_mailbox_questionnaire_page_shows_each_question_as_a_fieldset(
    client_with_mailbox, clinician_a, centre_a
):
    pending = actions.send_to_mailbox(
        client_with_mailbox, "gad7", occasion="session", by=clinician_a, centre=centre_a
    )
    with translation.override("de"):
        response = answer_in_mailbox(
            _mailbox_request("GET"), client_with_mailbox.mailbox, pending.pk
        )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<fieldset") == 7
    assert "<legend>" in html and "Nervosität, Ängstlichkeit oder Anspannung" in html
    assert 'type="radio"' in html and "style=" not in html


def test_the_mailbox_questionnaire_keeps_the_answers_when_some_are_missing(
    client_with_mailbox, clinician_a, centre_a
):
    pending = actions.send_to_mailbox(
        client_with_mailbox, "who5", occasion="session", by=clinician_a, centre=centre_a
    )
    request = _mailbox_request("POST", {"q1": "5", "q2": "4"})
    with translation.override("en"):
        response = answer_in_mailbox(request, client_with_mailbox.mailbox, pending.pk)
    html = response.content.decode()
    assert response.status_code == 400
    assert "Please choose an answer." in html
    assert 'value="5" id="who5-q1_0" checked' in html
    assert Administration.objects.get(pk=pending.pk).status == Status.PENDING


def test_answering_in_the_mailbox_completes_the_questionnaire(
    client_with_mailbox, clinician_a, centre_a
):
    pending = actions.send_to_mailbox(
        client_with_mailbox, "gad7", occasion="session", by=clinician_a, centre=centre_a
    )
    answers = {f"q{number}": str(value) for number, value in enumerate(GAD7_MILD, 1)}
    with translation.override("en"):
        response = answer_in_mailbox(
            _mailbox_request("POST", answers), client_with_mailbox.mailbox, pending.pk
        )
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    assert Administration.objects.get(pk=pending.pk).total == 6


def test_another_mailbox_cannot_open_the_questionnaire(client_with_mailbox, clinician_a, centre_a):
    pending = actions.send_to_mailbox(
        client_with_mailbox, "gad7", occasion="session", by=clinician_a, centre=centre_a
    )
    with pytest.raises(Http404):
        answer_in_mailbox(_mailbox_request("GET"), make_mailbox(), pending.pk)


def test_answers_sent_twice_say_they_arrived_and_keep_the_first(
    client_with_mailbox, clinician_a, centre_a
):
    """A double click, or back and "Send" again, without JavaScript: not a "not found" page."""
    pending = actions.send_to_mailbox(
        client_with_mailbox, "gad7", occasion="session", by=clinician_a, centre=centre_a
    )
    mailbox = client_with_mailbox.mailbox
    first = {f"q{number}": str(value) for number, value in enumerate(GAD7_MILD, 1)}
    second = {f"q{number}": "3" for number in range(1, 8)}
    with translation.override("de"):
        answer_in_mailbox(_mailbox_request("POST", first), mailbox, pending.pk)
        again = answer_in_mailbox(_mailbox_request("POST", second), mailbox, pending.pk)
        later = answer_in_mailbox(_mailbox_request("GET"), mailbox, pending.pk)
    assert again.status_code == 409
    assert "Ihre Antworten sind schon angekommen" in again.content.decode()
    assert "nicht noch einmal gespeichert" in again.content.decode()
    assert later.status_code == 200
    assert "nicht noch einmal gespeichert" not in later.content.decode()
    stored = Administration.objects.get(pk=pending.pk)
    assert (stored.total, stored.answers["q1"]) == (6, 1)
    assert AuditEntry.objects.filter(action="instrument.complete").count() == 1


def test_an_answered_questionnaire_is_still_404_for_another_mailbox(
    client_with_mailbox, clinician_a, centre_a
):
    pending = actions.send_to_mailbox(
        client_with_mailbox, "gad7", occasion="session", by=clinician_a, centre=centre_a
    )
    actions.complete_from_mailbox(pending, GAD7_MILD)
    with pytest.raises(Http404):
        answer_in_mailbox(_mailbox_request("GET"), make_mailbox(), pending.pk)


def test_a_questionnaire_staff_entered_is_404_in_the_clients_mailbox(
    client_with_mailbox, clinician_a, centre_a
):
    recorded = actions.record_administration(
        client_with_mailbox, "gad7", GAD7_MILD, occasion="session", by=clinician_a, centre=centre_a
    )
    with pytest.raises(Http404):
        answer_in_mailbox(_mailbox_request("GET"), client_with_mailbox.mailbox, recorded.pk)


# --- forms -----------------------------------------------------------------------


def test_the_form_speaks_the_persons_language():
    with translation.override("de"):
        form = instrument_form("phq9", "de", data={})
        assert not form.is_valid()
    assert form.fields["q1"].label == "Wenig Interesse oder Freude an Ihren Tätigkeiten"
    assert form.fields["q1"].choices[3] == ("3", "Beinahe jeden Tag")
    assert form.title.startswith("Gesundheitsfragebogen")
    assert "Bitte beantworten Sie mindestens 7 der 9 Fragen." in form.non_field_errors()


def test_the_form_allows_as_many_missing_answers_as_the_instrument():
    data = {f"q{number}": "1" for number in range(1, 8)}
    form = instrument_form("phq9", "en", data=data)
    assert form.is_valid(), form.errors
    assert form.result.prorated and form.result.total == 9
    assert form.answers["q9"] is None


def test_the_self_check_form_gives_a_recommendation():
    form = instrument_form("self-check", "en", data={"child_at_risk": "yes"})
    assert form.is_valid()
    assert form.result.step == "urgent"


# --- access and staff pages ------------------------------------------------------


def test_administrations_are_visible_only_to_those_who_work_with_the_client(
    client_a, clinician_a, clinician_b, analyst, centre_a
):
    administration = actions.record_administration(
        client_a, "gad7", GAD7_MILD, occasion="session", by=clinician_a, centre=centre_a
    )
    assert list(Administration.objects.visible_to(clinician_a)) == [administration]
    assert not Administration.objects.visible_to(clinician_b).exists()
    assert not Administration.objects.visible_to(analyst).exists()


def test_staff_record_a_questionnaire_from_the_client_page(client_a, clinician_a, sign_in):
    browser = sign_in(clinician_a)
    page = browser.get(reverse("instruments:client", args=[client_a.pk]))
    assert page.status_code == 200
    url = reverse("instruments:record", args=[client_a.pk, "phq9"])
    assert url in page.content.decode()
    data = {f"q{number}": str(value) for number, value in enumerate(PHQ9_MODERATE, 1)}
    response = browser.post(url, {**data, "occasion": "intake"})
    assert response.status_code == 302
    administration = Administration.objects.get()
    assert (administration.total, administration.occasion) == (10, "intake")
    assert administration.centre == client_a.cases.get().centre
    page = browser.get(reverse("instruments:client", args=[client_a.pk]))
    assert "<svg" in page.content.decode()


def test_a_wrong_staff_entry_answers_400_and_keeps_what_was_chosen(client_a, clinician_a, sign_in):
    url = reverse("instruments:record", args=[client_a.pk, "gad7"])
    response = sign_in(clinician_a).post(url, {"q1": "2", "occasion": "session"})
    assert response.status_code == 400
    assert 'value="2" id="gad7-q1_2" checked' in response.content.decode()
    assert not Administration.objects.exists()


def test_staff_send_a_questionnaire_to_the_mailbox(client_with_mailbox, clinician_a, sign_in):
    response = sign_in(clinician_a).post(
        reverse("instruments:send", args=[client_with_mailbox.pk]),
        {"instrument": "who5", "occasion": "follow_up"},
    )
    assert response.status_code == 302
    pending = Administration.objects.get()
    assert (pending.instrument, pending.status, pending.occasion) == (
        "who5",
        "pending",
        "follow_up",
    )


def test_other_centres_get_404_for_the_client_and_its_answers(
    client_a, clinician_a, clinician_b, centre_a, sign_in
):
    administration = actions.record_administration(
        client_a, "gad7", GAD7_MILD, occasion="session", by=clinician_a, centre=centre_a
    )
    browser = sign_in(clinician_b)
    for url in (
        reverse("instruments:client", args=[client_a.pk]),
        reverse("instruments:record", args=[client_a.pk, "gad7"]),
        reverse("instruments:administration", args=[administration.pk]),
    ):
        assert browser.get(url).status_code == 404, url
    assert (
        browser.post(
            reverse("instruments:send", args=[client_a.pk]), {"instrument": "gad7"}
        ).status_code
        == 404
    )


def test_reading_the_answers_is_audited(client_a, clinician_a, centre_a, sign_in):
    administration = actions.record_administration(
        client_a, "phq9", [0] * 8 + [2], occasion="session", by=clinician_a, centre=centre_a
    )
    response = sign_in(clinician_a).get(
        reverse("instruments:administration", args=[administration.pk])
    )
    assert response.status_code == 200
    assert "item 9" in response.content.decode()  # the self-harm flag is shown
    assert AuditEntry.objects.filter(action="instrument.read", target_id=administration.pk).exists()


def test_every_staff_member_can_read_the_catalogue_in_german(outsider, sign_in):
    browser = sign_in(outsider)
    assert "PHQ-9" in browser.get(reverse("instruments:list")).content.decode()
    detail = browser.get(
        reverse("instruments:detail", args=["phq9", 1]), headers={"accept-language": "de"}
    )
    assert detail.status_code == 200
    assert browser.get(reverse("instruments:detail", args=["phq9", 9])).status_code == 404


# --- statistics ------------------------------------------------------------------


def _course(client, clinician, centre, first, last):
    phq9_first, gad7_first = first
    phq9_last, gad7_last = last

    def answers(total, items):
        values = []
        for _ in range(items):
            step = min(3, total)
            values.append(step)
            total -= step
        return values

    for instrument, items, total, occasion in (
        ("phq9", 9, phq9_first, "intake"),
        ("gad7", 7, gad7_first, "intake"),
        ("phq9", 9, phq9_last, "discharge"),
        ("gad7", 7, gad7_last, "discharge"),
    ):
        actions.record_administration(
            client,
            instrument,
            answers(total, items),
            occasion=occasion,
            by=clinician,
            centre=centre,
        )


def test_a_finished_course_is_counted_once_with_its_outcome(client_a, clinician_a, centre_a):
    _course(client_a, clinician_a, centre_a, first=(18, 12), last=(7, 6))
    assert _count("course_finished", "at_caseness") == 1
    assert _count("recovered") == 1
    assert _count("reliably_improved") == 1
    assert _count("reliably_deteriorated") == 0
    # Another discharge measure does not count the course again.
    actions.record_administration(
        client_a, "phq9", [0] * 9, occasion="discharge", by=clinician_a, centre=centre_a
    )
    assert _count("course_finished") == 1


def test_a_course_without_earlier_measures_is_not_counted(client_a, clinician_a, centre_a):
    for instrument, items in (("phq9", 9), ("gad7", 7)):
        actions.record_administration(
            client_a, instrument, [1] * items, occasion="discharge", by=clinician_a, centre=centre_a
        )
    assert _count("course_finished") == 0


# --- demo --------------------------------------------------------------------------


def test_the_demo_course_is_plausible_and_idempotent(client_a, clinician_a, centre_a):
    import random

    from forestall.instruments.courses import client_course
    from forestall.instruments.demo import demo_course

    recorded = demo_course(client_a, centre_a, clinician_a, random.Random(7), sessions=4)
    assert len(recorded) == 12  # intake, four sessions, discharge; PHQ-9 and GAD-7 each
    assert all(row.total is not None for row in recorded)
    dates = sorted({row.completed_at.date() for row in recorded})
    assert len(dates) == 6
    assert client_course(client_a.pk) is not None
    again = demo_course(client_a, centre_a, clinician_a, random.Random(8), sessions=4)
    assert {row.pk for row in again} == {row.pk for row in recorded}
    assert Administration.objects.count() == 12


def test_recording_returns_to_the_staff_page_it_came_from(client_a, clinician_a, sign_in):
    browser = sign_in(clinician_a)
    data = {f"q{number}": "0" for number in range(1, 8)}
    url = reverse("instruments:record", args=[client_a.pk, "gad7"])
    back = browser.post(url, {**data, "occasion": "session", "next": "/staff/cases/x/"})
    assert back["Location"] == "/staff/cases/x/"
    for unsafe in ("https://example.org/staff/", "//example.org/staff/", "/public/"):
        response = browser.post(url, {**data, "occasion": "session", "next": unsafe})
        assert response["Location"] == reverse("instruments:client", args=[client_a.pk])
