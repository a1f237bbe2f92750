"""SCIM Users: discovery, create/get/filter/page, the PATCH sequences Entra ID and Okta send,
PUT, DELETE as deactivation, the error format and authentication."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.factories import bearer, make_department, make_key, make_member

SCIM = "application/scim+json"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


async def scim(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    key: str | None,
    body: Any = None,
) -> httpx.Response:
    headers = {"Content-Type": SCIM, "Accept": SCIM}
    if key:
        headers.update(bearer(key))
    content = json.dumps(body) if body is not None else None
    return await client.request(method, f"/scim/v2{path}", content=content, headers=headers)


def assert_scim_error(response: httpx.Response, status: int, scim_type: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(SCIM)
    body = response.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body["detail"]
    if scim_type is not None:
        assert body.get("scimType") == scim_type, body


def entra_user(n: int, **overrides: Any) -> dict[str, Any]:
    """As Entra ID's provisioning service sends a new user (meta and roles included)."""
    return {
        "schemas": [USER, ENTERPRISE],
        "externalId": f"0a21f0f2-8d2a-4f8e-bf98-{n:012d}",
        "userName": f"gebruiker{n}@amsterdam.onmicrosoft.example",
        "active": True,
        "displayName": f"Gebruiker {n}",
        "emails": [{"primary": True, "type": "work", "value": f"gebruiker{n}@amsterdam.example"}],
        "meta": {"resourceType": "User"},
        "name": {
            "formatted": f"Voor{n} Achter{n}",
            "familyName": f"Achter{n}",
            "givenName": f"Voor{n}",
        },
        "roles": [],
        ENTERPRISE: {"employeeNumber": f"E{n:05d}", "department": "Afval & Grondstoffen"},
        **overrides,
    }


async def create(client: httpx.AsyncClient, key: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await scim(client, "POST", "/Users", key, body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_discovery_documents(client):
    key = await make_key("sync")
    assert_scim_error(await scim(client, "GET", "/ServiceProviderConfig", None), 401)
    config = await scim(client, "GET", "/ServiceProviderConfig", key)
    assert config.status_code == 200
    assert config.headers["content-type"].startswith(SCIM)
    body = config.json()
    assert body["patch"]["supported"] is True
    assert body["filter"] == {"supported": True, "maxResults": 1000}
    assert body["authenticationSchemes"][0]["type"] == "oauthbearertoken"

    schemas = (await scim(client, "GET", "/Schemas", key)).json()
    ids = {resource["id"] for resource in schemas["Resources"]}
    assert ids == {USER, ENTERPRISE, "urn:ietf:params:scim:schemas:core:2.0:Group"}
    assert schemas["totalResults"] == 3
    user_schema = (await scim(client, "GET", f"/Schemas/{USER}", key)).json()
    names = {attribute["name"] for attribute in user_schema["attributes"]}
    assert {"userName", "name", "displayName", "active", "emails"} <= names

    types = (await scim(client, "GET", "/ResourceTypes", key)).json()
    by_name = {resource["name"]: resource for resource in types["Resources"]}
    assert by_name["User"]["endpoint"] == "/Users"
    assert by_name["User"]["schemaExtensions"] == [{"schema": ENTERPRISE, "required": False}]
    assert by_name["Group"]["endpoint"] == "/Groups"
    single = await scim(client, "GET", "/ResourceTypes/User", key)
    assert single.json()["schema"] == USER
    assert_scim_error(await scim(client, "GET", "/ResourceTypes/Pet", key), 404)


async def test_create_and_get_a_user_as_entra_sends_it(client):
    key = await make_key("sync")
    department = await make_department(code="AGR", name="Afval & Grondstoffen")
    response = await scim(client, "POST", "/Users", key, entra_user(1))
    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith(SCIM)
    user = response.json()
    assert response.headers["Location"] == user["meta"]["location"]
    assert user["meta"]["location"].endswith(f"/scim/v2/Users/{user['id']}")
    assert user["meta"]["resourceType"] == "User"
    assert user["userName"] == "gebruiker1@amsterdam.onmicrosoft.example"
    assert user["externalId"] == "0a21f0f2-8d2a-4f8e-bf98-000000000001"
    assert user["active"] is True
    assert user["name"]["givenName"] == "Voor1"
    assert user["emails"] == [
        {"value": "gebruiker1@amsterdam.example", "type": "work", "primary": True}
    ]
    assert user[ENTERPRISE] == {"employeeNumber": "E00001", "department": "Afval & Grondstoffen"}
    assert set(user["schemas"]) == {USER, ENTERPRISE}

    fetched = await scim(client, "GET", f"/Users/{user['id']}", key)
    assert fetched.status_code == 200
    assert fetched.json() == user

    admin = await make_key("admin")
    member = (await client.get(f"/v1/members/{user['id']}", headers=bearer(admin))).json()
    assert member["source"] == "scim"
    assert member["email"] == "gebruiker1@amsterdam.example"
    assert member["departmentId"] == str(department["id"])
    assert member["externalId"] == user["externalId"]


async def test_a_minimal_user_needs_only_a_user_name(client):
    key = await make_key("sync")
    user = await create(client, key, {"schemas": [USER], "userName": "alleen-een-naam"})
    assert user["userName"] == "alleen-een-naam"
    assert "emails" not in user
    assert user["active"] is True
    admin = await make_key("admin")
    member = (await client.get(f"/v1/members/{user['id']}", headers=bearer(admin))).json()
    assert member["email"].endswith("@no-email.invalid")


async def test_filters_on_the_attributes_providers_match_on(client):
    key = await make_key("sync")
    users = [await create(client, key, entra_user(n)) for n in range(1, 4)]

    async def found(expression: str) -> list[str]:
        response = await client.get(
            "/scim/v2/Users", params={"filter": expression}, headers=bearer(key)
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
        return [resource["id"] for resource in body.get("Resources", [])]

    second = users[1]["id"]
    assert await found('userName eq "GEBRUIKER2@amsterdam.onmicrosoft.example"') == [second]
    assert await found(f'externalId eq "{users[1]["externalId"]}"') == [second]
    assert await found('emails[type eq "work"].value eq "gebruiker2@amsterdam.example"') == [second]
    assert await found('emails.value eq "gebruiker2@amsterdam.example"') == [second]
    assert await found('displayName eq "gebruiker 2"') == [second]
    assert (
        await found(
            'userName eq "gebruiker2@amsterdam.onmicrosoft.example" and '
            f'externalId eq "{users[0]["externalId"]}"'
        )
        == []
    )
    assert await found('userName eq "niemand@amsterdam.example"') == []
    assert sorted(await found('userName sw "gebruiker"')) == sorted(u["id"] for u in users)
    assert await found(f'id eq "{second}"') == [second]

    response = await client.get(
        "/scim/v2/Users", params={"filter": 'title eq "x"'}, headers=bearer(key)
    )
    assert_scim_error(response, 400, "invalidFilter")
    response = await client.get(
        "/scim/v2/Users", params={"filter": 'userName eq "x'}, headers=bearer(key)
    )
    assert_scim_error(response, 400, "invalidFilter")


async def test_a_member_never_provisioned_is_found_by_address(client):
    key = await make_key("sync")
    member = await make_member(email="bestaand@amsterdam.example")
    response = await client.get(
        "/scim/v2/Users",
        params={"filter": 'userName eq "bestaand@amsterdam.example"'},
        headers=bearer(key),
    )
    resources = response.json()["Resources"]
    assert [r["id"] for r in resources] == [str(member["id"])]
    assert resources[0]["userName"] == "bestaand@amsterdam.example"


async def test_paging_is_stable_and_counts_the_total(client):
    key = await make_key("sync")
    ids = [(await create(client, key, entra_user(n)))["id"] for n in range(1, 6)]
    seen: list[str] = []
    for start in (1, 3, 5):
        response = await client.get(
            "/scim/v2/Users", params={"startIndex": start, "count": 2}, headers=bearer(key)
        )
        body = response.json()
        assert body["totalResults"] == 5
        assert body["startIndex"] == start
        assert body["itemsPerPage"] == len(body["Resources"])
        seen.extend(resource["id"] for resource in body["Resources"])
    assert seen == ids
    only_total = await client.get("/scim/v2/Users", params={"count": 0}, headers=bearer(key))
    assert only_total.json()["totalResults"] == 5
    assert "Resources" not in only_total.json()


async def test_attributes_and_excluded_attributes(client):
    key = await make_key("sync")
    user = await create(client, key, entra_user(1))
    only = await client.get(
        f"/scim/v2/Users/{user['id']}",
        params={"attributes": "userName,emails"},
        headers=bearer(key),
    )
    body = only.json()
    assert set(body) == {"schemas", "id", "userName", "emails"}
    without = await client.get(
        "/scim/v2/Users", params={"excludedAttributes": "emails,name"}, headers=bearer(key)
    )
    resource = without.json()["Resources"][0]
    assert "emails" not in resource and "name" not in resource
    assert resource["userName"] == user["userName"]


async def patch(
    client: httpx.AsyncClient, key: str, user_id: str, *operations: dict[str, Any]
) -> httpx.Response:
    return await scim(
        client,
        "PATCH",
        f"/Users/{user_id}",
        key,
        {"schemas": [PATCH_OP], "Operations": list(operations)},
    )


async def test_entra_patch_sequence(client):
    key = await make_key("sync")
    await make_department(code="GO", name="Green Office")
    user = await create(client, key, entra_user(1))
    uid = user["id"]

    # Without the aadOptscim062020 flag: capitalised ops, booleans as strings, a path-less
    # replace keyed by attribute paths.
    response = await patch(
        client,
        key,
        uid,
        {"op": "Replace", "path": "displayName", "value": "Voor Nieuw"},
        {"op": "Replace", "path": "name.familyName", "value": "Nieuw"},
        {"op": "Add", "path": f"{ENTERPRISE}:department", "value": "GO"},
        {
            "op": "Replace",
            "path": 'emails[type eq "work"].value',
            "value": "nieuw@amsterdam.example",
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["displayName"] == "Voor Nieuw"
    assert body["name"]["familyName"] == "Nieuw"
    assert body["emails"][0]["value"] == "nieuw@amsterdam.example"
    assert body[ENTERPRISE]["department"] == "GO"

    # Attributes this service does not keep are accepted and ignored.
    response = await patch(
        client,
        key,
        uid,
        {"op": "Add", "path": 'phoneNumbers[type eq "work"].value', "value": "020 123 4567"},
        {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": {"value": "iemand"}},
        {"op": "Replace", "path": "title", "value": "Adviseur"},
        {"op": "Add", "path": "roles", "value": []},
    )
    assert response.status_code == 200, response.text
    assert "title" not in response.json() and "phoneNumbers" not in response.json()

    response = await patch(client, key, uid, {"op": "Replace", "path": "active", "value": "False"})
    assert response.status_code == 200, response.text
    assert response.json()["active"] is False
    admin = await make_key("admin")
    member = (await client.get(f"/v1/members/{uid}", headers=bearer(admin))).json()
    assert member["status"] == "inactive"
    assert member["email"] == "nieuw@amsterdam.example"
    assert member["department"]["code"] == "GO"

    # With the flag: real booleans, and the path-less form.
    response = await patch(client, key, uid, {"op": "replace", "value": {"active": True}})
    assert response.json()["active"] is True
    response = await patch(
        client,
        key,
        uid,
        {"op": "Replace", "value": {"name.givenName": "Anna", "externalId": "nieuw-id"}},
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"]["givenName"] == "Anna"
    assert response.json()["externalId"] == "nieuw-id"


async def test_okta_deactivates_with_a_pathless_replace_and_replaces_with_put(client):
    key = await make_key("sync")
    user = await create(
        client,
        key,
        {
            "schemas": [USER],
            "userName": "okta.user@amsterdam.example",
            "name": {"givenName": "Okta", "familyName": "Gebruiker"},
            "emails": [{"primary": True, "value": "okta.user@amsterdam.example", "type": "work"}],
            "displayName": "Okta Gebruiker",
            "active": True,
        },
    )
    uid = user["id"]
    response = await patch(client, key, uid, {"op": "replace", "value": {"active": False}})
    assert response.status_code == 200, response.text
    assert response.json()["active"] is False

    replaced = await scim(
        client,
        "PUT",
        f"/Users/{uid}",
        key,
        {
            "schemas": [USER],
            "id": uid,
            "userName": "okta.user@amsterdam.example",
            "name": {"givenName": "Okta", "familyName": "Hernoemd"},
            "emails": [{"primary": True, "value": "okta.ander@amsterdam.example", "type": "work"}],
            "active": True,
        },
    )
    assert replaced.status_code == 200, replaced.text
    body = replaced.json()
    assert body["active"] is True
    assert body["name"]["familyName"] == "Hernoemd"
    assert body["emails"][0]["value"] == "okta.ander@amsterdam.example"
    assert "displayName" not in body  # not sent, so not answered
    admin = await make_key("admin")
    member = (await client.get(f"/v1/members/{uid}", headers=bearer(admin))).json()
    assert member["displayName"] == "Okta Hernoemd"  # the member is shown by its name


async def test_delete_deactivates_and_hides_and_a_new_post_brings_the_member_back(client):
    key = await make_key("sync")
    user = await create(client, key, entra_user(1))
    uid = user["id"]
    deleted = await scim(client, "DELETE", f"/Users/{uid}", key)
    assert deleted.status_code == 204
    assert_scim_error(await scim(client, "GET", f"/Users/{uid}", key), 404)
    listed = await client.get(
        "/scim/v2/Users",
        params={"filter": f'userName eq "{user["userName"]}"'},
        headers=bearer(key),
    )
    assert listed.json()["totalResults"] == 0

    admin = await make_key("admin")
    member = (await client.get(f"/v1/members/{uid}", headers=bearer(admin))).json()
    assert member["status"] == "inactive"  # kept, with its history

    again = await create(client, key, entra_user(1))
    assert again["id"] == uid
    assert again["active"] is True


async def test_uniqueness_and_malformed_requests(client):
    key = await make_key("sync")
    await create(client, key, entra_user(1))
    duplicate = await scim(client, "POST", "/Users", key, entra_user(1))
    assert_scim_error(duplicate, 409, "uniqueness")
    same_address = await scim(
        client,
        "POST",
        "/Users",
        key,
        entra_user(2, emails=[{"value": "gebruiker1@amsterdam.example", "type": "work"}]),
    )
    assert_scim_error(same_address, 409, "uniqueness")

    response = await client.post(
        "/scim/v2/Users", content=b"{not json", headers={**bearer(key), "Content-Type": SCIM}
    )
    assert_scim_error(response, 400, "invalidSyntax")
    no_name = await scim(client, "POST", "/Users", key, {"schemas": [USER], "active": True})
    assert_scim_error(no_name, 400)
    bad_op = await patch(
        client, key, "00000000-0000-4000-8000-000000000000", {"op": "replace", "path": "active"}
    )
    assert_scim_error(bad_op, 404)
    assert_scim_error(await scim(client, "GET", "/Users/not-a-uuid", key), 404)
    assert_scim_error(await scim(client, "GET", "/Nothing", key), 404)


@pytest.mark.parametrize("role", ["reader", "member", "facilitator"])
async def test_only_sync_and_admin_keys_provision(client, role):
    key = await make_key(role)
    assert_scim_error(await scim(client, "GET", "/Users", key), 403)
    assert_scim_error(await scim(client, "POST", "/Users", key, entra_user(1)), 403)


async def test_without_a_key_the_answer_is_a_scim_401(client):
    response = await scim(client, "GET", "/Users", None)
    assert_scim_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = await scim(client, "GET", "/Users", "lgk_not-a-key")
    assert_scim_error(wrong, 401)


async def test_scim_members_have_their_synced_fields_owned_by_scim(client):
    key = await make_key("sync")
    user = await create(client, key, entra_user(1))
    admin = await make_key("admin")
    refused = await client.patch(
        f"/v1/members/{user['id']}",
        content=json.dumps({"givenName": "Ander"}),
        headers={**bearer(admin), "Content-Type": "application/merge-patch+json"},
    )
    assert refused.status_code == 409
    assert "SCIM" in refused.json()["detail"]


async def test_scim_has_its_own_openapi_document(client):
    response = await client.get("/scim/v2/openapi.json", headers={"Origin": "https://x.example"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    document = response.json()
    assert "/scim/v2/Users/{userId}" in document["paths"]
    patch_op = document["paths"]["/scim/v2/Users/{userId}"]["patch"]
    assert patch_op["requestBody"]["content"][SCIM]["schema"]["$ref"].endswith("/PatchOp")
    v1 = (await client.get("/v1/openapi.json")).json()
    assert not any("scim" in path.lower() for path in v1["paths"])


async def test_a_search_at_the_root_covers_users_and_groups(client):
    key = await make_key("sync")
    user = await create(client, key, entra_user(1))
    group = await scim(
        client,
        "POST",
        "/Groups",
        key,
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Gebruiker 1"},
    )
    search = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}
    both = await scim(
        client, "POST", "/.search", key, {**search, "filter": 'displayName eq "Gebruiker 1"'}
    )
    assert both.status_code == 200, both.text
    assert {r["id"] for r in both.json()["Resources"]} == {user["id"], group.json()["id"]}
    users_only = await scim(
        client, "POST", "/.search", key, {**search, "filter": f'userName eq "{user["userName"]}"'}
    )
    assert [r["id"] for r in users_only.json()["Resources"]] == [user["id"]]
    paged = await scim(client, "POST", "/.search", key, {**search, "startIndex": 2, "count": 1})
    assert paged.json()["totalResults"] == 2
    assert [r["id"] for r in paged.json()["Resources"]] == [group.json()["id"]]
    searched = await scim(
        client, "POST", "/Users/.search", key, {**search, "filter": 'userName sw "gebruiker"'}
    )
    assert searched.json()["totalResults"] == 1
