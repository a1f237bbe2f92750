"""What the departure tests share: a member taking part in groups and werkplaatsen, the check
that a departure ended it all, and the feed's changes."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.changes.conftest import settled
from tests.factories import add_membership, bearer, make_group
from tests.me.support import sign_up, workshop_in


async def taking_part(member_id: uuid.UUID) -> dict[str, Any]:
    """A member in two groups, signed up for a werkplaats ahead and one that has begun."""
    groups = [await make_group(status="active"), await make_group()]
    memberships = [await add_membership(g["id"], member_id) for g in groups]
    ahead, begun = await workshop_in(10), await workshop_in(-1)
    for workshop in (ahead, begun):
        await sign_up(workshop["id"], member_id)
    return {"groups": groups, "memberships": memberships, "ahead": ahead, "begun": begun}


async def assert_departed(
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


async def feed_changes(client: httpx.AsyncClient, admin: str, types: str) -> list[dict[str, Any]]:
    await settled()
    response = await client.get(f"/v1/changes?types={types}&pageSize=1000", headers=bearer(admin))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items
