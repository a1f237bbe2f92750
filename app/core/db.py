"""The database engine, and the per-request connections that own one transaction each."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from app.core.config import Settings
from app.core.context import require_caller
from app.core.text import sqlite_search_fold

log = logging.getLogger("leergemeenschap.db")


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _prepare_sqlite_file(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _loads_json(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # what orjson refuses (huge integers, NaN) json still reads
        return json.loads(text)


# Session settings of every connection, besides the statement timeout.
SESSION_SETTINGS = {
    # Statements are prepared (by asyncpg, for SQLAlchemy and the fast reader alike) and each
    # is one fixed shape over indexed columns: a generic plan is as good as a custom one and
    # is not planned again on every execution. (Left to "auto", a `LIMIT $n` makes Postgres
    # plan every page afresh.)
    "plan_cache_mode": "force_generic_plan",
    # Timestamps as text (the fast reader's, app/core/fastread.py) in ISO form and in UTC,
    # whatever the server's defaults are. Binary values, which SQLAlchemy reads, do not depend
    # on either.
    "DateStyle": "ISO",
    "TimeZone": "UTC",
}


def build_engine(settings: Settings, url: str | None = None, **overrides: Any) -> AsyncEngine:
    url = url or settings.database_url
    if is_sqlite(url):
        _prepare_sqlite_file(url)
        engine = create_async_engine(url, **overrides)
        busy_ms = settings.sqlite_busy_timeout_ms

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the driver, decide when transactions begin (see _begin).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
            # Search folds the column as it folds the term (Postgres has it as a SQL function).
            dbapi_connection.create_function(
                "search_fold", 1, sqlite_search_fold, deterministic=True
            )

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # IMMEDIATE takes the write lock up front, so two writers queue on the busy
            # timeout instead of deadlocking when a reader upgrades to a writer.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("write") else "BEGIN")

        return engine

    connect_args: dict[str, Any] = {
        "server_settings": {
            "statement_timeout": str(settings.db_statement_timeout_ms),
            "application_name": "leergemeenschap",
            **SESSION_SETTINGS,
        },
        # Bounds on the client side too, for a server that stops answering without closing
        # the connection (a failover, a network partition): opening a connection gives up
        # after 10 s (asyncpg waits 60), a statement a little after the server's own limit.
        "timeout": 10,
        "command_timeout": settings.db_statement_timeout_ms / 1000 + 5,
    }
    # One fixed-size pool with the same ceiling as pool + overflow. SQLAlchemy closes an
    # overflow connection whenever `pool_size` idle ones are waiting, so a load that hovers
    # around the pool size opened a new Postgres backend (fork, auth, codec set-up) for about
    # one request in ten (measured with `make bench`). Connections still open lazily.
    options: dict[str, Any] = {
        # JSON columns hold our own small documents (lists of roles, change lists): orjson
        # decodes them several times faster than the standard library.
        "json_deserializer": _loads_json,
        "pool_size": settings.db_pool_size + settings.db_max_overflow,
        "max_overflow": 0,
        "pool_recycle": 1800,
        "connect_args": connect_args,
    }
    options.update(overrides)
    engine = create_async_engine(url, **options)

    @event.listens_for(engine.sync_engine, "checkout")
    def _refuse_dead_connection(_dbapi: Any, record: Any, _proxy: Any) -> None:
        # A backend that Postgres terminated (a restart, a failover, pg_terminate_backend)
        # closes its socket; asyncpg notices on the event loop and marks the connection
        # closed. Refusing it here makes the pool open a fresh one, so only the requests that
        # were using a connection when it died fail. Unlike pool_pre_ping this costs no round
        # trip: it reads a flag.
        driver = record.driver_connection
        if driver is not None and driver.is_closed():
            raise DisconnectionError("the pooled connection was closed by the server")

    return engine


class Database:
    """Holds the engine of this process; created by the app's lifespan or the CLI."""

    def __init__(self) -> None:
        self._engine: AsyncEngine | None = None
        self._reader: AsyncEngine | None = None
        self._settings: Settings | None = None
        self.sqlite = False

    def configure(self, settings: Settings, url: str | None = None, **overrides: Any) -> None:
        url = url or settings.database_url
        self._settings = settings
        self._engine = build_engine(settings, url, **overrides)
        self.sqlite = is_sqlite(url)
        # On Postgres, reads run without BEGIN/ROLLBACK round trips; a single SELECT is
        # already consistent with itself. SQLite keeps its own (local, cheap) transactions.
        self._reader = (
            self._engine
            if self.sqlite
            else self._engine.execution_options(isolation_level="AUTOCOMMIT")
        )

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("The database is not configured: call database.configure().")
        return self._engine

    @property
    def reader(self) -> AsyncEngine:
        if self._reader is None:
            raise RuntimeError("The database is not configured: call database.configure().")
        return self._reader

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            raise RuntimeError("The database is not configured: call database.configure().")
        return self._settings

    async def dispose(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            log.info("closed the database connections of process %d", os.getpid())
        self._engine = None
        self._reader = None


database = Database()


async def read_connection() -> AsyncIterator[AsyncConnection]:
    async with database.reader.connect() as conn:
        yield conn


async def write_connection() -> AsyncIterator[AsyncConnection]:
    """One transaction per request: committed before the response is sent, else rolled back."""
    async with database.engine.connect() as conn:
        # Kept by reference: once the server has dropped the connection, reading `info` again
        # would make SQLAlchemy reconnect (outside its greenlet, so an error that hid the
        # database's own and turned a 503 into a 500).
        info = conn.sync_connection.info  # type: ignore[union-attr]
        info["write"] = True
        try:
            async with conn.begin():
                yield conn
        finally:
            info.pop("write", None)


def _ensure_caller(request: Request) -> None:
    """A request gets a connection only once the edge has accepted its caller: every route
    that reads or writes the database declares a role, and a refusal needs no connection."""
    require_caller(request.scope)


async def _request_read_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    _ensure_caller(request)
    async with asynccontextmanager(read_connection)() as conn:
        yield conn


async def _request_write_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    _ensure_caller(request)
    async with asynccontextmanager(write_connection)() as conn:
        yield conn


# scope="function": the dependency finishes (commits) before the response goes out,
# so a client never sees a 2xx for a write that then failed to commit.
ReadDb = Annotated[AsyncConnection, Depends(_request_read_connection, scope="function")]
WriteDb = Annotated[AsyncConnection, Depends(_request_write_connection, scope="function")]
