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

from forestall.accounts.models import BackupCode, BackupCodeSet
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
