"""Erasing a member ends what they take part in, as deactivating does."""

from __future__ import annotations

from tests.factories import bearer, make_key, make_member
from tests.members.departures import assert_departed, feed_changes, taking_part


async def test_erasing_ends_memberships_and_sign_ups_ahead(client):
    admin = await make_key("admin")
    member = await make_member()
    part = await taking_part(member["id"])
    erased = await client.post(f"/v1/members/{member['id']}/_erase", headers=bearer(admin))
    assert erased.status_code == 200, erased.text
    await assert_departed(client, admin, member["id"], part)
    ended = [
        c for c in await feed_changes(client, admin, "group-membership") if c["change"] == "ended"
    ]
    assert len(ended) == 2
