"""The change feed as Server-Sent Events (`Accept: text/event-stream`): the same positions,
types and roles as the JSON page, resumed with Last-Event-ID; refusals before the stream;
heartbeats, a bounded life, and nothing held once the client is gone."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from app.changes import service
from app.core.db import database
from app.core.models import utcnow
from tests.changes.conftest import WAIT, EventStream
from tests.changes.test_feed import follow
from tests.core.support import assert_problem, invalid_params
from tests.factories import bearer, make_key, make_member, make_question

URL = "/v1/changes"
SSE = {"Accept": "text/event-stream"}


def problem_of(stream: EventStream, body: bytes) -> dict[str, Any]:
    assert stream.headers["content-type"].startswith("application/problem+json"), body
    problem: dict[str, Any] = json.loads(body)
    assert problem["status"] == stream.status
    return problem


async def test_changes_made_after_the_stream_opened_arrive_as_they_happen(client, streams):
    admin = await make_key("admin")
    before = await make_member()
    stream = await streams(URL, {**bearer(admin), **SSE})
    assert stream.status == 200
    assert stream.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert stream.headers["cache-control"] == "no-store"
    assert stream.headers["x-accel-buffering"] == "no"
    # First a comment with the reconnection delay, then the feed from its start.
    assert await stream.block() == [": the change feed", "retry: 3000"]
    assert (await stream.change())["resourceId"] == str(before["id"])

    later = await make_member()
    change = await stream.change()
    assert (change["type"], change["resourceId"], change["change"]) == (
        "member",
        str(later["id"]),
        "created",
    )
    # The same change, the same shape, as the JSON page shows it.
    page, _ = await follow(client, admin)
    assert page[-1] == change


async def test_last_event_id_resumes_with_nothing_twice_and_nothing_missing(client, streams):
    reader = await make_key("reader")
    for _ in range(3):
        await make_member()
    first = await streams(URL, {**bearer(reader), **SSE})
    seen = await first.changes(3)
    await first.disconnect()
    for _ in range(2):
        await make_member()
    # As EventSource reconnects: the same URL, and the last id it saw. It wins over `after`.
    again = await streams(
        f"{URL}?after={seen[0]['position']}",
        {**bearer(reader), **SSE, "Last-Event-ID": seen[-1]["position"]},
    )
    seen += await again.changes(2)
    await make_member()
    seen += await again.changes(1)
    everything, _ = await follow(client, reader)
    assert [c["position"] for c in seen] == [c["position"] for c in everything]
    # `after` alone starts there too.
    after = await streams(f"{URL}?after={seen[3]['position']}", {**bearer(reader), **SSE})
    assert [c["position"] for c in await after.changes(2)] == [
        c["position"] for c in everything[4:]
    ]


async def test_types_and_roles_as_for_the_json_page(client, streams):
    sync = await make_key("sync")
    reader = await make_key("reader")
    await make_question(title="Circulair inkopen")
    member = await make_member()
    # A sync key reads members (and departments) only: the question is not in its stream.
    stream = await streams(URL, {**bearer(sync), **SSE})
    assert [c["resourceId"] for c in await stream.changes(1)] == [str(member["id"])]
    narrowed = await streams(f"{URL}?types=learning-question", {**bearer(reader), **SSE})
    assert (await narrowed.change())["type"] == "learning-question"
    await make_member()
    await make_question(title="Hergebruik van bouwmaterialen")
    assert (await narrowed.change())["type"] == "learning-question"

    refused = await streams(f"{URL}?types=learning-question", {**bearer(sync), **SSE})
    assert refused.status == 403
    assert problem_of(refused, await refused.body())["status"] == 403
    unknown = await streams(f"{URL}?types=api-key", {**bearer(reader), **SSE})
    assert ("query", "types") in invalid_params(problem_of(unknown, await unknown.body()))


async def test_bad_and_expired_positions_are_problems_before_the_stream(client):
    reader = await make_key("reader")
    for forged in ("nonsense", service._position(-1, 2, utcnow())):
        response = await client.get(URL, headers={**bearer(reader), **SSE, "Last-Event-ID": forged})
        assert ("header", "Last-Event-ID") in invalid_params(assert_problem(response, 400))
        response = await client.get(
            URL, params={"after": forged}, headers={**bearer(reader), **SSE}
        )
        assert ("query", "after") in invalid_params(assert_problem(response, 400))
    old = service._position(5, 7, utcnow() - timedelta(days=91))
    response = await client.get(URL, headers={**bearer(reader), **SSE, "Last-Event-ID": old})
    assert "lists" in assert_problem(response, 410)["detail"]


@pytest.mark.parametrize(
    ("accept", "status"),
    [
        ("text/html", 406),
        ("text/event-stream;q=0, application/xml", 406),
        ("application/json, text/event-stream;q=0.5", 200),
    ],
)
async def test_what_the_operation_cannot_give_is_406(client, accept, status):
    response = await client.get(URL, headers={**bearer(await make_key("reader")), "Accept": accept})
    if status == 406:
        problem = assert_problem(response, 406)
        assert problem["supportedMediaTypes"] == ["application/json", "text/event-stream"]
    else:
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"


async def test_heartbeats_while_nothing_happens_and_a_bounded_life(
    client, streams, settings_of, monkeypatch
):
    monkeypatch.setattr(service, "HEARTBEAT_SECONDS", 0.3)
    settings_of(change_stream_seconds=1.5)
    stream = await streams(URL, {**bearer(await make_key("reader")), **SSE})
    await stream.block()
    assert await stream.block() == [": heartbeat"]
    assert await stream.block() == [": heartbeat"]
    # After its life the server ends the stream by itself; EventSource then reconnects.
    assert stream.task is not None
    await asyncio.wait_for(stream.task, WAIT)
    await stream.body()
    assert stream.ended


async def test_a_client_that_leaves_frees_everything_at_once(client, streams):
    reader = await make_key("reader")
    stream = await streams(URL, {**bearer(reader), **SSE})
    await stream.block()
    # Waiting for changes, the stream borrows a connection for each look and gives it back at
    # once: it never holds one across its wait.
    pool = database.engine.pool
    taken: dict[int, float] = {}
    held: list[float] = []

    def checkout(dbapi: Any, record: Any, proxy: Any) -> None:
        taken[id(record)] = time.monotonic()

    def checkin(dbapi: Any, record: Any) -> None:
        if id(record) in taken:
            held.append(time.monotonic() - taken.pop(id(record)))

    event.listen(pool, "checkout", checkout)
    event.listen(pool, "checkin", checkin)
    try:
        await asyncio.sleep(1.5)
        assert len(held) >= 3, held  # it kept looking (every 0.2 s)
        assert max(held) < 1, held
        took = await stream.disconnect()
        assert took < 1, took
        assert not taken, "a connection stayed checked out"
    finally:
        event.remove(pool, "checkout", checkout)
        event.remove(pool, "checkin", checkin)
