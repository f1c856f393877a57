"""Migrating stored envelopes from version 1 (base64 text) to version 2 (bytes).

Version 2 holds the same key id, nonce, ciphertext and associated data as
version 1, only as raw bytes in a binary column, so the conversion needs no
key: it never decrypts anything. Each app with encrypted fields has one
migration that calls ``binary_envelopes(app_label)``:

* PostgreSQL: an encrypted column that is still ``text`` becomes ``bytea``.
  (A database created after this change already has ``bytea``; SQLite stores
  bytes in any column, and a new SQLite database declares ``BLOB``.)
* Every stored version 1 envelope is rewritten as version 2, in batches by
  primary key. An empty text value becomes an empty binary value.

Reversing converts back to text envelopes (and ``text`` columns on PostgreSQL).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from forestall.lib.crypto import _EncryptedMixin, binary_to_legacy, legacy_to_binary

_BATCH = 1000


def _columns(apps: StateApps, app_label: str) -> Iterator[tuple[str, str, list[str]]]:
    """(table, primary-key column, encrypted columns) of every model of the app."""
    for model in apps.get_app_config(app_label).get_models():
        meta = model._meta
        columns = [
            str(field.column)
            for field in meta.concrete_fields
            if isinstance(field, _EncryptedMixin)
        ]
        if columns and meta.managed and not meta.proxy and meta.pk is not None:
            yield meta.db_table, str(meta.pk.column), columns


def _column_type(schema_editor: BaseDatabaseSchemaEditor, table: str, column: str) -> str:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s AND column_name = %s",
            [table, column],
        )
        row = cursor.fetchone()
    return row[0] if row else ""


def _rewrite(
    schema_editor: BaseDatabaseSchemaEditor,
    table: str,
    pk_column: str,
    column: str,
    convert: Callable[[Any], Any],
) -> None:
    """Apply ``convert`` to every non-null value of one column, in primary-key batches."""
    quote = schema_editor.connection.ops.quote_name
    pk, value_column, name = quote(pk_column), quote(column), quote(table)
    select = f"SELECT {pk}, {value_column} FROM {name} WHERE {value_column} IS NOT NULL"  # noqa: S608
    update = f"UPDATE {name} SET {value_column} = %s WHERE {pk} = %s"  # noqa: S608
    last: list[Any] = []
    with schema_editor.connection.cursor() as cursor:
        while True:
            after = f" AND {pk} > %s" if last else ""
            cursor.execute(f"{select}{after} ORDER BY {pk} LIMIT {_BATCH}", last)
            rows = cursor.fetchall()
            if not rows:
                return
            changes = []
            for row_pk, value in rows:
                converted = convert(value)
                if converted is not None:
                    changes.append((converted, row_pk))
            if changes:
                cursor.executemany(update, changes)
            last = [rows[-1][0]]


def _to_binary(value: str | bytes) -> bytes | None:
    """Version 1 (text, or its bytes after PostgreSQL's ALTER) as version 2; None: as it is."""
    if value == "":
        return b""
    if isinstance(value, str) or value.startswith(b"fe1:"):
        return legacy_to_binary(value)
    return None  # already version 2 (or empty)


def _to_text(value: str | bytes) -> str | None:
    """Version 2 as version 1 text; None: as it is."""
    if isinstance(value, str):
        return None
    return binary_to_legacy(value) if value else ""


def _forward(app_label: str) -> Callable[[StateApps, BaseDatabaseSchemaEditor], None]:
    def forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        quote = schema_editor.connection.ops.quote_name
        tables = list(_columns(apps, app_label))
        if schema_editor.connection.vendor == "postgresql":
            # Every ALTER before any UPDATE: PostgreSQL refuses to alter a table
            # with deferred constraint checks pending from this transaction.
            for table, _pk_column, columns in tables:
                for column in columns:
                    if _column_type(schema_editor, table, column) == "text":
                        schema_editor.execute(
                            f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(column)} "
                            f"TYPE bytea USING convert_to({quote(column)}, 'UTF8')"
                        )
        for table, pk_column, columns in tables:
            for column in columns:
                _rewrite(schema_editor, table, pk_column, column, _to_binary)

    return forward


def _backward(app_label: str) -> Callable[[StateApps, BaseDatabaseSchemaEditor], None]:
    def backward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        quote = schema_editor.connection.ops.quote_name
        tables = list(_columns(apps, app_label))
        postgres = schema_editor.connection.vendor == "postgresql"
        if postgres:
            # bytea → text as base64 of the bytes; the rewrite then makes envelopes of it.
            for table, _pk_column, columns in tables:
                for column in columns:
                    schema_editor.execute(
                        f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(column)} "
                        f"TYPE text USING encode({quote(column)}, 'base64')"
                    )
        convert = _base64_text_to_legacy if postgres else _to_text
        for table, pk_column, columns in tables:
            for column in columns:
                _rewrite(schema_editor, table, pk_column, column, convert)

    return backward


def _base64_text_to_legacy(value: str) -> str | None:
    return _to_text(base64.b64decode(value))


def binary_envelopes(app_label: str) -> migrations.RunPython:
    """The migration operation converting one app's stored envelopes to version 2."""
    return migrations.RunPython(_forward(app_label), _backward(app_label), elidable=False)
