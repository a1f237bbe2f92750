"""Stream tickets: a browser's EventSource credential, good for the change feed's event stream
only, as the caller that asked for it, for a few minutes; never where a key belongs."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from app.core.db import database
from app.main import create_app
from tests.changes.conftest import EventStream
from tests.changes.test_stream import SSE, URL, problem_of
from tests.conftest import raw_sql
from tests.core.support import assert_problem, invalid_params
from tests.factories import bearer, make_key, make_member, make_question

TICKETS = "/v1/changes/stream-tickets"


async def ticket_for(client, key: str, body: dict | None = None) -> dict:
    response = await client.post(TICKETS, json=body, headers=bearer(key))
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_a_ticket_opens_the_stream_as_its_caller(client, streams):
    reader = await make_key("reader")
    member = await make_member()
    # No body at all: a ticket for everything the role reads.
    ticket = await ticket_for(client, reader)
    assert ticket["ticket"].startswith("lgs_")
    assert ticket["href"] == f"{URL}?ticket={ticket['ticket']}"
    assert ticket["types"] is None
    stream = await streams(ticket["href"], SSE)
    assert stream.status == 200
    assert (await stream.change())["resourceId"] == str(member["id"])
    # Reused within its life: EventSource reconnecting, with the last id it saw.
    again = await streams(ticket["href"], SSE)
    later = await make_member()
    assert [c["resourceId"] for c in await again.changes(2)] == [
        str(member["id"]),
        str(later["id"]),
    ]
    # Only its hash is kept.
    rows = await raw_sql("SELECT ticket_hash FROM stream_tickets")
    assert ticket["ticket"] not in str(rows)


async def test_a_ticket_is_refused_everywhere_but_the_stream(client, streams):
    reader = await make_key("reader")
    ticket = (await ticket_for(client, reader))["ticket"]
    # The JSON feed: a ticket is no credential there, with or without a key beside it.
    for headers in ({}, {"Accept": "application/json"}, {"Accept": "*/*"}, bearer(reader)):
        response = await client.get(URL, params={"ticket": ticket}, headers=headers)
        assert assert_problem(response, 401)["detail"].startswith("A stream ticket"), headers
    # Beside an Authorization header, even on the stream.
    both = await client.get(URL, params={"ticket": ticket}, headers={**bearer(reader), **SSE})
    assert "not both" in assert_problem(both, 401)["detail"]
    # Other operations know no `ticket`: an unknown parameter, or no credentials at all.
    members = await client.get("/v1/members", params={"ticket": ticket}, headers=bearer(reader))
    assert ("query", "ticket") in invalid_params(assert_problem(members, 400))
    for path in ("/v1/members", TICKETS, "/v1/changes/nothing"):
        response = await client.get(path, params={"ticket": ticket}, headers=SSE)
        assert response.status_code in (401, 404, 405, 406), (path, response.text)
        assert response.status_code != 200
    anonymous = await client.get("/v1/members", params={"ticket": ticket})
    assert_problem(anonymous, 401)
    # A ticket does not ask for tickets.
    chained = await client.post(f"{TICKETS}?ticket={ticket}")
    assert chained.status_code in (400, 401), chained.text
    # A ticket nobody issued.
    stream = await streams(f"{URL}?ticket=lgs_{uuid.uuid4().hex}", SSE)
    assert problem_of(stream, await stream.body())["status"] == 401


async def test_a_ticket_expires(client, streams, settings_of):
    reader = await make_key("reader")
    settings_of(stream_ticket_seconds=1)
    ticket = await ticket_for(client, reader)
    assert (await streams(ticket["href"], SSE)).status == 200
    await asyncio.sleep(1.2)
    stream = await streams(ticket["href"], SSE)
    assert "new one" in problem_of(stream, await stream.body())["detail"]


async def test_a_ticket_stops_working_when_its_key_is_revoked(client, streams):
    admin = await make_key("admin")
    response = await client.post(
        "/v1/api-keys", json={"name": "dashboard", "role": "reader"}, headers=bearer(admin)
    )
    key, key_id = response.json()["key"], response.json()["id"]
    ticket = await ticket_for(client, key)
    assert (await streams(ticket["href"], SSE)).status == 200
    revoked = await client.delete(f"/v1/api-keys/{key_id}", headers=bearer(admin))
    assert revoked.status_code == 200, revoked.text
    stream = await streams(ticket["href"], SSE)
    assert stream.status == 401
    await stream.body()


async def test_a_ticket_for_some_types(client, streams):
    reader = await make_key("reader")
    sync = await make_key("sync")
    ticket = await ticket_for(client, reader, {"types": ["learning-question"]})
    assert ticket["types"] == ["learning-question"]
    assert ticket["href"].endswith("&types=learning-question")
    await make_member()
    question = await make_question(title="Circulair inkopen")
    stream = await streams(ticket["href"], SSE)
    assert (await stream.change())["resourceId"] == str(question["id"])
    # Without `types` in the URL the ticket's types still hold; others are refused.
    plain = await streams(f"{URL}?ticket={ticket['ticket']}", SSE)
    assert (await plain.change())["type"] == "learning-question"
    wider = await streams(f"{URL}?ticket={ticket['ticket']}&types=member", SSE)
    assert problem_of(wider, await wider.body())["status"] == 403
    # Asking for types the role may not read, or that do not exist.
    refused = await client.post(
        TICKETS, json={"types": ["learning-question"]}, headers=bearer(sync)
    )
    assert_problem(refused, 403)
    unknown = await client.post(TICKETS, json={"types": ["api-key"]}, headers=bearer(reader))
    assert ("body", "types") in invalid_params(assert_problem(unknown, 400))
    bad = await client.post(TICKETS, json={"types": ["Member!"], "x": 1}, headers=bearer(reader))
    assert {("body", "types[0]"), ("body", "x")} <= invalid_params(assert_problem(bad, 400))


async def test_a_retry_never_shows_the_ticket_again(client):
    reader = await make_key("reader")
    headers = {**bearer(reader), "Idempotency-Key": str(uuid.uuid4())}
    first = await client.post(TICKETS, json={}, headers=headers)
    again = await client.post(TICKETS, json={}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["ticket"].startswith("lgs_")
    assert again.json()["ticket"].endswith("…")
    assert first.json()["ticket"] not in again.text


async def test_an_event_source_on_an_allowed_origin(client, settings_of):
    """What a page on another origin does: a ticket with fetch (a preflight, then the POST),
    then EventSource, whose reconnects send Last-Event-ID (not CORS-safelisted: a preflight)."""
    intranet = "https://intranet.amsterdam.example"
    settings_of(cors_origins=(intranet,))
    app = create_app(database.settings)
    origin = {"Origin": intranet}
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as page:
        preflight = await page.options(
            TICKETS,
            headers={
                **origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert preflight.status_code == 200, preflight.text
        created = await page.post(TICKETS, json={}, headers={**origin, **bearer(await make_key())})
        assert created.status_code == 201, created.text
        assert created.headers["access-control-allow-origin"] == intranet
        reconnect = await page.options(
            URL,
            headers={
                **origin,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "last-event-id",
            },
        )
        assert reconnect.status_code == 200, reconnect.text
        assert "last-event-id" in reconnect.headers["access-control-allow-headers"].lower()
    member = await make_member()
    stream = await EventStream(app, created.json()["href"], {**SSE, **origin}).open()
    try:
        assert stream.status == 200
        assert stream.headers["access-control-allow-origin"] == intranet
        assert (await stream.change())["resourceId"] == str(member["id"])
    finally:
        await stream.disconnect()
    stranger = await EventStream(
        app, created.json()["href"], {**SSE, "Origin": "https://elsewhere.example"}
    ).open()
    # Served (CORS is the browser's to enforce), but without the header a browser needs.
    assert "access-control-allow-origin" not in stranger.headers
    await stranger.disconnect()


async def test_an_erased_members_tickets_are_gone(client, streams):
    admin = await make_key("admin")
    member = await make_member()
    key = await make_key("member", member_id=member["id"])
    ticket = await ticket_for(client, key)
    assert (await streams(ticket["href"], SSE)).status == 200
    erased = await client.post(f"/v1/members/{member['id']}/_erase", headers=bearer(admin))
    assert erased.status_code == 200, erased.text
    stream = await streams(ticket["href"], SSE)
    assert stream.status == 401
    await stream.body()
    assert await raw_sql("SELECT id FROM stream_tickets") == []
