"""Who may do what with insights, cell by cell: admins everything; members and facilitators
capture insights (`captured`) and edit their own while captured; only admins advance adoption
or record adopters; readers read; sync keys see nothing."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.conftest import raw_sql
from tests.core.support import assert_problem
from tests.factories import (
    add_membership,
    bearer,
    make_department,
    make_group,
    make_insight,
    make_key,
    make_member,
)

URL = "/v1/insights"
MERGE_PATCH = "application/merge-patch+json"


async def patch(
    client: httpx.AsyncClient, insight_id: Any, body: dict[str, Any], key: str
) -> httpx.Response:
    headers = {**bearer(key), "Content-Type": MERGE_PATCH}
    return await client.patch(f"{URL}/{insight_id}", content=json.dumps(body), headers=headers)


async def keyed(role: str) -> tuple[str, dict[str, Any]]:
    member = await make_member()
    return await make_key(role, member["id"]), member


@pytest.mark.parametrize("role", ["admin", "facilitator", "member", "reader"])
async def test_every_community_role_reads(client, role):
    key = await make_key(role)
    group = await make_group()
    insight = await make_insight(sourceGroupId=str(group["id"]))
    assert (await client.get(URL, headers=bearer(key))).status_code == 200
    assert (await client.get(f"{URL}/{insight['id']}", headers=bearer(key))).status_code == 200


@pytest.mark.parametrize("role", ["reader", "sync"])
async def test_readers_and_sync_keys_write_nothing(client, role):
    key = await make_key(role)
    group = await make_group()
    insight = await make_insight(sourceGroupId=str(group["id"]))
    before = len(await raw_sql("SELECT id FROM audit_events WHERE result = 'denied'"))
    created = await client.post(
        URL, json={"title": "Les", "sourceGroupId": str(group["id"])}, headers=bearer(key)
    )
    assert_problem(created, 403)
    assert_problem(await patch(client, insight["id"], {"title": "x"}, key), 403)
    after = len(await raw_sql("SELECT id FROM audit_events WHERE result = 'denied'"))
    assert after == before + 2
    if role == "sync":
        assert_problem(await client.get(URL, headers=bearer(key)), 403)
        assert_problem(await client.get(f"{URL}/{insight['id']}", headers=bearer(key)), 403)


@pytest.mark.parametrize("role", ["member", "facilitator"])
async def test_members_and_facilitators_capture_and_edit_their_own(client, role):
    key, member = await keyed(role)
    group = await make_group()
    created = await client.post(
        URL, json={"title": "Mijn les", "sourceGroupId": str(group["id"])}, headers=bearer(key)
    )
    assert created.status_code == 201, created.text
    insight = created.json()
    assert insight["createdByMemberId"] == str(member["id"])
    assert insight["adoption"] == "captured"
    edited = await patch(client, insight["id"], {"body": "Met uitleg."}, key)
    assert edited.status_code == 200, edited.text

    assert_problem(await patch(client, insight["id"], {"adoption": "shared"}, key), 403)
    department = await make_department()
    adopters = {"adoptedByDepartmentIds": [str(department["id"])]}
    assert_problem(await patch(client, insight["id"], adopters, key), 403)

    admin = await make_key("admin")
    assert (await patch(client, insight["id"], {"adoption": "shared"}, admin)).status_code == 200
    assert_problem(await patch(client, insight["id"], {"title": "Te laat"}, key), 403)


@pytest.mark.parametrize("role", ["member", "facilitator"])
async def test_members_and_facilitators_capture_only_and_only_their_own(client, role):
    key, member = await keyed(role)
    group = await make_group()
    if role == "facilitator":
        # Facilitating the source group does not make someone else's insight theirs.
        await add_membership(group["id"], member["id"], role="facilitator")
    shared = await client.post(
        URL,
        json={"title": "Al gedeeld", "sourceGroupId": str(group["id"]), "adoption": "shared"},
        headers=bearer(key),
    )
    assert_problem(shared, 403)
    department = await make_department()
    with_adopters = await client.post(
        URL,
        json={
            "title": "Met afdelingen",
            "sourceGroupId": str(group["id"]),
            "adoptedByDepartmentIds": [str(department["id"])],
        },
        headers=bearer(key),
    )
    assert_problem(with_adopters, 403)
    theirs = await make_insight(sourceGroupId=str(group["id"]))
    assert_problem(await patch(client, theirs["id"], {"title": "Van mij"}, key), 403)


async def test_an_admin_does_everything(client):
    key = await make_key("admin")
    group = await make_group()
    department = await make_department()
    created = await client.post(
        URL,
        json={
            "title": "Ingebed",
            "sourceGroupId": str(group["id"]),
            "adoption": "piloted",
            "adoptedByDepartmentIds": [str(department["id"])],
        },
        headers=bearer(key),
    )
    assert created.status_code == 201
    insight = created.json()
    someone_elses = await make_insight(sourceGroupId=str(group["id"]))
    for target, change in (
        (insight["id"], {"adoption": "embedded"}),
        (someone_elses["id"], {"title": "Bijgewerkt", "adoptedByDepartmentIds": []}),
    ):
        response = await patch(client, target, change, key)
        assert response.status_code == 200, response.text
