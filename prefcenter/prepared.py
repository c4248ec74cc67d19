"""Statements compiled once per database connection: the hot lookups and writes of every API request.

The ORM builds and compiles a statement's SQL again on every call: `filter()` resolves each
lookup, the compiler walks the model's fields, quotes every column, works out the joins of a
`select_related`. On a single-row write that is over half of the request's CPU time, while the
database's own work is a tenth (docs/bench.md, issue 16). The statements of the hot paths have a
fixed shape and only their values change from request to request, so this module compiles each
shape once per connection and runs it again with the new values:

- `prepared(build)` wraps a function that builds a queryset. Its positional arguments are the
  statement's values: each int or str becomes a parameter of the compiled SQL; None and bools
  change the SQL itself (`IS NULL`, a constant), so they are part of the shape, as are the
  keyword arguments. The first call of a shape builds the queryset with stand-in values, lets
  Django compile it, finds where each stand-in landed in the parameters and keeps the SQL;
  later calls send the SQL with the caller's values. Rows become model instances (with their
  `select_related` rows) or tuples (`values_list`) exactly as the queryset would make them: the
  same `from_db`, the same converters.
- `insert(objs)` and `update(obj, fields)` are `bulk_create` and `save(update_fields=…)` for
  rows whose fields need no special placeholder, with the SQL compiled once per model and field
  list: the same `pre_save` (auto_now) and `get_db_prep_save` for every value.

The compiled statements live on the connection object (`connections[alias]`), so each thread's
connection has its own, and they follow the database the connection points at (the SQL names no
database). Anything the stand-ins cannot express (a value Django transforms, an `__in` list) is
refused when the shape is first compiled, so a misuse fails in the tests, not later.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, ParamSpec, TypeVar

from django.db import DatabaseError, connections
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators
from django.db.transaction import TransactionManagementError

P = ParamSpec("P")
M = TypeVar("M", bound=Model)

# Stand-ins for the values of a shape: within a 32-bit integer column's range (ids, foreign keys; a small
# integer column's lookup would refuse it), and unlike any real value.
_INT_STAND_IN = 2_046_000_000
_STR_STAND_IN = "\x1fprepared-stand-in-{}\x1f"


def _cache(connection) -> dict:
    cache = getattr(connection, "_prefcenter_prepared", None)
    if cache is None:
        cache = connection._prefcenter_prepared = {}
    return cache


def _compiled(connection, key: tuple, compile_: Callable[[], Any]) -> Any:
    """What `compile_()` made for this key on this connection, made on the first call."""
    cache = _cache(connection)
    found = cache.get(key)
    if found is None:
        found = cache[key] = compile_()
    return found


def forget(alias: str = "default") -> None:
    """Drop the statements compiled for this thread's connection (tests that count compilations)."""
    _cache(connections[alias]).clear()


def _is_value(value: Any) -> bool:
    return isinstance(value, (int, str)) and not isinstance(value, bool)


@dataclass(frozen=True)
class _Read:
    """One shape of a read, compiled for one connection."""

    sql: str
    sources: tuple[tuple[bool, Any], ...]  # per parameter: (True, index of the caller's value) or (False, constant)
    for_update: bool
    make: Callable[[list], list]

    def run(self, connection, values: Sequence[Any]) -> list:
        if self.for_update and connection.features.has_select_for_update and connection.get_autocommit():
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        params = [values[source] if is_value else source for is_value, source in self.sources]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            return self.make(cursor.fetchall())


class Prepared(Generic[P, M]):
    """A read compiled once per connection and shape (see the module's docstring)."""

    def __init__(self, build: Callable[P, QuerySet]):
        self.build = build
        functools.update_wrapper(self, build)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> list:
        for value in args:
            if value is not None and not isinstance(value, (int, str)):
                raise TypeError(f"{self.build.__qualname__}: values are ints, strs, bools or None; got {value!r}.")
        shape = (self, tuple(None if _is_value(a) else ("constant", a) for a in args), tuple(sorted(kwargs.items())))
        alias = "default"
        connection = connections[alias]
        read = _compiled(connection, shape, lambda: self._compile(connection, alias, args, kwargs))
        return read.run(connection, args)

    def _compile(self, connection, alias: str, args: tuple, kwargs: dict) -> _Read:
        stand_ins: dict[Any, int] = {}
        built_args = []
        for index, value in enumerate(args):
            if _is_value(value):
                stand_in = _INT_STAND_IN + index if isinstance(value, int) else _STR_STAND_IN.format(index)
                stand_ins[stand_in] = index
                built_args.append(stand_in)
            else:
                built_args.append(value)
        queryset = self.build(*built_args, **kwargs)
        if queryset.db != alias or queryset._known_related_objects or queryset._prefetch_related_lookups:
            raise ValueError(f"{self.build.__qualname__}: only plain reads of the default database can be prepared.")
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        sources = []
        for param in params:
            if isinstance(param, (int, str)) and param in stand_ins:
                sources.append((True, stand_ins[param]))
            elif isinstance(param, str) and "prepared-stand-in" in param:
                raise ValueError(f"{self.build.__qualname__}: a value was transformed ({param!r}): not a parameter.")
            else:
                sources.append((False, param))
        missing = set(stand_ins.values()) - {source for is_value, source in sources if is_value}
        if missing:
            raise ValueError(f"{self.build.__qualname__}: arguments {sorted(missing)} are not parameters of the SQL.")
        return _Read(sql=sql, sources=tuple(sources), for_update=bool(queryset.query.select_for_update),
                     make=_row_maker(queryset, compiler, alias))


def _row_maker(queryset: QuerySet, compiler, alias: str) -> Callable[[list], list]:
    """What the queryset's iterable would make of the fetched rows, with its converters worked out once."""
    fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
    converters = compiler.get_converters(fields)

    def converted(rows: list) -> Iterable:
        return compiler.apply_converters(rows, converters) if converters else rows

    if queryset._iterable_class is ValuesListIterable:
        return lambda rows: [tuple(row) for row in converted(rows)]
    if queryset._iterable_class is not ModelIterable:
        raise ValueError("only model and values_list reads can be prepared")
    klass_info, select = compiler.klass_info, compiler.select
    model = klass_info["model"]
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    init_list = [column[0].target.attname for column in select[start:end]]
    populators = get_related_populators(klass_info, select, alias)
    annotations = tuple(compiler.annotation_col_map.items())

    def instances(rows: list) -> list:
        made = []
        for row in converted(rows):
            obj = model.from_db(alias, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in annotations:
                setattr(obj, name, row[position])
            made.append(obj)
        return made

    return instances


def prepared(build: Callable[P, QuerySet]) -> Prepared[P, Any]:
    """Decorate a queryset builder: calling it runs the compiled read and returns the list of rows."""
    return Prepared(build)


# -- writes ---------------------------------------------------------------------------


def _plain_fields(model: type[Model], names: Iterable[str] | None, *, insert: bool) -> tuple:
    meta = model._meta
    if names is None:
        fields = [f for f in meta.local_concrete_fields if not (insert and f is meta.pk and f.db_returning)]
    else:
        fields = [meta.get_field(name) for name in names]
    for field in fields:
        if hasattr(field, "get_placeholder") or not field.concrete:
            raise ValueError(f"{model.__name__}.{field.name} needs the ORM's own SQL; it cannot be prepared.")
    return tuple(fields)


def insert(objs: Sequence[M]) -> list[M]:
    """INSERT the unsaved rows (all of one model) in one statement and set their primary keys: `bulk_create`
    without its per-call compilation. No signals are sent (as with `bulk_create`)."""
    if not objs:
        return []
    model = type(objs[0])
    alias = "default"
    connection = connections[alias]

    def compile_insert() -> tuple[str, tuple]:
        fields = _plain_fields(model, None, insert=True)
        quote = connection.ops.quote_name
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        returning, _ = connection.ops.return_insert_columns([model._meta.pk]) or ("", ())
        sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
               f"VALUES {', '.join([row] * len(objs))} {returning}")
        return sql, fields

    sql, fields = _compiled(connection, ("insert", model, len(objs)), compile_insert)
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection=connection) for obj in objs for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = alias
    return list(objs)


def update(obj: Model, fields: Sequence[str]) -> None:
    """`obj.save(update_fields=fields)` for a stored row (auto_now columns stamped as save() does), compiled once
    per model and field list; a row that no longer exists raises DatabaseError as save() does."""
    model = type(obj)
    connection = connections["default"]

    def compile_update() -> tuple[str, tuple]:
        plain = _plain_fields(model, fields, insert=False)
        quote = connection.ops.quote_name
        sql = (f"UPDATE {quote(model._meta.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in plain)} "
               f"WHERE {quote(model._meta.pk.column)} = %s")
        return sql, plain

    sql, plain = _compiled(connection, ("update", model, tuple(fields)), compile_update)
    params = [f.get_db_prep_save(f.pre_save(obj, False), connection=connection) for f in plain]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, obj.pk])
        if cursor.rowcount != 1:
            raise DatabaseError("Save with update_fields did not affect any rows.")
