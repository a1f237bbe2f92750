"""The hot read path: `reader.fetch(statement, params)`, for the few reads that carry the
load (a member, a page of members, a learning group, the agenda). Repositories call it from
functions named for it (`read`, `read_detail`, `read_items_of`…); everything that reads inside a
transaction uses the caller's SQLAlchemy connection instead.

On Postgres the statement runs straight through asyncpg as a prepared statement: SQLAlchemy
compiles each statement object once (the cache is keyed by the statement itself, so the same
object is always the same SQL), and rows come back as records in the select's column order
(callers unpack them by position). On SQLite SQLAlchemy runs the same statement.

The records are not SQLAlchemy's: ids come back as text and enum columns as their text value,
which is what the response carries anyway (tests/core/test_fastread.py compares every hot
statement's rows with SQLAlchemy's). The pool is asyncpg's own, next to SQLAlchemy's. Every
request still reads the database; only the per-statement Python overhead goes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson
from sqlalchemy import Select
from sqlalchemy.dialects.postgresql import asyncpg as pg_asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.db import database

_DIALECT = pg_asyncpg.dialect()  # type: ignore[no-untyped-call]
_MAX_STATEMENTS = 512

# Called with each statement's SQL (the test suite counts statements here as well).
listeners: list[Callable[[str], None]] = []


class _ReadConnection(asyncpg.Connection):  # type: ignore[misc]
    """Read-only, autocommit statements leave no session state behind (no SET, LISTEN,
    cursors or advisory locks), so returning a connection to the pool needs no reset query:
    that is one round trip per request saved."""

    def get_reset_query(self) -> str:
        return ""


def _timestamp(text: str) -> datetime:
    """A `timestamptz` in Postgres's ISO text form (the pool sets DateStyle and TimeZone).

    Parsed in C by `fromisoformat`, this costs a third of asyncpg's binary decoding, which
    builds every value by datetime arithmetic: on a page of 50 members that is 150 values
    and a tenth of the request. The result is the same aware datetime in UTC."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        # Only the special values are not ISO dates; no column of ours holds them.
        if text == "infinity":
            return datetime.max.replace(tzinfo=UTC)
        if text == "-infinity":
            return datetime.min.replace(tzinfo=UTC)
        raise


# Session settings of every read connection.
READ_SESSION = {
    # Each statement here is one fixed shape over indexed columns, run as a prepared
    # statement: a generic plan is as good as a custom one and is not planned again on every
    # execution. (Left to "auto", a `LIMIT $n` makes Postgres plan every page afresh.)
    "plan_cache_mode": "force_generic_plan",
    # The text form `_timestamp` reads, whatever the server's defaults are.
    "DateStyle": "ISO",
    "TimeZone": "UTC",
}


async def _init_connection(conn: asyncpg.Connection) -> None:
    # Ids leave as text (orjson writes them as they are) and JSON columns are parsed in C.
    await conn.set_type_codec("uuid", encoder=str, decoder=str, schema="pg_catalog", format="text")
    await conn.set_type_codec(
        "timestamptz", encoder=str, decoder=_timestamp, schema="pg_catalog", format="text"
    )
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name,
            encoder=lambda v: orjson.dumps(v).decode(),
            decoder=orjson.loads,
            schema="pg_catalog",
            format="text",
        )


@dataclass(frozen=True, slots=True)
class _Slot:
    name: str
    named: bool  # True: the caller's params give the value; False: `value` is it
    value: Any


def _compile(statement: Select[Any]) -> tuple[str, tuple[_Slot, ...]]:
    compiled = statement.compile(dialect=_DIALECT)
    slots = []
    for name in compiled.positiontup or ():
        bind = compiled.binds[name]
        # A bindparam("name") without a value is the caller's; anything else carries its own.
        named = bind.required or (bind.value is None and bind.callable is None)
        slots.append(_Slot(name, named, None if named else bind.effective_value))
    return compiled.string, tuple(slots)


class FastReader:
    def __init__(self) -> None:
        self._pool: asyncpg.Pool | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock: asyncio.Lock | None = None
        self._compiled: dict[Select[Any], tuple[str, tuple[_Slot, ...]]] = {}
        self._engine: AsyncEngine | None = None

    async def _get_pool(self, engine: AsyncEngine) -> asyncpg.Pool:
        loop = asyncio.get_running_loop()
        if self._pool is not None and self._loop is loop and self._engine is engine:
            return self._pool
        if self._lock is None or self._loop is not loop:
            self._lock = asyncio.Lock()
            self._loop = loop
            self._pool = None
        async with self._lock:
            if self._pool is not None and self._engine is not engine:
                # The store was configured anew (another database): this pool's connections
                # belong to the old one.
                self._pool.terminate()
                self._pool = None
            if self._pool is None:
                settings = database.settings
                dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
                self._engine = engine
                self._pool = await asyncpg.create_pool(
                    dsn,
                    min_size=1,
                    max_size=max(settings.db_pool_size, 1),
                    init=_init_connection,
                    connection_class=_ReadConnection,
                    timeout=10,
                    command_timeout=settings.db_statement_timeout_ms / 1000 + 5,
                    server_settings={
                        "statement_timeout": str(settings.db_statement_timeout_ms),
                        "application_name": "leergemeenschap-read",
                        **READ_SESSION,
                    },
                )
            return self._pool

    async def fetch(self, statement: Select[Any], params: Mapping[str, Any]) -> Sequence[Any]:
        """All rows of `statement`, read outside any transaction, as positional records (in the
        select's column order). On Postgres through asyncpg as a prepared statement; on SQLite
        through SQLAlchemy on a connection of its own.

        Compiled SQL is cached per statement object: hot statements are built once (module
        constants, or cached per filter and sort shape), so the same object is the same SQL,
        and SQLAlchemy's own cache key (which costs more than the query on a wide join) is
        never computed. Values come from `params` by name, literals from the statement."""
        engine = database.engine
        if database.sqlite:
            async with database.reader.connect() as conn:
                return list((await conn.execute(statement, params)).all())
        entry = self._compiled.get(statement)
        if entry is None:
            if len(self._compiled) >= _MAX_STATEMENTS:
                self._compiled.clear()
            entry = self._compiled[statement] = _compile(statement)
        sql, slots = entry
        # A slot holds the parameter's name, or the value the statement itself carries (a
        # literal such as `LIMIT 1` or `status = 'published'` is bound, not inlined).
        args = [params[slot.name] if slot.named else slot.value for slot in slots]
        for listener in listeners:
            listener(sql)
        pool = await self._get_pool(engine)
        records: Sequence[Any] = await pool.fetch(sql, *args)
        return records

    async def close(self) -> None:
        """Close the pool (at shutdown, after the requests in flight have finished)."""
        pool, self._pool = self._pool, None
        self._engine = None
        if pool is not None and self._loop is asyncio.get_running_loop():
            try:
                await asyncio.wait_for(pool.close(), timeout=5)
            except TimeoutError:
                pool.terminate()


reader = FastReader()
