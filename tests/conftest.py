"""The suite runs twice: on an SQLite file, and on a fresh Postgres database when one is
reachable (TEST_DATABASE_URL, else 127.0.0.1:5432). REQUIRE_POSTGRES=1 turns a missing
Postgres into a failure. Schemas come from the Alembic migrations, never from create_all."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from app.auth import ratelimit
from app.auth.authentication import key_cache
from app.cli import migrate
from app.core import fastread
from app.core.config import Settings
from app.core.db import database
from app.main import create_app
from app.metadata import metadata

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def _admin_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG


async def _pg_admin(sql: str) -> None:
    import asyncpg

    url = make_url(_admin_url())
    conn = await asyncpg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        database=url.database or "postgres",
        timeout=5,
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def postgres_available() -> bool:
    try:
        asyncio.run(_pg_admin("SELECT 1"))
        return True
    except Exception:
        return False


@dataclass
class Backend:
    name: str
    url: str
    cleanup: Any = None


def _make_sqlite(tmp: Path) -> Backend:
    return Backend("sqlite", f"sqlite+aiosqlite:///{tmp / 'test.db'}")


def _make_postgres() -> Backend:
    name = f"lg_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    url = make_url(_admin_url()).set(database=name).render_as_string(hide_password=False)

    def cleanup() -> None:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return Backend("postgres", url, cleanup)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    if request.param == "postgres":
        if not postgres_available():
            if os.environ.get("REQUIRE_POSTGRES") == "1":
                pytest.fail("REQUIRE_POSTGRES=1 but no Postgres is reachable at " + _admin_url())
            pytest.skip("no Postgres reachable; set TEST_DATABASE_URL or REQUIRE_POSTGRES=1")
        made = _make_postgres()
    else:
        made = _make_sqlite(tmp_path_factory.mktemp("sqlite"))
    migrate(url=made.url)
    yield made
    if made.cleanup:
        made.cleanup()


@pytest.fixture(scope="session")
async def app(backend: Backend) -> AsyncIterator[Any]:
    settings = Settings(database_url=backend.url)
    database.configure(settings)
    application = create_app(settings)
    yield application
    await database.dispose()


async def _truncate() -> None:
    async with database.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            await conn.execute(table.delete())


@asynccontextmanager
async def client_for(application: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client on `application` (the session's database); the data is gone afterwards."""
    transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c
    finally:
        key_cache.clear()
        ratelimit.forget_blocks()
        await _truncate()


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as c:
        yield c


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
            self.statements.append(statement)

    def fast(self, statement: str) -> None:
        self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def statements(app: Any) -> Iterator[StatementCounter]:
    counter = StatementCounter()
    engine = database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", counter)
    # Hot read paths on Postgres go through asyncpg directly; count those statements too.
    fastread.listeners.append(counter.fast)
    yield counter
    fastread.listeners.remove(counter.fast)
    event.remove(engine, "before_cursor_execute", counter)


@pytest.fixture
def backend_name(backend: Backend) -> str:
    return backend.name


async def raw_sql(sql: str) -> list[Any]:
    """For assertions only (counting rows), never to build test data."""
    async with database.engine.connect() as conn:
        return list((await conn.execute(text(sql))).all())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The contract fuzzing first: it takes minutes on one worker, and started last (pytest
    collects in path order, xdist by default hands out the files with most tests first) it
    left the other worker idle at the end of the run."""
    items.sort(key=lambda item: not item.nodeid.startswith("tests/fuzz/"))
