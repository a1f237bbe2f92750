"""A member signs up for a werkplaats and withdraws (…/attendees/me): idempotent, only ahead,
never for a cancelled or full one; capacity on workshops; who may."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.core.support import assert_problem
from tests.factories import bearer, make_key, make_member, make_workshop

MERGE_PATCH = "application/merge-patch+json"


def _ahead(days: int = 30) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def me(workshop: dict[str, Any]) -> str:
    return f"/v1/workshops/{workshop['id']}/attendees/me"


async def test_sign_up_is_idempotent_and_withdraw_too(client):
    workshop = await make_workshop(startsAt=_ahead(), capacity=10)
    member = await make_member()
    key = await make_key("member", member["id"])

    first = await client.put(me(workshop), headers=bearer(key))
    assert first.status_code == 201, first.text
    assert first.json()["memberId"] == str(member["id"])
    assert first.headers["Location"].endswith(f"/attendees/{member['id']}")
    again = await client.put(me(workshop), headers=bearer(key))
    assert again.status_code == 200, again.text
    assert again.json() == first.json()

    mine = await client.get(me(workshop), headers=bearer(key))
    assert mine.status_code == 200 and mine.json() == first.json()
    shown = (await client.get(f"/v1/workshops/{workshop['id']}", headers=bearer(key))).json()
    assert (shown["attendeeCount"], shown["capacity"], shown["placesLeft"]) == (1, 10, 9)

    gone = await client.delete(me(workshop), headers=bearer(key))
    assert gone.status_code == 204, gone.text
    assert (await client.delete(me(workshop), headers=bearer(key))).status_code == 204
    assert_problem(await client.get(me(workshop), headers=bearer(key)), 404)
    shown = (await client.get(f"/v1/workshops/{workshop['id']}", headers=bearer(key))).json()
    assert (shown["attendeeCount"], shown["placesLeft"]) == (0, 10)


async def test_a_full_workshop_is_a_409_until_someone_withdraws(client):
    workshop = await make_workshop(startsAt=_ahead(), capacity=2)
    keys = [await make_key("member") for _ in range(3)]
    for key in keys[:2]:
        assert (await client.put(me(workshop), headers=bearer(key))).status_code == 201
    full = assert_problem(await client.put(me(workshop), headers=bearer(keys[2])), 409)
    assert full["reason"] == "full" and full["capacity"] == 2
    assert "full" in full["detail"]
    # Someone already signed up is still answered 200.
    assert (await client.put(me(workshop), headers=bearer(keys[0]))).status_code == 200
    assert (await client.delete(me(workshop), headers=bearer(keys[0]))).status_code == 204
    assert (await client.put(me(workshop), headers=bearer(keys[2]))).status_code == 201


async def test_cancelled_and_past_workshops_refuse_sign_ups(client):
    admin = await make_key("admin")
    key = await make_key("member")
    cancelled = await make_workshop(startsAt=_ahead())
    changed = await client.patch(
        f"/v1/workshops/{cancelled['id']}",
        content=json.dumps({"status": "cancelled"}),
        headers={**bearer(admin), "Content-Type": MERGE_PATCH},
    )
    assert changed.status_code == 200 and changed.json()["status"] == "cancelled"
    problem = assert_problem(await client.put(me(cancelled), headers=bearer(key)), 409)
    assert problem["reason"] == "cancelled" and "cancelled" in problem["detail"]

    past = await make_workshop(startsAt="2024-03-14T09:00:00+01:00")
    problem = assert_problem(await client.put(me(past), headers=bearer(key)), 409)
    assert problem["reason"] == "started"

    # Attendance of a werkplaats that took place is history: no withdrawing from it.
    attended = await make_workshop(startsAt="2024-03-14T09:00:00+01:00")
    member = await make_member()
    own = await make_key("member", member["id"])
    recorded = await client.post(
        f"/v1/workshops/{attended['id']}/attendees",
        json={"memberId": str(member["id"])},
        headers=bearer(admin),
    )
    assert recorded.status_code == 201
    assert (
        assert_problem(await client.delete(me(attended), headers=bearer(own)), 409)["reason"]
        == "started"
    )


async def test_capacity_is_checked_and_can_be_cleared(client):
    admin = await make_key("admin")
    created = await client.post(
        "/v1/workshops",
        json={"title": "Klein", "startsAt": _ahead(), "capacity": 0},
        headers=bearer(admin),
    )
    assert_problem(created, 400)
    created = await client.post(
        "/v1/workshops",
        json={"title": "Klein", "startsAt": _ahead(), "capacity": 5},
        headers=bearer(admin),
    )
    assert created.status_code == 201 and created.json()["capacity"] == 5
    url = created.headers["Location"]
    cleared = await client.patch(
        url,
        content=json.dumps({"capacity": None}),
        headers={**bearer(admin), "Content-Type": MERGE_PATCH},
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["capacity"] is None and cleared.json()["placesLeft"] is None
    bad = await client.patch(
        url,
        content=json.dumps({"status": None}),
        headers={**bearer(admin), "Content-Type": MERGE_PATCH},
    )
    assert_problem(bad, 400)


async def test_who_may_sign_up(client):
    workshop = await make_workshop(startsAt=_ahead())
    # A facilitator and an admin bound to a member sign up as that member.
    for role in ("facilitator", "admin"):
        member = await make_member()
        key = await make_key(role, member["id"])
        response = await client.put(me(workshop), headers=bearer(key))
        assert response.status_code == 201, (role, response.text)
        assert response.json()["memberId"] == str(member["id"])
    # An admin key that acts for nobody has no "me".
    problem = assert_problem(await client.put(me(workshop), headers=bearer(await make_key())), 403)
    assert "act for no member" in problem["detail"]
    # Readers and sync keys do not write, bound to a member or not.
    member = await make_member()
    for role in ("reader", "sync"):
        key = await make_key(role, member["id"])
        assert_problem(await client.put(me(workshop), headers=bearer(key)), 403)
        assert_problem(await client.delete(me(workshop), headers=bearer(key)), 403)
    unknown = f"/v1/workshops/{'0' * 8}-0000-4000-8000-{'0' * 12}/attendees/me"
    assert_problem(await client.put(unknown, headers=bearer(await make_key("member"))), 404)


async def test_sign_ups_are_in_the_change_feed_and_the_trail(client):
    workshop = await make_workshop(startsAt=_ahead())
    member = await make_member()
    key = await make_key("member", member["id"])
    admin = await make_key("admin")
    assert (await client.put(me(workshop), headers=bearer(key))).status_code == 201
    assert (await client.delete(me(workshop), headers=bearer(key))).status_code == 204
    events = (
        await client.get(
            "/v1/audit-events",
            params={"objectId": str(workshop["id"])},
            headers=bearer(admin),
        )
    ).json()["items"]
    actions = [e["action"] for e in events]
    assert "workshop-attendees-sign-up" in actions and "workshop-attendees-withdraw" in actions


async def test_concurrent_sign_ups_for_the_last_place(client: httpx.AsyncClient):
    import asyncio

    workshop = await make_workshop(startsAt=_ahead(), capacity=1)
    keys = [await make_key("member") for _ in range(4)]
    answers = await asyncio.gather(*(client.put(me(workshop), headers=bearer(k)) for k in keys))
    codes = sorted(a.status_code for a in answers)
    assert codes.count(201) == 1, [a.text for a in answers]
    assert all(code in (201, 409, 503) for code in codes), codes
    shown = (await client.get(f"/v1/workshops/{workshop['id']}", headers=bearer(keys[0]))).json()
    assert shown["attendeeCount"] == 1
