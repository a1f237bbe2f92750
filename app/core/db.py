"""The database engine, and the per-request connections that own one transaction each."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from app.core.config import Settings, get_settings


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _prepare_sqlite_file(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


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
        }
    }
    # One fixed-size pool with the same ceiling as pool + overflow. SQLAlchemy closes an
    # overflow connection whenever `pool_size` idle ones are waiting, so a load that hovers
    # around the pool size opened a new Postgres backend (fork, auth, codec set-up) for about
    # one request in ten (measured with `make bench`). Connections still open lazily.
    options: dict[str, Any] = {
        "pool_size": settings.db_pool_size + settings.db_max_overflow,
        "max_overflow": 0,
        "pool_recycle": 1800,
        "connect_args": connect_args,
    }
    options.update(overrides)
    return create_async_engine(url, **options)


class Database:
    """Holds the engine of this process; created by the app's lifespan or the CLI."""

    def __init__(self) -> None:
        self._engine: AsyncEngine | None = None
        self._reader: AsyncEngine | None = None
        self.sqlite = False

    def configure(self, settings: Settings, url: str | None = None, **overrides: Any) -> None:
        url = url or settings.database_url
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
            self.configure(get_settings())
        assert self._engine is not None
        return self._engine

    @property
    def reader(self) -> AsyncEngine:
        if self._reader is None:
            self.configure(get_settings())
        assert self._reader is not None
        return self._reader

    async def dispose(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
        self._engine = None
        self._reader = None


database = Database()


async def read_connection() -> AsyncIterator[AsyncConnection]:
    async with database.reader.connect() as conn:
        yield conn


async def write_connection() -> AsyncIterator[AsyncConnection]:
    """One transaction per request: committed before the response is sent, else rolled back."""
    async with database.engine.connect() as conn:
        conn.sync_connection.info["write"] = True  # type: ignore[union-attr]
        try:
            async with conn.begin():
                yield conn
        finally:
            conn.sync_connection.info.pop("write", None)  # type: ignore[union-attr]


# scope="function": the dependency finishes (commits) before the response goes out,
# so a client never sees a 2xx for a write that then failed to commit.
ReadDb = Annotated[AsyncConnection, Depends(read_connection, scope="function")]
WriteDb = Annotated[AsyncConnection, Depends(write_connection, scope="function")]
