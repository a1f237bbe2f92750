"""Graceful shutdown (issue 7, item 5): SIGTERM to `leergemeenschap serve --workers 2` while
member syncs are being written. The syncs in flight finish and commit, new connections are
refused at once (not left hanging), every worker closes its database pool, and no connection
of the API is left in Postgres."""

from __future__ import annotations

import asyncio
import signal
import time

import httpx

from tests.reliability.api import client, sync_payload
from tests.reliability.conftest import LiveFactory

SYNCS = 3
MEMBERS = 12_000


async def test_sigterm_lets_requests_in_flight_finish_and_refuses_new_ones(live: LiveFactory):
    server = await live("postgres", workers=2)
    workers = server.worker_pids()
    async with client(server, timeout=60) as http:
        syncs = [
            asyncio.create_task(
                http.post(
                    "/v1/member-syncs",
                    content=sync_payload(f"GS{n}", MEMBERS),
                    headers={"Content-Type": "application/json"},
                )
            )
            for n in range(SYNCS)
        ]
        # Wait until a sync is writing (its transaction has an id), then stop the server.
        deadline = time.monotonic() + 30
        while not any(row[2] for row in await server.db.api_backends()):
            assert time.monotonic() < deadline, "no sync started writing"
            assert not all(s.done() for s in syncs), [s.result() for s in syncs]
            await asyncio.sleep(0.02)
        server.signal(signal.SIGTERM)

        # Once both workers are shutting down, a new connection is refused, not kept waiting.
        while server.log().count("Shutting down") < len(workers):
            assert time.monotonic() < deadline, server.log()
            await asyncio.sleep(0.02)
        in_flight = sum(not s.done() for s in syncs)
        refusals: list[str] = []
        for _ in range(5):
            started = time.monotonic()
            try:
                async with httpx.AsyncClient(timeout=3) as fresh:
                    answer = await fresh.get(f"{server.base_url}/v1/health")
                refusals.append(f"answered {answer.status_code}")
            except httpx.ConnectError:
                refusals.append("refused")
            except httpx.TimeoutException:
                refusals.append(f"hung {time.monotonic() - started:.1f} s")
            await asyncio.sleep(0.05)

        answers = await asyncio.gather(*syncs)
    code = await server.wait_exit()

    print(
        f"\n[shutdown] syncs in flight when both workers were shutting down: {in_flight}/"
        f"{SYNCS}; new connections meanwhile: {refusals}; "
        f"sync answers: {[a.status_code for a in answers]}; exit code {code}"
    )
    assert in_flight >= 1, "the syncs finished before the shutdown began; nothing was proven"
    assert refusals == ["refused"] * 5
    assert [a.status_code for a in answers] == [201] * SYNCS, [a.text[:300] for a in answers]
    for n in range(SYNCS):
        stored = await server.db.scalar(
            "SELECT count(*) FROM members m JOIN departments d ON d.id = m.department_id "
            "WHERE d.code = $1",
            f"GS{n}",
        )
        assert stored == MEMBERS
    assert code == 0
    # Each worker closed its pool on the way out (the app's shutdown disposed the engine) ...
    log = server.log()
    for pid in workers:
        assert f"closed the database connections of process {pid}" in log, log[-3000:]
    # ... so Postgres holds no connection of the API any more.
    assert await server.db.api_backends() == []
