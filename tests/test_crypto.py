"""Encryption at rest: nothing readable in the database, nothing movable between rows."""

from __future__ import annotations

import base64
import datetime
import json
import os
import tempfile
import uuid
from pathlib import Path

import pytest
from django.db import connection

from forestall.cases.models import Client
from forestall.inbox.models import Conversation, Mailbox, Message
from forestall.lib import crypto
from forestall.lib.crypto import (
    CryptoError,
    DecryptionError,
    KeyRing,
    KeyRingError,
    UnknownKeyError,
    associated_data,
    encrypted_fields,
    encrypted_models,
    envelope_key_id,
    key_ring,
)

CANARY = "canary-7f3a9c-the-words-nobody-may-read"
CONTACT_CANARY = "canary-phone-0151-2222-9876"


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _mailbox() -> Mailbox:
    return Mailbox.objects.create(
        codename_hash=uuid.uuid4().hex + uuid.uuid4().hex, last_active_on=datetime.date.today()
    )


def _message(body: str) -> Message:
    conversation = Conversation.objects.create(mailbox=_mailbox())
    return Message.objects.create(conversation=conversation, author_kind="seeker", body=body)


def _raw(sql: str, params: list | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall() if cursor.description else []


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _raw_value(model, field: str, pk) -> bytes | None:
    column = connection.ops.quote_name(field)
    value = pk.hex if connection.vendor == "sqlite" else str(pk)
    stored = _raw(f"SELECT {column} FROM {_table(model)} WHERE id = %s", [value])[0][0]  # noqa: S608
    return bytes(stored) if isinstance(stored, memoryview) else stored


def _set_raw_value(model, field: str, pk, envelope: bytes | str) -> None:
    column = connection.ops.quote_name(field)
    value = pk.hex if connection.vendor == "sqlite" else str(pk)
    _raw(f"UPDATE {_table(model)} SET {column} = %s WHERE id = %s", [envelope, value])  # noqa: S608


def _whole_database_as_bytes() -> bytes:
    """Every byte the database holds: the SQLite file, or every PostgreSQL table as text."""
    if connection.vendor == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            copy = Path(directory) / "copy.sqlite3"
            _raw("VACUUM INTO %s", [str(copy)])
            return copy.read_bytes()
    chunks = []
    for table in connection.introspection.table_names():
        quoted = connection.ops.quote_name(table)
        chunks.extend(row[0] for row in _raw(f"SELECT t::text FROM {quoted} t"))  # noqa: S608
    return "\n".join(chunks).encode()


# --- the key ring ------------------------------------------------------------


def test_the_last_key_encrypts_and_every_key_decrypts():
    old, new = _key(), _key()
    ring = KeyRing.parse(f"old:{old}, new:{new}")
    assert ring.current_id == "new"
    envelope = ring.encrypt(b"hello", b"ad")
    assert envelope_key_id(envelope) == "new"
    older = KeyRing.parse(f"old:{old}").encrypt(b"before", b"ad")
    assert ring.decrypt(older, b"ad") == b"before"
    assert ring.decrypt(envelope, b"ad") == b"hello"


def test_the_key_ring_can_be_given_as_json():
    first, second = _key(), _key()
    ring = KeyRing.parse(json.dumps({"2025": first, "2026": second}))
    assert ring.ids == ("2025", "2026")
    assert ring.current_id == "2026"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "FORESTALL_KEYS is empty"),
        ("k1", "must look like id:base64key"),
        ("k1:not base64!", "key 'k1' is not valid base64"),
        (f"k1:{base64.b64encode(b'short').decode()}", "key 'k1' must be 32 bytes"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be an object"),
        ("{}", "holds no keys"),
    ],
)
def test_a_bad_key_ring_is_refused_with_a_clear_message(spec, message):
    with pytest.raises(KeyRingError, match=message):
        KeyRing.parse(spec)


def test_a_key_id_may_appear_only_once():
    key = _key()
    with pytest.raises(KeyRingError, match="'k1' appears twice"):
        KeyRing.parse(f"k1:{key},k1:{_key()}")


def test_key_ring_errors_and_repr_never_show_key_material():
    key = _key()
    ring = KeyRing.parse(f"k1:{key}")
    assert key not in repr(ring)
    assert "k1" in repr(ring)
    for bad in (f"k1:{key[:-4]}", f"k1:{key},k1:{key}", f'{{"k1": "{key}", }}'):
        with pytest.raises(KeyRingError) as raised:
            KeyRing.parse(bad)
        assert key[:20] not in str(raised.value)
        # Nothing chained to the error carries the setting either.
        assert raised.value.__cause__ is None


def test_the_key_ring_check_reports_a_broken_configuration(settings):
    settings.FORESTALL_KEYS = "k1:tooshort"
    errors = crypto.check_key_ring()
    assert [error.id for error in errors] == ["forestall.E001"]
    assert "tooshort" not in errors[0].msg
    settings.FORESTALL_KEYS = f"k1:{_key()}"
    assert crypto.check_key_ring() == []


@pytest.mark.parametrize("position", [-1, -20, 4 + 2 + 3])
def test_a_changed_ciphertext_fails_to_decrypt(position):
    ring = KeyRing.parse(f"k1:{_key()}")
    envelope = bytearray(ring.encrypt(b"hello", b"ad"))
    envelope[position] ^= 1  # in the tag, the ciphertext, the nonce
    with pytest.raises(DecryptionError, match="key id 'k1' failed authentication"):
        ring.decrypt(bytes(envelope), b"ad")


def test_an_envelope_is_version_key_id_nonce_and_ciphertext():
    ring = KeyRing.parse(f"k1:{_key()}")
    envelope = ring.encrypt(b"hello", b"ad")
    assert envelope[:6] == b"fe2\x02k1"
    assert len(envelope) == 6 + 12 + len(b"hello") + 16


def test_a_version_1_text_envelope_still_decrypts_and_converts_without_a_key():
    from forestall.lib.crypto import binary_to_legacy, legacy_to_binary

    ring = KeyRing.parse(f"k1:{_key()}")
    envelope = ring.encrypt(b"written before version 2", b"ad")
    legacy = binary_to_legacy(envelope)
    assert legacy.startswith("fe1:k1:")
    assert base64.b64decode(legacy.split(":", 2)[2]) == envelope[6:]
    assert ring.decrypt(legacy, b"ad") == b"written before version 2"
    assert ring.decrypt(legacy.encode(), b"ad") == b"written before version 2"
    assert legacy_to_binary(legacy) == envelope


def test_the_same_plaintext_never_gives_the_same_ciphertext():
    ring = KeyRing.parse(f"k1:{_key()}")
    assert ring.encrypt(b"same", b"ad") != ring.encrypt(b"same", b"ad")


@pytest.mark.parametrize(
    "envelope",
    [
        "plain text",
        "fe3:k1:AAAA",
        "fe1:k1:***",
        "fe1:k1:AAAA",
        "fe1:k1",
        b"",
        b"fe2",
        b"fe2\x02k1",
        b"fe2\x02k1" + bytes(27),
        b"fe2\x09k1" + bytes(7),
        b"\x00" * 64,
    ],
)
def test_something_that_is_not_an_envelope_gives_a_decryption_error(envelope):
    ring = KeyRing.parse(f"k1:{_key()}")
    with pytest.raises(DecryptionError):
        ring.decrypt(envelope, b"ad")


# --- the fields --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_canary_in_encrypted_fields_is_nowhere_in_the_raw_database():
    message = _message(CANARY)
    client = Client.objects.create(contact_details={"phone": CONTACT_CANARY, "note": CANARY})
    dump = _whole_database_as_bytes()
    # The dump is real: a plain column of the same rows is in it.
    assert message.conversation.mailbox.codename_hash.encode() in dump
    for secret in (CANARY, CONTACT_CANARY):
        assert secret.encode() not in dump
        assert secret.encode("utf-16-le") not in dump
    # ... and both read back through the model.
    assert Message.objects.get(pk=message.pk).body == CANARY
    assert Client.objects.get(pk=client.pk).contact_details == {
        "phone": CONTACT_CANARY,
        "note": CANARY,
    }


def test_the_stored_value_is_a_versioned_envelope_naming_its_key(db):
    message = _message(CANARY)
    stored = _raw_value(Message, "body", message.pk)
    current = key_ring().current_id.encode()
    assert isinstance(stored, bytes)
    assert stored.startswith(b"fe2" + bytes([len(current)]) + current)
    assert CANARY.encode() not in stored


def test_the_column_is_binary(db):
    column = Message._meta.get_field("body")
    assert (
        column.db_type(connection) == {"sqlite": "BLOB", "postgresql": "bytea"}[connection.vendor]
    )


def test_text_with_any_characters_round_trips(db):
    text = "Grüße 👋\n\t\"quotes\" 'and' \\ backslashes \x00 nul"
    message = _message(text)
    assert Message.objects.get(pk=message.pk).body == text


def test_json_values_round_trip_and_none_stays_none(db):
    value = {"phone": "+49 151 0000", "ok_to_call": True, "times": [9, 17], "nested": {"a": None}}
    client = Client.objects.create(contact_details=value)
    assert Client.objects.get(pk=client.pk).contact_details == value
    empty = Client.objects.create(contact_details=None)
    assert Client.objects.get(pk=empty.pk).contact_details is None
    assert _raw_value(Client, "contact_details", empty.pk) is None


def test_a_changed_value_is_encrypted_again_on_save(db):
    message = _message("first")
    before = _raw_value(Message, "body", message.pk)
    message.body = "second"
    message.save()
    after = _raw_value(Message, "body", message.pk)
    assert after != before
    assert Message.objects.get(pk=message.pk).body == "second"


def test_saving_without_reading_keeps_the_stored_envelope(db):
    message = _message("untouched")
    before = _raw_value(Message, "body", message.pk)
    loaded = Message.objects.get(pk=message.pk)
    loaded.save()
    assert _raw_value(Message, "body", message.pk) == before


def test_deferred_encrypted_fields_are_loaded_and_decrypted(db):
    message = _message("deferred")
    assert Message.objects.defer("body").get(pk=message.pk).body == "deferred"


def test_a_ciphertext_moved_to_another_row_fails_to_decrypt(db):
    first, second = _message("first person's words"), _message("second person's words")
    _set_raw_value(Message, "body", second.pk, _raw_value(Message, "body", first.pk))
    moved = Message.objects.get(pk=second.pk)
    with pytest.raises(DecryptionError) as raised:
        _ = moved.body
    text = str(raised.value)
    assert f"inbox.Message.body (row {second.pk})" in text
    assert f"key id '{key_ring().current_id}'" in text
    assert "first person" not in text


def test_swapping_ciphertexts_between_two_rows_breaks_both(db):
    first, second = _message("one"), _message("two")
    first_envelope = _raw_value(Message, "body", first.pk)
    second_envelope = _raw_value(Message, "body", second.pk)
    _set_raw_value(Message, "body", first.pk, second_envelope)
    _set_raw_value(Message, "body", second.pk, first_envelope)
    for message in (first, second):
        with pytest.raises(DecryptionError):
            _ = Message.objects.get(pk=message.pk).body


def test_a_ciphertext_moved_to_another_field_fails_to_decrypt(db):
    message = _message('{"phone": "0151 000"}')
    client = Client.objects.create(contact_details={"phone": "0170 111"})
    _set_raw_value(Client, "contact_details", client.pk, _raw_value(Message, "body", message.pk))
    with pytest.raises(DecryptionError, match=r"cases\.Client\.contact_details"):
        _ = Client.objects.get(pk=client.pk).contact_details


def test_the_same_row_id_in_another_field_gets_different_associated_data():
    row = uuid.uuid4()
    assert associated_data(Message, "body", row) != associated_data(Client, "body", row)
    assert associated_data(Message, "body", row) != associated_data(Message, "other", row)


def test_an_unknown_key_id_names_the_key_and_the_row_but_not_the_content(db, settings):
    settings.FORESTALL_KEYS = f"retired:{_key()}"
    message = _message("written under a retired key")
    settings.FORESTALL_KEYS = f"k9:{_key()}"
    assert Message.objects.get(pk=message.pk).pk == message.pk  # loading alone never decrypts
    loaded = Message.objects.get(pk=message.pk)
    with pytest.raises(UnknownKeyError) as raised:
        _ = loaded.body
    text = str(raised.value)
    assert "key id 'retired' is not in the key ring" in text
    assert f"inbox.Message.body (row {message.pk})" in text
    assert "written under" not in text


def test_a_wrong_key_with_the_right_id_fails_without_showing_the_key(db, settings):
    settings.FORESTALL_KEYS = f"k1:{_key()}"
    message = _message("secret")
    wrong = _key()
    settings.FORESTALL_KEYS = f"k1:{wrong}"
    with pytest.raises(DecryptionError) as raised:
        _ = Message.objects.get(pk=message.pk).body
    assert wrong not in str(raised.value)
    assert "secret" not in str(raised.value)


def test_encrypted_fields_cannot_be_filtered_or_updated_with_plaintext(db):
    _message("findable?")
    with pytest.raises(CryptoError, match="encrypted"):
        list(Message.objects.filter(body="findable?"))
    with pytest.raises(CryptoError, match="encrypted"):
        Message.objects.update(body="overwritten")


def test_a_model_without_a_primary_key_cannot_save_an_encrypted_value(db):
    message = Message(author_kind="seeker", body="x")
    message.pk = None
    with pytest.raises(CryptoError, match="primary key"):
        Message.body.field.pre_save(message, add=True)


def test_the_encrypted_models_are_found_for_rotation():
    found = {model._meta.label: [f.name for f in fields] for model, fields in encrypted_models()}
    assert found["inbox.Message"] == ["body"]
    assert found["cases.Client"] == ["contact_details"]
    assert [f.name for f in encrypted_fields(Mailbox)] == []


@pytest.mark.django_db
def test_a_row_created_with_its_id_as_text_reads_back_after_loading():
    import uuid

    from forestall.inbox.models import Message

    message = _message("text id")
    text_id = str(uuid.uuid4())
    copy = Message(
        pk=text_id,
        conversation_id=message.conversation_id,
        author_kind=message.author_kind,
        body="bound to the same row either way",
    )
    copy.save()
    assert Message.objects.get(pk=text_id).body == "bound to the same row either way"


@pytest.mark.django_db
def test_reads_through_the_fast_path_and_the_careful_path_agree(settings):
    """The first read of a model goes the careful way, later ones the flat way."""
    messages = [_message(f"number {n} ✓") for n in range(5)]
    descriptor = Message.__dict__["body"]
    descriptor._rows.clear()
    loaded = list(Message.objects.filter(pk__in=[m.pk for m in messages]).order_by("body"))
    assert sorted(m.body for m in loaded) == [f"number {n} ✓" for n in range(5)]
    assert Message in descriptor._rows
    # A ciphertext moved in after the fast path is warm still fails, with its name.
    first, second = messages[0], messages[1]
    _set_raw_value(Message, "body", second.pk, _raw_value(Message, "body", first.pk))
    with pytest.raises(DecryptionError, match=rf"inbox\.Message\.body \(row {second.pk}\)"):
        _ = Message.objects.get(pk=second.pk).body


@pytest.mark.django_db
def test_an_empty_stored_value_reads_as_empty(settings):
    message = _message("soon empty")
    client = Client.objects.create(contact_details={"a": 1})
    Message.objects.filter(pk=message.pk).update(body="")
    Client.objects.filter(pk=client.pk).update(contact_details="")
    assert _raw_value(Message, "body", message.pk) == b""
    assert Message.objects.get(pk=message.pk).body == ""
    assert Client.objects.get(pk=client.pk).contact_details is None


@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_version_1_text_envelopes_into_version_2_bytes():
    """Rows written before version 2 (base64 text) are converted without any key."""
    from django.apps import apps
    from django.db.migrations.executor import MigrationExecutor

    from forestall.lib.crypto import binary_to_legacy
    from forestall.lib.crypto_migration import binary_envelopes

    message = _message("from the old days")
    client = Client.objects.create(contact_details={"phone": "0151 old"})
    empty = _message("x")
    current = {
        (Message, "body", message.pk): _raw_value(Message, "body", message.pk),
        (Client, "contact_details", client.pk): _raw_value(Client, "contact_details", client.pk),
    }
    executor = MigrationExecutor(connection)
    with connection.schema_editor() as editor:
        # Back to version 1: text envelopes (and text columns on PostgreSQL) ...
        for app in ("inbox", "cases"):
            binary_envelopes(app).reverse_code(apps, editor)
        _set_raw_value(Message, "body", empty.pk, "")
    for (model, field, pk), envelope in current.items():
        assert _raw_value(model, field, pk) == binary_to_legacy(envelope)
    with connection.schema_editor() as editor:
        # ... and forward again: the same version 2 bytes as before.
        for app in ("inbox", "cases"):
            binary_envelopes(app).code(apps, editor)
    for (model, field, pk), envelope in current.items():
        assert _raw_value(model, field, pk) == envelope
    assert _raw_value(Message, "body", empty.pk) == b""
    assert Message.objects.get(pk=message.pk).body == "from the old days"
    assert Client.objects.get(pk=client.pk).contact_details == {"phone": "0151 old"}
    assert Message.objects.get(pk=empty.pk).body == ""
    assert executor.loader.graph  # the migration files load


def test_plaintext_given_as_bytes_is_never_stored_unencrypted(db):
    message = _message("words")
    from django.db import transaction

    message.body = b"plaintext as bytes"
    with pytest.raises(CryptoError, match="must be an envelope"), transaction.atomic():
        message.save()
    with pytest.raises(CryptoError, match="must be an envelope"), transaction.atomic():
        Message.objects.filter(pk=message.pk).update(body=b"plaintext as bytes")
    assert b"plaintext" not in _raw_value(Message, "body", message.pk)
