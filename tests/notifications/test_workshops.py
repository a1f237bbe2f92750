"""A change to a werkplaats notifies who signed up for it (which fields changed); cancelling it
is its own kind. One statement, in the change's transaction."""

from __future__ import annotations

from tests.factories import bearer, make_key, make_member
from tests.me.support import sign_up, workshop_in


async def _inbox(client, member_id):
    key = await make_key("reader", member_id)
    return (await client.get("/v1/me/notifications", headers=bearer(key))).json()["items"]


async def _patch(client, admin, workshop, body, version):
    response = await client.patch(
        f"/v1/workshops/{workshop['id']}",
        json=body,
        headers={
            **bearer(admin),
            "Content-Type": "application/merge-patch+json",
            "If-Match": f'"{version}"',
        },
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_who_signed_up_hears_of_a_change_and_of_the_cancellation(client, statements):
    attendee, bystander = await make_member(), await make_member()
    workshop = await workshop_in(10, title="Werkplaats 5")
    await sign_up(workshop["id"], attendee["id"])
    admin = await make_key("admin")

    statements.statements.clear()
    changed = await _patch(client, admin, workshop, {"location": "Stadhuis"}, workshop["version"])
    assert len([s for s in statements.statements if "INSERT INTO notifications" in s]) == 1
    await _patch(client, admin, workshop, {"status": "cancelled"}, changed["version"])

    cancelled, moved = await _inbox(client, attendee["id"])
    assert moved["kind"] == "workshop-changed"
    assert moved["detail"] == {"title": "Werkplaats 5", "fields": ["location"]}
    assert moved["subject"]["href"] == f"/v1/workshops/{workshop['id']}"
    assert cancelled["kind"] == "workshop-cancelled"
    assert cancelled["detail"] == {"title": "Werkplaats 5", "fields": ["status"]}
    assert await _inbox(client, bystander["id"]) == []
