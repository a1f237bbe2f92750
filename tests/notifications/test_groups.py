"""Being added to a group or removed from it by someone else notifies that member (not when
they join or leave themself); a group that concludes notifies its current members."""

from __future__ import annotations

from tests.factories import add_membership, bearer, make_group, make_key, make_member


async def _inbox(client, member_id):
    key = await make_key("reader", member_id)
    return (await client.get("/v1/me/notifications", headers=bearer(key))).json()["items"]


async def test_added_and_removed_by_someone_else(client):
    member, joiner = await make_member(), await make_member()
    group = await make_group(name="Bouwstromen", status="active")
    admin = await make_key("admin")
    added = await client.post(
        f"/v1/learning-groups/{group['id']}/memberships",
        json={"memberId": str(member["id"]), "role": "member"},
        headers=bearer(admin),
    )
    assert added.status_code == 201, added.text
    removed = await client.delete(
        f"/v1/learning-groups/{group['id']}/memberships/{added.json()['id']}",
        headers=bearer(admin),
    )
    assert removed.status_code == 200, removed.text
    out, into = await _inbox(client, member["id"])
    assert into["kind"] == "membership-added"
    assert into["detail"] == {"name": "Bouwstromen", "role": "member"}
    assert into["subject"]["href"] == f"/v1/learning-groups/{group['id']}"
    assert out["kind"] == "membership-removed"
    assert out["detail"] == {"name": "Bouwstromen"}

    own = await make_key("member", joiner["id"])
    joined = await client.post(
        f"/v1/learning-groups/{group['id']}/memberships",
        json={"memberId": str(joiner["id"]), "role": "member"},
        headers=bearer(own),
    )
    assert joined.status_code == 201, joined.text
    assert await _inbox(client, joiner["id"]) == []


async def test_a_concluded_group_tells_its_members(client):
    inside, gone = await make_member(), await make_member()
    group = await make_group(name="Circulair inkopen", status="presented")
    await add_membership(group["id"], inside["id"])
    await add_membership(group["id"], gone["id"])
    admin = await make_key("admin")
    detail = (await client.get(f"/v1/learning-groups/{group['id']}", headers=bearer(admin))).json()
    membership = next(m for m in detail["members"] if m["memberId"] == str(gone["id"]))
    await client.delete(
        f"/v1/learning-groups/{group['id']}/memberships/{membership['membershipId']}",
        headers=bearer(admin),
    )
    detail = (await client.get(f"/v1/learning-groups/{group['id']}", headers=bearer(admin))).json()
    response = await client.patch(
        f"/v1/learning-groups/{group['id']}",
        json={"status": "concluded"},
        headers={
            **bearer(admin),
            "Content-Type": "application/merge-patch+json",
            "If-Match": f'"{detail["version"]}"',
        },
    )
    assert response.status_code == 200, response.text
    note, added = await _inbox(client, inside["id"])
    assert added["kind"] == "membership-added"
    assert note["kind"] == "group-concluded"
    assert note["detail"] == {"name": "Circulair inkopen"}
    assert [n["kind"] for n in await _inbox(client, gone["id"])] == [
        "membership-removed",
        "membership-added",
    ]
