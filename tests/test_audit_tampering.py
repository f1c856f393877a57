"""The audit chain under attack: cut tails, emptied tables and forged heads are all reported.

The attacks of the security review: deleting the newest entries and
rewriting the chain-head row (which needed no key) left ``verify-audit``
reporting "intact"; so did deleting every entry and the head. Each attack is
performed here with raw SQL, as someone with write access to the database
(but not the audit key) would, and ``verify-audit`` must fail with one clear
line and exit status 1, without a traceback.
"""

# ruff: noqa: S608 - the tampering writes raw SQL against our own table names

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from forestall.audit.actions import record_event
from forestall.audit.models import AuditChainHead, AuditEntry

ENTRIES = AuditEntry._meta.db_table
HEAD = AuditChainHead._meta.db_table


def _raw(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def _fill(user, centre, count: int) -> list[AuditEntry]:
    for _number in range(count):
        record_event(user, "case.read", centre, centre=centre)
    return list(AuditEntry.objects.order_by("sequence"))


def _verify_error(*args: str) -> str:
    with pytest.raises(CommandError) as raised:
        call_command("verify-audit", *args)
    assert raised.value.returncode == 1
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_an_untouched_chain_verifies(clinician_a, centre_a, capsys):
    _fill(clinician_a, centre_a, 4)
    call_command("verify-audit")
    assert "audit chain intact: 4 entries" in capsys.readouterr().out


def test_cutting_the_tail_and_rewriting_the_head_is_reported(clinician_a, centre_a):
    entries = _fill(clinician_a, centre_a, 6)
    _raw(f"DELETE FROM {ENTRIES} WHERE sequence > 3")
    _raw(
        f"UPDATE {HEAD} SET sequence = 3, entry_hash = %s WHERE id = 1",
        [entries[2].entry_hash],
    )
    assert "not authenticated" in _verify_error()


def test_a_head_rewritten_with_a_made_up_seal_is_reported(clinician_a, centre_a):
    entries = _fill(clinician_a, centre_a, 6)
    _raw(f"DELETE FROM {ENTRIES} WHERE sequence > 3")
    _raw(
        f"UPDATE {HEAD} SET sequence = 3, entry_hash = %s, seal = %s WHERE id = 1",
        [entries[2].entry_hash, "0" * 64],
    )
    assert "entry 3: changed" in _verify_error()


def test_the_next_append_does_not_launder_a_forged_head(clinician_a, centre_a):
    entries = _fill(clinician_a, centre_a, 6)
    _raw(f"DELETE FROM {ENTRIES} WHERE sequence > 3")
    _raw(
        f"UPDATE {HEAD} SET sequence = 3, entry_hash = %s, seal = %s WHERE id = 1",
        [entries[2].entry_hash, "a" * 64],
    )
    _fill(clinician_a, centre_a, 2)
    assert "not authenticated" in _verify_error()


def test_deleting_everything_in_the_audit_tables_is_reported(clinician_a, centre_a):
    _fill(clinician_a, centre_a, 5)
    _raw(f"DELETE FROM {ENTRIES}")
    _raw(f"DELETE FROM {HEAD}")
    assert "chain head is gone" in _verify_error()


def test_deleting_every_entry_but_keeping_the_head_is_reported(clinician_a, centre_a):
    _fill(clinician_a, centre_a, 5)
    _raw(f"DELETE FROM {ENTRIES}")
    assert "entry 1: missing" in _verify_error()


def test_an_emptied_log_with_a_fresh_head_made_without_the_key_is_reported(clinician_a, centre_a):
    _fill(clinician_a, centre_a, 5)
    _raw(f"DELETE FROM {ENTRIES}")
    _raw(f"UPDATE {HEAD} SET sequence = 0, entry_hash = %s WHERE id = 1", ["0" * 64])
    assert "not authenticated" in _verify_error()


def test_expect_passes_while_the_anchor_is_in_the_chain(clinician_a, centre_a, capsys):
    entries = _fill(clinician_a, centre_a, 3)
    call_command("verify-audit")
    anchor = capsys.readouterr().out.strip().splitlines()[-1].removeprefix("head ")
    assert anchor == f"3:{entries[-1].entry_hash}"
    _fill(clinician_a, centre_a, 2)
    call_command("verify-audit", "--expect", anchor)


def test_expect_fails_when_the_anchor_was_cut_off_even_with_a_valid_chain(
    clinician_a, centre_a, capsys, settings
):
    """Someone with the key rebuilt a shorter chain: only the outside anchor notices."""
    entries = _fill(clinician_a, centre_a, 3)
    anchor = f"3:{entries[-1].entry_hash}"
    _raw(f"DELETE FROM {ENTRIES}")
    _raw(f"DELETE FROM {HEAD}")
    from forestall.audit import actions, chain

    actions._create_head("default")
    head = AuditChainHead.objects.get()
    from django.utils import timezone

    head.sealed_at = timezone.now()
    head.seal = chain.head_seal(0, head.entry_hash, chain.canonical_time(head.sealed_at))
    head.save()
    record_event(clinician_a, "case.read", centre_a)
    call_command("verify-audit")
    message = _verify_error("--expect", anchor)
    assert f"expected entry {anchor}" in message


def test_a_malformed_anchor_is_refused_in_one_line(db):
    with pytest.raises(CommandError) as raised:
        call_command("verify-audit", "--expect", "12:nothex")
    assert raised.value.returncode == 2
    assert "SEQUENCE:HASH" in str(raised.value)


def test_the_command_line_prints_one_line_and_exits_non_zero_without_a_traceback(
    tmp_path, migrated_sqlite
):
    environment = {
        key: value
        for key, value in os.environ.items()
        # Its own SQLite database in tmp_path, whatever the suite runs against.
        if not key.startswith("FORESTALL_") and key != "DATABASE_URL"
    }
    environment.update({"FORESTALL_DEBUG": "1", "FORESTALL_VAR": str(tmp_path)})
    # The script's own migrate finds the database file up to date.
    environment.update(migrated_sqlite(tmp_path))
    script = (
        "import os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'forestall.settings');"
        "django.setup();"
        "from django.core.management import call_command; call_command('migrate', verbosity=0);"
        "from forestall.audit.actions import record_event;"
        "[record_event(None, 'case.read') for _ in range(4)];"
        "from django.db import connection; c = connection.cursor();"
        f"c.execute('DELETE FROM {ENTRIES} WHERE sequence > 2');"
        f"c.execute('UPDATE {HEAD} SET sequence = 2')"
    )
    root = Path(__file__).resolve().parent.parent
    prepared = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", script], env=environment, cwd=root, capture_output=True, text=True
    )
    assert prepared.returncode == 0, prepared.stderr[-2000:]
    cli = Path(sys.executable).parent / "forestall"
    done = subprocess.run(  # noqa: S603 - our own command
        [str(cli), "verify-audit"], env=environment, cwd=root, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert any("audit chain broken at entry 2" in line for line in lines), done.stderr
