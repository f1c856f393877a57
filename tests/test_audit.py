"""The audit log: one-line recording, append-only, tamper-evident, safely concurrent."""

# ruff: noqa: S608 - the tampering tests write raw SQL against our own table name

from __future__ import annotations

import itertools
import threading
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import close_old_connections, connection

from forestall.audit import chain
from forestall.audit.actions import record_event
from forestall.audit.models import (
    AuditChainHead,
    AuditEntry,
    AuditLogIsAppendOnly,
    read_actions,
)

TABLE = AuditEntry._meta.db_table


def _raw(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def _fill(user, centre, count: int = 5) -> list[AuditEntry]:
    for number in range(count):
        record_event(user, "case.read" if number % 2 else "case.update", centre, centre=centre)
    return list(AuditEntry.objects.order_by("sequence"))


def _verify_fails_with(kind: str, sequence: int, capsys) -> None:
    with pytest.raises(CommandError) as raised:
        call_command("verify-audit")
    message = str(raised.value)
    assert f"entry {sequence}: {kind}" in message
    assert raised.value.returncode == 1


def test_record_event_writes_who_what_which_object_and_centre(clinician_a, centre_a):
    record_event(clinician_a, "centre.read", centre_a, centre=centre_a, reason="checking hours")
    entry = AuditEntry.objects.get()
    assert entry.sequence == 1
    assert entry.actor == clinician_a
    assert entry.actor_username == "clinician_a"
    assert entry.action == "centre.read"
    assert entry.is_read
    assert entry.target_type == "directory.centre"
    assert entry.target_id == centre_a.pk
    assert entry.centre_uuid == centre_a.pk
    assert entry.reason == "checking hours"
    assert entry.previous_hash == chain.GENESIS_HASH
    assert len(entry.entry_hash) == 64


def test_entries_get_consecutive_sequence_numbers_and_link_to_each_other(clinician_a, centre_a):
    entries = _fill(clinician_a, centre_a, 4)
    assert [entry.sequence for entry in entries] == [1, 2, 3, 4]
    for before, after in itertools.pairwise(entries):
        assert after.previous_hash == before.entry_hash
    head = AuditChainHead.objects.get()
    assert (head.sequence, head.entry_hash) == (4, entries[-1].entry_hash)


@pytest.mark.parametrize(
    ("action", "is_read"),
    [
        ("case.read", True),
        ("case.list", True),
        ("case.read_summary", True),
        ("concern.list_raised", True),
        ("case.update", False),
        ("case.break_glass", False),
        ("reader.create", False),
    ],
)
def test_reads_are_told_apart_from_changes(db, action, is_read):
    record_event(None, action)
    entry = AuditEntry.objects.get()
    assert entry.is_read is is_read
    assert AuditEntry.objects.filter(read_actions()).exists() is is_read


def test_a_system_event_has_no_actor(db):
    record_event(None, "retention.purge", reason="mailbox: 3")
    entry = AuditEntry.objects.get()
    assert entry.actor is None
    assert entry.actor_username == ""
    assert entry.target_type == ""
    assert entry.target_id is None


def test_a_long_reason_is_cut_to_500_characters(db):
    record_event(None, "case.read", reason="x" * 900)
    assert len(AuditEntry.objects.get().reason) == 500


def test_an_entry_made_inside_a_rolled_back_action_disappears_with_it(clinician_a, centre_a):
    from django.db import transaction

    record_event(clinician_a, "case.read", centre_a)
    with pytest.raises(RuntimeError), transaction.atomic():
        record_event(clinician_a, "case.update", centre_a)
        raise RuntimeError("the action failed")
    record_event(clinician_a, "case.read", centre_a)
    assert list(AuditEntry.objects.order_by("sequence").values_list("sequence", flat=True)) == [
        1,
        2,
    ]
    call_command("verify-audit")


def test_the_orm_refuses_to_change_an_entry(clinician_a, centre_a):
    entry = _fill(clinician_a, centre_a, 1)[0]
    entry.reason = "rewritten"
    with pytest.raises(AuditLogIsAppendOnly):
        entry.save()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="rewritten")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.bulk_update([entry], ["reason"])


def test_the_orm_refuses_to_delete_an_entry(clinician_a, centre_a):
    entry = _fill(clinician_a, centre_a, 1)[0]
    with pytest.raises(AuditLogIsAppendOnly):
        entry.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.count() == 1


def test_deleting_a_user_keeps_their_entries_and_the_chain_valid(clinician_a, centre_a):
    _fill(clinician_a, centre_a, 3)
    clinician_a.delete()
    entry = AuditEntry.objects.order_by("sequence").first()
    assert entry.actor is None
    assert entry.actor_username == "clinician_a"
    call_command("verify-audit")


def test_verify_audit_passes_an_intact_chain_and_reports_its_speed(clinician_a, centre_a, capsys):
    _fill(clinician_a, centre_a, 7)
    call_command("verify-audit", chunk_size=3)
    output = capsys.readouterr().out
    assert "audit chain intact: 7 entries checked" in output
    assert "entries/s" in output


def test_verify_audit_passes_an_empty_log(db, capsys):
    call_command("verify-audit")
    assert "intact: 0 entries" in capsys.readouterr().out


def test_verify_audit_detects_a_changed_entry(clinician_a, centre_a, capsys):
    _fill(clinician_a, centre_a, 5)
    _raw(f"UPDATE {TABLE} SET reason = 'nothing to see' WHERE sequence = 3")
    _verify_fails_with("changed", 3, capsys)


def test_verify_audit_detects_a_changed_last_entry(clinician_a, centre_a, capsys):
    _fill(clinician_a, centre_a, 5)
    _raw(f"UPDATE {TABLE} SET action = 'case.delete' WHERE sequence = 5")
    _verify_fails_with("changed", 5, capsys)


def test_verify_audit_detects_an_entry_moved_to_another_user(
    clinician_a, clinician_b, centre_a, capsys
):
    _fill(clinician_a, centre_a, 3)
    other = clinician_b.pk.hex if connection.vendor == "sqlite" else str(clinician_b.pk)
    _raw(f"UPDATE {TABLE} SET actor_id = %s WHERE sequence = 2", [other])
    _verify_fails_with("changed", 2, capsys)


def test_verify_audit_detects_a_deleted_entry(clinician_a, centre_a, capsys):
    _fill(clinician_a, centre_a, 5)
    _raw(f"DELETE FROM {TABLE} WHERE sequence = 3")
    _verify_fails_with("missing", 3, capsys)


def test_verify_audit_detects_the_first_entry_deleted(clinician_a, centre_a, capsys):
    _fill(clinician_a, centre_a, 3)
    _raw(f"DELETE FROM {TABLE} WHERE sequence = 1")
    _verify_fails_with("missing", 1, capsys)


def test_verify_audit_detects_entries_deleted_from_the_end(clinician_a, centre_a, capsys):
    _fill(clinician_a, centre_a, 5)
    _raw(f"DELETE FROM {TABLE} WHERE sequence >= 4")
    _verify_fails_with("missing", 4, capsys)


def test_verify_audit_detects_a_deleted_entry_renumbered_to_hide_the_gap(
    clinician_a, centre_a, capsys
):
    _fill(clinician_a, centre_a, 5)
    _raw(f"DELETE FROM {TABLE} WHERE sequence = 3")
    _raw(f"UPDATE {TABLE} SET sequence = sequence + 1000 WHERE sequence > 3")
    _raw(f"UPDATE {TABLE} SET sequence = sequence - 1001 WHERE sequence > 1000")
    with pytest.raises(CommandError) as raised:
        call_command("verify-audit")
    assert "entry 3:" in str(raised.value)


def test_verify_audit_detects_an_inserted_entry(clinician_a, centre_a, capsys):
    entries = _fill(clinician_a, centre_a, 5)
    # Make room after entry 2 and put a forged entry there.
    _raw(f"UPDATE {TABLE} SET sequence = sequence + 1000 WHERE sequence > 2")
    _raw(f"UPDATE {TABLE} SET sequence = sequence - 999 WHERE sequence > 1000")
    _raw(
        f"INSERT INTO {TABLE} (sequence, created_at, actor_uuid, actor_username, action, "
        "target_type, target_id, centre_uuid, reason, previous_hash, entry_hash) "
        "VALUES (3, %s, NULL, 'someone', 'case.read', '', NULL, NULL, '', %s, %s)",
        [entries[1].created_at, entries[1].entry_hash, "f" * 64],
    )
    _verify_fails_with("inserted", 3, capsys)


def test_verify_audit_detects_an_entry_added_at_the_end(clinician_a, centre_a, capsys):
    entries = _fill(clinician_a, centre_a, 3)
    _raw(
        f"INSERT INTO {TABLE} (sequence, created_at, actor_uuid, actor_username, action, "
        "target_type, target_id, centre_uuid, reason, previous_hash, entry_hash) "
        "VALUES (4, %s, NULL, 'someone', 'case.read', '', NULL, NULL, '', %s, %s)",
        [entries[-1].created_at, entries[-1].entry_hash, "e" * 64],
    )
    _verify_fails_with("inserted", 4, capsys)


def test_a_chain_made_under_another_audit_key_does_not_verify(
    clinician_a, centre_a, settings, capsys
):
    _fill(clinician_a, centre_a, 2)
    settings.FORESTALL_AUDIT_KEY = "another key entirely"
    _verify_fails_with("changed", 1, capsys)


def test_verify_audit_reports_the_head_as_an_anchor(clinician_a, centre_a, capsys):
    entries = _fill(clinician_a, centre_a, 3)
    call_command("verify-audit")
    assert f"head 3:{entries[-1].entry_hash}" in capsys.readouterr().out


def test_verify_audit_fails_when_the_chain_head_is_gone(clinician_a, centre_a, capsys):
    _fill(clinician_a, centre_a, 3)
    _raw(f"DELETE FROM {AuditChainHead._meta.db_table}")
    _verify_fails_with("missing", 3, capsys)


def test_appends_continue_the_chain_when_the_head_row_was_lost_but_it_stays_reported(
    clinician_a, centre_a, capsys
):
    _fill(clinician_a, centre_a, 2)
    AuditChainHead.objects.all().delete()
    record_event(clinician_a, "case.read", centre_a)
    assert AuditEntry.objects.order_by("-sequence").first().sequence == 3
    with pytest.raises(CommandError) as raised:
        call_command("verify-audit")
    assert "not authenticated" in str(raised.value)


def test_record_event_takes_a_centre_id_as_well_as_a_centre(db):
    centre_id = uuid.uuid4()
    record_event(None, "centre.update", centre=centre_id)
    assert AuditEntry.objects.get().centre_uuid == centre_id


def test_record_event_refuses_something_that_is_not_a_model_instance(db):
    with pytest.raises(TypeError):
        record_event(None, "case.read", "not a model")


def _append_from_threads(user, threads: int, each: int) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def work() -> None:
        try:
            start.wait()
            for _number in range(each):
                record_event(user, "case.read", user)
        except BaseException as error:
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_valid_chain_on_postgresql(capsys):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    from tests.factories import make_user

    user = make_user(None, None, username="busy")
    errors = _append_from_threads(user, threads=8, each=25)
    assert errors == []
    sequences = list(AuditEntry.objects.values_list("sequence", flat=True))
    assert len(sequences) == 200
    assert len(set(sequences)) == 200
    assert sorted(sequences) == list(range(1, 201))
    result = chain.verify()
    assert result.ok, result.first_break
    assert result.entries == 200


_SQLITE_WRITER = """
import os, sys, time, django
django.setup()
from forestall.audit.actions import record_event
while not os.path.exists(sys.argv[3]):  # start together
    time.sleep(0.01)
for number in range(int(sys.argv[1])):
    record_event(None, "case.read", reason=f"writer {sys.argv[2]} entry {number}")
"""


@pytest.mark.django_db(transaction=True)
def test_concurrent_writer_processes_keep_one_valid_chain_on_sqlite(settings, tmp_path):
    """Separate processes on one SQLite file, as the embedded default runs."""
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant")
    import os
    import subprocess
    import sys
    import time

    database = tmp_path / "audit.sqlite3"
    # The flush of a transactional test removed the sealed head that the
    # migration creates; put it back as the migration would.
    from django.utils import timezone

    now = timezone.now()
    AuditChainHead.objects.update_or_create(
        pk=1,
        defaults={
            "sequence": 0,
            "entry_hash": chain.GENESIS_HASH,
            "sealed_at": now,
            "seal": chain.head_seal(0, chain.GENESIS_HASH, chain.canonical_time(now)),
        },
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM INTO %s", [str(database)])
    # The copy is in rollback-journal mode; a deployed file is in WAL mode
    # from its first migration on. Switching needs an exclusive lock that
    # SQLite does not queue for, so three writers starting at once on a
    # fresh copy could fail with "database is locked" before writing at all.
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(database)) as copy:
        assert copy.execute("PRAGMA journal_mode=WAL").fetchone() == ("wal",)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "forestall.settings",
        "FORESTALL_DEBUG": "1",
        "FORESTALL_VAR": str(tmp_path),
        # A generous lock wait: the shared test machine can be very busy.
        "DATABASE_URL": f"sqlite:///{database}?timeout=120",
        "FORESTALL_SECRET_KEY": settings.SECRET_KEY,
        "FORESTALL_KEYS": settings.FORESTALL_KEYS,
        "FORESTALL_PEPPER": settings.FORESTALL_PEPPER,
        "FORESTALL_AUDIT_KEY": settings.FORESTALL_AUDIT_KEY,
    }
    go = tmp_path / "go"
    writers = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", _SQLITE_WRITER, "40", str(number), str(go)],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for number in range(3)
    ]
    time.sleep(1)
    go.touch()
    for writer in writers:
        _out, errors = writer.communicate(timeout=300)
        assert writer.returncode == 0, errors[-2000:]
    check = subprocess.run(
        [sys.executable, "-m", "forestall.cli", "verify-audit"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    assert "audit chain intact: 120 entries" in check.stdout
