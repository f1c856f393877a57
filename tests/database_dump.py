"""The whole database as text, for privacy tests ("this string is stored nowhere")."""

from __future__ import annotations

from django.db import connection


def database_rows_text() -> str:
    """Every row of every table as text (PostgreSQL: ``SELECT t::text``)."""
    connection.ensure_connection()
    parts: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            quoted = connection.ops.quote_name(table)
            if connection.vendor == "postgresql":
                cursor.execute(f"SELECT t::text FROM {quoted} AS t")  # noqa: S608 - table names from introspection
            else:
                cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - table names from introspection
            for row in cursor.fetchall():
                parts.append(" | ".join(str(value) for value in row))
    return "\n".join(parts)


def raw_database_text() -> str:
    """Everything the database holds, as text.

    Every row of every table; on SQLite also the raw bytes of the whole
    database file (free pages included, so deleted rows would still show).
    """
    parts = [database_rows_text()]
    if connection.vendor == "sqlite":
        raw = connection.connection.serialize()
        parts.append(raw.decode("utf-8", errors="replace"))
        parts.append(raw.decode("latin-1"))
    return "\n".join(parts)
