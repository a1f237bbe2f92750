"""Retries are safe (issue 7, item 3), against two live workers: an Idempotency-Key replayed
one after the other replays the first answer; replayed while the first is still running it
is a 409; with another body it is a 422; a burst of the same request runs it once; and a key
whose first attempt died with its worker is taken over once its lock runs out."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections import Counter

import httpx
import pytest

from tests.reliability.api import client, is_problem, is_unavailable, sync_payload
from tests.reliability.conftest import LiveFactory, LiveServer
from tests.reliability.faults import RawRequest, held_inside_transaction, wait_for

LOCK_SECONDS = 4
SYNC_MEMBERS = 4_000
JSON = {"Content-Type": "application/json"}


async def _records(server: LiveServer, state: str) -> int:
    return int(
        await server.db.scalar("SELECT count(*) FROM idempotency_records WHERE state = $1", state)
    )


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
async def test_idempotency_key_replays_refuses_and_never_runs_twice(
    live: LiveFactory, backend: str
):
    server = await live(backend, workers=2, env={"IDEMPOTENCY_LOCK_SECONDS": str(LOCK_SECONDS)})
    db = server.db
    async with client(server, timeout=60) as http:
        # Sequentially: the second answer is the first one again, and nothing ran twice.
        key = {"Idempotency-Key": f"seq-{uuid.uuid4()}"}
        body = {"code": "IDEM-SEQ", "name": "Eenmaal", "kind": "team"}
        first = await http.post("/v1/departments", json=body, headers=key)
        second = await http.post("/v1/departments", json=body, headers=key)
        assert first.status_code == second.status_code == 201, (first.text, second.text)
        assert second.content == first.content
        assert second.headers["location"] == first.headers["location"]
        assert second.headers.get("idempotent-replayed") == "true"
        assert "idempotent-replayed" not in first.headers
        # The same key with another body is refused, and writes nothing.
        other = await http.post("/v1/departments", json={**body, "name": "Anders"}, headers=key)
        assert is_problem(other, 422), other.text
        assert await db.scalar("SELECT count(*) FROM departments WHERE code = 'IDEM-SEQ'") == 1

        # A burst of the same request on both workers: it runs once; every other answer is
        # that run's answer replayed or a 409 for a retry that came while it ran.
        key = {"Idempotency-Key": f"burst-{uuid.uuid4()}"}
        body = {"code": "IDEM-BURST", "name": "Tegelijk", "kind": "team"}
        burst = await asyncio.gather(
            *(http.post("/v1/departments", json=body, headers=key) for _ in range(20))
        )
        statuses = Counter(
            f"{a.status_code}{' replayed' if a.headers.get('idempotent-replayed') else ''}"
            for a in burst
        )
        ran = [a for a in burst if a.status_code == 201 and "idempotent-replayed" not in a.headers]
        assert len(ran) == 1, statuses
        for answer in burst:
            if answer.status_code == 201:
                assert answer.content == ran[0].content
            else:
                assert is_problem(answer, 409) and answer.headers.get("retry-after"), answer.text
        assert await db.scalar("SELECT count(*) FROM departments WHERE code = 'IDEM-BURST'") == 1

        # In flight: the sync is held inside its transaction; its retry arrives meanwhile.
        key = {"Idempotency-Key": f"slow-{uuid.uuid4()}"}
        payload = sync_payload("IDEM-SYNC", SYNC_MEMBERS)
        async with held_inside_transaction(server, "member_syncs", burn_rows=500) as arrived:
            slow = asyncio.create_task(
                http.post("/v1/member-syncs", content=payload, headers={**JSON, **key})
            )
            await wait_for(arrived, "the sync inside its transaction")
            assert not slow.done()
            retry = await http.post("/v1/member-syncs", content=payload, headers={**JSON, **key})
            in_flight_answer = retry.status_code
            if backend == "postgres":
                assert is_problem(retry, 409) and retry.headers.get("retry-after"), retry.text
            elif retry.status_code != 409:
                # SQLite has one writer at a time, and claiming a key is a write: the retry's
                # claim waits for the first to commit, then replays its answer, or gives up
                # after the busy timeout with a 503 to retry. Either way the sync runs once.
                replayed = retry.headers.get("idempotent-replayed") == "true"
                assert replayed or is_unavailable(retry), retry.text[:300]
                in_flight_answer = "replayed after waiting" if replayed else 503
        done = await slow
        assert done.status_code == 201, done.text
        later = await http.post("/v1/member-syncs", content=payload, headers={**JSON, **key})
        assert later.status_code == 201 and later.content == done.content
        assert later.headers.get("idempotent-replayed") == "true"
        assert await db.scalar("SELECT count(*) FROM member_syncs") == 1

        # The first attempt dies with its worker: its retry waits out the lock, then runs once.
        key_value = f"crash-{uuid.uuid4()}"
        payload = sync_payload("IDEM-CRASH", SYNC_MEMBERS)
        doomed = RawRequest(server, "POST", "/v1/member-syncs", payload, Idempotency_Key=key_value)
        await doomed.send()
        deadline = time.monotonic() + 30
        while await _records(server, "in_flight") == 0:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        killed_at = time.monotonic()
        os.kill(doomed.worker(), signal.SIGKILL)
        assert doomed.answer is not None and await doomed.answer == b""
        headers = {**JSON, "Idempotency-Key": key_value}
        answers: list[int] = []
        while True:
            try:
                answer = await http.post("/v1/member-syncs", content=payload, headers=headers)
            except httpx.TransportError:  # the replacement worker is still starting
                await asyncio.sleep(0.2)
                continue
            answers.append(answer.status_code)
            if answer.status_code != 409:
                break
            assert time.monotonic() - killed_at < LOCK_SECONDS + 20, answers
            await asyncio.sleep(float(answer.headers.get("retry-after", "1")))
        taken_over_after = time.monotonic() - killed_at
        assert answer.status_code == 201, answer.text
        assert answer.json()["counts"]["created"] == SYNC_MEMBERS
        assert await db.scalar("SELECT count(*) FROM member_syncs") == 2
    print(
        f"\n[{backend}] burst of 20 with one key: {dict(statuses)}; retry in flight: "
        f"{in_flight_answer}; after a crash: {Counter(answers)}, run after "
        f"{taken_over_after:.1f} s (lock {LOCK_SECONDS} s)"
    )
