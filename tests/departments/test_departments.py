"""Departments as single resources: create, read, merge-patch, If-Match, archive, unique
codes, parent references and cycles, and who may write."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from tests.factories import bearer, make_department, make_key

MERGE_PATCH = "application/merge-patch+json"


async def patch(
    client: httpx.AsyncClient,
    url: str,
    body: dict[str, Any],
    key: str,
    if_match: str | None = None,
) -> httpx.Response:
    headers = {**bearer(key), "Content-Type": MERGE_PATCH}
    if if_match is not None:
        headers["If-Match"] = if_match
    return await client.patch(url, content=json.dumps(body), headers=headers)


def invalid_names(response: httpx.Response) -> set[str]:
    return {p["name"] for p in response.json()["invalidParams"]}


async def test_create_answers_201_with_location_and_etag(client):
    key = await make_key("admin")
    response = await client.post(
        "/v1/departments",
        json={"code": "AGR", "name": "Afval & Grondstoffen", "kind": "afdeling"},
        headers=bearer(key),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["code"] == "AGR"
    assert body["active"] is True
    assert body["parentId"] is None
    assert body["version"] == 1
    assert response.headers["ETag"] == '"1"'
    location = response.headers["Location"]
    assert location.endswith(f"/v1/departments/{body['id']}")

    fetched = await client.get(location, headers=bearer(key))
    assert fetched.status_code == 200
    assert fetched.headers["ETag"] == '"1"'
    assert fetched.json() == body


async def test_get_unknown_and_malformed_ids(client):
    key = await make_key("admin")
    missing = await client.get(f"/v1/departments/{uuid.uuid4()}", headers=bearer(key))
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    malformed = await client.get("/v1/departments/not-a-uuid", headers=bearer(key))
    assert malformed.status_code in (400, 404)
    assert malformed.headers["content-type"].startswith("application/problem+json")


async def test_create_refuses_client_set_fields_and_lists_every_invalid_one(client):
    key = await make_key("admin")
    response = await client.post(
        "/v1/departments",
        json={"code": "", "kind": "ministerie", "id": str(uuid.uuid4()), "version": 7},
        headers=bearer(key),
    )
    assert response.status_code == 400
    assert {"code", "name", "kind", "id", "version"} <= invalid_names(response)


async def test_patch_has_merge_patch_semantics(client):
    key = await make_key("admin")
    parent = await make_department(kind="directie")
    department = await make_department(parentId=str(parent["id"]))
    url = f"/v1/departments/{department['id']}"

    renamed = await patch(client, url, {"name": "Stedelijke Innovatie"}, key)
    assert renamed.status_code == 200, renamed.text
    body = renamed.json()
    assert body["name"] == "Stedelijke Innovatie"
    # Absent properties keep their value.
    assert body["code"] == department["code"]
    assert body["parentId"] == str(parent["id"])
    assert body["version"] == 2
    assert renamed.headers["ETag"] == '"2"'

    cleared = await patch(client, url, {"parentId": None}, key)
    assert cleared.status_code == 200
    assert cleared.json()["parentId"] is None

    refused = await patch(
        client, url, {"name": None, "code": None, "kind": None, "active": None}, key
    )
    assert refused.status_code == 400
    assert invalid_names(refused) == {"name", "code", "kind", "active"}
    after = await client.get(url, headers=bearer(key))
    assert after.json()["name"] == "Stedelijke Innovatie"
    assert after.json()["version"] == 3


async def test_patch_refuses_unknown_and_server_owned_properties(client):
    key = await make_key("admin")
    department = await make_department()
    url = f"/v1/departments/{department['id']}"
    response = await patch(client, url, {"version": 9, "createdAt": "2020-01-01T00:00:00Z"}, key)
    assert response.status_code == 400
    assert invalid_names(response) == {"version", "createdAt"}


async def test_if_match_stale_is_412_and_changes_nothing(client):
    key = await make_key("admin")
    department = await make_department(name="Ingenieursbureau")
    url = f"/v1/departments/{department['id']}"

    first = await patch(client, url, {"name": "Ingenieursbureau Amsterdam"}, key, '"1"')
    assert first.status_code == 200
    assert first.json()["version"] == 2

    stale = await patch(client, url, {"name": "Overschreven"}, key, '"1"')
    assert stale.status_code == 412
    assert stale.headers["content-type"].startswith("application/problem+json")
    stale_archive = await client.delete(url, headers={**bearer(key), "If-Match": '"1"'})
    assert stale_archive.status_code == 412

    current = await client.get(url, headers=bearer(key))
    assert current.json()["name"] == "Ingenieursbureau Amsterdam"
    assert current.json()["active"] is True
    assert current.json()["version"] == 2

    matching = await patch(client, url, {"kind": "directie"}, key, current.headers["ETag"])
    assert matching.status_code == 200
    assert matching.json()["version"] == 3


async def test_delete_archives_and_keeps_the_department(client):
    key = await make_key("admin")
    department = await make_department()
    url = f"/v1/departments/{department['id']}"

    archived = await client.delete(url, headers={**bearer(key), "If-Match": '"1"'})
    assert archived.status_code == 200, archived.text
    assert archived.json()["active"] is False
    assert archived.json()["version"] == 2
    assert archived.headers["ETag"] == '"2"'

    still_there = await client.get(url, headers=bearer(key))
    assert still_there.status_code == 200
    assert still_there.json()["active"] is False

    again = await client.delete(url, headers=bearer(key))
    assert again.status_code == 200
    assert again.json()["version"] == 2


async def test_code_clash_is_409_on_create_and_patch(client):
    key = await make_key("admin")
    await make_department(code="GO")
    other = await make_department(code="SI")

    clash = await client.post(
        "/v1/departments",
        json={"code": "GO", "name": "Green Office bis", "kind": "team"},
        headers=bearer(key),
    )
    assert clash.status_code == 409
    assert clash.headers["content-type"].startswith("application/problem+json")
    assert clash.json()["status"] == 409

    renamed = await patch(client, f"/v1/departments/{other['id']}", {"code": "GO"}, key)
    assert renamed.status_code == 409
    unchanged = await client.get(f"/v1/departments/{other['id']}", headers=bearer(key))
    assert unchanged.json()["code"] == "SI"

    # Keeping one's own code is not a clash.
    same = await patch(client, f"/v1/departments/{other['id']}", {"code": "SI"}, key)
    assert same.status_code == 200


async def test_unknown_parent_is_400_naming_parent_id(client):
    key = await make_key("admin")
    created = await client.post(
        "/v1/departments",
        json={"code": "X1", "name": "Wees", "kind": "team", "parentId": str(uuid.uuid4())},
        headers=bearer(key),
    )
    assert created.status_code == 400
    assert invalid_names(created) == {"parentId"}

    department = await make_department()
    patched = await patch(
        client, f"/v1/departments/{department['id']}", {"parentId": str(uuid.uuid4())}, key
    )
    assert patched.status_code == 400
    assert invalid_names(patched) == {"parentId"}


@pytest.mark.parametrize("depth", [0, 1, 3])
async def test_parent_cycle_is_400(client, depth):
    """A department may not become its own parent, directly or through its descendants."""
    key = await make_key("admin")
    root = await make_department(kind="directie")
    chain = [root]
    for _ in range(depth):
        chain.append(await make_department(parentId=str(chain[-1]["id"])))
    response = await patch(
        client, f"/v1/departments/{root['id']}", {"parentId": str(chain[-1]["id"])}, key
    )
    assert response.status_code == 400
    assert invalid_names(response) == {"parentId"}
    unchanged = await client.get(f"/v1/departments/{root['id']}", headers=bearer(key))
    assert unchanged.json()["parentId"] is None
    assert unchanged.json()["version"] == 1


async def test_moving_under_a_sibling_is_no_cycle(client):
    key = await make_key("admin")
    root = await make_department(kind="directie")
    first = await make_department(parentId=str(root["id"]))
    second = await make_department(parentId=str(root["id"]))
    response = await patch(
        client, f"/v1/departments/{second['id']}", {"parentId": str(first["id"])}, key
    )
    assert response.status_code == 200
    assert response.json()["parentId"] == str(first["id"])


@pytest.mark.parametrize("role", ["reader", "sync", "facilitator", "member"])
async def test_non_admins_read_but_do_not_write(client, role):
    admin = await make_key("admin")
    key = await make_key(role)
    department = await make_department()
    url = f"/v1/departments/{department['id']}"

    assert (await client.get("/v1/departments", headers=bearer(key))).status_code == 200
    assert (await client.get(url, headers=bearer(key))).status_code == 200

    created = await client.post(
        "/v1/departments",
        json={"code": "NEW", "name": "Nieuw", "kind": "team"},
        headers=bearer(key),
    )
    assert created.status_code == 403
    assert created.headers["content-type"].startswith("application/problem+json")
    assert (await patch(client, url, {"name": "Anders"}, key)).status_code == 403
    assert (await client.delete(url, headers=bearer(key))).status_code == 403

    unchanged = (await client.get(url, headers=bearer(admin))).json()
    assert (unchanged["name"], unchanged["active"], unchanged["version"]) == (
        department["name"],
        True,
        1,
    )
    listed = await client.get("/v1/departments", headers=bearer(admin))
    assert [d["code"] for d in listed.json()["items"]] == [department["code"]]


async def test_without_a_key_is_401(client):
    response = await client.get("/v1/departments")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_a_department_carries_its_parent_by_code_and_name(client):
    key = await make_key("admin")
    parent = await make_department(code="RD", name="Ruimte en Duurzaamheid", kind="directie")
    child = await make_department(code="RD-CE", parentId=str(parent["id"]))
    url = f"/v1/departments/{child['id']}"

    body = (await client.get(url, headers=bearer(key))).json()
    assert body["parentId"] == str(parent["id"])
    assert body["parent"] == {
        "id": str(parent["id"]),
        "code": "RD",
        "name": "Ruimte en Duurzaamheid",
    }
    root = (await client.get(f"/v1/departments/{parent['id']}", headers=bearer(key))).json()
    assert root["parentId"] is None
    assert root["parent"] is None

    # The reference shows the parent as it is now, in lists too.
    renamed = await patch(
        client, f"/v1/departments/{parent['id']}", {"name": "Ruimte & Duurzaamheid"}, key
    )
    assert renamed.status_code == 200, renamed.text
    listed = (await client.get("/v1/departments?code=RD-CE", headers=bearer(key))).json()
    assert listed["items"][0]["parent"]["name"] == "Ruimte & Duurzaamheid"

    # A write answers with the reference as well; clearing the parent clears it.
    cleared = await patch(client, url, {"parentId": None}, key)
    assert cleared.json()["parentId"] is None
    assert cleared.json()["parent"] is None
