"""Postgres restarts (issue 7, item 4): the API's connections die under load. Only the
requests in flight fail, each with a 503 problem and Retry-After; the requests after succeed
on fresh connections, without restarting the API.

Two faults: every backend of the API terminated by Postgres (pg_terminate_backend), and
Postgres gone for a while and back (the API reaches it through a loopback relay that is
stopped, which resets every connection and refuses new ones, and started again)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.reliability.api import client, created, is_unavailable
from tests.reliability.conftest import Databases, LiveFactory, LiveServer, Servers, free_port

LOAD_TASKS = 16
# After a fault, the API has this long to notice its dead connections (it reads a flag the
# event loop sets when the socket closes, so well under a millisecond in practice).
GRACE = 0.3


@dataclass
class Outcome:
    started: float
    ended: float
    method: str
    status: int | None
    unavailable: bool
    error: str | None = None


class Load:
    """Reads and writes from LOAD_TASKS concurrent clients, every outcome recorded."""

    def __init__(self, server: LiveServer, member_id: str) -> None:
        self.server = server
        self.member_id = member_id
        self.outcomes: list[Outcome] = []
        self._stop = asyncio.Event()
        self._seq = itertools.count()

    async def _one(self, http: httpx.AsyncClient) -> None:
        n = next(self._seq)
        started = time.monotonic()
        try:
            if n % 4 == 3:
                method = "POST"
                # With an Idempotency-Key, as a client that retries sends it: its claim is
                # one more database write, before the route runs.
                response = await http.post(
                    "/v1/departments",
                    headers={"Idempotency-Key": uuid.uuid4().hex},
                    json={
                        "code": f"L-{uuid.uuid4().hex[:10]}",
                        "name": "Last",
                        "kind": "team",
                    },
                )
            elif n % 4 == 2:
                method = "LIST"
                response = await http.get("/v1/members?pageSize=20")
            else:
                method = "GET"
                response = await http.get(f"/v1/members/{self.member_id}")
        except httpx.HTTPError as exc:
            self.outcomes.append(
                Outcome(started, time.monotonic(), "?", None, False, f"{type(exc).__name__}: {exc}")
            )
            return
        self.outcomes.append(
            Outcome(
                started,
                time.monotonic(),
                method,
                response.status_code,
                is_unavailable(response),
            )
        )

    async def _loop(self, http: httpx.AsyncClient) -> None:
        while not self._stop.is_set():
            await self._one(http)

    @contextlib.asynccontextmanager
    async def running(self):
        async with client(self.server, timeout=20, connections=LOAD_TASKS) as http:
            tasks = [asyncio.create_task(self._loop(http)) for _ in range(LOAD_TASKS)]
            try:
                yield self
            finally:
                self._stop.set()
                await asyncio.gather(*tasks)

    def summary(self, since: float = 0.0) -> Counter[str]:
        return Counter(
            str(o.status if o.status is not None else o.error)
            for o in self.outcomes
            if o.started >= since
        )


def assert_only_in_flight_failed(load: Load, fault_start: float, fault_end: float) -> None:
    failed = [o for o in load.outcomes if o.status not in (200, 201)]
    for outcome in failed:
        assert outcome.error is None, f"no HTTP answer at all: {outcome}"
        assert outcome.unavailable, (
            f"a failure that is not a 503 problem with Retry-After: {outcome}"
        )
        # In flight: sent before the fault was over (plus the grace to notice it).
        assert outcome.started <= fault_end + GRACE, (
            f"a request sent {outcome.started - fault_end:.3f} s after the fault failed: {outcome}"
        )
    after = [o for o in load.outcomes if o.started > fault_end + GRACE]
    assert len(after) >= 50, f"too little load after the fault to tell: {len(after)}"
    assert all(o.status in (200, 201) for o in after)


async def _member(http: httpx.AsyncClient) -> str:
    member = created(
        await http.post(
            "/v1/members",
            json={"email": "last@amsterdam.example", "givenName": "La", "familyName": "St"},
        )
    )
    return str(member["id"])


async def test_terminated_backends_fail_only_the_requests_in_flight(live: LiveFactory):
    server = await live("postgres", workers=2)
    workers_before = server.worker_pids()
    async with client(server) as http:
        member_id = await _member(http)
    load = Load(server, member_id)
    async with load.running():
        await asyncio.sleep(1.0)
        before = {row[0] for row in await server.db.api_backends()}
        fault_start = time.monotonic()
        killed = await _terminate_api_backends(server)
        fault_end = time.monotonic()
        await asyncio.sleep(1.5)

    print(
        f"\n[terminate] {len(killed)} backends terminated; outcomes before: "
        f"{dict(load.summary())}; after the fault: {dict(load.summary(fault_end + GRACE))}"
    )
    assert len(killed) >= 2 and before <= killed, (before, killed)
    assert_only_in_flight_failed(load, fault_start, fault_end)
    # Fresh backends serve the API now, and the same workers: nothing was restarted.
    now = {row[0] for row in await server.db.api_backends()}
    assert now and not (now & killed)
    assert server.worker_pids() == workers_before

    # Quiet this time: the pools hold only idle connections when they are terminated, so no
    # request is in flight, and none of the requests that come next may fail.
    idle = await _terminate_api_backends(server)
    assert len(idle) >= 2
    await asyncio.sleep(0.3)
    async with client(server) as http:
        after_idle = await asyncio.gather(
            *(http.get(f"/v1/members/{member_id}") for _ in range(4 * LOAD_TASKS))
        )
        assert (await http.get("/v1/health/ready")).status_code == 200
    print(
        f"[terminate, idle] {len(idle)} idle backends terminated; the next "
        f"{len(after_idle)} requests: {dict(Counter(a.status_code for a in after_idle))}"
    )
    assert all(a.status_code == 200 for a in after_idle)


async def _terminate_api_backends(server: LiveServer) -> set[int]:
    admin = await server.db.connect()
    try:
        rows = await admin.fetch(
            "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            server.db.name,
        )
    finally:
        await admin.close()
    return {row[0] for row in rows if row[1]}


class PostgresRelay:
    """A loopback TCP relay in front of Postgres: stopping it resets every connection through
    it and refuses new ones, as a Postgres that goes down does; starting it again is the
    restart. It runs its own event loop on a thread, apart from the test's clients."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server: asyncio.Server | None = None
        self.transports: set[asyncio.Transport] = set()
        self.tasks: set[asyncio.Task[None]] = set()

    def _call(self, coro) -> object:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        pair = {writer.transport, up_writer.transport}
        self.transports |= pair  # type: ignore[arg-type]
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        self.transports -= pair  # type: ignore[arg-type]

    async def _start(self) -> None:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def _stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for transport in list(self.transports):
            transport.abort()  # a reset, as when the server process goes away
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.server.wait_closed()

    def start(self) -> None:
        self._call(self._start())

    def stop(self) -> None:
        self._call(self._stop())

    def close(self) -> None:
        if self.server is not None and self.server.is_serving():
            self.stop()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def relay():
    made: list[PostgresRelay] = []

    def make(target_port: int) -> PostgresRelay:
        made.append(PostgresRelay(target_port))
        return made[-1]

    yield make
    for one in made:
        one.close()


async def test_postgres_down_and_back_fails_only_what_ran_meanwhile(
    live_databases: Databases, servers: Servers, relay
):
    db = await live_databases.fresh("postgres")
    url = make_url(db.url)
    gate = relay(url.port or 5432)
    gate.start()
    through_gate = url.set(port=gate.port).render_as_string(hide_password=False)
    server = await servers.start(db, workers=2, env={"DATABASE_URL": through_gate})
    workers_before = server.worker_pids()
    async with client(server) as http:
        member_id = await _member(http)
    load = Load(server, member_id)
    async with load.running(), client(server, timeout=5) as probe:
        await asyncio.sleep(1.0)
        fault_start = time.monotonic()
        gate.stop()
        await asyncio.sleep(1.0)
        # Down: a quick 503 problem (not a hang, not a 500), and the readiness probe says so.
        ready = await probe.get("/v1/health/ready")
        down = await probe.get(f"/v1/members/{member_id}")
        gate.start()
        fault_end = time.monotonic()
        await asyncio.sleep(1.5)

    print(
        f"\n[restart] outcomes: {dict(load.summary())}; "
        f"after the restart: {dict(load.summary(fault_end + GRACE))}"
    )
    assert ready.status_code == 503 and ready.headers.get("retry-after")
    assert is_unavailable(down), down.text
    assert_only_in_flight_failed(load, fault_start, fault_end)
    assert server.worker_pids() == workers_before
    async with client(server) as http:
        assert (await http.get("/v1/health/ready")).status_code == 200
