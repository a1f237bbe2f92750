"""Deactivating a member through the members API ends what they take part in now: their current
group memberships end (kept as history, no longer counted) and their sign-ups for werkplaatsen
ahead go, each in the change feed as leaving and removing an attendee are. Reactivating restores
neither. (The sync, SCIM and erasure: tests/sync, tests/scim, tests/privacy.)"""

from __future__ import annotations

from app.members.departure import endings
from tests.factories import add_membership, bearer, make_group, make_key, make_member
from tests.members.departures import assert_departed, feed_changes, taking_part

PATCH = {"Content-Type": "application/merge-patch+json"}


def test_learning_groups_and_workshops_register_what_a_departure_ends(app):
    assert endings() == ["group memberships", "workshop sign-ups"]


async def test_deactivating_ends_memberships_and_sign_ups_ahead(client):
    admin = await make_key("admin")
    member = await make_member()
    part = await taking_part(member["id"])
    response = await client.delete(f"/v1/members/{member['id']}", headers=bearer(admin))
    assert response.status_code == 200, response.text
    await assert_departed(client, admin, member["id"], part)

    changes = await feed_changes(client, admin, "group-membership,workshop")
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
    await assert_departed(client, admin, member["id"], part)
    me = (await client.get("/v1/me", headers=bearer(await make_key("member", member["id"])))).json()
    assert me["learningGroups"] == [] and me["upcomingWorkshops"] == []


async def test_patching_the_status_to_inactive_departs_too(client):
    admin = await make_key("admin")
    member = await make_member()
    part = await taking_part(member["id"])
    response = await client.patch(
        f"/v1/members/{member['id']}",
        json={"status": "inactive"},
        headers={**bearer(admin), **PATCH},
    )
    assert response.status_code == 200, response.text
    await assert_departed(client, admin, member["id"], part)


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
