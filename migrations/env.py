"""Alembic environment: async engines, batch mode on SQLite, every table of the app."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import event
from sqlalchemy.engine import Connection

from app.core.config import get_settings
from app.core.db import build_engine, is_sqlite
from app.metadata import metadata

config = context.config


def _url() -> str:
    return config.attributes.get("url") or get_settings().database_url


def _configure(connection: Connection | None = None, url: str | None = None) -> None:
    target_url = url or _url()
    context.configure(
        connection=connection,
        url=None if connection is not None else target_url,
        target_metadata=metadata,
        render_as_batch=is_sqlite(target_url),
        compare_type=True,
        compare_server_default=False,
        literal_binds=connection is None,
    )


def run_offline() -> None:
    _configure(url=_url())
    with context.begin_transaction():
        context.run_migrations()


def _run_sync(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_sync(connection)
        return
    url = _url()
    engine = build_engine(get_settings(), url)
    if is_sqlite(url):
        # Batch mode rebuilds a table (copy, drop, rename). With foreign keys enforced, the
        # drop fails as soon as other tables hold rows that refer to it (a downgrade of
        # `members` over real data did). SQLite only honours this pragma outside a
        # transaction, so it is set on connect, after the app's own settings; the check
        # below makes sure the rebuilt tables still satisfy every foreign key.
        @event.listens_for(engine.sync_engine, "connect")
        def _foreign_keys_off(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=OFF")
            cursor.close()

    try:
        async with engine.connect() as conn:
            await conn.run_sync(_run_sync)
            if is_sqlite(url):
                broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
                if broken:
                    raise RuntimeError(f"the migration broke foreign keys: {broken[:10]}")
            await conn.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    asyncio.run(run_online())
