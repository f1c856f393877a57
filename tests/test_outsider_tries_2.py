"""An outside tester's attacks on staff backup codes and on the one open risk-assessment task.

Each test is an attack that must stay impossible (its docstring names it):
a HEAD request using up the one showing of new backup codes, a forged or
missing CSRF token making new codes, a password-only session reaching the
codes, a backup code typed where the authenticator's code goes or someone
else's code, a used code reused; a task of another centre marked done, a
forged count on "Done", a second "Done" recorded as if it changed anything,
markup in a task's title or instrument, the task at another centre.
"""

from __future__ import annotations

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
from tests.factories_cases import make_case

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


# --- Risk-assessment tasks ----------------------------------------------------------


def _answers(item9: int) -> dict[str, str]:
    return {**{f"q{i}": "1" for i in range(1, 9)}, "q9": str(item9), "occasion": "session"}


def _record(browser, case, item9: int) -> None:
    response = browser.post(
        f"/staff/instruments/clients/{case.client_id}/record/phq9/", _answers(item9)
    )
    assert response.status_code == 302


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
    _record(sign_in(clinician_a), case, 1)
    task = _open_risk_task(case)
    assert sign_in(clinician_a).post(_done_url(task), {"seen_times_raised": "1"}).status_code == 302
    before = AuditEntry.objects.filter(action="case.task.done").count()

    again = sign_in(manager_a).post(_done_url(task), {"seen_times_raised": "1"})

    assert again.status_code == 302
    task.refresh_from_db()
    assert task.done_by == clinician_a
    assert AuditEntry.objects.filter(action="case.task.done").count() == before
    assert not AuditEntry.objects.filter(action="case.task.done", actor=manager_a).exists()


def test_a_repeat_does_not_stay_with_someone_who_has_left_the_centre(
    sign_in, centre_a, clinician_a
):
    """Awkward state: the open risk assessment was given to a colleague who has since left the
    centre; a new positive answer must reach someone who can see the case, not stay with them."""
    colleague = factories.make_user(Role.CLINICIAN, centre_a, username="leaving.clinician")
    case = _case_led_by(clinician_a, centre_a)
    _record(sign_in(clinician_a), case, 1)
    task = _open_risk_task(case)
    task.assignee = colleague
    task.save(update_fields=["assignee"])
    colleague.memberships.all().delete()  # left the centre

    _record(sign_in(clinician_a), case, 2)

    again = _open_risk_task(case)
    assert again.pk == task.pk and again.times_raised == 2
    assert again.assignee == clinician_a
    my_tasks = sign_in(clinician_a).get("/staff/cases/tasks/").content.decode()
    assert _done_url(task) in my_tasks


def test_a_repeat_keeps_a_colleague_who_still_works_at_the_centre(
    sign_in, centre_a, clinician_a
):
    """The other side of the one above: a colleague still at the centre keeps the task."""
    colleague = factories.make_user(Role.CLINICIAN, centre_a, username="staying.clinician")
    case = _case_led_by(clinician_a, centre_a)
    _record(sign_in(clinician_a), case, 1)
    task = _open_risk_task(case)
    task.assignee = colleague
    task.save(update_fields=["assignee"])

    _record(sign_in(clinician_a), case, 2)

    assert _open_risk_task(case).assignee == colleague
