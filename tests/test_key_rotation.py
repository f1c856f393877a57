"""``forestall rotate-keys``: everything moves to the newest key, and the old key can go."""

from __future__ import annotations

import base64
import datetime
import io
import os
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from forestall.cases.models import Client
from forestall.inbox.models import Conversation, Mailbox, Message
from forestall.lib.crypto import DecryptionError, UnknownKeyError, envelope_key_id, key_ring

OLD = base64.b64encode(os.urandom(32)).decode()
NEW = base64.b64encode(os.urandom(32)).decode()


def _messages(count: int) -> list[Message]:
    mailbox = Mailbox.objects.create(
        codename_hash=uuid.uuid4().hex * 2, last_active_on=datetime.date.today()
    )
    conversation = Conversation.objects.create(mailbox=mailbox)
    return [
        Message.objects.create(conversation=conversation, author_kind="seeker", body=f"words {n}")
        for n in range(count)
    ]


def _key_ids(model, field: str) -> list[str]:
    return [
        envelope_key_id(value)
        for value in model.objects.values_list(field, flat=True)
        if value is not None
    ]


def _rotate(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("rotate-keys", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def old_data(db, settings):
    """Seven messages and three clients (one without contact details) under key "old"."""
    settings.FORESTALL_KEYS = f"old:{OLD}"
    messages = _messages(7)
    clients = [
        Client.objects.create(contact_details={"phone": "0151 1"}),
        Client.objects.create(contact_details={"phone": "0151 2"}),
        Client.objects.create(contact_details=None),
    ]
    settings.FORESTALL_KEYS = f"old:{OLD},new:{NEW}"
    return messages, clients


def test_rotation_re_encrypts_everything_under_the_newest_key(old_data, settings):
    out, _err = _rotate("--batch-size", "3")
    assert set(_key_ids(Message, "body")) == {"new"}
    assert set(_key_ids(Client, "contact_details")) == {"new"}
    assert "Newest key: new" in out
    assert "inbox.Message: re-encrypted 7 of 7 rows" in out
    assert "cases.Client: re-encrypted 2 of 3 rows" in out


def test_after_rotation_the_old_key_can_be_removed_and_everything_still_reads(old_data, settings):
    messages, clients = old_data
    _rotate()
    settings.FORESTALL_KEYS = f"new:{NEW}"
    from forestall.lib import crypto

    crypto._parse_cached.cache_clear()
    assert key_ring().ids == ("new",)
    assert [Message.objects.get(pk=m.pk).body for m in messages] == [f"words {n}" for n in range(7)]
    assert [Client.objects.get(pk=c.pk).contact_details for c in clients] == [
        {"phone": "0151 1"},
        {"phone": "0151 2"},
        None,
    ]


def test_without_rotation_removing_the_old_key_loses_access(old_data, settings):
    messages, _clients = old_data
    settings.FORESTALL_KEYS = f"new:{NEW}"
    with pytest.raises(UnknownKeyError, match="key id 'old'"):
        _ = Message.objects.get(pk=messages[0].pk).body


def test_a_dry_run_counts_and_changes_nothing(old_data):
    out, _err = _rotate("--dry-run")
    assert "inbox.Message: would re-encrypt 7 of 7 rows" in out
    assert "cases.Client: would re-encrypt 2 of 3 rows" in out
    assert set(_key_ids(Message, "body")) == {"old"}


def test_rows_already_under_the_newest_key_are_skipped(old_data):
    messages, _clients = old_data
    messages[0].body = "rewritten today"
    messages[0].save()
    # The database tells the rows apart by their envelopes' first bytes.
    out, _err = _rotate("--dry-run")
    assert "inbox.Message: would re-encrypt 6 of 7 rows" in out
    out, _err = _rotate()
    assert "inbox.Message: re-encrypted 6 of 7 rows" in out
    out, _err = _rotate("--dry-run")
    assert "inbox.Message: would re-encrypt 0 of 7 rows" in out
    assert "cases.Client: would re-encrypt 0 of 3 rows" in out
    out, _err = _rotate()
    assert "Total: re-encrypted 0 rows." in out


def test_an_interrupted_rotation_continues_where_it_stopped(old_data, monkeypatch):
    from forestall.lib.crypto import _EncryptedMixin

    original = _EncryptedMixin.reseal
    calls = {"n": 0}

    def flaky(self, model, pk, envelope):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        return original(self, model, pk, envelope)

    monkeypatch.setattr(_EncryptedMixin, "reseal", flaky)
    with pytest.raises(KeyboardInterrupt):
        _rotate("--batch-size", "2")
    # Two whole batches committed; the third rolled back with the interruption.
    assert sorted(_key_ids(Message, "body")) == ["new"] * 4 + ["old"] * 3
    monkeypatch.setattr(_EncryptedMixin, "reseal", original)
    out, _err = _rotate("--batch-size", "2")
    assert "inbox.Message: re-encrypted 3 of 7 rows" in out
    assert set(_key_ids(Message, "body")) == {"new"}


def test_the_progress_bar_goes_to_stderr(old_data):
    out, err = _rotate("--batch-size", "2")
    assert "inbox.Message" in err
    assert "[" + "#" * 30 + "] 7/7" in err
    assert "#" not in out


def test_a_row_that_cannot_be_decrypted_stops_rotation_with_its_name(old_data, settings):
    messages, _clients = old_data
    from tests.test_crypto import _raw_value, _set_raw_value

    _set_raw_value(Message, "body", messages[2].pk, _raw_value(Message, "body", messages[1].pk))
    with pytest.raises(CommandError) as raised:
        _rotate()
    assert f"inbox.Message.body (row {messages[2].pk})" in str(raised.value)
    assert "words" not in str(raised.value)


def test_a_moved_ciphertext_still_fails_after_rotation(old_data):
    messages, _clients = old_data
    _rotate()
    from tests.test_crypto import _raw_value, _set_raw_value

    _set_raw_value(Message, "body", messages[0].pk, _raw_value(Message, "body", messages[1].pk))
    with pytest.raises(DecryptionError):
        _ = Message.objects.get(pk=messages[0].pk).body


def test_a_version_1_envelope_left_in_the_database_is_rotated_to_version_2(old_data):
    """Say a restored backup brings back a row the migration never converted."""
    from django.db import connection

    from forestall.lib.crypto import binary_to_legacy

    messages, _clients = old_data
    table = connection.ops.quote_name(Message._meta.db_table)
    pk = messages[0].pk.hex if connection.vendor == "sqlite" else str(messages[0].pk)
    envelope = Message.objects.filter(pk=messages[0].pk).values_list("body", flat=True).get()
    legacy = binary_to_legacy(bytes(envelope)).encode()
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET body = %s WHERE id = %s", [legacy, pk])  # noqa: S608
    assert Message.objects.get(pk=messages[0].pk).body == "words 0"
    out, _err = _rotate()
    assert "inbox.Message: re-encrypted 7 of 7 rows" in out
    stored = Message.objects.filter(pk=messages[0].pk).values_list("body", flat=True).get()
    assert bytes(stored).startswith(b"fe2\x03new")
    assert Message.objects.get(pk=messages[0].pk).body == "words 0"
