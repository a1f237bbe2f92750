"""Bad input gets a 400 (or 404 / 413) problem listing every invalid field or parameter at
once, the process stays up, and nothing is written."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator

import orjson
import pytest

from app.core import nul
from app.core.config import get_settings
from tests.core.support import assert_contract_headers, assert_problem, invalid_params, row_counts
from tests.factories import bearer, make_department, make_key, make_member

MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}
READ_ONLY = {
    "id": str(uuid.uuid4()),
    "version": 7,
    "source": "hr",
    "createdAt": "2024-01-01T00:00:00Z",
    "updatedAt": "2024-01-01T00:00:00Z",
}


@pytest.fixture
async def admin(client) -> dict[str, str]:
    return bearer(await make_key())


async def test_every_invalid_query_parameter_is_listed_at_once(client, admin):
    before = await row_counts()
    response = await client.get(
        "/v1/members",
        params={
            "pageSize": "0",
            "departmentId": "not-a-uuid",
            "status": "sleeping",
            "participation": "lurker",
            "cursor": "!!not a cursor!!",
            "sort": "-shoeSize",
        },
        headers=admin,
    )
    body = assert_problem(response, 400)
    assert invalid_params(body) == {
        ("query", "sort"),
        ("query", "pageSize"),
        ("query", "departmentId"),
        ("query", "status"),
        ("query", "participation"),
        ("query", "cursor"),
    }
    assert await row_counts() == before


async def test_every_invalid_body_field_is_listed_at_once(client, admin):
    before = await row_counts()
    response = await client.post(
        "/v1/departments",
        json={"code": "", "name": "", "kind": "castle", "parentId": "nope", "active": "maybe"},
        headers=admin,
    )
    body = assert_problem(response, 400)
    assert invalid_params(body) == {
        ("body", "code"),
        ("body", "name"),
        ("body", "kind"),
        ("body", "parentId"),
        ("body", "active"),
    }
    assert await row_counts() == before


async def test_missing_and_wrong_member_fields_are_listed_together(client, admin):
    before = await row_counts()
    response = await client.post(
        "/v1/members",
        json={
            "email": "not-an-email",
            "familyName": 42,
            "departmentId": "x",
            "participation": "lurker",
        },
        headers=admin,
    )
    names = invalid_params(assert_problem(response, 400))
    assert {
        ("body", "email"),
        ("body", "givenName"),
        ("body", "familyName"),
        ("body", "departmentId"),
        ("body", "participation"),
    } <= names
    assert await row_counts() == before


async def test_invalid_path_and_body_are_listed_together(client, admin):
    response = await client.patch(
        "/v1/departments/not-a-uuid",
        content=orjson.dumps({"code": "", "kind": "castle"}),
        headers={**admin, **MERGE_PATCH},
    )
    assert invalid_params(assert_problem(response, 400)) == {
        ("path", "departmentId"),
        ("body", "code"),
        ("body", "kind"),
    }


async def test_unknown_properties_are_refused_by_name(client, admin):
    before = await row_counts()
    response = await client.post(
        "/v1/departments",
        json={"code": "UNK", "name": "Onbekend", "kind": "afdeling", "colour": "red", "x": {}},
        headers=admin,
    )
    assert invalid_params(assert_problem(response, 400)) == {("body", "colour"), ("body", "x")}
    assert await row_counts() == before


async def _existing(kind: str) -> str:
    item = await (make_department() if kind == "departments" else make_member())
    return str(item["id"])


@pytest.mark.parametrize("resource", ["departments", "members"])
async def test_server_owned_properties_cannot_be_set_on_create(client, admin, resource):
    valid = {
        "departments": {"code": "RO", "name": "Alleen lezen", "kind": "afdeling"},
        "members": {"email": "ro@amsterdam.example", "givenName": "R", "familyName": "O"},
    }[resource]
    before = await row_counts()
    response = await client.post(f"/v1/{resource}", json={**valid, **READ_ONLY}, headers=admin)
    names = invalid_params(assert_problem(response, 400))
    assert {("body", name) for name in READ_ONLY} <= names
    assert await row_counts() == before


@pytest.mark.parametrize("resource", ["departments", "members"])
async def test_server_owned_properties_cannot_be_set_by_patch(client, admin, resource):
    item_id = await _existing(resource)
    before = await row_counts()
    response = await client.patch(
        f"/v1/{resource}/{item_id}",
        content=orjson.dumps(READ_ONLY),
        headers={**admin, **MERGE_PATCH},
    )
    names = invalid_params(assert_problem(response, 400))
    assert {("body", name) for name in READ_ONLY} <= names
    fetched = await client.get(f"/v1/{resource}/{item_id}", headers=admin)
    assert fetched.json()["id"] == item_id
    assert fetched.json()["version"] == 1
    assert await row_counts() == before


@pytest.mark.parametrize(
    "content",
    [
        b'{"code": "A", "name": ',
        b"{'code': 'A'}",
        b"not json at all",
        b"",
        b"[1, 2, 3]",
        b'"just a string"',
        b"null",
        b'{"code": "A", "name": "B", "kind": "afdeling"}{"second": "document"}',
    ],
)
async def test_a_body_that_is_not_a_json_object_is_a_400(client, admin, content):
    before = await row_counts()
    response = await client.post(
        "/v1/departments",
        content=content,
        headers={**admin, "Content-Type": "application/json"},
    )
    names = invalid_params(assert_problem(response, 400))
    assert ("body", "body") in names
    assert_contract_headers(response)
    assert await row_counts() == before


def _nested(depth: int) -> bytes:
    return b'{"code": "DEEP", "name": "Diep", "kind": "afdeling", "x": ' + (
        b"[" * depth + b"]" * depth + b"}"
    )


@pytest.mark.parametrize("depth", [get_settings().max_json_depth + 1, 100_000])
async def test_deeply_nested_json_is_a_400(client, admin, depth):
    before = await row_counts()
    response = await client.post(
        "/v1/departments",
        content=_nested(depth),
        headers={**admin, "Content-Type": "application/json"},
    )
    body = assert_problem(response, 400)
    assert ("body", "body") in invalid_params(body)
    assert await row_counts() == before
    # The process is still up and answering.
    assert (await client.get("/v1/health")).status_code == 200


async def test_brackets_inside_strings_do_not_count_as_nesting(client, admin):
    response = await client.post(
        "/v1/departments",
        json={"code": "BRK", "name": "[" * 150, "kind": "afdeling"},
        headers=admin,
    )
    assert response.status_code == 201, response.text


async def _chunks(size: int) -> AsyncIterator[bytes]:
    piece = b" " * 65_536
    sent = 0
    while sent < size:
        yield piece
        sent += len(piece)


async def test_a_10_mb_body_is_a_413(client, admin):
    before = await row_counts()
    body = b'{"code": "BIG", "name": "' + b"a" * 10_000_000 + b'", "kind": "afdeling"}'
    response = await client.post(
        "/v1/departments", content=body, headers={**admin, "Content-Type": "application/json"}
    )
    assert_problem(response, 413)
    assert_contract_headers(response)
    assert await row_counts() == before


async def test_a_10_mb_body_without_content_length_is_a_413(client, admin):
    """A chunked upload declares no length: the limit must hold while reading."""
    before = await row_counts()
    response = await client.post(
        "/v1/departments",
        content=_chunks(10_000_000),
        headers={**admin, "Content-Type": "application/json"},
    )
    assert_problem(response, 413)
    assert await row_counts() == before


@pytest.mark.parametrize(
    "size", ["1000000", "101", "0", "-1", "ten", "1e3", "99999999999999999999"]
)
async def test_page_size_out_of_range_is_a_400(client, admin, size):
    response = await client.get(f"/v1/departments?pageSize={size}", headers=admin)
    assert invalid_params(assert_problem(response, 400)) == {("query", "pageSize")}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",
        "%%%",
        _b64(b"not json"),
        _b64(b'{"a": 1}'),
        _b64(b"[1, 2]"),
        _b64(orjson.dumps(["name", 5, "eb74098e-1a2e-4aa8-982d-bef7a9a85269"])),
        _b64(orjson.dumps(["name", "Afdeling", "not-a-uuid"])),
        _b64(orjson.dumps(["code", "A", "6d46645a-3c8b-4329-b141-38b40f0aa5c1"])),
        "A" * 600,
    ],
)
async def test_malformed_cursor_is_a_400(client, admin, cursor):
    await make_department()
    response = await client.get("/v1/departments", params={"cursor": cursor}, headers=admin)
    assert invalid_params(assert_problem(response, 400)) == {("query", "cursor")}


async def test_unknown_sort_key_is_a_400(client, admin):
    response = await client.get("/v1/departments?sort=-colour", headers=admin)
    assert invalid_params(assert_problem(response, 400)) == {("query", "sort")}


@pytest.mark.parametrize(
    ("method", "path", "param"),
    [
        ("GET", "/v1/departments/12345", "departmentId"),
        ("PATCH", "/v1/departments/12345", "departmentId"),
        ("DELETE", "/v1/departments/12345", "departmentId"),
        ("GET", "/v1/members/not-a-uuid", "memberId"),
        ("PATCH", "/v1/members/not-a-uuid", "memberId"),
        ("DELETE", "/v1/members/not-a-uuid", "memberId"),
        ("GET", "/v1/api-keys/0", "keyId"),
        ("DELETE", "/v1/api-keys/0", "keyId"),
    ],
)
async def test_a_non_uuid_path_id_is_a_400_naming_the_parameter(client, admin, method, path, param):
    """The id is syntactically impossible, so this is invalid input (400), not an unknown
    resource (404): the client learns exactly which parameter to fix."""
    before = await row_counts()
    content = b"{}" if method == "PATCH" else None
    response = await client.request(method, path, content=content, headers={**admin, **MERGE_PATCH})
    assert invalid_params(assert_problem(response, 400)) == {("path", param)}
    assert await row_counts() == before


async def test_an_unknown_uuid_is_a_404(client, admin):
    response = await client.get(f"/v1/departments/{uuid.uuid4()}", headers=admin)
    assert_problem(response, 404)


async def test_nul_characters_are_invalid_input_on_every_database(client, admin):
    """Postgres cannot store U+0000 in text; SQLite can. Refuse it up front, the same way on
    both, instead of letting Postgres turn it into a 500."""
    before = await row_counts()
    response = await client.post(
        "/v1/departments",
        json={"code": "NUL", "name": "Null\u0000teken", "kind": "afdeling"},
        headers=admin,
    )
    assert ("body", "name") in invalid_params(assert_problem(response, 400))
    assert await row_counts() == before
    listed = await client.get("/v1/departments", params={"q": "a\x00b"}, headers=admin)
    assert ("query", "q") in invalid_params(assert_problem(listed, 400))


async def test_an_escaped_backslash_before_u0000_is_ordinary_text(client, admin):
    response = await client.post(
        "/v1/departments",
        content=b'{"code": "BSL", "name": "pad\\\\u0000", "kind": "afdeling"}',
        headers={**admin, "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "pad\\u0000"


def test_nul_finder_names_nested_properties_and_query_keys():
    body = orjson.dumps({"a": "ok", "b": {"c": ["fine", "bad\u0000"]}, "d": "x\u0000"})
    assert nul.body_properties_with_nul(body) == ["b.c[1]", "d"]
    assert nul.body_properties_with_nul(b'{"a": "\\\\u0000"}') == []
    assert nul.body_properties_with_nul(b'{"a": "\\u0000", broken') == []
    assert nul.query_params_with_nul(b"q=a%00b&pageSize=10&x=%00") == ["q", "x"]
    assert nul.query_params_with_nul(b"q=plain") == []
