"""Who may do what to members: admins write, other roles read, a member edits only their own
community fields, and fields a sync manages are read-only through the API."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from app.core.db import database
from app.members import repository
from app.members.models import MemberSource
from tests.factories import bearer, make_department, make_key, make_member

MERGE_PATCH = "application/merge-patch+json"
COMMUNITY_CHANGE = {
    "displayName": "Noor (Green Office)",
    "participation": "follower",
    "transitionRoles": ["gebiedsmakelaar", "verbinder"],
    "discipline": "participatie",
}


async def patch(
    client: httpx.AsyncClient, url: str, body: dict[str, Any], key: str
) -> httpx.Response:
    headers = {**bearer(key), "Content-Type": MERGE_PATCH}
    return await client.patch(url, content=json.dumps(body), headers=headers)


async def make_synced_member(**overrides: Any) -> dict[str, Any]:
    """A member the intranet sync manages: created by the service, then handed to the sync
    through the repository, as the sync would (the API never lets a client set `source`)."""
    member = await make_member(**overrides)
    async with database.engine.begin() as conn:
        await repository.update(
            conn, member["id"], member["version"], {"source": MemberSource.SYNC}
        )
        return await repository.get(conn, member["id"])


@pytest.mark.parametrize("role", ["reader", "sync", "facilitator", "member"])
async def test_non_admins_read_members_but_do_not_write(client, role):
    admin = await make_key("admin")
    key = await make_key(role)
    member = await make_member()
    url = f"/v1/members/{member['id']}"

    assert (await client.get("/v1/members", headers=bearer(key))).status_code == 200
    assert (await client.get(url, headers=bearer(key))).status_code == 200

    created = await client.post(
        "/v1/members",
        json={"email": "x@amsterdam.example", "givenName": "X", "familyName": "Y"},
        headers=bearer(key),
    )
    assert created.status_code == 403
    assert created.headers["content-type"].startswith("application/problem+json")
    changed = await patch(client, url, {"discipline": "iets"}, key)
    assert changed.status_code == 403
    deleted = await client.delete(url, headers=bearer(key))
    assert deleted.status_code == 403

    after = (await client.get(url, headers=bearer(admin))).json()
    assert (after["version"], after["status"], after["discipline"]) == (1, "active", None)
    listed = (await client.get("/v1/members", headers=bearer(admin))).json()["items"]
    # Member and facilitator keys come with a member of their own; nobody else appeared.
    assert str(member["id"]) in [m["id"] for m in listed]
    assert len(listed) == (2 if role in ("member", "facilitator") else 1)


async def test_admin_writes_every_field(client):
    admin = await make_key("admin")
    department = await make_department()
    member = await make_member()
    response = await patch(
        client,
        f"/v1/members/{member['id']}",
        {
            "email": "nieuw.adres@amsterdam.example",
            "givenName": "Noor",
            "familyName": "El Amrani",
            "externalId": "HR-9000",
            "departmentId": str(department["id"]),
            "status": "inactive",
            **COMMUNITY_CHANGE,
        },
        admin,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["familyName"] == "El Amrani"
    assert body["department"]["id"] == str(department["id"])
    assert body["status"] == "inactive"
    assert body["deactivatedAt"] is not None


async def test_a_member_changes_their_own_community_fields(client):
    member = await make_member()
    key = await make_key("member", member_id=member["id"])
    url = f"/v1/members/{member['id']}"

    for field, value in COMMUNITY_CHANGE.items():
        response = await patch(client, url, {field: value}, key)
        assert response.status_code == 200, (field, response.text)
        assert response.json()[field] == value
    cleared = await patch(client, url, {"discipline": None}, key)
    assert cleared.status_code == 200
    assert cleared.json()["discipline"] is None
    assert cleared.json()["version"] == 1 + len(COMMUNITY_CHANGE) + 1


async def test_a_member_may_not_change_someone_else(client):
    member = await make_member()
    other = await make_member()
    key = await make_key("member", member_id=member["id"])
    response = await patch(client, f"/v1/members/{other['id']}", {"displayName": "Gekaapt"}, key)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert (await client.get(f"/v1/members/{other['id']}", headers=bearer(key))).json()[
        "version"
    ] == 1


@pytest.mark.parametrize(
    "change",
    [
        {"email": "ander@amsterdam.example"},
        {"givenName": "Anders"},
        {"familyName": "Anders"},
        {"externalId": "HR-1"},
        {"status": "inactive"},
        {"departmentId": None},
        # One forbidden field spoils an otherwise allowed change: nothing is written.
        {"displayName": "Mag wel", "givenName": "Mag niet"},
    ],
)
async def test_a_member_may_not_change_their_identity(client, change):
    department = await make_department()
    member = await make_member(departmentId=str(department["id"]))
    key = await make_key("member", member_id=member["id"])
    url = f"/v1/members/{member['id']}"
    response = await patch(client, url, change, key)
    assert response.status_code == 403, response.text
    after = (await client.get(url, headers=bearer(key))).json()
    assert after["version"] == 1
    assert after["displayName"] == member["displayName"]


async def test_a_member_key_cannot_create_or_deactivate(client):
    member = await make_member()
    key = await make_key("member", member_id=member["id"])
    own = await client.delete(f"/v1/members/{member['id']}", headers=bearer(key))
    assert own.status_code == 403


@pytest.mark.parametrize(
    "change",
    [
        {"email": "elders@amsterdam.example"},
        {"givenName": "Anders"},
        {"familyName": "Anders"},
        {"externalId": "HR-ANDERS"},
        {"departmentId": None},
    ],
)
async def test_synced_fields_are_read_only(client, change):
    admin = await make_key("admin")
    department = await make_department()
    member = await make_synced_member(departmentId=str(department["id"]), externalId="HR-S1")
    url = f"/v1/members/{member['id']}"

    response = await patch(client, url, change, admin)
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["managedBy"] == "sync"
    after = (await client.get(url, headers=bearer(admin))).json()
    assert after["version"] == member["version"]
    assert after["source"] == "sync"


async def test_synced_member_keeps_community_fields_editable(client):
    admin = await make_key("admin")
    department = await make_department()
    member = await make_synced_member(departmentId=str(department["id"]))
    url = f"/v1/members/{member['id']}"

    # Sending a synced field unchanged is no change: tools that PATCH whole objects work.
    same = await patch(
        client,
        url,
        {
            "email": member["email"],
            "givenName": member["givenName"],
            "departmentId": str(department["id"]),
            "participation": "follower",
        },
        admin,
    )
    assert same.status_code == 200, same.text
    assert same.json()["participation"] == "follower"

    key = await make_key("member", member_id=member["id"])
    own = await patch(client, url, {"displayName": "Zelf gekozen"}, key)
    assert own.status_code == 200, own.text
    assert own.json()["displayName"] == "Zelf gekozen"


async def test_an_unknown_member_id_on_patch(client):
    admin = await make_key("admin")
    response = await patch(client, f"/v1/members/{uuid.uuid4()}", {"discipline": "x"}, admin)
    assert response.status_code == 404
