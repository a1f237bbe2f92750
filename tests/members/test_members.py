"""Members as single resources: create, read, merge-patch, If-Match, deactivation, unique
e-mail (any case) and external id, and references to departments and organisations."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from tests.factories import bearer, make_department, make_key, make_member

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
    assert response.status_code == 400, response.text
    return {p["name"] for p in response.json()["invalidParams"]}


async def test_create_answers_201_with_location_etag_and_embedded_department(client):
    key = await make_key("admin")
    department = await make_department(code="GMV", name="Gemeentelijk en Maatschappelijk Vastgoed")
    response = await client.post(
        "/v1/members",
        json={
            "externalId": "HR-1001",
            "email": "Fatima.Yilmaz@amsterdam.example",
            "givenName": "Fatima",
            "familyName": "Yilmaz",
            "departmentId": str(department["id"]),
            "participation": "follower",
            "transitionRoles": ["verbinder"],
            "discipline": "vastgoed",
        },
        headers=bearer(key),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["displayName"] == "Fatima Yilmaz"
    assert body["status"] == "active"
    assert body["source"] == "manual"
    assert body["participation"] == "follower"
    assert body["transitionRoles"] == ["verbinder"]
    assert body["deactivatedAt"] is None
    assert body["joinedAt"]
    assert body["version"] == 1
    assert body["department"] == {
        "id": str(department["id"]),
        "code": "GMV",
        "name": "Gemeentelijk en Maatschappelijk Vastgoed",
    }
    assert body["organisation"] is None
    assert response.headers["ETag"] == '"1"'
    location = response.headers["Location"]
    assert location.endswith(f"/v1/members/{body['id']}")

    fetched = await client.get(location, headers=bearer(key))
    assert fetched.status_code == 200
    assert fetched.headers["ETag"] == '"1"'
    assert fetched.json() == body


async def test_create_lists_every_invalid_field_and_refuses_server_owned_ones(client):
    key = await make_key("admin")
    response = await client.post(
        "/v1/members",
        json={
            "email": "not-an-address",
            "givenName": "",
            "participation": "spectator",
            "transitionRoles": ["tovenaar"],
            "joinedAt": "2025-01-01T09:00:00",
            "source": "sync",
            "status": "inactive",
            "id": str(uuid.uuid4()),
            "version": 3,
            "createdAt": "2025-01-01T09:00:00Z",
        },
        headers=bearer(key),
    )
    names = invalid_names(response)
    assert {
        "email",
        "givenName",
        "familyName",
        "participation",
        "transitionRoles[0]",
        "joinedAt",
        "source",
        "status",
        "id",
        "version",
        "createdAt",
    } <= names
    assert (await client.get("/v1/members", headers=bearer(key))).json()["items"] == []


async def test_get_unknown_member_is_404(client):
    key = await make_key("admin")
    response = await client.get(f"/v1/members/{uuid.uuid4()}", headers=bearer(key))
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_patch_has_merge_patch_semantics(client):
    key = await make_key("admin")
    department = await make_department()
    member = await make_member(
        departmentId=str(department["id"]), discipline="juridisch", externalId="HR-77"
    )
    url = f"/v1/members/{member['id']}"

    changed = await patch(client, url, {"displayName": "Sanne", "transitionRoles": []}, key)
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["displayName"] == "Sanne"
    assert body["transitionRoles"] == []
    # Absent properties keep their value.
    assert body["discipline"] == "juridisch"
    assert body["externalId"] == "HR-77"
    assert body["department"]["id"] == str(department["id"])
    assert body["version"] == 2
    assert changed.headers["ETag"] == '"2"'

    # null clears what may be empty.
    cleared = await patch(
        client, url, {"discipline": None, "externalId": None, "departmentId": None}, key
    )
    assert cleared.status_code == 200, cleared.text
    body = cleared.json()
    assert (body["discipline"], body["externalId"], body["departmentId"], body["department"]) == (
        None,
        None,
        None,
        None,
    )

    # null on a required property is refused, every such property named at once.
    refused = await patch(
        client,
        url,
        {
            "email": None,
            "givenName": None,
            "familyName": None,
            "displayName": None,
            "participation": None,
            "status": None,
            "transitionRoles": None,
        },
        key,
    )
    assert invalid_names(refused) == {
        "email",
        "givenName",
        "familyName",
        "displayName",
        "participation",
        "status",
        "transitionRoles",
    }
    after = (await client.get(url, headers=bearer(key))).json()
    assert after["version"] == 3
    assert after["displayName"] == "Sanne"


async def test_if_match_stale_is_412_and_changes_nothing(client):
    key = await make_key("admin")
    member = await make_member(discipline="ecologie")
    url = f"/v1/members/{member['id']}"

    first = await patch(client, url, {"discipline": "circulaire economie"}, key, '"1"')
    assert first.status_code == 200
    assert first.json()["version"] == 2

    stale = await patch(client, url, {"discipline": "overschreven"}, key, '"1"')
    assert stale.status_code == 412
    assert stale.headers["content-type"].startswith("application/problem+json")
    stale_delete = await client.delete(url, headers={**bearer(key), "If-Match": '"1"'})
    assert stale_delete.status_code == 412
    garbage = await patch(client, url, {"discipline": "x"}, key, "no-etag-at-all")
    assert garbage.status_code == 412

    current = await client.get(url, headers=bearer(key))
    assert current.json()["discipline"] == "circulaire economie"
    assert current.json()["status"] == "active"
    assert current.json()["version"] == 2

    matching = await patch(client, url, {"discipline": "data"}, key, current.headers["ETag"])
    assert matching.status_code == 200
    assert matching.json()["version"] == 3
    assert matching.headers["ETag"] == '"3"'


async def test_delete_deactivates_and_the_member_stays_readable(client):
    key = await make_key("admin")
    member = await make_member()
    url = f"/v1/members/{member['id']}"

    deactivated = await client.delete(url, headers={**bearer(key), "If-Match": '"1"'})
    assert deactivated.status_code == 200, deactivated.text
    body = deactivated.json()
    assert body["status"] == "inactive"
    assert body["deactivatedAt"] is not None
    assert body["version"] == 2

    fetched = await client.get(url, headers=bearer(key))
    assert fetched.status_code == 200
    assert fetched.json()["status"] == "inactive"
    listed = await client.get("/v1/members?status=inactive", headers=bearer(key))
    assert [m["id"] for m in listed.json()["items"]] == [str(member["id"])]

    again = await client.delete(url, headers=bearer(key))
    assert again.status_code == 200
    assert again.json()["version"] == 2

    reactivated = await patch(client, url, {"status": "active"}, key)
    assert reactivated.status_code == 200
    assert reactivated.json()["status"] == "active"
    assert reactivated.json()["deactivatedAt"] is None


async def test_email_is_unique_regardless_of_case(client):
    key = await make_key("admin")
    await make_member(email="Jan.de.Vries@amsterdam.example")
    other = await make_member(email="p.bakker@amsterdam.example")

    clash = await client.post(
        "/v1/members",
        json={"email": "JAN.DE.VRIES@Amsterdam.Example", "givenName": "J", "familyName": "V"},
        headers=bearer(key),
    )
    assert clash.status_code == 409, clash.text
    assert clash.headers["content-type"].startswith("application/problem+json")
    assert "email" in clash.json()["conflictingFields"]

    patched = await patch(
        client, f"/v1/members/{other['id']}", {"email": "jan.de.vries@AMSTERDAM.example"}, key
    )
    assert patched.status_code == 409
    unchanged = await client.get(f"/v1/members/{other['id']}", headers=bearer(key))
    assert unchanged.json()["email"] == "p.bakker@amsterdam.example"

    # A member may change the case of their own address.
    own = await patch(
        client, f"/v1/members/{other['id']}", {"email": "P.Bakker@amsterdam.example"}, key
    )
    assert own.status_code == 200, own.text


async def test_external_id_is_unique(client):
    key = await make_key("admin")
    await make_member(externalId="HR-0042")
    other = await make_member(externalId="HR-0043")

    clash = await client.post(
        "/v1/members",
        json={
            "email": "nieuw@amsterdam.example",
            "givenName": "N",
            "familyName": "W",
            "externalId": "HR-0042",
        },
        headers=bearer(key),
    )
    assert clash.status_code == 409
    assert clash.json()["conflictingFields"] == ["externalId"]

    patched = await patch(client, f"/v1/members/{other['id']}", {"externalId": "HR-0042"}, key)
    assert patched.status_code == 409
    both = await client.post(
        "/v1/members",
        json={
            "email": (await client.get(f"/v1/members/{other['id']}", headers=bearer(key))).json()[
                "email"
            ],
            "givenName": "N",
            "familyName": "W",
            "externalId": "HR-0042",
        },
        headers=bearer(key),
    )
    assert both.status_code == 409
    assert set(both.json()["conflictingFields"]) == {"email", "externalId"}


async def test_unknown_references_are_400_naming_each_property(client):
    key = await make_key("admin")
    response = await client.post(
        "/v1/members",
        json={
            "email": "wees@amsterdam.example",
            "givenName": "W",
            "familyName": "Z",
            "departmentId": str(uuid.uuid4()),
            "organisationId": str(uuid.uuid4()),
        },
        headers=bearer(key),
    )
    assert invalid_names(response) == {"departmentId", "organisationId"}

    member = await make_member()
    patched = await patch(
        client, f"/v1/members/{member['id']}", {"departmentId": str(uuid.uuid4())}, key
    )
    assert invalid_names(patched) == {"departmentId"}
    assert (await client.get(f"/v1/members/{member['id']}", headers=bearer(key))).json()[
        "version"
    ] == 1
