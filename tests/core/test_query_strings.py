"""Query strings: strict (a parameter the operation does not declare, or a single-valued one
given twice, is a 400 that names it: nothing is answered for a question nobody asked), filters
of several values, and `updatedSince` on every list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.config import Settings
from app.core.models import utcnow
from app.core.query import declared_query
from app.core.routes import ContractRoute
from app.main import create_api
from tests.core.support import assert_problem, full_paths, invalid_params
from tests.factories import bearer, make_department, make_key, make_member, make_question


@pytest.mark.parametrize(
    "query",
    [
        "transitionRole=verbinder",  # a filter the members list does not have
        "pagesize=1",  # a typo of pageSize
        "pageSize=1&pagesize=1",
    ],
)
async def test_an_unknown_parameter_is_refused_by_name(client, query):
    key = await make_key("reader")
    await make_member()
    response = await client.get(f"/v1/members?{query}", headers=bearer(key))
    problem = assert_problem(response, 400)
    unknown = query.split("&")[-1].split("=")[0]
    assert ("query", unknown) in invalid_params(problem)
    named = next(p for p in problem["invalidParams"] if p["name"] == unknown)
    assert named["code"] == "unknown_parameter"
    assert "pageSize" in named["reason"]  # it says which parameters there are


async def test_a_single_valued_parameter_given_twice_is_refused(client):
    key = await make_key("reader")
    response = await client.get("/v1/learning-questions?q=afval&q=hout", headers=bearer(key))
    problem = assert_problem(response, 400)
    assert ("query", "q") in invalid_params(problem)
    assert problem["invalidParams"][0]["code"] == "repeated_parameter"


async def test_declared_parameters_and_none_at_all_still_work(client):
    key = await make_key("reader")
    await make_member()
    assert (await client.get("/v1/members", headers=bearer(key))).status_code == 200
    response = await client.get("/v1/members?pageSize=1&sort=-familyName", headers=bearer(key))
    assert response.status_code == 200, response.text
    # An encoded key is read as decoded: `page%53ize` is pageSize.
    response = await client.get("/v1/members?page%53ize=1", headers=bearer(key))
    assert response.status_code == 200, response.text
    # A public route without parameters refuses them too.
    assert_problem(await client.get("/v1/health?verbose=1"), 400)


def test_every_operation_takes_what_its_document_lists():
    # What an operation accepts is exactly the query parameters its OpenAPI operation lists.
    document = json.loads(Path("openapi/openapi.json").read_text())
    checked = 0
    for route, path in full_paths(create_api(Settings()).routes):
        if not isinstance(route, ContractRoute) or not route.include_in_schema:
            continue
        names, _ = declared_query(route)
        for method in route.methods - {"HEAD"}:
            operation = document["paths"][path.removeprefix("/v1")][method.lower()]
            listed = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            assert names == listed, f"{method} {path}"
            checked += 1
    assert checked > 70


async def test_a_filter_of_several_values_takes_commas_or_repeats(client):
    key = await make_key("reader")
    for title, status in (("Open", "open"), ("Verkennen", "exploring"), ("Geparkeerd", "parked")):
        await make_question(title=title, status=status)

    async def titles(query: str) -> list[str]:
        response = await client.get(f"/v1/learning-questions?{query}", headers=bearer(key))
        assert response.status_code == 200, response.text
        return sorted(item["title"] for item in response.json()["items"])

    assert await titles("status=open,exploring") == ["Open", "Verkennen"]
    assert await titles("status=open&status=exploring") == ["Open", "Verkennen"]
    assert await titles("status=parked") == ["Geparkeerd"]
    for bad in ("status=open,nonsense", "status=", "status=,"):
        response = await client.get(f"/v1/learning-questions?{bad}", headers=bearer(key))
        assert ("query", "status") in invalid_params(assert_problem(response, 400)), bad


async def test_updated_since_lists_only_what_changed_since(client):
    key = await make_key("admin")
    before = await make_member(givenName="Voor")
    await make_department(name="Oud")
    moment = utcnow()
    after = await make_member(givenName="Na")
    department = await make_department(name="Nieuw")
    since = {"updatedSince": moment.isoformat()}

    async def ids(path: str, **params: str) -> set[str]:
        response = await client.get(path, params={**since, **params}, headers=bearer(key))
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert await ids("/v1/members") == {str(after["id"])}  # the hot list
    assert await ids("/v1/members", pageSize="1", sort="-givenName") == {str(after["id"])}
    assert await ids("/v1/departments") == {str(department["id"])}
    # A change brings an older item back.
    changed = await client.patch(
        f"/v1/members/{before['id']}",
        json={"discipline": "inkoop"},
        headers={
            **bearer(key),
            "Content-Type": "application/merge-patch+json",
            "If-Match": '"1"',
        },
    )
    assert changed.status_code == 200, changed.text
    assert await ids("/v1/members") == {str(after["id"]), str(before["id"])}
    # Without its offset the moment is not one: a 400, as for any instant.
    response = await client.get(
        "/v1/members", params={"updatedSince": "2026-01-01T00:00:00"}, headers=bearer(key)
    )
    assert ("query", "updatedSince") in invalid_params(assert_problem(response, 400))
