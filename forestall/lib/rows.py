"""Plain rows from a hand-written query, each column converted as the ORM would.

For the few reads that every request of a page makes (the signed-in mailbox,
say): building a query through the ORM costs several times running it on
SQLite, and model instances cost more again. A hand-written query is fast,
but its columns arrive as the driver gives them — UUIDs as hex text and
datetimes as strings on SQLite. A ``Statement`` runs the query and converts
each column with the converters the ORM itself applies for the model field
named for it, so the values are what ``values_list`` would give, on every
backend; the statement's text and its converters are worked out once per
database connection.

Encrypted fields (``forestall.lib.crypto``) arrive as their envelope, as
they do from ``values_list``: open them with the field and the row's key.
Only for our own SQL with our own table and column names; every value goes
in as a parameter. ``forestall.lib.prepared`` (queries the ORM compiles
once) converts its rows with the same ``convert``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Field, Model

_Converter = Callable[[Any, Any, Any], Any]
# Column position → (converter functions, the column expression): the shape of
# the ORM compiler's ``get_converters().items()``.
Converters = list[tuple[int, tuple[list[_Converter], Any]]]


def _converters(fields: Sequence[Field], using: Any) -> Converters:
    converters: Converters = []
    for index, field in enumerate(fields):
        # As the ORM's compiler does: the backend's converters for the
        # column, then the field's (a foreign key converts as its target).
        # (``get_col``, not ``cached_col``: only the former types a foreign
        # key's column as its target, a UUID key for instance).
        column = field.get_col(field.model._meta.db_table)
        found = using.ops.get_db_converters(column) + column.get_db_converters(using)
        if found:
            converters.append((index, (found, column)))
    return converters


_STORE = "_forestall_compiled"


def compiled_for(connection: Any, owner: object) -> dict[Any, Any]:
    """What ``owner`` worked out for ``connection``: a dictionary kept on the connection itself.

    Compiled statements hold the connection's converters, and those hold the
    connection (``connection.ops``). Kept in a dictionary outside the
    connection (a ``WeakKeyDictionary`` keyed by it, as before), each entry
    kept its own key alive: every connection a thread ever opened stayed
    open after the thread ended, with its SQLite file and write-ahead log
    (a server that starts a thread per request, like the demo's, ran out of
    file descriptors after about 10,000 requests). Kept on the connection,
    the entry and the connection form one cycle, which the garbage collector
    frees together when the connection is no longer used.
    """
    store: dict[object, dict[Any, Any]] | None = connection.__dict__.get(_STORE)
    if store is None:
        store = connection.__dict__[_STORE] = {}
    found = store.get(owner)
    if found is None:
        found = store[owner] = {}
    return found


class Statement:
    """A hand-written query that every request of a page runs, worked out once.

    ``sql`` writes the statement for a connection (quoting names with its
    ``ops.quote_name``) and ``fields`` names the model field of each column;
    both are asked once per database connection (one per thread), with the
    converters, instead of on every call: on the signed-in mailbox, building
    the statements and the converters of its three reads cost more than
    running them.
    """

    def __init__(self, sql: Callable[[Any], str], fields: Callable[[], Sequence[Field]]) -> None:
        self._sql = sql
        self._fields = fields

    @functools.cached_property
    def fields(self) -> list[Field]:
        return list(self._fields())

    def rows(self, params: Sequence[Any]) -> list[list[Any]]:
        """The rows for ``params``; column ``i`` converted as ``fields[i]`` is by the ORM."""
        using = connections[DEFAULT_DB_ALIAS]
        # Per connection object: the converters are bound to the connection
        # they were made for (see ``compiled_for``).
        mine = compiled_for(using, self)
        compiled = mine.get(None)
        if compiled is None:
            compiled = mine[None] = (self._sql(using), _converters(self.fields, using))
        sql, converters = compiled
        with using.cursor() as cursor:
            cursor.execute(sql, params)
            return convert(cursor.fetchall(), converters, using)


def convert(
    fetched: Iterable[Sequence[Any]], converters: Converters, using: Any
) -> list[list[Any]]:
    """Rows as the driver gave them, each column run through its converters.

    ``using`` is the connection the rows came from (converters take it).
    Shared by ``Statement`` and ``forestall.lib.prepared``.
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
    """The concrete fields of ``model`` called ``names``, for a ``Statement``."""
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
