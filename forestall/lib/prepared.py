"""Lookups that every staff request makes, compiled once instead of on every call.

Each staff request reads its user, its second-factor device, the user's roles
and live glass-break grants by a column or two. SQLite answers each in a few
microseconds; building the same query through the ORM costs 200 to 350 µs of
CPU every time (the query tree, the compiler, the converters) — together
about a quarter of a staff page with little on it.

A ``PreparedLookup`` is one of those fixed queries: ``SELECT <columns> FROM
<table> WHERE <column> <op> %s [AND …]``. The select list and the converters
for the returned values come from the ORM's own compiler, once per database
connection alias; each call then only prepares its values with the model
fields (exactly as the ORM does), runs the statement, and converts the rows
with the ORM's converters. Only ``exact`` and ``gt`` conditions are offered:
enough for these lookups, and nothing to get wrong.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.apps import apps
from django.db import connections, models, router

from forestall.lib.rows import Converters, convert

M = TypeVar("M", bound=models.Model)

_OPERATORS = {"exact": "=", "gt": ">"}


@dataclass(frozen=True)
class _Compiled:
    sql: str
    converters: Converters
    attnames: list[str]
    where_fields: list[models.Field]


class PreparedLookup(Generic[M]):
    """``model`` rows (or some of their columns) matching fixed conditions, compiled once.

    ``where`` names each condition as ``"field"`` (equal) or ``"field__gt"``;
    the values are given to ``instances()`` or ``rows()`` in the same order.
    ``fields`` limits the columns (for ``rows()``); without it, every
    concrete field is selected and ``instances()`` returns model instances.
    """

    def __init__(self, model: type[M] | str, *, where: Sequence[str], fields: Sequence[str] = ()):
        # A label ("accounts.User") is resolved on first use, so that a module
        # may define its lookups before the apps are loaded.
        self._model = model
        self.where = tuple(where)
        self.fields = tuple(fields)
        # Per connection object (one per thread and alias): the converters are
        # bound to the connection they were made for.
        self._compiled: weakref.WeakKeyDictionary[Any, _Compiled] = weakref.WeakKeyDictionary()

    @property
    def model(self) -> type[M]:
        if isinstance(self._model, str):
            self._model = apps.get_model(self._model)  # type: ignore[assignment]
        return self._model  # type: ignore[return-value]

    def _compile(self, connection: Any) -> _Compiled:
        compiled = self._compiled.get(connection)
        if compiled is not None:
            return compiled
        using = connection.alias
        queryset = self.model._default_manager.using(using).order_by()
        if self.fields:
            queryset = queryset.values_list(*self.fields)
        compiler = queryset.query.get_compiler(connection=connection)
        select_sql, params = compiler.as_sql()
        if params:
            raise ValueError("a prepared lookup's base query takes no parameters")
        quote = connection.ops.quote_name
        table = quote(self.model._meta.db_table)
        conditions = []
        where_fields = []
        for condition in self.where:
            name, _separator, lookup = condition.partition("__")
            field = self.model._meta.get_field(name)
            if not isinstance(field, models.Field) or not field.concrete:
                raise ValueError(f"{condition}: not a column of {self.model.__name__}")
            operator = _OPERATORS[lookup or "exact"]
            conditions.append(f"{table}.{quote(field.column)} {operator} %s")
            where_fields.append(field)
        sql = f"{select_sql} WHERE {' AND '.join(conditions)}"
        selected = [column for column, _sql, _alias in compiler.select]
        compiled = _Compiled(
            sql=sql,
            converters=list(compiler.get_converters(selected).items()),
            attnames=[column.target.attname for column in selected],
            where_fields=where_fields,
        )
        self._compiled[connection] = compiled
        return compiled

    def rows(self, *values: Any, using: str | None = None) -> list[list[Any]]:
        """The matching rows, each a list of the selected columns' Python values."""
        connection = connections[using or router.db_for_read(self.model)]
        compiled = self._compile(connection)
        params = [
            field.get_db_prep_value(value, connection, prepared=False)
            for field, value in zip(compiled.where_fields, values, strict=True)
        ]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            fetched = cursor.fetchall()
        return convert(fetched, compiled.converters, connection)

    def instances(self, *values: Any, using: str | None = None) -> list[M]:
        """The matching rows as model instances (as the ORM would build them)."""
        if self.fields:
            raise TypeError("instances() needs every column: make the lookup without fields")
        using = using or router.db_for_read(self.model)
        attnames = self._compile(connections[using]).attnames
        return [self.model.from_db(using, attnames, row) for row in self.rows(*values, using=using)]
