"""A case added to a group notifies the group's current members (who added it excepted)."""

from __future__ import annotations

from tests.factories import add_membership, bearer, make_group, make_key, make_member


async def test_a_case_added_to_a_group_reaches_its_members(client):
    inside, outside = await make_member(), await make_member()
    group = await make_group(name="Circulair inkopen", status="active")
    await add_membership(group["id"], inside["id"])
    admin = await make_key("admin")
    created = await client.post(
        "/v1/cases",
        json={"title": "Uitvraag Oost", "learningGroupId": str(group["id"])},
        headers=bearer(admin),
    )
    assert created.status_code == 201, created.text
    case = created.json()

    reader = await make_key("reader", inside["id"])
    items = (await client.get("/v1/me/notifications", headers=bearer(reader))).json()["items"]
    [note] = [n for n in items if n["kind"] == "group-case-added"]
    assert note["subject"] == {"type": "case", "id": case["id"], "href": f"/v1/cases/{case['id']}"}
    assert note["detail"] == {"title": "Uitvraag Oost", "learningGroupId": str(group["id"])}
    other = await make_key("reader", outside["id"])
    assert (await client.get("/v1/me/notifications", headers=bearer(other))).json()["items"] == []
