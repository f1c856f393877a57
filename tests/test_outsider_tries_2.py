"""An outside tester's attacks on staff backup codes and on the one open risk-assessment task.

Each test is an attack (or a real person's muddle) that must stay harmless,
its docstring names it: a HEAD request using up the one showing of new
backup codes, a missing CSRF token making new codes, a password-only session
reaching the codes, a replayed session, a backup code typed where the
authenticator's code goes, someone else's code, a used code reused, fast
guessing, codes in a DEBUG log, codes shown after a newer set replaced them,
refusals in the wrong words; a task of another centre marked done, a forged
count on "Done", a second "Done" audited as if it changed anything, a repeat
left with someone who has left the centre, markup in a title or instrument,
"Done" on a German page after a new positive answer.
"""

from __future__ import annotations

import logging
import re
import uuid

import pytest
from django.db import transaction
from django.test import Client

from forestall.accounts.models import BackupCode, BackupCodeSet, Role
from forestall.audit.models import AuditEntry
from forestall.cases import actions as case_actions
from forestall.cases.models import Task, TaskKind
from forestall.cases.pathway import Stage
from tests import factories
from tests.factories_accounts import (
    backup_codes,
    go_to_backup_step,
    post_backup_code,
    post_password,
    post_token,
)
from tests.factories_cases import make_case, record_phq9

PAGE = "/staff/two-factor/backup-codes/"
_CODE_ON_PAGE = re.compile(r"<li><code>([a-z2-7]{8})</code></li>")
MARKUP = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def _codes_on(page) -> list[str]:
    return _CODE_ON_PAGE.findall(page.content.decode())


def _signed_in(client: Client) -> bool:
    return client.get("/staff/").status_code == 200


def _at_backup_step(user) -> Client:
    client = Client()
    post_password(client, user.username, factories.PASSWORD)
    go_to_backup_step(client)
    return client


# --- Backup codes ----------------------------------------------------------------


def test_a_head_request_does_not_use_up_the_one_showing_of_new_codes(sign_in, clinician_a):
    """Attack: a HEAD (a link checker, a prefetch) of the page right after "Make new codes"
    takes the codes out of the session, so the person never sees them."""
    client = sign_in(clinician_a)
    assert client.post(PAGE).status_code == 302

    head = client.head(PAGE)

    assert head.status_code == 200
    codes = _codes_on(client.get(PAGE))
    assert len(codes) == 10
    assert _codes_on(client.get(PAGE)) == []


def test_making_codes_without_the_csrf_token_is_refused_and_makes_nothing(clinician_a):
    """Attack: another site's form posts to "Make new codes" (the old sheet would stop working)."""
    client = factories.signed_in_client(clinician_a, Client(enforce_csrf_checks=True))
    old = backup_codes(clinician_a, count=3)

    response = client.post(PAGE)

    assert response.status_code == 403
    assert BackupCode.objects.of(clinician_a).count() == len(old)
    assert "accounts.fresh_backup_codes" not in client.session


def test_a_password_alone_neither_makes_nor_sees_backup_codes(clinician_a):
    """Attack: a stolen password. Without an authenticator yet the password signs in only to
    enrol; with one, the wizard has not signed in at all. Neither reaches the codes."""
    enrolling = Client()
    post_password(enrolling, clinician_a.username, factories.PASSWORD)
    for method in ("get", "post"):
        response = getattr(enrolling, method)(PAGE)
        assert response.status_code == 302
        assert response["Location"].startswith("/staff/login/")
    assert not BackupCodeSet.objects.filter(user=clinician_a).exists()

    factories.totp_device(clinician_a)
    old = backup_codes(clinician_a, count=2)
    halfway = Client()
    post_password(halfway, clinician_a.username, factories.PASSWORD)
    response = halfway.post(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/staff/login/")
    assert BackupCode.objects.of(clinician_a).count() == len(old)


def test_the_session_replayed_after_the_codes_were_shown_shows_none(sign_in, clinician_a):
    """Attack: a second browser with a copy of the session cookie (or the back button) opens
    the page after the codes were shown once."""
    client = sign_in(clinician_a)
    client.post(PAGE)
    copy = Client()
    copy.cookies = client.cookies

    assert len(_codes_on(client.get(PAGE))) == 10

    replayed = copy.get(PAGE)
    assert replayed.status_code == 200
    assert _codes_on(replayed) == []
    assert b"You have 10 unused backup codes." in replayed.content


def test_a_backup_code_typed_at_the_authenticator_step_is_refused_and_stays_unused(clinician_a):
    """Attack (or a muddle): a backup code typed where the authenticator's six digits go."""
    factories.totp_device(clinician_a)
    [code] = backup_codes(clinician_a, count=1)
    client = Client()
    post_password(client, clinician_a.username, factories.PASSWORD)

    response = post_token(client, code)

    assert response.status_code == 400
    assert not _signed_in(client)
    assert BackupCode.objects.of(clinician_a).count() == 1


def test_another_person_s_backup_code_opens_nothing_and_is_not_used_up(clinician_a, clinician_b):
    """Attack: a colleague's printed sheet, with one's own password."""
    for person in (clinician_a, clinician_b):
        factories.totp_device(person)
    backup_codes(clinician_a, count=1)
    [theirs] = backup_codes(clinician_b, count=1)
    client = _at_backup_step(clinician_a)

    response = post_backup_code(client, theirs)

    assert response.status_code == 400
    assert not _signed_in(client)
    assert BackupCode.objects.of(clinician_b).count() == 1


def test_a_used_code_does_not_sign_in_a_second_browser(clinician_a):
    """Attack: a code seen over someone's shoulder, typed after they used it."""
    factories.totp_device(clinician_a)
    code, _spare = backup_codes(clinician_a, count=2)
    first = _at_backup_step(clinician_a)
    assert post_backup_code(first, code).status_code == 302
    assert _signed_in(first)

    second = _at_backup_step(clinician_a)
    assert post_backup_code(second, code).status_code == 400
    assert not _signed_in(second)


def test_right_after_a_wrong_code_even_the_right_one_waits_and_stays_unused(clinician_a):
    """Attack: guessing codes as fast as the server answers."""
    factories.totp_device(clinician_a)
    [code] = backup_codes(clinician_a, count=1)
    client = _at_backup_step(clinician_a)
    assert post_backup_code(client, "zzzzzzzz").status_code == 400

    throttled = post_backup_code(client, code)

    assert throttled.status_code == 400
    assert b"errorlist" in throttled.content
    assert not _signed_in(client)
    assert BackupCode.objects.of(clinician_a).count() == 1


def test_no_code_reaches_the_log_even_with_every_sql_statement_logged(
    settings, sign_in, clinician_a, caplog, capsys
):
    """Attack: a server run with DEBUG and SQL logging on, its log read later."""
    from django.db import connection

    settings.DEBUG = True
    for name in ("", "django", "django.db.backends", "django.request"):
        caplog.set_level(logging.DEBUG, logger=name)
    connection.force_debug_cursor = True
    try:
        client = sign_in(clinician_a)
        client.post(PAGE)
        codes = _codes_on(client.get(PAGE))
        signing_in = _at_backup_step(clinician_a)
        assert post_backup_code(signing_in, codes[0].upper()).status_code == 302
        assert post_backup_code(_at_backup_step(clinician_a), codes[1] + "x").status_code == 400
    finally:
        connection.force_debug_cursor = False
    captured = capsys.readouterr()
    logged = caplog.text + captured.out + captured.err
    assert "SELECT" in logged  # the SQL really was logged
    assert len(codes) == 10
    for code in codes:
        assert code not in logged and code.upper() not in logged


def test_codes_replaced_before_their_page_was_seen_are_never_shown_as_if_they_worked(
    sign_in, clinician_a
):
    """A real person on two devices: "Make new codes" on the laptop, whose page did not load
    (the network dropped), then new codes on the phone; the laptop's page, loaded again, must
    not show the first set as the codes to print: not one of them works any more."""
    laptop = sign_in(clinician_a)
    assert laptop.post(PAGE).status_code == 302  # the redirect's page never arrived
    phone = sign_in(clinician_a)
    assert len(_make_new_codes(phone)) == 10

    again = laptop.get(PAGE)

    assert again.status_code == 200
    assert _codes_on(again) == []
    assert b"You have 10 unused backup codes." in again.content
    assert b"replaced by a newer set" in again.content


def _make_new_codes(client: Client) -> list[str]:
    response = client.post(PAGE)
    assert response.status_code == 302 and response["Location"] == PAGE
    return _codes_on(client.get(PAGE))


def _errors(response) -> str:
    return " ".join(
        re.findall(r'<ul class="errorlist[^>]*>(.*?)</ul>', response.content.decode(), re.S)
    )


@pytest.mark.parametrize(
    ("language", "expected", "never"),
    [
        (
            "en",
            [
                "That code is not right.",
                "That backup code does not work",
                "1 wrong code, wait 1 second before you try again.",
                "Please enter one of your backup codes.",
            ],
            ["token", "OTP"],
        ),
        (
            "de",
            [
                "Dieser Code stimmt nicht.",
                "Dieser Ersatzcode funktioniert nicht",
                "1 falschen Code warten Sie bitte 1 Sekunde, bevor",
                "Bitte geben Sie einen Ihrer Ersatzcodes ein.",
            ],
            ["überprüfe die", "versuche es", "gebe das", "Einmalpasswort"],
        ),
    ],
)
def test_a_refused_code_is_explained_in_the_staff_pages_own_words(
    clinician_a, language, expected, never
):
    """A tired person at the sign-in: every refused code says what went wrong in the words the
    rest of the page uses ("code", not "token"; in German "Sie", as everywhere else)."""
    factories.totp_device(clinician_a)
    backup_codes(clinician_a, count=1)
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    post_password(client, clinician_a.username, factories.PASSWORD)
    answers = [post_token(client, "123456")]
    go_to_backup_step(client)
    answers.append(post_backup_code(client, "zzzzzzzz"))
    answers.append(post_backup_code(client, "zzzzzzzz"))  # within the back-off
    answers.append(post_backup_code(client, ""))

    assert [answer.status_code for answer in answers] == [400] * len(answers)
    said = " ".join(_errors(answer) for answer in answers)
    for words in expected:
        assert words in said, said
    for words in never:
        assert words not in said, said


# --- Risk-assessment tasks ----------------------------------------------------------


def _case_led_by(clinician, centre):
    case = make_case(centre, stage=Stage.IN_TREATMENT)
    case.lead_clinician = clinician
    case.save(update_fields=["lead_clinician"])
    return case


def _open_risk_task(case) -> Task | None:
    return Task.objects.filter(case=case, kind=TaskKind.RISK_ASSESSMENT, done_at=None).first()


def _done_url(task) -> str:
    return f"/staff/cases/tasks/{task.pk}/done/"


def test_a_second_done_is_not_audited_as_if_it_had_ticked_the_task_off(
    sign_in, centre_a, clinician_a, manager_a
):
    """Attack: a colleague (or a double click) posts "Done" on a task already done; the audit
    log must not say the colleague did it, nor that it was done twice."""
    case = _case_led_by(clinician_a, centre_a)
    record_phq9(sign_in(clinician_a), case, 1)
    task = _open_risk_task(case)
    assert sign_in(clinician_a).post(_done_url(task), {"seen_times_raised": "1"}).status_code == 302
    before = AuditEntry.objects.filter(action="case.task.done").count()

    again = sign_in(manager_a).post(_done_url(task), {"seen_times_raised": "1"})

    assert again.status_code == 302
    task.refresh_from_db()
    assert task.done_by == clinician_a
    assert AuditEntry.objects.filter(action="case.task.done").count() == before
    assert not AuditEntry.objects.filter(action="case.task.done", actor=manager_a).exists()


@pytest.mark.parametrize(
    ("language", "said", "not_said"),
    [
        ("en", "This task had already been marked done.", "Task done."),
        ("de", "Diese Aufgabe war schon als erledigt markiert.", "Aufgabe erledigt."),
    ],
)
def test_a_second_done_says_the_task_was_already_done_not_that_this_did_it(
    sign_in, centre_a, clinician_a, manager_a, language, said, not_said
):
    """Awkward state: "Done" on a second tab, after a colleague ticked the task off there.
    The page must not say "Task done." as if this had done it."""
    case = _case_led_by(clinician_a, centre_a)
    record_phq9(sign_in(clinician_a), case, 1)
    task = _open_risk_task(case)
    first = sign_in(clinician_a).post(
        _done_url(task), {"seen_times_raised": "1", "back": "tasks"}, follow=True
    )
    assert "Task done." in first.content.decode()

    again = sign_in(manager_a).post(
        _done_url(task),
        {"seen_times_raised": "1", "back": "tasks"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE=language,
    )

    page = again.content.decode()
    assert again.status_code == 200 and said in page and not_said not in page


def test_a_repeat_does_not_stay_with_someone_who_has_left_the_centre(
    sign_in, centre_a, clinician_a
):
    """Awkward state: the open risk assessment was given to a colleague who has since left the
    centre; a new positive answer must reach someone who can see the case, not stay with them."""
    colleague = factories.make_user(Role.CLINICIAN, centre_a, username="leaving.clinician")
    case = _case_led_by(clinician_a, centre_a)
    record_phq9(sign_in(clinician_a), case, 1)
    task = _open_risk_task(case)
    task.assignee = colleague
    task.save(update_fields=["assignee"])
    colleague.memberships.all().delete()  # left the centre

    record_phq9(sign_in(clinician_a), case, 2)

    again = _open_risk_task(case)
    assert again.pk == task.pk and again.times_raised == 2
    assert again.assignee == clinician_a
    my_tasks = sign_in(clinician_a).get("/staff/cases/tasks/").content.decode()
    assert _done_url(task) in my_tasks


def test_a_repeat_keeps_a_colleague_who_still_works_at_the_centre(sign_in, centre_a, clinician_a):
    """The other side of the one above: a colleague still at the centre keeps the task."""
    colleague = factories.make_user(Role.CLINICIAN, centre_a, username="staying.clinician")
    case = _case_led_by(clinician_a, centre_a)
    record_phq9(sign_in(clinician_a), case, 1)
    task = _open_risk_task(case)
    task.assignee = colleague
    task.save(update_fields=["assignee"])

    record_phq9(sign_in(clinician_a), case, 2)

    assert _open_risk_task(case).assignee == colleague


def test_another_centre_s_task_answers_as_a_missing_one_and_stays_open(
    sign_in, centre_a, centre_b, clinician_a, clinician_b
):
    """Attack: a clinician of another centre posts "Done" to a task id they have learned."""
    case = _case_led_by(clinician_a, centre_a)
    record_phq9(sign_in(clinician_a), case, 1)
    task = _open_risk_task(case)
    outsider = sign_in(clinician_b)
    missing = uuid.uuid4()

    for method in ("get", "post"):
        forbidden = getattr(outsider, method)(_done_url(task), {"seen_times_raised": "1"})
        absent = getattr(outsider, method)(
            f"/staff/cases/tasks/{missing}/done/", {"seen_times_raised": "1"}
        )
        assert forbidden.status_code == absent.status_code == 404
        assert len(forbidden.content) == len(absent.content)
    assert outsider.get("/staff/cases/tasks/nonsense/done/").status_code == 404
    assert _open_risk_task(case) == task
    assert outsider.get(f"/staff/cases/{case.pk}/").status_code == 404
    their_tasks = outsider.get("/staff/cases/tasks/").content.decode()
    assert str(task.pk) not in their_tasks and "Risk assessment" not in their_tasks


@pytest.mark.parametrize("seen", ["-1", "0", "1e3", "nan", "\x00", "9" * 5000, "\uff11"])
def test_a_forged_count_on_done_ticks_nothing_off_and_never_fails(
    sign_in, centre_a, clinician_a, seen
):
    """Attack: "Done" posted with a count that no page ever showed."""
    case = _case_led_by(clinician_a, centre_a)
    browser = sign_in(clinician_a)
    record_phq9(browser, case, 1)
    record_phq9(browser, case, 1)
    task = _open_risk_task(case)

    response = browser.post(_done_url(task), {"seen_times_raised": seen})

    assert response.status_code in (400, 302)  # refused as bad input, or read as a number
    if response.status_code == 302:  # read as a number, it is an older count
        assert response["Location"] == _done_url(task)
    assert _open_risk_task(case) == task


def test_get_and_head_of_the_done_address_change_nothing(sign_in, centre_a, clinician_a):
    """Attack: a link or a prefetch of the done address ticks the task off."""
    case = _case_led_by(clinician_a, centre_a)
    browser = sign_in(clinician_a)
    record_phq9(browser, case, 1)
    task = _open_risk_task(case)

    assert browser.get(_done_url(task)).status_code == 200
    assert browser.head(_done_url(task)).status_code in (200, 405)

    assert _open_risk_task(case) == task
    assert not AuditEntry.objects.filter(action="case.task.done").exists()


def test_markup_in_a_task_title_or_an_instrument_name_is_shown_as_text(
    sign_in, centre_a, clinician_a
):
    """Attack: markup typed as a task's title, or in an instrument's name around which the
    risk-assessment sentence is translated, in English and German."""
    case = _case_led_by(clinician_a, centre_a)
    browser = sign_in(clinician_a)
    added = browser.post(
        f"/staff/cases/{case.pk}/tasks/", {"title": MARKUP, "assignee": str(clinician_a.pk)}
    )
    assert added.status_code == 302
    with transaction.atomic():
        case_actions.ask_for_risk_assessment(
            case.client, centre_id=None, instrument=MARKUP + " %(instrument)s %s", by=None
        )
    risk = _open_risk_task(case)

    for url in (f"/staff/cases/{case.pk}/", "/staff/cases/tasks/", _done_url(risk)):
        for language, sentence in (("en", "Risk assessment today"), ("de", "Heute Risiko")):
            response = browser.get(url, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200
            content = response.content
            assert b"<script>alert" not in content and b"<img src=x" not in content
            assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in content
            assert sentence.encode() in content


def test_done_from_the_german_case_page_after_a_new_answer_keeps_the_task_and_says_why(
    sign_in, centre_a, clinician_a
):
    """A real clinician: the case page is open (in German), a client answers positively again
    in the meantime, the clinician presses "Erledigt" on the page's older count."""
    case = _case_led_by(clinician_a, centre_a)
    browser = sign_in(clinician_a)
    record_phq9(browser, case, 1)
    page = browser.get(f"/staff/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    task = _open_risk_task(case)
    assert 'name="seen_times_raised" value="1"' in page
    assert "Heute Risiko\u00adeinschätzung" in page
    record_phq9(browser, case, 3)

    refused = browser.post(
        _done_url(task), {"seen_times_raised": "1"}, HTTP_ACCEPT_LANGUAGE="de", follow=True
    )

    assert _open_risk_task(case) == task
    shown = refused.content.decode()
    assert "Nicht als erledigt markiert" in shown
    assert "2 positive Antworten seit" in shown
    assert 'name="seen_times_raised" value="2"' in shown


def test_the_replaced_codes_notice_speaks_german(sign_in, clinician_a):
    """The notice above, on a German page."""
    laptop = sign_in(clinician_a)
    laptop.post(PAGE)
    _make_new_codes(sign_in(clinician_a))

    again = laptop.get(PAGE, HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert "wurden durch einen neueren Satz ersetzt" in again
    assert _CODE_ON_PAGE.findall(again) == []
