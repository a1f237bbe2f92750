"""Themes: create, read, list, merge-patch with If-Match, one theme per transition role, and
who may write (admins) or read (every role but sync)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import raw_sql
from tests.core.support import assert_problem, invalid_params, row_counts
from tests.factories import bearer, make_key, make_theme

MERGE_PATCH = "application/merge-patch+json"
THEMES = [
    ("De gemeente als organisatie", "verbinder"),
    ("De gemeente en marktpartijen", "coalitiebouwer"),
    ("De gemeente en maatschappelijke initiatieven", "gebiedsmakelaar"),
]


async def patch(
    client: httpx.AsyncClient, url: str, body: dict[str, Any], key: str, if_match: str | None = None
) -> httpx.Response:
    headers = {**bearer(key), "Content-Type": MERGE_PATCH}
    if if_match is not None:
        headers["If-Match"] = if_match
    return await client.patch(url, content=json.dumps(body), headers=headers)


async def test_create_answers_201_with_location_etag_and_an_audit_event(client):
    key = await make_key("admin")
    response = await client.post(
        "/v1/themes",
        json={
            "name": "De gemeente als organisatie",
            "description": "Circulair werken binnen de eigen organisatie.",
            "transitionRole": "verbinder",
        },
        headers=bearer(key),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["transitionRole"] == "verbinder"
    assert body["version"] == 1
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"].endswith(f"/v1/themes/{body['id']}")

    fetched = await client.get(response.headers["Location"], headers=bearer(key))
    assert fetched.status_code == 200
    assert fetched.json() == body
    events = await raw_sql("SELECT action, result FROM audit_events WHERE object_type = 'theme'")
    assert [(e.action, e.result) for e in events] == [("themes-create", "success")]


async def test_the_three_themes_and_their_roles_are_unique(client):
    key = await make_key("admin")
    for name, role in THEMES:
        created = await client.post(
            "/v1/themes", json={"name": name, "transitionRole": role}, headers=bearer(key)
        )
        assert created.status_code == 201, created.text

    same_role = await client.post(
        "/v1/themes",
        json={"name": "Nog een thema", "transitionRole": "verbinder"},
        headers=bearer(key),
    )
    assert assert_problem(same_role, 409)["conflictingFields"] == ["transitionRole"]
    same_name = await client.post(
        "/v1/themes",
        json={"name": THEMES[0][0], "transitionRole": "verbinder"},
        headers=bearer(key),
    )
    assert assert_problem(same_name, 409)["conflictingFields"] == ["name", "transitionRole"]

    listed = await client.get("/v1/themes", headers=bearer(key))
    assert sorted(item["transitionRole"] for item in listed.json()["items"]) == [
        "coalitiebouwer",
        "gebiedsmakelaar",
        "verbinder",
    ]


async def test_list_filters_search_and_sort(client):
    key = await make_key("reader")
    for name, role in THEMES:
        await make_theme(name=name, transitionRole=role, description=f"Rol: {role}")

    by_role = await client.get("/v1/themes?transitionRole=coalitiebouwer", headers=bearer(key))
    assert [i["name"] for i in by_role.json()["items"]] == [THEMES[1][0]]

    searched = await client.get("/v1/themes?q=MAATSCHAPPELIJKE", headers=bearer(key))
    assert [i["transitionRole"] for i in searched.json()["items"]] == ["gebiedsmakelaar"]
    in_description = await client.get("/v1/themes?q=rol: verb", headers=bearer(key))
    assert [i["transitionRole"] for i in in_description.json()["items"]] == ["verbinder"]

    descending = await client.get("/v1/themes?sort=-name&pageSize=2", headers=bearer(key))
    names = [i["name"] for i in descending.json()["items"]]
    assert names == sorted((n for n, _ in THEMES), reverse=True)[:2]
    rest = await client.get(descending.json()["next"], headers=bearer(key))
    assert [i["name"] for i in rest.json()["items"]] == [sorted(n for n, _ in THEMES)[0]]
    assert rest.json()["next"] is None

    bad_role = await client.get("/v1/themes?transitionRole=held", headers=bearer(key))
    assert invalid_params(assert_problem(bad_role, 400)) == {("query", "transitionRole")}
    bad_sort = await client.get("/v1/themes?sort=colour", headers=bearer(key))
    assert invalid_params(assert_problem(bad_sort, 400)) == {("query", "sort")}


async def test_patch_merges_and_honours_if_match(client):
    key = await make_key("admin")
    theme = await make_theme(transitionRole="verbinder", description="Eerste versie")
    url = f"/v1/themes/{theme['id']}"

    changed = await patch(client, url, {"description": None}, key, '"1"')
    assert changed.status_code == 200, changed.text
    assert changed.json()["description"] is None
    assert changed.json()["name"] == theme["name"]
    assert changed.headers["ETag"] == '"2"'

    stale = await patch(client, url, {"name": "Overschreven"}, key, '"1"')
    assert_problem(stale, 412)
    refused = await patch(client, url, {"name": None, "transitionRole": None, "id": "x"}, key)
    assert {n for _, n in invalid_params(assert_problem(refused, 400))} == {
        "name",
        "transitionRole",
        "id",
    }
    after = await client.get(url, headers=bearer(key))
    assert after.json()["version"] == 2


async def test_moving_a_theme_onto_a_taken_role_is_409(client):
    key = await make_key("admin")
    await make_theme(transitionRole="verbinder")
    other = await make_theme(transitionRole="coalitiebouwer")
    response = await patch(
        client, f"/v1/themes/{other['id']}", {"transitionRole": "verbinder"}, key
    )
    assert_problem(response, 409)
    same = await patch(
        client, f"/v1/themes/{other['id']}", {"transitionRole": "coalitiebouwer"}, key
    )
    assert same.status_code == 200


async def test_unknown_theme_is_404(client):
    key = await make_key("reader")
    assert_problem(await client.get(f"/v1/themes/{uuid.uuid4()}", headers=bearer(key)), 404)


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
    theme = await make_theme(transitionRole="verbinder")
    url = f"/v1/themes/{theme['id']}"
    assert (await client.get("/v1/themes", headers=bearer(key))).status_code == reads
    assert (await client.get(url, headers=bearer(key))).status_code == reads

    before = await row_counts()
    created = await client.post(
        "/v1/themes",
        json={"name": "Nieuw", "transitionRole": "gebiedsmakelaar"},
        headers=bearer(key),
    )
    changed = await patch(client, url, {"description": "Anders"}, key)
    if writes:
        assert created.status_code == 201
        assert changed.status_code == 200
    else:
        assert_problem(created, 403)
        assert_problem(changed, 403)
        assert await row_counts() == before
        denied = await raw_sql(
            "SELECT action FROM audit_events WHERE result = 'denied' ORDER BY id"
        )
        assert [e.action for e in denied][-2:] == ["themes-create", "themes-update"]


async def test_idempotent_create_replays_the_first_answer(client):
    key = await make_key("admin")
    headers = {**bearer(key), "Idempotency-Key": "thema-1"}
    body = {"name": "De gemeente als organisatie", "transitionRole": "verbinder"}
    first = await client.post("/v1/themes", json=body, headers=headers)
    again = await client.post("/v1/themes", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Location"] == first.headers["Location"]
    assert len((await client.get("/v1/themes", headers=bearer(key))).json()["items"]) == 1
