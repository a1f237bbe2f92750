"""A strict sync that deactivates members ends their group memberships and sign-ups ahead,
in statements that do not grow with how many leave (app/members/departure.py)."""

from __future__ import annotations

import pytest

from tests.factories import add_membership, bearer, make_group, make_key
from tests.me.support import sign_up, workshop_in
from tests.members.departures import feed_changes
from tests.sync.test_member_syncs import payload, person, post_sync


@pytest.mark.parametrize("departing", [2, 40])
async def test_a_strict_sync_departs_in_statements_that_do_not_grow(client, statements, departing):
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
    changes = await feed_changes(client, admin, "group-membership,workshop")
    assert len([c for c in changes if c["change"] == "ended"]) == departing
    assert len([c for c in changes if c["change"] == "attendee-removed"]) == departing
