"""SCIM Groups are departments: create with members, membership PATCH as Entra ID and Okta
send it, PUT, filters, excludedAttributes=members, and DELETE as archiving."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import bearer, make_department, make_key
from tests.scim.test_scim_users import PATCH_OP, assert_scim_error, create, entra_user, scim

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


async def new_group(client: httpx.AsyncClient, key: str, name: str, **extra: Any) -> dict[str, Any]:
    response = await scim(
        client, "POST", "/Groups", key, {"schemas": [GROUP], "displayName": name, **extra}
    )
    assert response.status_code == 201, response.text
    group: dict[str, Any] = response.json()
    return group


async def group_patch(
    client: httpx.AsyncClient, key: str, group_id: str, *operations: dict[str, Any]
) -> httpx.Response:
    return await scim(
        client,
        "PATCH",
        f"/Groups/{group_id}",
        key,
        {"schemas": [PATCH_OP], "Operations": list(operations)},
    )


def member_ids(group: dict[str, Any]) -> set[str]:
    return {member["value"] for member in group.get("members", [])}


async def test_a_group_is_a_department_and_its_members_are_the_departments(client):
    key = await make_key("sync")
    anna = await create(client, key, entra_user(1))
    bram = await create(client, key, entra_user(2))
    group = await new_group(
        client, key, "Green Office", externalId="GO", members=[{"value": anna["id"]}]
    )
    assert group["displayName"] == "Green Office"
    assert group["externalId"] == "GO"
    assert member_ids(group) == {anna["id"]}
    assert group["members"][0]["$ref"].endswith(f"/scim/v2/Users/{anna['id']}")

    admin = await make_key("admin")
    department = (await client.get(f"/v1/departments/{group['id']}", headers=bearer(admin))).json()
    assert department["code"] == "GO"
    assert department["name"] == "Green Office"
    member = (await client.get(f"/v1/members/{anna['id']}", headers=bearer(admin))).json()
    assert member["departmentId"] == group["id"]

    # Entra: capitalised ops, members removed by a value list (no path filter).
    response = await group_patch(
        client,
        key,
        group["id"],
        {"op": "Add", "path": "members", "value": [{"value": bram["id"], "display": "Bram"}]},
    )
    assert response.status_code == 200, response.text
    assert member_ids(response.json()) == {anna["id"], bram["id"]}
    response = await group_patch(
        client,
        key,
        group["id"],
        {"op": "Remove", "path": "members", "value": [{"value": anna["id"]}]},
    )
    assert response.status_code == 200, response.text
    assert member_ids(response.json()) == {bram["id"]}
    left = (await client.get(f"/v1/members/{anna['id']}", headers=bearer(admin))).json()
    assert left["departmentId"] is None

    # Okta: a filtered path removes, a path-less replace renames.
    response = await group_patch(
        client, key, group["id"], {"op": "remove", "path": f'members[value eq "{bram["id"]}"]'}
    )
    assert member_ids(response.json()) == set()
    response = await group_patch(
        client,
        key,
        group["id"],
        {"op": "replace", "value": {"id": group["id"], "displayName": "Green Office Amsterdam"}},
    )
    assert response.status_code == 200, response.text
    assert response.json()["displayName"] == "Green Office Amsterdam"


async def test_adding_a_user_to_another_group_moves_the_member(client):
    key = await make_key("sync")
    anna = await create(client, key, entra_user(1))
    first = await new_group(client, key, "Afval & Grondstoffen", members=[{"value": anna["id"]}])
    second = await new_group(client, key, "Ingenieursbureau")
    await group_patch(
        client,
        key,
        second["id"],
        {"op": "add", "path": "members", "value": [{"value": anna["id"]}]},
    )
    fetched_first = (await scim(client, "GET", f"/Groups/{first['id']}", key)).json()
    fetched_second = (await scim(client, "GET", f"/Groups/{second['id']}", key)).json()
    assert member_ids(fetched_first) == set()
    assert member_ids(fetched_second) == {anna["id"]}
    user = (await scim(client, "GET", f"/Users/{anna['id']}", key)).json()
    assert user["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"] == (
        "Ingenieursbureau"
    )


async def test_put_replaces_name_and_members(client):
    key = await make_key("sync")
    anna = await create(client, key, entra_user(1))
    bram = await create(client, key, entra_user(2))
    group = await new_group(client, key, "Team", members=[{"value": anna["id"]}])
    response = await scim(
        client,
        "PUT",
        f"/Groups/{group['id']}",
        key,
        {"schemas": [GROUP], "displayName": "Team Circulair", "members": [{"value": bram["id"]}]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["displayName"] == "Team Circulair"
    assert member_ids(response.json()) == {bram["id"]}


async def test_filters_and_excluded_members(client):
    key = await make_key("sync")
    anna = await create(client, key, entra_user(1))
    await make_department(code="INB", name="Ingenieursbureau")
    group = await new_group(client, key, "Green Office", members=[{"value": anna["id"]}])

    async def found(expression: str, **params: str) -> dict[str, Any]:
        response = await client.get(
            "/scim/v2/Groups", params={"filter": expression, **params}, headers=bearer(key)
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    by_name = await found('displayName eq "green office"')
    assert [r["id"] for r in by_name["Resources"]] == [group["id"]]
    by_code = await found('externalId eq "INB"')
    assert by_code["Resources"][0]["displayName"] == "Ingenieursbureau"
    with_member = await found(f'members[value eq "{anna["id"]}"]')
    assert [r["id"] for r in with_member["Resources"]] == [group["id"]]
    lean = await found('displayName eq "Green Office"', excludedAttributes="members")
    assert "members" not in lean["Resources"][0]
    single = await client.get(
        f"/scim/v2/Groups/{group['id']}",
        params={"excludedAttributes": "members"},
        headers=bearer(key),
    )
    assert "members" not in single.json()


async def test_adding_an_unknown_user_is_refused(client):
    key = await make_key("sync")
    group = await new_group(client, key, "Team")
    response = await group_patch(
        client,
        key,
        group["id"],
        {
            "op": "add",
            "path": "members",
            "value": [{"value": "00000000-0000-4000-8000-000000000001"}],
        },
    )
    assert_scim_error(response, 400, "invalidValue")


async def test_delete_archives_the_department(client):
    key = await make_key("sync")
    anna = await create(client, key, entra_user(1))
    group = await new_group(client, key, "Tijdelijk team", members=[{"value": anna["id"]}])
    assert (await scim(client, "DELETE", f"/Groups/{group['id']}", key)).status_code == 204
    assert_scim_error(await scim(client, "GET", f"/Groups/{group['id']}", key), 404)
    admin = await make_key("admin")
    department = (await client.get(f"/v1/departments/{group['id']}", headers=bearer(admin))).json()
    assert department["active"] is False
    member = (await client.get(f"/v1/members/{anna['id']}", headers=bearer(admin))).json()
    assert member["departmentId"] == group["id"]  # history stays
    duplicate = await scim(
        client, "POST", "/Groups", key, {"schemas": [GROUP], "displayName": "X", "externalId": "X"}
    )
    assert duplicate.status_code == 201
    again = await scim(
        client, "POST", "/Groups", key, {"schemas": [GROUP], "displayName": "X", "externalId": "X"}
    )
    assert_scim_error(again, 409, "uniqueness")
