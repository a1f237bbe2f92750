"""GET /v1/departments: keyset pages, every sort key both ways, and the filters."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest

from tests.factories import bearer, make_department, make_key


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
        assert pages < 50, "pagination does not end"
    return items


def letters(n: int) -> str:
    """Same-case letters only, so every collation orders them like Python does."""
    return chr(ord("a") + n // 26) + chr(ord("a") + n % 26)


async def seed(count: int) -> list[dict[str, Any]]:
    rng = random.Random(7)
    names = list(range(count))
    codes = list(range(count))
    rng.shuffle(names)
    rng.shuffle(codes)
    return [
        await make_department(code=f"C{letters(c)}", name=f"Afdeling {letters(n)}")
        for n, c in zip(names, codes, strict=True)
    ]


async def test_walking_all_pages_gives_every_item_once(client):
    key = await make_key("reader")
    made = await seed(23)

    first = await client.get("/v1/departments", headers=bearer(key))
    assert len(first.json()["items"]) == 20  # the default page size
    assert first.json()["next"]

    walked = await walk(client, "/v1/departments?pageSize=4", key)
    ids = [d["id"] for d in walked]
    assert len(ids) == len(set(ids)) == 23
    assert set(ids) == {str(d["id"]) for d in made}

    # The same order as one big page: stable across page boundaries.
    whole = await client.get("/v1/departments?pageSize=100", headers=bearer(key))
    assert [d["id"] for d in whole.json()["items"]] == ids
    assert whole.json()["next"] is None


@pytest.mark.parametrize("sort", ["name", "code", "createdAt"])
async def test_every_sort_key_both_ways(client, sort):
    key = await make_key("reader")
    await seed(11)

    ascending = await walk(client, f"/v1/departments?pageSize=3&sort={sort}", key)
    descending = await walk(client, f"/v1/departments?pageSize=3&sort=-{sort}", key)

    expected = sorted(ascending, key=lambda d: (d[sort], d["id"]))
    assert [d["id"] for d in ascending] == [d["id"] for d in expected]
    assert [d["id"] for d in descending] == [d["id"] for d in reversed(expected)]


async def test_page_size_limits_and_bad_parameters(client):
    key = await make_key("reader")
    ok = await client.get("/v1/departments?pageSize=100", headers=bearer(key))
    assert ok.status_code == 200
    for query in (
        "pageSize=101",
        "pageSize=0",
        "pageSize=1000000",
        "pageSize=ten",
        "sort=colour",
        "cursor=not-a-cursor",
        "kind=ministerie",
        "active=perhaps",
        "parentId=nope",
    ):
        response = await client.get(f"/v1/departments?{query}", headers=bearer(key))
        assert response.status_code == 400, query
        assert response.headers["content-type"].startswith("application/problem+json")
        names = {p["name"] for p in response.json()["invalidParams"]}
        assert names == {query.split("=")[0]}, query


async def test_cursor_from_another_sort_is_400(client):
    key = await make_key("reader")
    await seed(3)
    first = await client.get("/v1/departments?pageSize=1&sort=code", headers=bearer(key))
    cursor = httpx.URL(first.json()["next"]).params["cursor"]
    response = await client.get(
        f"/v1/departments?pageSize=1&sort=name&cursor={cursor}", headers=bearer(key)
    )
    assert response.status_code == 400


async def test_filters(client):
    key = await make_key("reader")
    directie = await make_department(code="RD", name="Ruimte en Duurzaamheid", kind="directie")
    rd = str(directie["id"])
    afval = await make_department(code="AG", name="Afval & Grondstoffen", parentId=rd)
    green = await make_department(code="GO", name="Green Office", kind="team", parentId=rd)
    oost = await make_department(code="SD-OOST", name="Stadsdeel Oost", kind="stadsdeel")
    archived = await make_department(code="OUD", name="Oude Dienst", active=False)

    async def codes(query: str) -> list[str]:
        response = await client.get(f"/v1/departments?{query}", headers=bearer(key))
        assert response.status_code == 200, response.text
        return sorted(d["code"] for d in response.json()["items"])

    assert await codes("kind=afdeling") == sorted([afval["code"], archived["code"]])
    assert await codes("kind=stadsdeel") == [oost["code"]]
    assert await codes(f"parentId={rd}") == ["AG", "GO"]
    assert await codes("active=false") == ["OUD"]
    assert await codes("active=true") == ["AG", "GO", "RD", "SD-OOST"]
    assert await codes("code=GO") == [green["code"]]
    # q searches name and code, regardless of case.
    assert await codes("q=stadsdeel") == ["SD-OOST"]
    assert await codes("q=OFFICE") == ["GO"]
    assert await codes("q=sd-") == ["SD-OOST"]
    # LIKE wildcards are searched for literally.
    assert await codes("q=%25") == []
    assert await codes("q=_") == []
    # Filters combine, and pass through to the next link.
    assert await codes(f"parentId={rd}&kind=team") == ["GO"]
    paged = await client.get(
        f"/v1/departments?parentId={rd}&pageSize=1&sort=code", headers=bearer(key)
    )
    assert [d["code"] for d in paged.json()["items"]] == ["AG"]
    nxt = httpx.URL(paged.json()["next"])
    assert nxt.params["parentId"] == rd
    second = await client.get(str(nxt), headers=bearer(key))
    assert [d["code"] for d in second.json()["items"]] == ["GO"]
    assert second.json()["next"] is None


async def test_list_statements_do_not_grow_with_page_size(client, statements):
    key = await make_key("reader")
    await seed(30)
    await client.get("/v1/departments?pageSize=1", headers=bearer(key))  # caches the key
    counts = []
    for size in (5, 20, 30):
        statements.statements.clear()
        response = await client.get(f"/v1/departments?pageSize={size}", headers=bearer(key))
        assert response.status_code == 200
        assert len(response.json()["items"]) == size
        counts.append(statements.count)
    assert counts[0] == counts[1] == counts[2] <= 3, counts


async def test_a_page_of_departments_with_parents_costs_the_same_statements(client, statements):
    """Each department's parent comes in the page's own statement (a join), never one more
    statement per item."""
    key = await make_key("reader")
    parents = [await make_department(code=f"P{n}", kind="directie") for n in range(4)]
    for n in range(20):
        await make_department(code=f"C{n:02d}", parentId=str(parents[n % 4]["id"]))
    await client.get("/v1/departments?pageSize=1", headers=bearer(key))  # caches the key
    counts = {}
    for size in (2, 20):
        statements.statements.clear()
        response = await client.get(
            f"/v1/departments?pageSize={size}&sort=code&q=C", headers=bearer(key)
        )
        items = response.json()["items"]
        assert len(items) == size
        by_id = {str(p["id"]): p for p in parents}
        for item in items:
            parent = by_id[item["parentId"]]
            assert item["parent"] == {
                "id": item["parentId"],
                "code": parent["code"],
                "name": parent["name"],
            }
        counts[size] = statements.count
    assert counts[2] == counts[20], counts
