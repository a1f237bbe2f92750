"""Organisations (partners): create, read, list with filters and keyset pages, merge-patch
with If-Match, unique names, and who may write or read."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import raw_sql
from tests.core.support import assert_problem, invalid_params, row_counts
from tests.factories import bearer, make_key, make_organisation

MERGE_PATCH = "application/merge-patch+json"


async def patch(
    client: httpx.AsyncClient, url: str, body: dict[str, Any], key: str, if_match: str | None = None
) -> httpx.Response:
    headers = {**bearer(key), "Content-Type": MERGE_PATCH}
    if if_match is not None:
        headers["If-Match"] = if_match
    return await client.patch(url, content=json.dumps(body), headers=headers)


async def test_create_and_get(client):
    key = await make_key("admin")
    response = await client.post(
        "/v1/organisations",
        json={"name": "DRIFT", "kind": "facilitator", "website": "https://drift.example"},
        headers=bearer(key),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["name"], body["kind"], body["website"]) == (
        "DRIFT",
        "facilitator",
        "https://drift.example",
    )
    assert response.headers["ETag"] == '"1"'
    fetched = await client.get(response.headers["Location"], headers=bearer(key))
    assert fetched.json() == body
    events = await raw_sql("SELECT action FROM audit_events WHERE object_type = 'organisation'")
    assert [e.action for e in events] == ["organisations-create"]


async def test_invalid_input_lists_every_field(client):
    key = await make_key("admin")
    response = await client.post(
        "/v1/organisations",
        json={"name": "", "kind": "ngo", "website": "drift.example", "version": 3},
        headers=bearer(key),
    )
    names = {n for _, n in invalid_params(assert_problem(response, 400))}
    assert names == {"name", "kind", "website", "version"}


async def test_names_are_unique(client):
    key = await make_key("admin")
    await make_organisation(name="DRIFT", kind="facilitator")
    other = await make_organisation(name="Buurtwerkplaats Noord", kind="societal_initiative")
    clash = await client.post(
        "/v1/organisations", json={"name": "DRIFT", "kind": "facilitator"}, headers=bearer(key)
    )
    assert assert_problem(clash, 409)["conflictingFields"] == ["name"]
    renamed = await patch(client, f"/v1/organisations/{other['id']}", {"name": "DRIFT"}, key)
    assert_problem(renamed, 409)


async def test_list_filters_by_kind_searches_and_pages(client):
    key = await make_key("reader")
    kinds = ["facilitator", "market_party", "societal_initiative", "knowledge_institute"]
    for index in range(8):
        await make_organisation(name=f"Partner {index:02d}", kind=kinds[index % 4])

    market = await client.get("/v1/organisations?kind=market_party", headers=bearer(key))
    assert [i["name"] for i in market.json()["items"]] == ["Partner 01", "Partner 05"]
    searched = await client.get("/v1/organisations?q=ner 0", headers=bearer(key))
    assert len(searched.json()["items"]) == 8
    exact = await client.get("/v1/organisations?q=partner 07", headers=bearer(key))
    assert [i["name"] for i in exact.json()["items"]] == ["Partner 07"]

    seen: list[str] = []
    url: str | None = "/v1/organisations?pageSize=3"
    while url:
        page = await client.get(url, headers=bearer(key))
        assert page.status_code == 200
        seen.extend(item["name"] for item in page.json()["items"])
        url = page.json()["next"]
        if url:
            assert page.headers["Link"] == f'<{url}>; rel="next"'
    assert seen == [f"Partner {i:02d}" for i in range(8)]


async def test_patch_merges_and_honours_if_match(client):
    key = await make_key("admin")
    organisation = await make_organisation(website="https://voorbeeld.example")
    url = f"/v1/organisations/{organisation['id']}"
    changed = await patch(client, url, {"website": None, "kind": "knowledge_institute"}, key, '"1"')
    assert changed.status_code == 200, changed.text
    assert changed.json()["website"] is None
    assert changed.json()["kind"] == "knowledge_institute"
    assert changed.json()["name"] == organisation["name"]
    assert_problem(await patch(client, url, {"name": "Oud"}, key, '"1"'), 412)
    assert (await client.get(url, headers=bearer(key))).json()["version"] == 2


async def test_unknown_organisation_is_404(client):
    key = await make_key("reader")
    response = await client.get(f"/v1/organisations/{uuid.uuid4()}", headers=bearer(key))
    assert_problem(response, 404)


@pytest.mark.parametrize(
    ("role", "reads", "writes"),
    [
        ("admin", 200, True),
        ("facilitator", 200, False),
        ("member", 200, False),
        ("reader", 200, False),
        ("sync", 403, False),
    ],
)
async def test_role_matrix(client, role, reads, writes):
    key = await make_key(role)
    organisation = await make_organisation()
    url = f"/v1/organisations/{organisation['id']}"
    assert (await client.get("/v1/organisations", headers=bearer(key))).status_code == reads
    assert (await client.get(url, headers=bearer(key))).status_code == reads

    before = await row_counts()
    created = await client.post(
        "/v1/organisations", json={"name": "Nieuw", "kind": "market_party"}, headers=bearer(key)
    )
    changed = await patch(client, url, {"kind": "facilitator"}, key)
    if writes:
        assert created.status_code == 201
        assert changed.status_code == 200
    else:
        assert_problem(created, 403)
        assert_problem(changed, 403)
        assert await row_counts() == before
