"""Ways to catch a live request at a known point: a request on a socket of its own (so the
test knows which worker holds it), and a write held inside its transaction."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from tests.reliability.conftest import LiveServer

Check = Callable[[], Awaitable[bool]]


class RawRequest:
    """One HTTP request on a socket of its own, so the test knows its client port (and so
    which worker accepted it) and can tell that no answer ever came."""

    def __init__(self, server: LiveServer, method: str, path: str, body: bytes, **headers: str):
        self.server = server
        self.head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        headers = {
            "Authorization": f"Bearer {server.db.admin_key}",
            "Content-Type": "application/json",
            "Content-Length": str(len(body)),
            "Connection": "close",
            **headers,
        }
        self.head += "".join(f"{k.replace('_', '-')}: {v}\r\n" for k, v in headers.items())
        self.body = body
        self.client_port = 0
        self.answer: asyncio.Task[bytes] | None = None

    async def send(self) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.server.port)
        self.client_port = writer.get_extra_info("sockname")[1]
        writer.write(self.head.encode() + b"\r\n" + self.body)
        await writer.drain()

        async def read() -> bytes:
            try:
                return await reader.read()
            except ConnectionError:
                return b""
            finally:
                writer.close()

        self.answer = asyncio.create_task(read())

    def worker(self) -> int:
        pid = self.server.worker_serving(self.client_port)
        assert pid is not None, "no worker holds the request's connection"
        return pid


async def wait_for(check: Check, what: str, request: RawRequest | None = None) -> None:
    """Poll `check` until true; fail if `request` was answered first or a minute passed."""
    deadline = time.monotonic() + 60
    while not await check():
        if request is not None and request.answer is not None and request.answer.done():
            raise AssertionError(f"answered before {what}: {request.answer.result()[:500]!r}")
        assert time.monotonic() < deadline, f"never saw {what}"
        await asyncio.sleep(0.01)


def _sqlite_write_lock_held(path: str) -> bool:
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()


@contextlib.asynccontextmanager
async def held_inside_transaction(
    server: LiveServer, table: str, *, action: str | None = None, burn_rows: int = 2000
) -> AsyncIterator[Check]:
    """Hold the write that inserts into `table` inside its transaction, after its earlier
    statements ran; yields a check that a request got there.

    On Postgres the test holds a SHARE lock on the table (everyone may read it, nobody may
    insert) until the block ends. SQLite has no such lock, so a trigger makes that insert slow
    (a cross join of `burn_rows` rows counted row by row: 700 take seconds, 2000 minutes);
    `action` limits it to the audit events of one action."""
    db = server.db
    if db.backend == "postgres":
        holder = await db.connect()
        transaction = holder.transaction()
        await transaction.start()
        await holder.execute(f"LOCK TABLE {table} IN SHARE MODE")

        async def arrived() -> bool:
            waiting = await db.scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 "
                "AND application_name = 'leergemeenschap' AND wait_event_type = 'Lock' "
                "AND backend_xid IS NOT NULL AND query ILIKE $2",
                db.name,
                f"INSERT INTO {table}%",
            )
            return bool(waiting)

        try:
            yield arrived
        finally:
            await transaction.rollback()
            await holder.close()
        return

    path = str(db.path)
    when = f"WHEN NEW.action = '{action}' " if action else ""

    def setup() -> None:
        with sqlite3.connect(path, timeout=10) as conn:
            conn.execute("CREATE TABLE burn (n INTEGER)")
            conn.executemany("INSERT INTO burn VALUES (?)", [(n,) for n in range(burn_rows)])
            conn.execute(
                f"CREATE TRIGGER slow_insert BEFORE INSERT ON {table} {when}"
                "BEGIN SELECT count(*) FROM burn a, burn b, burn c; END"
            )

    def teardown() -> None:
        with sqlite3.connect(path, timeout=120) as conn:
            conn.execute("DROP TRIGGER slow_insert")
            conn.execute("DROP TABLE burn")

    await asyncio.to_thread(setup)
    held_since: list[float] = []

    async def arrived() -> bool:
        # Such a write holds the write lock for milliseconds; held for half a second, it is
        # in the trigger, past its earlier statements.
        if not await asyncio.to_thread(_sqlite_write_lock_held, path):
            held_since.clear()
            return False
        held_since.append(time.monotonic())
        return held_since[-1] - held_since[0] > 0.5

    try:
        yield arrived
    finally:
        await asyncio.to_thread(teardown)
