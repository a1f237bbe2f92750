"""Who may do what to learning groups and memberships, cell by cell: admin, the facilitator of
the group, a facilitator of another group, a member, a reader and a sync key."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.conftest import raw_sql
from tests.core.support import assert_problem, row_counts
from tests.factories import add_membership, bearer, make_group, make_key, make_member

MERGE_PATCH = "application/merge-patch+json"
ACTORS = ["admin", "facilitator-own", "facilitator-other", "member", "reader", "sync"]


@dataclass
class World:
    group: dict[str, Any]
    key: str
    actor_member_id: Any
    outsider: dict[str, Any]  # a member who is in the group and is not the caller
    outsider_membership: dict[str, Any]


async def build(actor: str, status: str = "active") -> World:
    """The group under test, with a facilitator and a plain member, and the caller's key."""
    group = await make_group(status=status)
    other_group = await make_group()
    facilitator = await make_member(displayName="Fenna")
    other_facilitator = await make_member(displayName="Otto")
    await add_membership(group["id"], facilitator["id"], role="facilitator")
    await add_membership(other_group["id"], other_facilitator["id"], role="facilitator")
    outsider = await make_member(displayName="Iris")
    outsider_membership = await add_membership(group["id"], outsider["id"])
    caller = await make_member(displayName="Caller")
    role, member_id = {
        "admin": ("admin", None),
        "facilitator-own": ("facilitator", facilitator["id"]),
        "facilitator-other": ("facilitator", other_facilitator["id"]),
        "member": ("member", caller["id"]),
        "reader": ("reader", None),
        "sync": ("sync", None),
    }[actor]
    key = await make_key(role, member_id)
    return World(group, key, member_id or caller["id"], outsider, outsider_membership)


async def patch(
    client: httpx.AsyncClient, url: str, body: dict[str, Any], key: str
) -> httpx.Response:
    headers = {**bearer(key), "Content-Type": MERGE_PATCH}
    return await client.patch(url, content=json.dumps(body), headers=headers)


async def expect(response: httpx.Response, status: int) -> None:
    if status >= 400:
        assert_problem(response, status)
    else:
        assert response.status_code == status, response.text


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("admin", 200),
        ("facilitator-own", 200),
        ("facilitator-other", 200),
        ("member", 200),
        ("reader", 200),
        ("sync", 403),
    ],
)
async def test_reading_groups_and_memberships(client, actor, status):
    world = await build(actor)
    base = f"/v1/learning-groups/{world.group['id']}"
    membership = f"{base}/memberships/{world.outsider_membership['id']}"
    for url in ("/v1/learning-groups", base, f"{base}/memberships", membership):
        await expect(await client.get(url, headers=bearer(world.key)), status)


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("admin", 201),
        ("facilitator-own", 403),
        ("facilitator-other", 403),
        ("member", 403),
        ("reader", 403),
        ("sync", 403),
    ],
)
async def test_creating_a_group(client, actor, status):
    world = await build(actor)
    before = await row_counts()
    response = await client.post(
        "/v1/learning-groups",
        json={"name": "Nieuw", "themeId": str(world.group["themeId"]), "mode": "self_directed"},
        headers=bearer(world.key),
    )
    await expect(response, status)
    if status == 403:
        assert await row_counts() == before


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("admin", 200),
        ("facilitator-own", 200),
        ("facilitator-other", 403),
        ("member", 403),
        ("reader", 403),
        ("sync", 403),
    ],
)
async def test_changing_a_group_and_its_status(client, actor, status):
    world = await build(actor)
    url = f"/v1/learning-groups/{world.group['id']}"
    before = await row_counts()
    await expect(await patch(client, url, {"description": "Bijgewerkt"}, world.key), status)
    await expect(await patch(client, url, {"status": "presented"}, world.key), status)
    if status == 403:
        assert await row_counts() == before
        denied = await raw_sql(
            "SELECT action, status_code FROM audit_events WHERE result = 'denied' ORDER BY id"
        )
        assert [(e.action, e.status_code) for e in denied][-2:] == [
            ("learning-groups-update", 403),
            ("learning-groups-update", 403),
        ]


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("admin", 201),
        ("facilitator-own", 201),
        ("facilitator-other", 403),
        ("member", 403),
        ("reader", 403),
        ("sync", 403),
    ],
)
async def test_adding_someone_else(client, actor, status):
    world = await build(actor)
    newcomer = await make_member()
    response = await client.post(
        f"/v1/learning-groups/{world.group['id']}/memberships",
        json={"memberId": str(newcomer["id"]), "role": "lead"},
        headers=bearer(world.key),
    )
    await expect(response, status)


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("facilitator-other", 201),  # a facilitator is a member of the community too
        ("member", 201),
        ("reader", 403),
        ("sync", 403),
    ],
)
async def test_joining_oneself_as_member(client, actor, status):
    world = await build(actor)
    response = await client.post(
        f"/v1/learning-groups/{world.group['id']}/memberships",
        json={"memberId": str(world.actor_member_id)},
        headers=bearer(world.key),
    )
    await expect(response, status)


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("admin", 200),
        ("facilitator-own", 200),
        ("facilitator-other", 403),
        ("member", 403),
        ("reader", 403),
        ("sync", 403),
    ],
)
async def test_ending_someone_elses_membership(client, actor, status):
    world = await build(actor)
    url = f"/v1/learning-groups/{world.group['id']}/memberships/{world.outsider_membership['id']}"
    await expect(await client.delete(url, headers=bearer(world.key)), status)
    current = (await client.get(url, headers=bearer(await make_key("reader")))).json()
    assert current["current"] is (status != 200)


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("admin", 200),
        ("facilitator-own", 200),
        ("facilitator-other", 403),
        ("member", 403),
        ("reader", 403),
        ("sync", 403),
    ],
)
async def test_changing_someone_elses_role(client, actor, status):
    world = await build(actor)
    url = f"/v1/learning-groups/{world.group['id']}/memberships/{world.outsider_membership['id']}"
    await expect(await patch(client, url, {"role": "lead"}, world.key), status)


@pytest.mark.parametrize("status", ["forming", "active"])
async def test_a_member_joins_and_leaves_open_groups_on_their_own(client, status):
    world = await build("member", status=status)
    base = f"/v1/learning-groups/{world.group['id']}/memberships"
    joined = await client.post(
        base, json={"memberId": str(world.actor_member_id)}, headers=bearer(world.key)
    )
    assert joined.status_code == 201, joined.text
    own = f"{base}/{joined.json()['id']}"
    # A member does not promote themself.
    assert_problem(await patch(client, own, {"role": "lead"}, world.key), 403)
    left = await client.delete(own, headers=bearer(world.key))
    assert left.status_code == 200, left.text
    assert left.json()["current"] is False


async def test_a_member_leaves_by_patching_leftAt(client):
    world = await build("member")
    membership = await add_membership(world.group["id"], world.actor_member_id)
    url = f"/v1/learning-groups/{world.group['id']}/memberships/{membership['id']}"
    left = await patch(client, url, {"leftAt": "2099-01-01T00:00:00Z"}, world.key)
    assert_problem(left, 400)  # in the future
    now = await patch(client, url, {"leftAt": datetime.now(UTC).isoformat()}, world.key)
    assert now.status_code == 200, now.text


async def test_a_member_may_not_join_as_lead_or_facilitator(client):
    world = await build("member")
    base = f"/v1/learning-groups/{world.group['id']}/memberships"
    for role in ("lead", "facilitator"):
        response = await client.post(
            base,
            json={"memberId": str(world.actor_member_id), "role": role},
            headers=bearer(world.key),
        )
        assert_problem(response, 403)


async def test_a_member_key_without_a_member_may_not_join(client):
    world = await build("reader")
    key = await make_key("member")
    response = await client.post(
        f"/v1/learning-groups/{world.group['id']}/memberships",
        json={"memberId": str(world.outsider["id"])},
        headers=bearer(key),
    )
    assert_problem(response, 403)


@pytest.mark.parametrize("status", ["presented", "concluded"])
async def test_members_do_not_join_or_leave_groups_past_active(client, status):
    world = await build("member", status=status)
    base = f"/v1/learning-groups/{world.group['id']}/memberships"
    joined = await client.post(
        base, json={"memberId": str(world.actor_member_id)}, headers=bearer(world.key)
    )
    assert assert_problem(joined, 409)["currentStatus"] == status

    membership = await add_membership(world.group["id"], world.actor_member_id)
    left = await client.delete(f"{base}/{membership['id']}", headers=bearer(world.key))
    assert_problem(left, 409)


async def test_a_facilitator_who_left_no_longer_manages_the_group(client):
    world = await build("facilitator-own")
    url = f"/v1/learning-groups/{world.group['id']}"
    memberships = (
        await client.get(f"{url}/memberships?role=facilitator", headers=bearer(world.key))
    ).json()
    own = memberships["items"][0]
    assert (
        await client.delete(f"{url}/memberships/{own['id']}", headers=bearer(world.key))
    ).status_code == 200
    assert_problem(await patch(client, url, {"name": "Niet meer"}, world.key), 403)
