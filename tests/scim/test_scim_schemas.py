"""What /Schemas and /ResourceTypes declare is what the service does, read as an independent
compliance suite or an identity provider reads them: every attribute the served schemas list is
tried against its declared characteristics (required, uniqueness, caseExact, the limits the
descriptions give), so a rule the schemas do not tell, or tell wrongly, fails here."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx

from app.scim.schemas import GROUP_LIMITS, USER_LIMITS
from tests.factories import bearer, make_key
from tests.scim.test_scim_groups import GROUP, new_group
from tests.scim.test_scim_users import (
    ENTERPRISE,
    PATCH_OP,
    USER,
    assert_scim_error,
    create,
    entra_user,
    scim,
)

ENDPOINTS = {USER: "Users", ENTERPRISE: "Users", GROUP: "Groups"}


async def served(client: httpx.AsyncClient, key: str, urn: str) -> dict[str, dict[str, Any]]:
    """The attributes a served schema declares, by path (`name.givenName`)."""
    response = await scim(client, "GET", f"/Schemas/{urn}", key)
    assert response.status_code == 200, response.text
    found: dict[str, dict[str, Any]] = {}
    for attribute in response.json()["attributes"]:
        found[attribute["name"]] = attribute
        for sub in attribute.get("subAttributes", []):
            found[f"{attribute['name']}.{sub['name']}"] = sub
    return found


def value_at(resource: dict[str, Any], urn: str, path: str) -> Any:
    holder = resource.get(urn, {}) if urn == ENTERPRISE else resource
    name, _, sub = path.partition(".")
    value = holder.get(name)
    if sub and value is not None:
        value = (value[0] if isinstance(value, list) else value).get(sub)
    return value


def with_value(payload: dict[str, Any], urn: str, path: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(payload)
    holder = changed.setdefault(urn, {}) if urn == ENTERPRISE else changed
    name, _, sub = path.partition(".")
    if not sub:
        holder[name] = value
    elif isinstance(holder[name], list):
        holder[name][0][sub] = value
    else:
        holder[name][sub] = value
    return changed


def target(urn: str, path: str) -> str:
    """The attribute path as a PATCH or a filter names it."""
    return f"{urn}:{path}" if urn == ENTERPRISE else path


def full_user(n: int, **overrides: Any) -> dict[str, Any]:
    # A userName that is no address, so no address stands in for removed emails.
    return entra_user(n, userName=f"gebruiker{n}", **overrides)


def full_group(n: int, **overrides: Any) -> dict[str, Any]:
    return {
        "schemas": [GROUP],
        "displayName": f"Afdeling {n}",
        "externalId": f"AFD-{n}",
        **overrides,
    }


async def test_exactly_the_required_attributes_cannot_be_removed(client):
    """The two checks of issue 13: a compliance suite skips removing what /Schemas marks
    required, and the service refuses it with scimType mutability (RFC 7644 §3.5.2.2)."""
    key = await make_key("sync")
    # Not in a department, so no department's name stands in for a removed enterprise one.
    user = await create(client, key, full_user(1))
    other = await create(client, key, full_user(2))
    group = await new_group(
        client, key, "Green Office", externalId="GO", members=[{"value": other["id"]}]
    )
    checked = set()
    for urn, resource in ((USER, user), (ENTERPRISE, user), (GROUP, group)):
        location = f"/{ENDPOINTS[urn]}/{resource['id']}"
        for path, attribute in (await served(client, key, urn)).items():
            if "." in path or attribute["mutability"] != "readWrite":
                continue
            before = value_at(resource, urn, path)
            assert before not in (None, []), f"the test resource has no {path}"
            operation = {"op": "remove", "path": target(urn, path)}
            response = await scim(
                client, "PATCH", location, key, {"schemas": [PATCH_OP], "Operations": [operation]}
            )
            after = (await scim(client, "GET", location, key)).json()
            if attribute["required"]:
                assert_scim_error(response, 400, "mutability")
                assert value_at(after, urn, path) == before, path
            else:
                assert response.status_code == 200, (path, response.text)
                assert value_at(after, urn, path) in (None, []), path
            checked.add((urn, path, attribute["required"]))
    assert {(USER, "active", True), (GROUP, "externalId", True)} <= checked
    assert (USER, "externalId", False) in checked


async def test_a_required_attribute_cannot_be_unassigned_by_a_replace(client):
    key = await make_key("sync")
    user = await create(client, key, full_user(1))
    group = await new_group(client, key, "Green Office", externalId="GO")
    for location, value in (
        (f"/Users/{user['id']}", {"active": None}),
        (f"/Groups/{group['id']}", {"externalId": None}),
    ):
        for operation in (
            {"op": "Replace", "value": value},
            {"op": "replace", "path": next(iter(value)), "value": None},
        ):
            response = await scim(
                client, "PATCH", location, key, {"schemas": [PATCH_OP], "Operations": [operation]}
            )
            assert_scim_error(response, 400, "mutability")
    assert (await scim(client, "GET", f"/Users/{user['id']}", key)).json()["active"] is True
    assert (await scim(client, "GET", f"/Groups/{group['id']}", key)).json()["externalId"] == "GO"


async def test_a_required_attribute_left_out_is_refused_or_assigned_as_described(client):
    """POST without a required attribute: refused, unless its description says what the
    service assigns; PUT without it: refused, unless the description says it stays."""
    key = await make_key("sync")

    def payload(urn: str, n: int) -> dict[str, Any]:
        # An inactive user: a value the service does not assign, so that keeping it shows.
        return full_user(n, active=False) if urn == USER else full_group(n)

    n = 0
    for urn in (USER, GROUP):
        endpoint = f"/{ENDPOINTS[urn]}"
        required = {p: a for p, a in (await served(client, key, urn)).items() if a["required"]}
        assert required
        for path, attribute in required.items():
            description = attribute["description"]
            n += 1
            without = {k: v for k, v in payload(urn, n).items() if k != path}
            response = await scim(client, "POST", endpoint, key, without)
            if "left out of a POST" in description:
                assert response.status_code == 201, (path, response.text)
                assert value_at(response.json(), urn, path) not in (None, ""), path
            else:
                assert_scim_error(response, 400, "invalidValue")

            n += 1
            resource = (await scim(client, "POST", endpoint, key, payload(urn, n))).json()
            n += 1
            without = {k: v for k, v in payload(urn, n).items() if k != path}
            response = await scim(client, "PUT", f"{endpoint}/{resource['id']}", key, without)
            if "left out of a PUT it stays as it was" in description:
                assert response.status_code == 200, (path, response.text)
                assert value_at(response.json(), urn, path) == value_at(resource, urn, path)
            else:
                assert_scim_error(response, 400, "invalidValue")

    # An extension the resource type does not require may be left out.
    user_type = (await scim(client, "GET", "/ResourceTypes/User", key)).json()
    for extension in user_type["schemaExtensions"]:
        n += 1
        payload = {k: v for k, v in full_user(n).items() if k != extension["schema"]}
        payload["schemas"] = [USER]
        response = await scim(client, "POST", "/Users", key, payload)
        if extension["required"]:
            assert_scim_error(response, 400, "invalidValue")
        else:
            assert response.status_code == 201, response.text


async def test_uniqueness_and_case_exactness_are_as_declared(client):
    """A second resource holding a first one's value is refused (409 uniqueness) exactly for
    the attributes declared unique, in any case unless they are caseExact; filters compare
    every string attribute with its case exactly when it is declared caseExact."""
    key = await make_key("sync")
    firsts = {USER: await create(client, key, full_user(1))}
    firsts[ENTERPRISE] = firsts[USER]
    firsts[GROUP] = await new_group(client, key, "Green Office", externalId="GO")
    n = 100
    checked = set()
    for urn in (USER, ENTERPRISE, GROUP):
        first = firsts[urn]
        endpoint = f"/{ENDPOINTS[urn]}"
        for path, attribute in (await served(client, key, urn)).items():
            if attribute["type"] != "string" or attribute["mutability"] != "readWrite":
                continue
            value = value_at(first, urn, path)
            assert isinstance(value, str) and value != value.swapcase(), path
            for variant in (value, value.swapcase()):
                n += 1
                payload = full_user(n) if urn != GROUP else full_group(n)
                response = await scim(
                    client, "POST", endpoint, key, with_value(payload, urn, path, variant)
                )
                clash = attribute["uniqueness"] != "none" and (
                    variant == value or not attribute["caseExact"]
                )
                if clash:
                    assert_scim_error(response, 409, "uniqueness")
                else:
                    assert response.status_code == 201, (path, variant, response.text)

            expression = f"{target(urn, path)} eq {json.dumps(value.swapcase())}"
            response = await client.get(
                f"/scim/v2{endpoint}", params={"filter": expression}, headers=bearer(key)
            )
            assert response.status_code == 200, (expression, response.text)
            found = {resource["id"] for resource in response.json().get("Resources", [])}
            assert (first["id"] in found) is not attribute["caseExact"], expression
            checked.add((urn, path, attribute["uniqueness"], attribute["caseExact"]))
    assert {
        (USER, "userName", "server", False),
        (USER, "externalId", "server", True),
        (USER, "emails.value", "server", False),
        (GROUP, "externalId", "server", True),
    } <= checked


async def test_length_limits_are_described_and_enforced(client):
    key = await make_key("sync")
    schemas = {urn: await served(client, key, urn) for urn in (USER, ENTERPRISE, GROUP)}
    n = 0
    for kind, limits in ((USER, USER_LIMITS), (GROUP, GROUP_LIMITS)):
        for path, limit in limits.items():
            urn = next(u for u in (kind, ENTERPRISE) if path in schemas[u])
            assert f"At most {limit} characters." in schemas[urn][path]["description"], path
            for length, status in ((limit, 201), (limit + 1, 400)):
                n += 1
                payload = full_user(n) if kind == USER else full_group(n)
                response = await scim(
                    client,
                    "POST",
                    f"/{ENDPOINTS[kind]}",
                    key,
                    with_value(payload, urn, path, "x" * length),
                )
                if status == 400:
                    assert_scim_error(response, 400, "invalidValue")
                else:
                    assert response.status_code == 201, (path, response.text)
