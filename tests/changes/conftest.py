"""Event streams of the change feed, driven as an ASGI server drives them."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import text

from app.core.db import database

# Seconds a test waits for what the stream should send well before. Generous: on Postgres a
# change shows only once every older transaction of the cluster has ended, and under `make
# test` the other worker's databases share the cluster.
WAIT = 30.0


async def settled() -> None:
    """Wait until the changes written so far are visible to the feed: on Postgres, until every
    transaction of the cluster that began before now has ended (another test process's too:
    transaction ids and snapshots are the cluster's). SQLite has nothing to wait for."""
    if database.sqlite:
        return
    async with database.engine.connect() as conn:
        now = (await conn.execute(text("SELECT pg_current_xact_id()::text::bigint"))).scalar()
        await conn.commit()
    deadline = time.monotonic() + WAIT
    oldest = "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
    while True:
        async with database.engine.connect() as conn:
            if (await conn.execute(text(oldest))).scalar_one() > now:
                return
        assert time.monotonic() < deadline, "a transaction of the cluster stayed open"
        await asyncio.sleep(0.05)


class EventStream:
    """One request to the application, driven as an ASGI server drives it: the answer's
    events as they come, and a disconnect when the test says so (httpx's ASGI transport
    waits for the whole body, which a stream never ends)."""

    def __init__(self, app: Any, url: str, headers: dict[str, str]) -> None:
        parts = urlsplit(url)
        self.scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": parts.path,
            "raw_path": parts.path.encode(),
            "query_string": parts.query.encode(),
            "root_path": "",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        }
        self.app = app
        self.messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.gone = asyncio.Event()
        self.asked = False
        self.buffer = b""
        self.ended = False
        self.status = 0
        self.headers: dict[str, str] = {}
        self.task: asyncio.Task[None] | None = None

    async def _receive(self) -> dict[str, Any]:
        if not self.asked:
            self.asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: dict[str, Any]) -> None:
        await self.messages.put(message)

    async def open(self) -> EventStream:
        self.task = asyncio.create_task(self.app(self.scope, self._receive, self._send))
        start = await asyncio.wait_for(self.messages.get(), WAIT)
        assert start["type"] == "http.response.start"
        self.status = start["status"]
        self.headers = {k.decode(): v.decode() for k, v in start["headers"]}
        return self

    async def body(self) -> bytes:
        """The whole body of an answer that is not a stream (a problem)."""
        while not self.ended:
            await self._more()
        return self.buffer

    async def _more(self) -> None:
        message = await asyncio.wait_for(self.messages.get(), WAIT)
        self.buffer += message.get("body", b"")
        self.ended = not message.get("more_body", False)

    async def block(self) -> list[str]:
        """The lines of the next event or comment block."""
        while b"\n\n" not in self.buffer:
            assert not self.ended, "the stream ended"
            await self._more()
        block, self.buffer = self.buffer.split(b"\n\n", 1)
        return block.decode().split("\n")

    async def change(self) -> dict[str, Any]:
        """The next `change` event (comments skipped): its id and its data."""
        while True:
            lines = await self.block()
            fields: dict[str, str] = {}
            for line in lines:
                if not line.startswith(":"):
                    name, _, value = line.partition(": ")
                    fields[name] = value
            if "data" in fields:
                assert fields["event"] == "change", lines
                data: dict[str, Any] = json.loads(fields["data"])
                assert fields["id"] == data["position"]
                return data

    async def changes(self, count: int) -> list[dict[str, Any]]:
        return [await self.change() for _ in range(count)]

    async def disconnect(self) -> float:
        """The client leaves; how long the application took to finish."""
        started = time.monotonic()
        self.gone.set()
        assert self.task is not None
        await asyncio.wait_for(self.task, WAIT)
        return time.monotonic() - started


@pytest.fixture
def settings_of(app: Any) -> Iterator[Any]:
    """Change the database's settings for one test (the stream reads its life from them)."""
    before = database._settings

    def change(**values: Any) -> None:
        database._settings = database.settings.model_copy(update=values)

    yield change
    database._settings = before


@pytest.fixture
async def streams(app: Any, client: httpx.AsyncClient) -> AsyncIterator[Any]:
    """Open streams on the application; any still open at the end are disconnected."""
    opened: list[EventStream] = []

    async def open_stream(url: str, headers: dict[str, str]) -> EventStream:
        stream = await EventStream(app, url, headers).open()
        opened.append(stream)
        return stream

    yield open_stream
    for stream in opened:
        if stream.task and not stream.task.done():
            await stream.disconnect()
