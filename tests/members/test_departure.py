"""Deactivating or erasing a member, through every door that does it, ends what they take part
in now: their current group memberships end (kept as history, no longer counted) and their
sign-ups for werkplaatsen ahead go, each in the change feed as leaving and removing an attendee
are. Reactivating restores neither."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from app.members.departure import endings
from tests.changes.conftest import settled
from tests.factories import add_membership, bearer, make_group, make_key, make_member
from tests.me.support import sign_up, workshop_in
from tests.scim.test_scim_users import create as scim_create
from tests.scim.test_scim_users import entra_user, scim

PATCH = {"Content-Type": "application/merge-patch+json"}


async def _taking_part(member_id: uuid.UUID) -> dict[str, Any]:
    """A member in two groups, signed up for a werkplaats ahead and one that has begun."""
    groups = [await make_group(status="active"), await make_group()]
    memberships = [await add_membership(g["id"], member_id) for g in groups]
    ahead, begun = await workshop_in(10), await workshop_in(-1)
    for workshop in (ahead, begun):
        await sign_up(workshop["id"], member_id)
    return {"groups": groups, "memberships": memberships, "ahead": ahead, "begun": begun}


async def _assert_departed(
    client: httpx.AsyncClient, admin: str, member_id: Any, part: dict[str, Any]
) -> None:
    headers = bearer(admin)
    for group, membership in zip(part["groups"], part["memberships"], strict=True):
        detail = (await client.get(f"/v1/learning-groups/{group['id']}", headers=headers)).json()
        assert detail["memberCount"] == 0
        assert detail["members"] == []
        ended = await client.get(
            f"/v1/learning-groups/{group['id']}/memberships/{membership['id']}", headers=headers
        )
        assert ended.json()["current"] is False and ended.json()["leftAt"] is not None
    ahead = await client.get(f"/v1/workshops/{part['ahead']['id']}/attendees", headers=headers)
    assert ahead.json()["items"] == []
    begun = await client.get(f"/v1/workshops/{part['begun']['id']}/attendees", headers=headers)
    assert [a["memberId"] for a in begun.json()["items"]] == [str(member_id)]


async def _changes(client: httpx.AsyncClient, admin: str, types: str) -> list[dict[str, Any]]:
    await settled()
    response = await client.get(f"/v1/changes?types={types}&pageSize=1000", headers=bearer(admin))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_learning_groups_and_workshops_register_what_a_departure_ends(app):
    assert endings() == ["group memberships", "workshop sign-ups"]


async def test_deactivating_ends_memberships_and_sign_ups_ahead(client):
    admin = await make_key("admin")
    member = await make_member()
    part = await _taking_part(member["id"])
    response = await client.delete(f"/v1/members/{member['id']}", headers=bearer(admin))
    assert response.status_code == 200, response.text
    await _assert_departed(client, admin, member["id"], part)

    changes = await _changes(client, admin, "group-membership,workshop")
    ended = [c for c in changes if c["change"] == "ended"]
    assert {c["resourceId"] for c in ended} == {str(m["id"]) for m in part["memberships"]}
    group_of = {str(m["id"]): str(m["groupId"]) for m in part["memberships"]}
    for change in ended:
        assert change["href"] == (
            f"/v1/learning-groups/{group_of[change['resourceId']]}/memberships/"
            f"{change['resourceId']}"
        )
        assert change["actor"]["role"] == "admin"
    removed = [c for c in changes if c["change"] == "attendee-removed"]
    assert [c["resourceId"] for c in removed] == [str(part["ahead"]["id"])]
    assert removed[0]["version"] == part["ahead"]["version"]

    # Reactivating restores neither.
    current = (await client.get(f"/v1/members/{member['id']}", headers=bearer(admin))).json()
    back = await client.patch(
        f"/v1/members/{member['id']}",
        json={"status": "active"},
        headers={**bearer(admin), **PATCH, "If-Match": f'"{current["version"]}"'},
    )
    assert back.json()["status"] == "active"
    await _assert_departed(client, admin, member["id"], part)
    me = (await client.get("/v1/me", headers=bearer(await make_key("member", member["id"])))).json()
    assert me["learningGroups"] == [] and me["upcomingWorkshops"] == []


async def test_patching_the_status_to_inactive_departs_too(client):
    admin = await make_key("admin")
    member = await make_member()
    part = await _taking_part(member["id"])
    response = await client.patch(
        f"/v1/members/{member['id']}",
        json={"status": "inactive"},
        headers={**bearer(admin), **PATCH},
    )
    assert response.status_code == 200, response.text
    await _assert_departed(client, admin, member["id"], part)


async def test_a_merged_group_keeps_its_members(client):
    admin = await make_key("admin")
    member = await make_member()
    survivor = await make_group()
    merged = await make_group()
    membership = await add_membership(merged["id"], member["id"])
    await client.patch(
        f"/v1/learning-groups/{merged['id']}",
        json={"status": "merged", "mergedIntoId": str(survivor["id"])},
        headers={**bearer(admin), **PATCH},
    )
    await client.delete(f"/v1/members/{member['id']}", headers=bearer(admin))
    kept = await client.get(
        f"/v1/learning-groups/{merged['id']}/memberships/{membership['id']}", headers=bearer(admin)
    )
    assert kept.json()["current"] is True


async def test_erasing_departs_even_a_member_already_inactive(client):
    admin = await make_key("admin")
    member = await make_member()
    part = await _taking_part(member["id"])
    erased = await client.post(f"/v1/members/{member['id']}/_erase", headers=bearer(admin))
    assert erased.status_code == 200, erased.text
    await _assert_departed(client, admin, member["id"], part)
    ended = [c for c in await _changes(client, admin, "group-membership") if c["change"] == "ended"]
    assert len(ended) == 2


async def test_scim_deprovisioning_and_active_false_depart(client):
    admin, sync = await make_key("admin"), await make_key("sync")
    for n, how in ((1, "delete"), (2, "patch")):
        user = await scim_create(client, sync, entra_user(n))
        part = await _taking_part(uuid.UUID(user["id"]))
        if how == "delete":
            response = await scim(client, "DELETE", f"/Users/{user['id']}", sync)
            assert response.status_code == 204, response.text
        else:
            body = {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "active", "value": False}],
            }
            response = await scim(client, "PATCH", f"/Users/{user['id']}", sync, body)
            assert response.status_code == 200, response.text
        await _assert_departed(client, admin, user["id"], part)


@pytest.mark.parametrize("departing", [2, 40])
async def test_a_strict_sync_departs_in_statements_that_do_not_grow(client, statements, departing):
    from tests.sync.test_member_syncs import payload, person, post_sync

    sync, admin = await make_key("sync"), await make_key("admin")
    everyone = [person(n) for n in range(1, 2 * departing + 3)]
    assert (await post_sync(client, sync, payload(everyone))).status_code == 201
    ids = {
        m["externalId"]: m["id"]
        for m in (await client.get("/v1/members?pageSize=100", headers=bearer(admin))).json()[
            "items"
        ]
    }
    group, ahead = await make_group(), await workshop_in(5)
    leaving = everyone[:departing]
    for entry in leaving:
        await add_membership(group["id"], ids[entry["externalId"]])
        await sign_up(ahead["id"], ids[entry["externalId"]])
    staying = everyone[-1]
    await add_membership(group["id"], ids[staying["externalId"]])

    statements.statements.clear()
    response = await post_sync(
        client, sync, payload(everyone[departing:], allowMassDeactivation=True)
    )
    assert response.status_code == 201, response.text
    assert response.json()["counts"]["deactivated"] == departing
    departure = [
        s
        for s in statements.statements
        if "group_memberships" in s or "workshop_attendees" in s or "FROM workshops" in s
    ]
    # End the memberships, remove the sign-ups, read the workshops' versions: on Postgres
    # one statement each however many members leave (on SQLite one per 5,000).
    assert len(departure) == 3, departure
    detail = (await client.get(f"/v1/learning-groups/{group['id']}", headers=bearer(admin))).json()
    assert detail["memberCount"] == 1
    assert [m["memberId"] for m in detail["members"]] == [ids[staying["externalId"]]]
    attendees = await client.get(f"/v1/workshops/{ahead['id']}/attendees", headers=bearer(admin))
    assert attendees.json()["items"] == []
    changes = await _changes(client, admin, "group-membership,workshop")
    assert len([c for c in changes if c["change"] == "ended"]) == departing
    assert len([c for c in changes if c["change"] == "attendee-removed"]) == departing
