"""GET /v1/members: keyset pages, every sort key both ways, filters, the embedded department,
and a number of SQL statements that does not depend on the page size."""

from __future__ import annotations

import base64
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.core.context import SYSTEM
from app.core.db import database
from app.members import repository
from app.members.models import MemberSource
from app.members.schemas import MemberCreate
from app.members.service import create_member
from tests.factories import bearer, make_department, make_key, make_member

SORT_KEYS = ["familyName", "givenName", "displayName", "joinedAt", "createdAt"]


async def walk(client: httpx.AsyncClient, url: str, key: str) -> list[dict[str, Any]]:
    """Follow `next` until the last page; check that body and Link header agree."""
    items: list[dict[str, Any]] = []
    next_url: str | None = url
    pages = 0
    while next_url:
        response = await client.get(next_url, headers=bearer(key))
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["items"])
        next_url = body["next"]
        if next_url:
            assert response.headers["Link"] == f'<{next_url}>; rel="next"'
        else:
            assert "Link" not in response.headers
        pages += 1
        assert pages < 200, "pagination does not end"
    return items


def letters(n: int) -> str:
    """Same-case letters only, so every collation orders them like Python does."""
    return chr(ord("a") + n // 26) + chr(ord("a") + n % 26)


async def seed_members(count: int, department_ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    """`count` members through the service, in one transaction, each sort key in its own
    shuffled order (and some equal family names, so the id has to break ties)."""
    rng = random.Random(11)
    orders = [list(range(count)) for _ in range(4)]
    for order in orders:
        rng.shuffle(order)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    made = []
    async with database.engine.begin() as conn:
        for i in range(count):
            family, given, display, joined = (order[i] for order in orders)
            data = MemberCreate.model_validate(
                {
                    "email": f"lid{i}@amsterdam.example",
                    "givenName": f"Voornaam{letters(given)}",
                    "familyName": f"Achternaam{letters(family // 2)}",
                    "displayName": f"Roepnaam{letters(display)}",
                    "joinedAt": (start + timedelta(days=joined)).isoformat(),
                    "departmentId": str(department_ids[i % len(department_ids)]),
                    "participation": "participant" if i % 3 else "follower",
                }
            )
            made.append(await create_member(conn, SYSTEM, data))
    return made


def sort_value(item: dict[str, Any], key: str) -> Any:
    """What the list orders an item by: a moment, or a name's key (app/members/rules.py)."""
    value = item[key]
    return (
        datetime.fromisoformat(value)
        if key.endswith("At")
        else repository.SORTING.folds[key](value)
    )


async def test_walking_all_pages_gives_every_member_once(client):
    key = await make_key("reader")
    department = await make_department()
    made = await seed_members(27, [department["id"]])

    first = await client.get("/v1/members", headers=bearer(key))
    assert first.status_code == 200
    assert len(first.json()["items"]) == 20  # the default page size
    assert first.json()["next"]

    walked = await walk(client, "/v1/members?pageSize=5", key)
    ids = [m["id"] for m in walked]
    assert len(ids) == len(set(ids)) == 27
    assert set(ids) == {str(m["id"]) for m in made}
    whole = await client.get("/v1/members?pageSize=100", headers=bearer(key))
    assert [m["id"] for m in whole.json()["items"]] == ids


async def test_a_member_added_while_walking_does_not_shift_pages(client):
    key = await make_key("reader")
    department = await make_department()
    await seed_members(6, [department["id"]])
    first = await client.get("/v1/members?pageSize=3", headers=bearer(key))
    seen = [m["id"] for m in first.json()["items"]]
    # Sorts before everything already seen: an offset pager would repeat an item now.
    await make_member(familyName="Aaaa")
    rest = await walk(client, first.json()["next"], key)
    assert not set(seen) & {m["id"] for m in rest}
    assert len(seen) + len(rest) == 6


@pytest.mark.parametrize("sort", SORT_KEYS)
async def test_every_sort_key_both_ways(client, sort):
    key = await make_key("reader")
    department = await make_department()
    await seed_members(13, [department["id"]])

    ascending = await walk(client, f"/v1/members?pageSize=4&sort={sort}", key)
    descending = await walk(client, f"/v1/members?pageSize=4&sort=-{sort}", key)

    expected = sorted(ascending, key=lambda m: (sort_value(m, sort), m["id"]))
    assert [m["id"] for m in ascending] == [m["id"] for m in expected]
    assert [m["id"] for m in descending] == [m["id"] for m in reversed(expected)]
    assert len(ascending) == 13


async def test_page_size_limits_and_bad_parameters(client):
    key = await make_key("reader")
    assert (await client.get("/v1/members?pageSize=100", headers=bearer(key))).status_code == 200
    for query in (
        "pageSize=101",
        "pageSize=0",
        "pageSize=-1",
        "pageSize=1000000",
        "sort=email",
        "sort=-",
        "cursor=bm9wZQ",
        "departmentId=42",
        "participation=spectator",
        "status=gone",
        "source=ldap",
    ):
        response = await client.get(f"/v1/members?{query}", headers=bearer(key))
        assert response.status_code == 400, (query, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert {p["name"] for p in response.json()["invalidParams"]} == {query.split("=")[0]}

    several = await client.get("/v1/members?pageSize=500&status=gone", headers=bearer(key))
    assert {p["name"] for p in several.json()["invalidParams"]} == {"pageSize", "status"}


SOME_ID = "6b1f6c1e-2f5d-4c55-9a57-3f0e8f5b2a10"


def forged(*parts: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("sort", "cursor"),
    [
        ("familyName", forged("familyName", 5, SOME_ID)),
        ("familyName", forged("familyName", "Jansen", "not-a-uuid")),
        ("familyName", forged("familyName", "Jansen")),
        ("familyName", forged("givenName", "Jansen", SOME_ID)),
        ("familyName", base64.urlsafe_b64encode(b'{"a": 1}').decode()),
        ("familyName", "%%%"),
        ("joinedAt", forged("joinedAt", "yesterday", SOME_ID)),
        ("joinedAt", forged("joinedAt", "2024-01-01T00:00:00", SOME_ID)),
    ],
)
async def test_a_forged_cursor_is_400_not_500(client, sort, cursor):
    key = await make_key("reader")
    await make_member()
    response = await client.get(
        "/v1/members", params={"sort": sort, "cursor": cursor}, headers=bearer(key)
    )
    assert response.status_code == 400, response.text
    assert [p["name"] for p in response.json()["invalidParams"]] == ["cursor"]


async def synced(member: dict[str, Any]) -> None:
    """Mark a member as managed by the intranet sync, as the sync itself would."""
    async with database.engine.begin() as conn:
        await repository.update(
            conn, member["id"], member["version"], {"source": MemberSource.SYNC}
        )


async def test_filters(client):
    key = await make_key("reader")
    admin = await make_key("admin")
    afval = await make_department(code="AG", name="Afval & Grondstoffen")
    green = await make_department(code="GO", name="Green Office")
    await make_member(
        givenName="Anna", familyName="Jansen", departmentId=str(afval["id"]), externalId="HR-A"
    )
    bram = await make_member(
        givenName="Bram",
        familyName="de Groot",
        displayName="Bram dG",
        email="Bram.deGroot@Amsterdam.example",
        departmentId=str(green["id"]),
        participation="follower",
    )
    cees = await make_member(
        givenName="Cees", familyName="Annink", departmentId=str(green["id"]), externalId="HR-C"
    )
    await synced(cees)
    await client.delete(f"/v1/members/{bram['id']}", headers=bearer(admin))

    async def names(query: str) -> list[str]:
        response = await client.get(f"/v1/members?{query}", headers=bearer(key))
        assert response.status_code == 200, response.text
        return sorted(m["givenName"] for m in response.json()["items"])

    assert await names(f"departmentId={afval['id']}") == ["Anna"]
    assert await names(f"departmentId={green['id']}") == ["Bram", "Cees"]
    assert await names(f"departmentId={uuid.uuid4()}") == []
    assert await names("participation=follower") == ["Bram"]
    assert await names("participation=participant") == ["Anna", "Cees"]
    assert await names("status=inactive") == ["Bram"]
    assert await names("status=active") == ["Anna", "Cees"]
    assert await names("source=sync") == ["Cees"]
    assert await names("source=manual") == ["Anna", "Bram"]
    assert await names("externalId=HR-A") == ["Anna"]
    assert await names("email=bram.degroot@amsterdam.example") == ["Bram"]
    assert await names("email=BRAM.DEGROOT@AMSTERDAM.EXAMPLE") == ["Bram"]
    # q searches given, family and display names regardless of case.
    assert await names("q=ann") == ["Anna", "Cees"]
    assert await names("q=GROOT") == ["Bram"]
    assert await names("q=dg") == ["Bram"]
    assert await names("q=%25") == []
    assert await names("q=") == ["Anna", "Bram", "Cees"]
    assert await names(f"departmentId={green['id']}&status=active&q=ann") == ["Cees"]


async def test_each_item_embeds_its_department(client):
    key = await make_key("reader")
    afval = await make_department(code="AG", name="Afval & Grondstoffen")
    member = await make_member(departmentId=str(afval["id"]))
    loner = await make_member()
    response = await client.get("/v1/members?pageSize=100", headers=bearer(key))
    by_id = {m["id"]: m for m in response.json()["items"]}
    assert by_id[str(member["id"])]["department"] == {
        "id": str(afval["id"]),
        "code": "AG",
        "name": "Afval & Grondstoffen",
    }
    assert by_id[str(loner["id"])]["department"] is None

    # A renamed department shows its new name at once (no stale copy on the member).
    await client.patch(
        f"/v1/departments/{afval['id']}",
        json={"name": "Afval en Grondstoffen"},
        headers=bearer(await make_key("admin")),
    )
    fetched = await client.get(f"/v1/members/{member['id']}", headers=bearer(key))
    assert fetched.json()["department"]["name"] == "Afval en Grondstoffen"


async def test_list_statements_do_not_grow_with_page_size(client, statements):
    key = await make_key("reader")
    departments = [await make_department() for _ in range(7)]
    await seed_members(105, [d["id"] for d in departments])
    warm = await client.get("/v1/members?pageSize=1", headers=bearer(key))
    assert warm.status_code == 200  # the key is now cached, as on a busy worker

    counts = {}
    for size in (10, 50, 100):
        statements.statements.clear()
        response = await client.get(f"/v1/members?pageSize={size}", headers=bearer(key))
        assert response.status_code == 200
        items = response.json()["items"]
        assert len(items) == size
        assert all(item["department"]["code"] for item in items)
        counts[size] = statements.count
    assert counts[10] == counts[50] == counts[100] <= 3, counts

    # Following the cursor costs no more than the first page.
    statements.statements.clear()
    second = await client.get(response.json()["next"], headers=bearer(key))
    assert len(second.json()["items"]) == 5
    assert statements.count == counts[100]


async def test_get_member_runs_a_constant_small_number_of_statements(client, statements):
    key = await make_key("reader")
    department = await make_department()
    with_department = await make_member(departmentId=str(department["id"]))
    without = await make_member()
    await client.get(f"/v1/members/{without['id']}", headers=bearer(key))  # caches the key

    counts = []
    for member in (with_department, without, with_department):
        statements.statements.clear()
        response = await client.get(f"/v1/members/{member['id']}", headers=bearer(key))
        assert response.status_code == 200
        counts.append(statements.count)
    assert counts[0] == counts[1] == counts[2] <= 2, counts
