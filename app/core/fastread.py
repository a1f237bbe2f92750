"""The hot read path: `reader.fetch(statement, params)`, for the few reads that carry the
load (a member, a page of members, a learning group, the agenda). Repositories call it from
functions named for it (`read`, `read_detail`, `read_items_of`…); everything that reads inside a
transaction uses the caller's SQLAlchemy connection instead.

What it saves is SQLAlchemy's per-statement Python work (cache key, execution context, result
and row objects), not any database work: every request still runs its statement. On Postgres:

- the connection is a connection of the engine's own pool, checked out for the one statement
  and returned at once (no second pool, the same connect settings, the same driver codecs);
- each statement object is compiled once and its SQL kept, keyed by the statement itself, so
  the same object is always the same SQL; asyncpg prepares it once per connection;
- rows come back in the select's column order with the types the same statement gives through
  SQLAlchemy: the driver's own values, then the statement's result processors (enum members
  for enum columns), applied a column at a time. Timestamps are the one difference in *how*:
  the compiled SQL reads them in Postgres's ISO text form, which `datetime.fromisoformat`
  parses in C at a third of the cost of asyncpg's binary decoding (on a page of 50 members that
  is 150 values, a tenth of the request); the values are the same aware datetimes in UTC.
- a driver error becomes the same SQLAlchemy exception the ORM path raises.

tests/core/test_fastread.py runs every hot statement both ways and compares rows, values and
types. On SQLite the statement simply runs through SQLAlchemy."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import Enum, Select, String, cast
from sqlalchemy.dialects.postgresql import asyncpg as pg_asyncpg
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.util import greenlet_spawn

from app.core.db import database
from app.core.models import UTCDateTime

_DIALECT: Dialect = pg_asyncpg.dialect()  # type: ignore[no-untyped-call]
_MAX_STATEMENTS = 512

# Called with each statement's SQL (the test suite counts statements here as well).
listeners: list[Callable[[str], None]] = []

# Turns one column's values (a tuple, one per row) into what SQLAlchemy would return.
ColumnConverter = Callable[[tuple[Any, ...]], Iterable[Any]]


def _timestamps(values: tuple[Any, ...]) -> list[Any]:
    # With the session's DateStyle ISO and TimeZone UTC (app/core/db.py), the text is
    # "2026-08-23 10:04:17.51092+00": fromisoformat gives the aware datetime in UTC.
    parse = datetime.fromisoformat
    return [None if value is None else parse(value) for value in values]


def _enum_members(column_type: Enum) -> ColumnConverter:
    # SQLAlchemy's Enum looks each stored value up and gives the enum member; this is the same
    # lookup, one dictionary read per value done by `map` in C, with NULL staying None.
    assert column_type.enum_class is not None
    lookup: dict[Any, Any] = dict(zip(column_type.enums, column_type.enum_class, strict=True))
    lookup[None] = None
    return functools.partial(map, lookup.__getitem__)


def _processed(process: Callable[[Any], Any]) -> ColumnConverter:
    return functools.partial(map, process)


def _column_plan(column: ColumnElement[Any]) -> tuple[ColumnElement[Any], ColumnConverter | None]:
    """What the compiled SQL selects for `column`, and how its values are then converted."""
    column_type = column.type
    if isinstance(column_type, UTCDateTime):
        return cast(column, String()), _timestamps
    if isinstance(column_type, Enum) and column_type.enum_class is not None:
        return column, _enum_members(column_type)
    try:
        process = column_type.dialect_impl(_DIALECT).result_processor(_DIALECT, None)
    except Exception as error:  # a type whose processing depends on what the server sends
        raise TypeError(f"the fast reader does not read {column_type!r} columns") from error
    return column, None if process is None else _processed(process)


@dataclass(frozen=True, slots=True)
class _Slot:
    name: str
    named: bool  # True: the caller's params give the value; False: `value` is it
    value: Any


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    slots: tuple[_Slot, ...]
    converters: tuple[tuple[int, ColumnConverter], ...]


def _compile(statement: Select[Any]) -> _Compiled:
    plans = [_column_plan(column) for column in statement.selected_columns]
    # The same select with some columns read another way; its FROM and joins stay as they are.
    selected = statement.with_only_columns(*(expression for expression, _ in plans))
    compiled = selected.compile(dialect=_DIALECT)
    slots = []
    for name in compiled.positiontup or ():
        bind = compiled.binds[name]
        # A bindparam("name") without a value is the caller's; anything else carries its own.
        named = bind.required or (bind.value is None and bind.callable is None)
        slots.append(_Slot(name, named, None if named else bind.effective_value))
    converters = tuple(
        (index, converter) for index, (_, converter) in enumerate(plans) if converter is not None
    )
    return _Compiled(compiled.string, tuple(slots), converters)


def _arguments(entry: _Compiled, params: Mapping[str, Any]) -> list[Any]:
    return [params[slot.name] if slot.named else slot.value for slot in entry.slots]


def _converted(records: Sequence[Any], converters: tuple[tuple[int, ColumnConverter], ...]) -> Any:
    """The rows with each converted column replaced: a column at a time, so that the per-row
    work stays in C (transposing and back) and only the converted values pass through Python."""
    if not converters or not records:
        return records
    # Every record is as long as the select, so neither zip can cut a row short.
    columns: list[Any] = list(zip(*records, strict=False))
    for index, convert in converters:
        columns[index] = convert(columns[index])
    return list(zip(*columns, strict=False))


def _sqlalchemy_error(error: Exception, sql: str, args: Sequence[Any]) -> Exception:
    """The exception the ORM path raises for this driver error: the driver's error as the
    dialect's DB-API error, wrapped as SQLAlchemy wraps it (DBAPIError and its subclasses)."""
    dbapi = database.engine.dialect.loaded_dbapi
    try:
        pg_asyncpg.AsyncAdapt_asyncpg_connection._handle_exception_no_connection(dbapi, error)
    except dbapi.Error as translated:
        dialect = database.engine.dialect
        return DBAPIError.instance(
            sql,
            list(args),
            translated,
            dbapi.Error,
            connection_invalidated=dialect.is_disconnect(translated, None, None),
            dialect=dialect,
        )
    except Exception:  # not a driver error (a socket error, a timeout): left as it is
        return error
    return error


class FastReader:
    def __init__(self) -> None:
        self._compiled: dict[Select[Any], _Compiled] = {}

    def _entry(self, statement: Select[Any]) -> _Compiled:
        entry = self._compiled.get(statement)
        if entry is None:
            if len(self._compiled) >= _MAX_STATEMENTS:
                self._compiled.clear()
            entry = self._compiled[statement] = _compile(statement)
        return entry

    async def fetch_on(
        self, driver: Any, statement: Select[Any], params: Mapping[str, Any]
    ) -> Sequence[Any]:
        """`fetch` on a given asyncpg connection, outside the engine's pool: the same SQL,
        arguments and conversions (the benchmark's calibration runs the app's statements so)."""
        entry = self._entry(statement)
        records = await driver.fetch(entry.sql, *_arguments(entry, params))
        rows: Sequence[Any] = _converted(records, entry.converters)
        return rows

    async def fetch(self, statement: Select[Any], params: Mapping[str, Any]) -> Sequence[Any]:
        """All rows of `statement`, read outside any transaction, in the select's column
        order and with the types SQLAlchemy gives for it. Values come from `params` by name,
        literals from the statement (a `LIMIT 1` or `status = 'published'` is bound, not
        inlined)."""
        if database.sqlite:
            async with database.reader.connect() as conn:
                return list((await conn.execute(statement, params)).all())
        return (await self._run([(self._entry(statement), params)]))[0]

    async def fetch_each(
        self, queries: Sequence[tuple[Select[Any], Mapping[str, Any]]]
    ) -> list[Sequence[Any]]:
        """`fetch` of several statements that do not depend on each other, one after the other
        on one connection checked out once: the rows of each, in order. Each statement still
        runs on its own, outside any transaction, as `fetch` runs it."""
        if database.sqlite:
            async with database.reader.connect() as conn:
                return [list((await conn.execute(s, params)).all()) for s, params in queries]
        return await self._run([(self._entry(s), params) for s, params in queries])

    async def _run(
        self, entries: Sequence[tuple[_Compiled, Mapping[str, Any]]]
    ) -> list[Sequence[Any]]:
        calls = [(entry, _arguments(entry, params)) for entry, params in entries]
        for entry, _args in calls:
            for listener in listeners:
                listener(entry.sql)
        # Checked out through the pool as SQLAlchemy checks out (its events, its limits and
        # timeout); opening a connection may need the driver, hence the greenlet.
        try:
            raw: PoolProxiedConnection = await greenlet_spawn(
                database.engine.sync_engine.raw_connection
            )
        except Exception as error:
            entry, args = calls[0]
            raise _sqlalchemy_error(error, entry.sql, args) from error
        results: list[Sequence[Any]] = []
        driver = raw.driver_connection
        assert driver is not None
        for entry, args in calls:
            try:
                # Outside any transaction: the connection's adapter has none open (the pool
                # rolls back on return), so each statement runs in autocommit, like the
                # reader's.
                records = await driver.fetch(entry.sql, *args)
            except BaseException as error:
                _give_back(raw, error)
                if isinstance(error, Exception):
                    raise _sqlalchemy_error(error, entry.sql, args) from error
                raise  # cancelled: the request is gone, and so is the connection's statement
            results.append(_converted(records, entry.converters))
        # Back to the pool at once; resetting it costs no round trip (no transaction began).
        raw.close()
        return results


def _give_back(raw: PoolProxiedConnection, error: BaseException) -> None:
    """After a failed statement. When the server answered with an error, the connection is
    idle and sound, and goes back to the pool. Anything else (the task cancelled mid-statement,
    a timeout, a broken or closed connection) leaves it in a state nobody knows: asyncpg would
    refuse the next statement on it ("another operation is in progress"), so it is discarded
    as SQLAlchemy discards one, terminated without waiting (no greenlet needed here)."""
    driver = raw.driver_connection
    if isinstance(error, asyncpg.PostgresError) and driver is not None and not driver.is_closed():
        raw.close()
        return
    raw.invalidate(error if isinstance(error, Exception) else None)
    raw.close()


reader = FastReader()
