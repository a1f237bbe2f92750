"""Memberships of learning groups: joining (once at a time), leaving by PATCH or DELETE with
the history kept, the `current` filter, and the race on the partial unique index."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.learning_groups import repository
from tests.conftest import raw_sql
from tests.core.support import assert_problem, invalid_params
from tests.factories import add_membership, bearer, make_group, make_key, make_member

MERGE_PATCH = "application/merge-patch+json"


async def patch(
    client: httpx.AsyncClient, url: str, body: dict[str, Any], key: str
) -> httpx.Response:
    headers = {**bearer(key), "Content-Type": MERGE_PATCH}
    return await client.patch(url, content=json.dumps(body), headers=headers)


async def join(client: httpx.AsyncClient, group_id: Any, body: dict[str, Any], key: str) -> Any:
    return await client.post(
        f"/v1/learning-groups/{group_id}/memberships", json=body, headers=bearer(key)
    )


async def test_join_answers_201_with_location(client):
    key = await make_key("admin")
    group = await make_group()
    member = await make_member(displayName="Noor")
    response = await join(client, group["id"], {"memberId": str(member["id"]), "role": "lead"}, key)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["memberId"], body["displayName"], body["role"]) == (
        str(member["id"]),
        "Noor",
        "lead",
    )
    assert body["current"] is True
    assert body["leftAt"] is None
    assert body["groupId"] == str(group["id"])
    fetched = await client.get(response.headers["Location"], headers=bearer(key))
    assert fetched.json() == body
    events = await raw_sql("SELECT action FROM audit_events WHERE object_type = 'group-membership'")
    assert [e.action for e in events] == ["learning-group-memberships-create"]


async def test_joining_twice_is_409_and_changes_nothing(client):
    key = await make_key("admin")
    group = await make_group()
    member = await make_member()
    first = await join(client, group["id"], {"memberId": str(member["id"])}, key)
    assert first.json()["role"] == "member"
    again = await join(client, group["id"], {"memberId": str(member["id"]), "role": "lead"}, key)
    assert assert_problem(again, 409)["membershipId"] == first.json()["id"]
    listed = await client.get(f"/v1/learning-groups/{group['id']}/memberships", headers=bearer(key))
    assert len(listed.json()["items"]) == 1


async def test_a_join_race_lost_at_the_unique_index_is_409(client, monkeypatch):
    """Two joins of the same member at once both pass the look-up; the partial unique index
    stops the second, and that is a 409, not a 500."""
    key = await make_key("admin")
    group = await make_group()
    member = await make_member()
    assert (
        await join(client, group["id"], {"memberId": str(member["id"])}, key)
    ).status_code == 201

    async def nobody_yet(*_args: Any) -> None:
        return None

    monkeypatch.setattr(repository, "current_membership_id", nobody_yet)
    raced = await join(client, group["id"], {"memberId": str(member["id"])}, key)
    assert_problem(raced, 409)
    rows = await raw_sql("SELECT count(*) AS n FROM group_memberships")
    assert rows[0].n == 1


async def test_unknown_member_or_group(client):
    key = await make_key("admin")
    group = await make_group()
    unknown_member = await join(
        client, group["id"], {"memberId": "00000000-0000-4000-8000-000000000000"}, key
    )
    assert invalid_params(assert_problem(unknown_member, 400)) == {("body", "memberId")}
    member = await make_member()
    unknown_group = await join(
        client, "00000000-0000-4000-8000-000000000000", {"memberId": str(member["id"])}, key
    )
    assert_problem(unknown_group, 404)
    bad = await join(client, group["id"], {"role": "chair", "memberId": "x"}, key)
    assert {n for _, n in invalid_params(assert_problem(bad, 400))} == {"role", "memberId"}


async def test_an_inactive_member_cannot_join(client):
    key = await make_key("admin")
    group = await make_group()
    member = await make_member()
    await client.delete(f"/v1/members/{member['id']}", headers=bearer(key))
    assert_problem(await join(client, group["id"], {"memberId": str(member["id"])}, key), 409)


@pytest.mark.parametrize("how", ["patch", "delete"])
async def test_leaving_keeps_the_history_and_allows_rejoining(client, how):
    key = await make_key("admin")
    group = await make_group()
    member = await make_member()
    first = await add_membership(group["id"], member["id"])
    url = f"/v1/learning-groups/{group['id']}/memberships/{first['id']}"

    if how == "patch":
        left_at = datetime.now(UTC).isoformat()
        response = await patch(client, url, {"leftAt": left_at}, key)
    else:
        response = await client.delete(url, headers=bearer(key))
    assert response.status_code == 200, response.text
    ended = response.json()
    assert ended["current"] is False
    assert ended["leftAt"] is not None
    # Leaving again by DELETE changes nothing; by PATCH it is a 409 (history does not change).
    again = await client.delete(url, headers=bearer(key))
    assert again.status_code == 200
    assert again.json() == ended
    assert_problem(await patch(client, url, {"role": "lead"}, key), 409)

    rejoined = await join(client, group["id"], {"memberId": str(member["id"])}, key)
    assert rejoined.status_code == 201
    base = f"/v1/learning-groups/{group['id']}/memberships"
    history = (await client.get(base, headers=bearer(key))).json()["items"]
    assert [(m["id"], m["current"]) for m in history] == [
        (str(first["id"]), False),
        (rejoined.json()["id"], True),
    ]
    current = (await client.get(f"{base}?current=true", headers=bearer(key))).json()["items"]
    assert [m["id"] for m in current] == [rejoined.json()["id"]]
    past = (await client.get(f"{base}?current=false", headers=bearer(key))).json()["items"]
    assert [m["id"] for m in past] == [str(first["id"])]
    detail = (await client.get(f"/v1/learning-groups/{group['id']}", headers=bearer(key))).json()
    assert [m["membershipId"] for m in detail["members"]] == [rejoined.json()["id"]]


async def test_left_at_must_fall_between_joining_and_now(client):
    key = await make_key("admin")
    group = await make_group()
    member = await make_member()
    joined_at = datetime.now(UTC) - timedelta(days=30)
    created = await join(
        client,
        group["id"],
        {"memberId": str(member["id"]), "joinedAt": joined_at.isoformat()},
        key,
    )
    assert created.status_code == 201, created.text
    url = f"/v1/learning-groups/{group['id']}/memberships/{created.json()['id']}"
    before = (joined_at - timedelta(days=1)).isoformat()
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    for moment in (before, future):
        response = await patch(client, url, {"leftAt": moment}, key)
        assert invalid_params(assert_problem(response, 400)) == {("body", "leftAt")}
    assert_problem(await patch(client, url, {"leftAt": None}, key), 400)
    future_join = await join(
        client, group["id"], {"memberId": str(member["id"]), "joinedAt": future}, key
    )
    assert_problem(future_join, 400)


async def test_roles_change_and_memberships_filter(client):
    key = await make_key("admin")
    group = await make_group()
    lead = await add_membership(group["id"], (await make_member(displayName="Bo"))["id"], "lead")
    plain = await add_membership(group["id"], (await make_member(displayName="Ay"))["id"])
    url = f"/v1/learning-groups/{group['id']}/memberships"

    promoted = await patch(client, f"{url}/{plain['id']}", {"role": "facilitator"}, key)
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["role"] == "facilitator"
    leads = (await client.get(f"{url}?role=lead", headers=bearer(key))).json()["items"]
    assert [m["id"] for m in leads] == [str(lead["id"])]
    by_member = await client.get(f"{url}?memberId={plain['memberId']}", headers=bearer(key))
    assert [m["id"] for m in by_member.json()["items"]] == [str(plain["id"])]
    by_name = await client.get(f"{url}?sort=displayName", headers=bearer(key))
    assert [m["displayName"] for m in by_name.json()["items"]] == ["Ay", "Bo"]
    assert_problem(await client.get(f"{url}?sort=role", headers=bearer(key)), 400)


async def test_membership_of_another_group_is_404(client):
    key = await make_key("admin")
    group = await make_group()
    other = await make_group()
    membership = await add_membership(group["id"], (await make_member())["id"])
    url = f"/v1/learning-groups/{other['id']}/memberships/{membership['id']}"
    assert_problem(await client.get(url, headers=bearer(key)), 404)
    assert_problem(await client.delete(url, headers=bearer(key)), 404)
    listed = await client.get(
        "/v1/learning-groups/00000000-0000-4000-8000-000000000000/memberships",
        headers=bearer(key),
    )
    assert_problem(listed, 404)


async def test_membership_list_runs_constant_statements(client, statements):
    key = await make_key("reader")
    group = await make_group()
    for _ in range(30):
        await add_membership(group["id"], (await make_member())["id"])
    url = f"/v1/learning-groups/{group['id']}/memberships"
    await client.get(f"{url}?pageSize=1", headers=bearer(key))
    counts = {}
    for size in (3, 30):
        statements.statements.clear()
        response = await client.get(f"{url}?pageSize={size}", headers=bearer(key))
        assert len(response.json()["items"]) == size
        counts[size] = statements.count
    assert counts[3] == counts[30] <= 2, counts
