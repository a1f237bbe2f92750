"""Atomic writes (issue 7, item 2): the worker handling a member sync, or an agenda publish,
is killed with SIGKILL half-way through its transaction. The database keeps all of the
write or none of it (here: none, as the kill lands before the commit), the supervisor starts
a new worker, and the same request sent again succeeds in full.

"Half-way" is observed, not guessed: the sync has physically written rows that nobody can
see yet (the members table grew on Postgres; the uncommitted pages spilled into SQLite's
write-ahead log); the publish has updated the revision and waits inside its audit insert
(behind a lock the test holds on Postgres; in a deliberately slow trigger on SQLite)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

from tests.reliability.api import client, created, sync_payload
from tests.reliability.conftest import Databases, LiveServer, Servers
from tests.reliability.faults import RawRequest, held_inside_transaction, wait_for

SYNC_MEMBERS = 15_000
WAIT = 60.0


@pytest.fixture(scope="module", params=["postgres", "sqlite"])
async def server(
    request: pytest.FixtureRequest, live_databases: Databases, module_servers: Servers
) -> LiveServer:
    db = await live_databases.fresh(request.param)
    return await module_servers.start(db, workers=2)


async def _kill_worker(server: LiveServer, request: RawRequest) -> None:
    """SIGKILL the worker holding `request`; it never answers; the supervisor replaces it."""
    started = server.log().count("Application startup complete.")
    pid = request.worker()
    os.kill(pid, signal.SIGKILL)
    assert request.answer is not None
    assert await asyncio.wait_for(request.answer, WAIT) == b"", "the killed worker answered"
    await server.wait_ready(workers=started + 1)
    assert pid not in server.worker_pids()
    assert len(server.worker_pids()) == server.workers


def _wal_size(path: Path) -> int:
    wal = Path(f"{path}-wal")
    return wal.stat().st_size if wal.exists() else 0


async def test_member_sync_killed_half_way_leaves_nothing(server: LiveServer):
    backend = server.db.backend
    db = server.db
    count = SYNC_MEMBERS
    body = sync_payload("ATOM", count)
    members_before = await db.scalar("SELECT count(*) FROM members")

    if backend == "postgres":
        size_before = await db.scalar("SELECT pg_relation_size('members')")

        async def writing() -> bool:
            # The table grew by a megabyte of rows that no other session can see yet.
            size = await db.scalar("SELECT pg_relation_size('members')")
            visible = await db.scalar("SELECT count(*) FROM members")
            return bool(size > size_before + 1_048_576 and visible == members_before)
    else:
        assert db.path is not None
        path = db.path
        wal_before = _wal_size(path)

        async def writing() -> bool:
            # Uncommitted pages spilled into the write-ahead log: the insert is under way.
            return _wal_size(path) > wal_before + 1_048_576

    request = RawRequest(server, "POST", "/v1/member-syncs", body)
    await request.send()
    await wait_for(writing, "the sync writing its rows", request)
    evidence = (
        await db.scalar("SELECT pg_relation_size('members')")
        if backend == "postgres"
        else _wal_size(db.path)  # type: ignore[arg-type]
    )
    await _kill_worker(server, request)

    # Nothing of the run is visible: no members, no department, no run record, no audit event.
    async def settled() -> bool:
        if backend != "postgres":
            return True
        return not any(row[2] for row in await db.api_backends())

    deadline = time.monotonic() + WAIT
    while not await settled():
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    assert await db.scalar("SELECT count(*) FROM members") == members_before
    assert await db.scalar("SELECT count(*) FROM departments WHERE code = 'ATOM'") == 0
    assert await db.scalar("SELECT count(*) FROM member_syncs") == 0
    assert (
        await db.scalar("SELECT count(*) FROM audit_events WHERE action = 'member-syncs-create'")
        == 0
    )
    # The client's retry (the same request again) succeeds, completely.
    async with client(server, timeout=WAIT) as http:
        run = created(
            await http.post(
                "/v1/member-syncs", content=body, headers={"Content-Type": "application/json"}
            )
        )
    assert run["counts"]["created"] == count
    assert await db.scalar("SELECT count(*) FROM members") == members_before + count
    print(
        f"\n[{backend}] sync of {count} members killed while writing "
        f"({'members table' if backend == 'postgres' else 'WAL'} at {evidence} bytes): "
        f"0 rows kept; the retry created {run['counts']['created']}"
    )


async def _draft_with_one_item(server: LiveServer) -> tuple[int, str]:
    async with client(server) as http:
        question = created(await http.post("/v1/learning-questions", json={"title": "Leervraag"}))
        draft = await http.post("/v1/agenda/revisions", json={"title": "Leeragenda"})
        number = created(draft)["number"]
        items = await http.put(
            f"/v1/agenda/revisions/{number}/items",
            json={"items": [{"questionId": question["id"]}]},
            headers={"If-Match": draft.headers["etag"]},
        )
        assert items.status_code == 200, items.text
        return int(number), items.headers["etag"]


async def test_agenda_publish_killed_half_way_leaves_the_draft(server: LiveServer):
    backend = server.db.backend
    db = server.db
    number, etag = await _draft_with_one_item(server)
    path = f"/v1/agenda/revisions/{number}"

    async with held_inside_transaction(
        server, "audit_events", action="agenda-revisions-publish"
    ) as arrived:
        request = RawRequest(server, "POST", f"{path}/_publish", b"", If_Match=etag)
        await request.send()
        await wait_for(arrived, "the publish waiting in its audit insert", request)
        await _kill_worker(server, request)

    if backend == "postgres":
        # The orphaned backend finishes its insert once the lock is gone, then finds its
        # client gone and rolls back; wait for it to leave.
        deadline = time.monotonic() + WAIT
        while any(row[2] for row in await db.api_backends()):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
    async with client(server) as http:
        revision = await http.get(path)
        assert revision.status_code == 200
        assert revision.json()["status"] == "draft"
        assert revision.headers["etag"] == etag, "the draft's version moved"
        published_events = await db.scalar(
            "SELECT count(*) FROM audit_events WHERE action = 'agenda-revisions-publish'"
        )
        assert published_events == 0
        # Publishing again, with the same If-Match, works: nothing half-done stands in the way.
        again = await http.post(f"{path}/_publish", headers={"If-Match": etag})
        assert again.status_code == 200, again.text
        assert again.json()["status"] == "published"
    print(f"\n[{backend}] publish killed inside its transaction: draft kept; the retry published")
