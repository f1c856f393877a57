"""After "Delete everything" no byte of what was deleted is left in the database files.

The attack of the security review: after deletion, both messages were
recovered from the SQLite write-ahead log and decrypted, and the mailbox's
codename hash was still there. The test runs the whole front-door journey in
its own process against a real database file (the test database lives in
memory), deletes everything, and searches the main file and the WAL for the
deleted rows' ciphertext and codename hash. A control run without the
scrubbing shows that the search does find them when they are there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.test_mailbox import open_new_mailbox

SCRIPT = Path(__file__).parent / "erasure" / "delete_everything_script.py"


def _run(tmp_path: Path, mode: str, migrated_sqlite) -> dict:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FORESTALL_", "DATABASE_URL", "DJANGO_SETTINGS"))
    }
    environment.update(
        {
            "FORESTALL_DEBUG": "1",
            "FORESTALL_VAR": str(tmp_path / mode),
            "DJANGO_SETTINGS_MODULE": "forestall.settings",
        }
    )
    # The script's own migrate finds the database file up to date.
    environment.update(migrated_sqlite(tmp_path / mode))
    done = subprocess.run(  # noqa: S603 - our own script with our own interpreter
        [sys.executable, str(SCRIPT), mode],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def runs(tmp_path_factory, migrated_sqlite) -> dict[str, dict]:
    base = tmp_path_factory.mktemp("erasure")
    return {
        "scrub": _run(base, "scrub", migrated_sqlite),
        "control": _run(base, "control", migrated_sqlite),
    }


def test_the_search_finds_the_secrets_while_they_exist(runs):
    result = runs["scrub"]
    assert set(result["present_before"]) == set(result["needles"])


def test_after_delete_everything_no_deleted_byte_is_in_the_main_file_or_the_wal(runs):
    result = runs["scrub"]
    assert result["rows"] == {"mailboxes": 0, "administrations": 0}
    assert result["present_after"] == []
    assert result["wal_bytes"] == 0


def test_without_the_scrubbing_the_bytes_would_remain(runs):
    """The control: plain DELETE leaves what the review recovered."""
    assert runs["control"]["present_after"] != []


def test_sqlite_runs_with_secure_delete_on(db):
    from forestall.lib.erasure import secure_delete_enabled

    assert secure_delete_enabled()


def test_questionnaires_answered_in_the_mailbox_go_with_it_and_the_page_says_what_stays(db):
    from forestall.cases.models import Client as CaseClient
    from forestall.inbox.models import Mailbox
    from forestall.instruments import actions as instrument_actions
    from forestall.instruments.models import Administration

    browser = Client()
    open_new_mailbox(browser)
    person = CaseClient.objects.create(mailbox=Mailbox.objects.get())
    sent = instrument_actions.send_to_mailbox(
        person, "phq9", occasion="session", by=None, centre=None
    )
    kept = Administration.objects.create(
        client=person, instrument="phq9", version=sent.version, answers={}
    )
    page = browser.get("/mailbox/delete/").content.decode()
    assert "What stays with a centre" in page
    assert "10 years after your case is closed" in page
    browser.post("/mailbox/delete/")
    assert not Administration.objects.filter(pk=sent.pk).exists()
    assert Administration.objects.filter(pk=kept.pk).exists()
    assert CaseClient.objects.get(pk=person.pk).mailbox_id is None


def test_the_confidentiality_page_names_what_stays_and_for_how_long(db, settings):
    settings.FORESTALL_RETENTION_DAYS = {"mailbox": 180, "case": 5 * 365, "concern": 3 * 365}
    page = Client().get("/confidentiality/").content.decode()
    assert "5 years after your case is closed" in page
    assert "kept for 3 years" in page
    german = Client().get("/de/confidentiality/").content.decode()
    assert "5 Jahre nach dem Abschluss Ihres Falls" in german
