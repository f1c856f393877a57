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

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.apps import apps
from django.core.exceptions import EmptyResultSet
from django.db import connections, models, router
from django.db.models import Expression
from django.db.models.query import (
    FlatValuesListIterable,
    ModelIterable,
    ValuesListIterable,
    get_related_populators,
)

from forestall.lib.rows import Converters, compiled_for, convert

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
        # Per connection object (one per thread and alias), kept on the
        # connection (``forestall.lib.rows.compiled_for``): the converters are
        # bound to the connection they were made for.

    @property
    def model(self) -> type[M]:
        if isinstance(self._model, str):
            self._model = apps.get_model(self._model)  # type: ignore[assignment]
        return self._model  # type: ignore[return-value]

    def _compile(self, connection: Any) -> _Compiled:
        mine = compiled_for(connection, self)
        compiled = mine.get(None)
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
        mine[None] = compiled
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


# --- Whole querysets, compiled once -------------------------------------------


class _Slot:
    """Where a parameter's value goes in a compiled statement's parameter list."""

    __slots__ = ("index", "name")

    def __init__(self, name: str, index: int | None) -> None:
        self.name, self.index = name, index


class Param(Expression):
    """A value given when a ``PreparedQuery`` runs; compiled as one ``%s``."""

    def __init__(self, name: str, index: int | None, field: models.Field) -> None:
        super().__init__(output_field=field)
        self.name, self.index = name, index

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        return "%s", [_Slot(self.name, self.index)]

    def __repr__(self) -> str:
        return f"Param({self.name!r}, {self.index!r})"


class ParamList(Expression):
    """A list of values given when a ``PreparedQuery`` runs, for ``__in``: ``(%s, …)``.

    Compiled for a given length (a ``PreparedQuery`` compiles once per
    length); an empty list matches nothing, as ``pk__in=[]`` does.
    ``len()`` and truth tell the length, so ``build`` can leave out a
    condition for an empty list.
    """

    def __init__(self, name: str, count: int, field: models.Field) -> None:
        super().__init__(output_field=field)
        self.name, self.count = name, count

    def __len__(self) -> int:
        return self.count

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        if not self.count:
            raise EmptyResultSet
        return ", ".join(["%s"] * self.count), [
            _Slot(self.name, index) for index in range(self.count)
        ]

    def __repr__(self) -> str:
        return f"ParamList({self.name!r}, {self.count})"


class _Placeholders:
    """What a ``PreparedQuery``'s ``build`` is given: one ``Param`` (or a list) per name."""

    def __init__(self, values: dict[str, Param | ParamList]) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"no parameter {name!r} was declared for this prepared query")


@dataclass(frozen=True)
class _CompiledQuery:
    sql: str
    params: list[Any]  # literal values and _Slots
    converters: Converters
    model: type[models.Model] | None  # None: rows as tuples (values_list)
    flat: bool
    init_list: list[str]
    model_fields: slice
    related_populators: list[Any]
    annotation_col_map: dict[str, int]
    col_count: int


_NOTHING = _CompiledQuery(
    sql="",
    params=[],
    converters=[],
    model=None,
    flat=False,
    init_list=[],
    model_fields=slice(0),
    related_populators=[],
    annotation_col_map={},
    col_count=0,
)


class PreparedQuery(Generic[M]):
    """A queryset whose shape is fixed and only its values change: compiled once.

    ``build(p)`` returns the queryset, with ``p.<name>`` wherever a value
    given at run time goes (``Note.objects.filter(case_id=p.case)``);
    ``params`` declares each name's model field (how its values are
    prepared for the database), or a one-field list for a list of values
    (``pk__in=p.centres``; a condition that only applies to a non-empty list
    may test ``if p.granted:`` in ``build``). The queryset is compiled
    once per database connection and per length of each list; each call then
    prepares the values, runs the statement, and builds the rows as the ORM
    would: model instances (with ``select_related`` objects and annotations)
    or, for ``values_list``, tuples (or values, ``flat=True``).

    Slicing, ordering and joins are part of the compiled shape. What the ORM
    would also do on iteration but a prepared query does not: attaching
    objects known to a related manager, prefetching, ``values()`` dicts,
    ``distinct`` or combined queries (these raise when compiled).

    ``PreparedPages`` leaves the slice to each call instead.
    """

    # Whether each call reads one page (``PreparedPages``).
    paged = False

    def __init__(
        self,
        build: Callable[[Any], models.QuerySet[Any]],
        **params: models.Field | list[models.Field],
    ) -> None:
        if {"limit", "offset"} & set(params):
            raise ValueError("limit and offset are a paged query's own values, not parameters")
        self.build = build
        self.params = params

    def _shape(self, values: dict[str, Any]) -> tuple[int, ...]:
        if set(values) != set(self.params):
            raise TypeError(f"give exactly these values: {', '.join(sorted(self.params))}")
        return tuple(
            len(values[name]) if isinstance(field, list) else -1
            for name, field in sorted(self.params.items())
        )

    def _queryset(self, connection: Any, values: dict[str, Any]) -> models.QuerySet[Any]:
        placeholders: dict[str, Param | ParamList] = {}
        for name, field in self.params.items():
            if isinstance(field, list):
                placeholders[name] = ParamList(name, len(values[name]), field[0])
            else:
                placeholders[name] = Param(name, None, field)
        queryset = self.build(_Placeholders(placeholders)).using(connection.alias)
        query = queryset.query
        if query.combinator or query.distinct or queryset._prefetch_related_lookups:  # type: ignore[attr-defined]
            raise ValueError("a prepared query cannot be distinct, combined or prefetched")
        if queryset._known_related_objects:  # type: ignore[attr-defined]
            raise ValueError("build a prepared query from a model's manager, not a relation")
        if self.paged and query.is_sliced:
            raise ValueError("a paged prepared query is sliced by each call, not by build")
        return queryset

    def _compile_count(self, connection: Any, values: dict[str, Any]) -> _CompiledQuery:
        shape = ("count", *self._shape(values))
        by_shape = compiled_for(connection, self)
        compiled = by_shape.get(shape)
        if compiled is not None:
            return compiled
        # Every matching row once, counted around the statement (the ORM
        # counts a query with joins the same way): no ordering, the key only.
        queryset = self._queryset(connection, values).order_by().values_list("pk")
        try:
            sql, params = queryset.query.get_compiler(connection=connection).as_sql()
        except EmptyResultSet:
            by_shape[shape] = _NOTHING
            return _NOTHING
        compiled = dataclasses.replace(
            _NOTHING,
            sql=f"SELECT COUNT(*) FROM ({sql}) counted",  # noqa: S608 - the ORM's own SQL
            params=list(params),
        )
        by_shape[shape] = compiled
        return compiled

    def _compile(self, connection: Any, values: dict[str, Any]) -> _CompiledQuery:
        shape = self._shape(values)
        by_shape = compiled_for(connection, self)
        compiled = by_shape.get(shape)
        if compiled is not None:
            return compiled
        queryset = self._queryset(connection, values)
        query = queryset.query
        iterable = queryset._iterable_class
        compiler = query.get_compiler(connection=connection)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # a condition that nothing meets (``pk__in=[]``)
            by_shape[shape] = _NOTHING
            return _NOTHING
        if self.paged:
            sql = f"{sql} LIMIT %s OFFSET %s"
            params = (*params, _Slot("limit", None), _Slot("offset", None))
        selected = [column for column, _sql, _alias in compiler.select[: compiler.col_count]]
        converters = list(compiler.get_converters(selected).items())
        if iterable is ModelIterable:
            klass_info = compiler.klass_info
            select_fields = klass_info["select_fields"]
            start, end = select_fields[0], select_fields[-1] + 1
            compiled = _CompiledQuery(
                sql=sql,
                params=list(params),
                converters=converters,
                model=klass_info["model"],
                flat=False,
                init_list=[column[0].target.attname for column in compiler.select[start:end]],
                model_fields=slice(start, end),
                related_populators=get_related_populators(  # type: ignore[call-arg]
                    klass_info, compiler.select, connection.alias
                ),
                annotation_col_map=dict(compiler.annotation_col_map or {}),
                col_count=compiler.col_count,
            )
        elif iterable in (ValuesListIterable, FlatValuesListIterable):
            names = [*query.extra_select, *query.values_select, *query.annotation_select]
            if list(queryset._fields) != names:  # type: ignore[attr-defined]
                raise ValueError("name the values_list columns in the order the query selects them")
            compiled = _CompiledQuery(
                sql=sql,
                params=list(params),
                converters=converters,
                model=None,
                flat=iterable is FlatValuesListIterable,
                init_list=[],
                model_fields=slice(0),
                related_populators=[],
                annotation_col_map={},
                col_count=compiler.col_count,
            )
        else:
            raise ValueError("a prepared query returns model instances or values_list rows")
        by_shape[shape] = compiled
        return compiled

    def _params(
        self,
        compiled: _CompiledQuery,
        connection: Any,
        values: dict[str, Any],
        page: tuple[int, int] = (0, 0),
    ) -> list[Any]:
        prepared: dict[tuple[str, int | None], Any] = {
            ("limit", None): int(page[0]),
            ("offset", None): int(page[1]),
        }
        for name, field in self.params.items():
            if isinstance(field, list):
                for index, value in enumerate(values[name]):
                    prepared[name, index] = field[0].get_db_prep_value(
                        value, connection, prepared=False
                    )
            else:
                prepared[name, None] = field.get_db_prep_value(
                    values[name], connection, prepared=False
                )
        return [
            prepared[param.name, param.index] if isinstance(param, _Slot) else param
            for param in compiled.params
        ]

    def all(
        self,
        using: str | None = None,
        *,
        limit: int | None = None,
        offset: int = 0,
        **values: Any,
    ) -> list[Any]:
        """The rows for these values: instances, tuples or (``flat``) values.

        A ``paged`` query needs ``limit`` (and ``offset``, 0 by default);
        any other query takes neither.
        """
        if self.paged != (limit is not None) or (offset and not self.paged):
            raise TypeError("give limit (and offset) to a paged prepared query, and only to one")
        if (limit or 0) < 0 or offset < 0:
            raise ValueError("a page's limit and offset cannot be negative")
        connection = connections[using or "default"]
        compiled = self._compile(connection, values)
        if compiled is _NOTHING or limit == 0:
            return []
        params = self._params(compiled, connection, values, (limit or 0, offset))
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            fetched = cursor.fetchall()
        rows = convert(fetched, compiled.converters, connection)
        if compiled.model is None:
            if compiled.flat:
                return [row[0] for row in rows]
            return [tuple(row[: compiled.col_count]) for row in rows]
        model, init_list, fields = compiled.model, compiled.init_list, compiled.model_fields
        objects = []
        for row in rows:
            instance = model.from_db(connection.alias, init_list, row[fields])
            for populator in compiled.related_populators:
                populator.populate(row, instance)
            for name, position in compiled.annotation_col_map.items():
                setattr(instance, name, row[position])
            objects.append(instance)
        return objects

    def count(self, using: str | None = None, **values: Any) -> int:
        """How many rows match these values (every page of a ``paged`` query)."""
        connection = connections[using or "default"]
        compiled = self._compile_count(connection, values)
        if compiled is _NOTHING:
            return 0
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, self._params(compiled, connection, values))
            return int(cursor.fetchone()[0])

    def first(self, using: str | None = None, **values: Any) -> Any:
        """The first row for these values, or ``None`` (slice the queryset to one row)."""
        found = self.all(using=using, **values)
        return found[0] if found else None


class PreparedPages(PreparedQuery[M]):
    """A ``PreparedQuery`` read a page at a time, and counted.

    ``all(limit=…, offset=…)`` reads one page: ``LIMIT %s OFFSET %s`` follow
    the compiled statement, so where the page starts is a value, not a new
    shape to compile. ``count()`` counts every matching row, as a
    ``Paginator`` needs. ``build`` returns the queryset ordered and unsliced.
    """

    paged = True
