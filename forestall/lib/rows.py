"""Plain rows from a hand-written query, each column converted as the ORM would.

For the few reads that every request of a page makes (the signed-in mailbox,
say): building a query through the ORM costs several times running it on
SQLite, and model instances cost more again. A hand-written query is fast,
but its columns arrive as the driver gives them — UUIDs as hex text and
datetimes as strings on SQLite. ``fetch`` runs the query and converts each
column with the converters the ORM itself applies for the model field named
for it, so the values are what ``values_list`` would give, on every backend.

Encrypted fields (``forestall.lib.crypto``) arrive as their envelope, as
they do from ``values_list``: open them with the field and the row's key.
Only for our own SQL with our own table and column names; every value goes
in as a parameter. ``forestall.lib.prepared`` (fixed one-table lookups that
the ORM compiles once) converts its rows with the same ``convert``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, Model

_Converter = Callable[[Any, Any, Any], Any]
# Column position → (converter functions, the column expression): the shape of
# the ORM compiler's ``get_converters().items()``.
Converters = list[tuple[int, tuple[list[_Converter], Any]]]


def fetch(sql: str, params: Sequence[Any], fields: Sequence[Field]) -> list[list[Any]]:
    """The rows of ``sql``; column ``i`` converted as ``fields[i]`` is by the ORM."""
    converters: Converters = []
    for index, field in enumerate(fields):
        # As the ORM's compiler does: the backend's converters for the
        # column, then the field's (a foreign key converts as its target).
        # (``get_col``, not ``cached_col``: only the former types a foreign
        # key's column as its target, a UUID key for instance).
        column = field.get_col(field.model._meta.db_table)
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            converters.append((index, (found, column)))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return convert(cursor.fetchall(), converters, connection)


def convert(
    fetched: Iterable[Sequence[Any]], converters: Converters, using: Any
) -> list[list[Any]]:
    """Rows as the driver gave them, each column run through its converters.

    ``using`` is the connection the rows came from (converters take it).
    Shared by ``fetch`` and ``forestall.lib.prepared``.
    """
    rows = [list(row) for row in fetched]
    if converters:
        for row in rows:
            for position, (functions, expression) in converters:
                value = row[position]
                for function in functions:
                    value = function(value, expression, using)
                row[position] = value
    return rows


def fields(model: type[Model], *names: str) -> list[Field]:
    """The concrete fields of ``model`` called ``names``, for ``fetch``."""
    found = []
    for name in names:
        field = model._meta.get_field(name)
        if not isinstance(field, Field):
            raise TypeError(f"{model._meta.label}.{name} is a relation, not a column")
        found.append(field)
    return found


def prepared(field: Field, value: Any) -> Any:
    """``value`` as a query parameter for a column of ``field`` (a UUID key, say)."""
    return field.get_db_prep_value(value, connection)
