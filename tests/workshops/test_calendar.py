"""The iCalendar feeds: every werkplaats, and the caller's own, read back by an independent
parser (the `ics` package) and checked line by line against RFC 5545 (CRLF, 75 octets)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import ics

from tests.core.support import assert_problem
from tests.factories import bearer, make_key, make_member, make_workshop

ALL = "/v1/calendars/workshops.ics"
MINE = "/v1/me/calendars/workshops.ics"


def _ahead(days: int = 30) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).isoformat()


def check_lines(body: bytes) -> list[str]:
    """Every line ends with CRLF and is at most 75 octets; the unfolded lines."""
    assert body.endswith(b"\r\n")
    raw = body.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in raw)
    too_long = [line for line in raw if len(line) > 75]
    assert not too_long, too_long
    unfolded: list[str] = []
    for line in raw:
        if line.startswith((b" ", b"\t")):
            unfolded[-1] += line[1:].decode("utf-8")
        else:
            unfolded.append(line.decode("utf-8"))
    return unfolded


def properties(lines: list[str], component: str) -> list[dict[str, str]]:
    """The properties (name → value, parameters dropped) of each `component` in the feed."""
    found: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in lines:
        if line == f"BEGIN:{component}":
            current = {}
        elif line == f"END:{component}":
            assert current is not None
            found.append(current)
            current = None
        elif current is not None:
            name, _, value = line.partition(":")
            current.setdefault(name.split(";")[0], value)
    return found


async def test_the_feed_of_every_werkplaats(client):
    admin = await make_key("admin")
    start = _ahead()
    long_summary = "Een werkplaats over circulair inkopen, één keer per kwartaal; " * 8
    ahead = await make_workshop(
        title="Werkplaats: grondstoffen, hergebruik & ketens",
        startsAt=start,
        endsAt=(datetime.fromisoformat(start) + timedelta(hours=4)).isoformat(),
        location="Stadhuis, Amstel 1",
        summary=long_summary,
    )
    cancelled = await make_workshop(title="Tweede werkplaats", startsAt=_ahead(60))
    patched = await client.patch(
        f"/v1/workshops/{cancelled['id']}",
        content=json.dumps({"status": "cancelled"}),
        headers={**bearer(admin), "Content-Type": "application/merge-patch+json"},
    )
    assert patched.status_code == 200

    for role in ("admin", "facilitator", "member", "reader"):
        response = await client.get(ALL, headers=bearer(await make_key(role)))
        assert response.status_code == 200, (role, response.text)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "werkplaatsen.ics" in response.headers["Content-Disposition"]
    body = response.content
    lines = check_lines(body)

    (calendar_props,) = properties(lines, "VCALENDAR")
    assert calendar_props["VERSION"] == "2.0"
    assert calendar_props["PRODID"].startswith("-//Leergemeenschap")
    assert calendar_props["CALSCALE"] == "GREGORIAN"
    assert calendar_props["METHOD"] == "PUBLISH"
    assert calendar_props["X-WR-CALNAME"]
    events = {e["UID"]: e for e in properties(lines, "VEVENT")}
    first = events[f"{ahead['id']}@leergemeenschap"]
    assert first["SUMMARY"] == "Werkplaats: grondstoffen\\, hergebruik & ketens"
    assert first["DTSTART"].endswith("Z") and first["STATUS"] == "CONFIRMED"
    assert first["SEQUENCE"] == "0"
    # DTSTAMP is when the werkplaats was last revised, so the feed is the same bytes each time.
    assert first["DTSTAMP"] == first["LAST-MODIFIED"]
    assert first["LOCATION"] == "Stadhuis\\, Amstel 1"
    second = events[f"{cancelled['id']}@leergemeenschap"]
    assert second["STATUS"] == "CANCELLED" and second["SEQUENCE"] == "1"

    # An independent parser reads the same.
    parsed = ics.Calendar(body.decode("utf-8"))
    by_uid = {event.uid: event for event in parsed.events}
    event = by_uid[f"{ahead['id']}@leergemeenschap"]
    assert event.name == "Werkplaats: grondstoffen, hergebruik & ketens"
    assert event.location == "Stadhuis, Amstel 1"
    assert event.description == long_summary.strip()
    assert event.begin.datetime == ahead["startsAt"]
    assert event.end.datetime == ahead["endsAt"]
    assert by_uid[f"{cancelled['id']}@leergemeenschap"].status == "CANCELLED"

    assert_problem(await client.get(ALL, headers=bearer(await make_key("sync"))), 403)
    assert_problem(
        await client.get(ALL, headers={**bearer(admin), "Accept": "application/json"}), 406
    )


async def test_the_personal_feed_shows_only_ones_sign_ups(client):
    member = await make_member()
    key = await make_key("member", member["id"])
    mine = await make_workshop(title="Mijn werkplaats", startsAt=_ahead())
    await make_workshop(title="Andermans werkplaats", startsAt=_ahead())
    empty = await client.get(MINE, headers=bearer(key))
    assert empty.status_code == 200, empty.text
    check_lines(empty.content)
    assert ics.Calendar(empty.text).events == set()

    signed = await client.put(f"/v1/workshops/{mine['id']}/attendees/me", headers=bearer(key))
    assert signed.status_code == 201
    response = await client.get(MINE, headers=bearer(key))
    check_lines(response.content)
    names = [event.name for event in ics.Calendar(response.text).events]
    assert names == ["Mijn werkplaats"]

    # A reader bound to a member has a feed too; credentials bound to nobody have none.
    reader = await make_key("reader", member["id"])
    assert (await client.get(MINE, headers=bearer(reader))).status_code == 200
    problem = assert_problem(await client.get(MINE, headers=bearer(await make_key())), 404)
    assert "act for no member" in problem["detail"]
    assert_problem(
        await client.get(MINE, headers=bearer(await make_key("sync", member["id"]))), 403
    )


async def test_the_feeds_are_one_statement_each(client, statements):
    key = await make_key("member")
    for n in range(5):
        await make_workshop(title=f"Werkplaats {n}", startsAt=_ahead(n + 1))
    for url in (ALL, MINE, ALL, MINE):  # the first of each warms the key's cache
        statements.statements.clear()
        assert (await client.get(url, headers=bearer(key))).status_code == 200
    assert statements.count == 1, statements.statements
