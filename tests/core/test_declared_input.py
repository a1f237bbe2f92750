"""Input is taken exactly as the published document declares it, and the document declares
what the API does: the contract fuzzing (tests/fuzz) found each of these."""

from __future__ import annotations

import uuid

import pytest

from app.core.http import IDEMPOTENCY_KEY_PATTERN
from app.main import create_app, openapi_document
from tests.core.support import assert_problem, invalid_params, row_counts
from tests.factories import bearer, make_department, make_key, make_workshop

MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}


@pytest.fixture
async def admin(client) -> dict[str, str]:
    return bearer(await make_key())


async def test_body_values_of_another_json_type_are_refused_all_at_once(client, admin) -> None:
    before = await row_counts()
    response = await client.post(
        "/v1/departments",
        headers=admin,
        json={"code": "X-1", "name": "X", "kind": "afdeling", "active": "true", "parentId": 5},
    )
    body = assert_problem(response, 400)
    assert invalid_params(body) == {("body", "active"), ("body", "parentId")}
    response = await client.post(
        "/v1/workshops",
        headers=admin,
        json={"title": "W", "startsAt": 0, "endsAt": "1700000000"},
    )
    body = assert_problem(response, 400)
    assert invalid_params(body) == {("body", "startsAt"), ("body", "endsAt")}
    reasons = {p["name"]: p["reason"] for p in body["invalidParams"]}
    assert "ISO 8601" in reasons["endsAt"]
    assert await row_counts() == before


async def test_length_and_pattern_hold_for_the_text_as_sent(client, admin) -> None:
    # Trimmed, " X-2 " would fit the code's pattern and "  …  " the name's 200 characters;
    # the document describes the text as sent, so both are refused.
    response = await client.post(
        "/v1/departments",
        headers=admin,
        json={"code": " X-2 ", "name": f"  {'n' * 200}  ", "kind": "afdeling"},
    )
    body = assert_problem(response, 400)
    assert invalid_params(body) == {("body", "code"), ("body", "name")}
    codes = {p["name"]: p["code"] for p in body["invalidParams"]}
    assert codes == {"code": "string_pattern_mismatch", "name": "string_too_long"}
    # Inside the limits, surrounding whitespace is still trimmed.
    response = await client.post(
        "/v1/departments", headers=admin, json={"code": "X-3", "name": " Trim ", "kind": "team"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "Trim"


async def test_uuids_and_instants_in_their_canonical_form_only(client, admin) -> None:
    workshop = await make_workshop()
    response = await client.post(
        f"/v1/workshops/{workshop['id']}/attendees",
        headers=admin,
        json={"memberId": uuid.uuid4().hex},
    )
    body = assert_problem(response, 400)
    assert invalid_params(body) == {("body", "memberId")}
    for moment in ("0.5", "1700000000"):
        response = await client.get("/v1/stats/community", params={"asOf": moment}, headers=admin)
        assert invalid_params(assert_problem(response, 400)) == {("query", "asOf")}
        response = await client.get("/v1/audit-events", params={"since": moment}, headers=admin)
        assert invalid_params(assert_problem(response, 400)) == {("query", "since")}


async def test_a_foreign_if_match_is_judged_after_the_input_and_the_resource(client, admin) -> None:
    unknown = uuid.uuid4()
    # Unknown resource: 404, as without the header.
    response = await client.delete(f"/v1/departments/{unknown}", headers={**admin, "If-Match": "x"})
    assert_problem(response, 404)
    # Invalid input: 400 listing it, as without the header.
    department = await make_department()
    response = await client.patch(
        f"/v1/departments/{department['id']}",
        headers={**admin, **MERGE_PATCH, "If-Match": "null"},
        json={"active": 1},
    )
    assert invalid_params(assert_problem(response, 400)) == {("body", "active")}
    response = await client.delete("/v1/members/not-a-uuid", headers={**admin, "If-Match": "x"})
    assert invalid_params(assert_problem(response, 400)) == {("path", "memberId")}
    # Only then the precondition, with the version to fetch.
    response = await client.patch(
        f"/v1/departments/{department['id']}",
        headers={**admin, **MERGE_PATCH, "If-Match": "null"},
        json={"active": False},
    )
    body = assert_problem(response, 412)
    assert body["currentVersion"] == department["version"]


async def test_websites_need_a_host_name(client, admin) -> None:
    for website in ("http://[", "http://a b", "https://-x", "ftp://example.org"):
        response = await client.post(
            "/v1/organisations",
            headers=admin,
            json={"name": f"Partner {website}", "kind": "market_party", "website": website},
        )
        assert invalid_params(assert_problem(response, 400)) == {("body", "website")}


def test_the_document_declares_the_chains_and_the_limits() -> None:
    document = openapi_document(create_app())
    paths = document["paths"]
    created = paths["/members"]["post"]["responses"]["201"]["links"]
    assert set(created) >= {"members-get", "members-update", "members-delete"}
    assert created["members-get"]["parameters"] == {"memberId": "$response.body#/id"}
    assert created["members-update"]["parameters"]["header.If-Match"] == "$response.header.ETag"
    attendee = paths["/workshops/{workshopId}/attendees"]["post"]["responses"]["201"]["links"]
    assert attendee["workshop-attendees-get"]["parameters"] == {
        "workshopId": "$request.path.workshopId",
        "memberId": "$response.body#/memberId",
    }
    revision = paths["/agenda/revisions"]["post"]["responses"]["201"]["links"]
    assert revision["agenda-revisions-publish"]["parameters"]["number"] == "$response.body#/number"
    updated = paths["/members/{memberId}"]["patch"]["responses"]["200"]["links"]
    assert updated["members-delete"]["parameters"]["memberId"] == "$request.path.memberId"
    # Every operation that takes credentials can be refused for too many failed attempts.
    for path, item in paths.items():
        for method, operation in item.items():
            if operation.get("security") == []:
                continue
            assert "429" in operation["responses"], f"{method.upper()} {path}"
    # Text in bodies and queries may not hold U+0000, and the document says so.
    name = document["components"]["schemas"]["DepartmentCreate"]["properties"]["name"]
    assert name["pattern"] == "^[^\\u0000]*$"
    key = next(p for p in paths["/members"]["post"]["parameters"] if p["name"] == "Idempotency-Key")
    assert {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN} in key["schema"]["anyOf"]
