"""The change feed: what a write puts in it, in which order, for whom, and bad positions."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from app.changes import service
from app.core.models import utcnow
from tests.changes.conftest import settled
from tests.core.support import assert_problem, invalid_params
from tests.factories import bearer, make_department, make_key, make_member, make_question
from tests.sync.test_member_syncs import payload, person, post_sync

URL = "/v1/changes"


async def follow(client, key: str, url: str = URL) -> tuple[list[dict], str]:
    """Every change from `url` on, page by page while there is a `next`; and `resume`, where
    to ask again later. (Once what was written is visible: see `settled`.)"""
    await settled()
    seen: list[dict] = []
    while True:
        response = await client.get(url, headers=bearer(key))
        assert response.status_code == 200, response.text
        page = response.json()
        seen.extend(page["items"])
        if page["next"] is None:
            assert "Link" not in response.headers
            return seen, page["resume"]
        assert page["next"] == page["resume"]
        assert response.headers["Link"] == f'<{page["next"]}>; rel="next"'
        url = page["next"]


async def test_writes_appear_in_order_with_their_versions(client):
    admin = await make_key("admin")
    department = await make_department(name="Circulaire Economie")
    member = await make_member(departmentId=str(department["id"]))
    member_url = f"/v1/members/{member['id']}"
    patched = await client.patch(
        member_url,
        json={"displayName": "Fatima"},
        headers={
            **bearer(admin),
            "Content-Type": "application/merge-patch+json",
            "If-Match": '"1"',
        },
    )
    assert patched.status_code == 200, patched.text
    deactivated = await client.delete(member_url, headers=bearer(admin))
    assert deactivated.status_code in (200, 204), deactivated.text

    seen, _ = await follow(client, admin)
    mine = [
        (c["type"], c["change"], c["version"])
        for c in seen
        if c["resourceId"] in (str(member["id"]), str(department["id"]))
    ]
    assert mine == [
        ("department", "created", 1),
        ("member", "created", 1),
        ("member", "updated", 2),
        ("member", "deactivated", 3),
    ]
    change = next(c for c in seen if c["change"] == "deactivated")
    assert change["href"] == member_url
    assert change["actor"] == {"role": "admin", "memberId": None}
    # The href is the resource as it is now, at the version the change names.
    now = await client.get(change["href"], headers=bearer(admin))
    assert now.json()["version"] == change["version"]


async def test_a_follower_continues_where_it_stopped_and_sees_nothing_twice(client):
    admin = await make_key("admin")
    await make_member()
    first, position = await follow(client, admin, f"{URL}?pageSize=1")
    await make_member()
    await make_member()
    later, _ = await follow(client, admin, position)
    assert len(later) == 2
    positions = [c["position"] for c in first + later]
    assert len(set(positions)) == len(positions)


async def test_a_sync_puts_every_member_it_wrote_in_the_feed(client, statements):
    sync = await make_key("sync")
    response = await post_sync(client, sync, payload([person(n) for n in range(1, 401)]))
    assert response.status_code == 201, response.text
    seen, position = await follow(client, sync, f"{URL}?types=member,department")
    assert sorted(c["change"] for c in seen if c["type"] == "member") == ["created"] * 400
    assert [c["change"] for c in seen if c["type"] == "department"] == ["created"]
    assert all(c["version"] == 1 for c in seen)

    async def rename(count: int) -> int:
        statements.statements.clear()
        renamed = [{**person(n), "givenName": f"Nieuw{count}"} for n in range(1, count + 1)]
        response = await post_sync(client, sync, payload(renamed, mode="additive"))
        assert response.status_code == 201, response.text
        return statements.count

    # Forty members or four hundred: the same statements, their changes among them.
    assert await rename(40) == await rename(400)
    seen, _ = await follow(client, sync, position)
    assert sum(c["change"] == "updated" for c in seen) == 440
    assert {c["version"] for c in seen[:40]} == {2}
    assert {c["version"] for c in seen[40:]} == {2, 3}


async def test_each_role_reads_the_changes_of_what_it_may_read(client):
    sync = await make_key("sync")
    reader = await make_key("reader")
    await make_member()
    await make_question(title="Circulair inkopen")
    seen, _ = await follow(client, sync)
    assert {c["type"] for c in seen} == {"member"}
    seen, _ = await follow(client, reader)
    assert {c["type"] for c in seen} == {"member", "learning-question"}
    refused = await client.get(URL, params={"types": "learning-question"}, headers=bearer(sync))
    assert_problem(refused, 403)
    unknown = await client.get(URL, params={"types": "api-key"}, headers=bearer(reader))
    assert ("query", "types") in invalid_params(assert_problem(unknown, 400))


async def test_bad_and_expired_positions(client):
    reader = await make_key("reader")
    for forged in ("nonsense", "W10", service._position(-1, 2, utcnow())):
        response = await client.get(URL, params={"after": forged}, headers=bearer(reader))
        assert ("query", "after") in invalid_params(assert_problem(response, 400))
    # A list's cursor is not a position in the feed.
    members = await client.get("/v1/members?pageSize=1", headers=bearer(reader))
    await make_member()
    await make_member()
    members = await client.get("/v1/members?pageSize=1", headers=bearer(reader))
    cursor = members.json()["next"].rsplit("cursor=", 1)[1]
    response = await client.get(URL, params={"after": cursor}, headers=bearer(reader))
    assert ("query", "after") in invalid_params(assert_problem(response, 400))
    # Older than the feed keeps (90 days by default): gone, with what to do instead.
    old = service._position(5, 7, utcnow() - timedelta(days=91))
    problem = assert_problem(
        await client.get(URL, params={"after": old}, headers=bearer(reader)), 410
    )
    assert "lists" in problem["detail"]


async def test_wait_answers_as_soon_as_a_change_comes(client):
    reader = await make_key("reader")
    _, position = await follow(client, reader)

    async def write_soon() -> None:
        await asyncio.sleep(0.5)
        await make_member()

    started = time.monotonic()
    writer = asyncio.create_task(write_soon())
    response = await client.get(f"{position}&wait=10", headers=bearer(reader))
    waited = time.monotonic() - started
    await writer
    assert response.status_code == 200, response.text
    assert [c["change"] for c in response.json()["items"]] == ["created"]
    assert 0.4 < waited < 2.5
    # `resume` keeps the wait. Nothing comes: the wait ends empty-handed, where it began.
    following = response.json()["resume"]
    assert "wait=10" in following
    started = time.monotonic()
    response = await client.get(following.replace("wait=10", "wait=0.5"), headers=bearer(reader))
    assert response.json() == {
        "items": [],
        "next": None,
        "resume": following.replace("wait=10", "wait=0.5"),
    }
    assert 0.4 < time.monotonic() - started < 2
