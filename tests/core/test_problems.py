"""Every error is an RFC 9457 problem: unknown routes, wrong methods, trailing slashes and
server errors alike, and a server error never discloses a traceback."""

from __future__ import annotations

import httpx
import pytest

from app.audit import trail
from app.core.config import Settings
from app.main import create_app
from tests.core.support import assert_contract_headers, assert_problem, row_counts
from tests.factories import bearer, make_department, make_key

SECRET_TEXT = "db-password=hunter2 at /srv/app/secret.py line 7"


@pytest.mark.parametrize(
    "path",
    ["/v1/nope", "/nope", "/v2/members", "/v1/departments/a/b/c", "/v1/members-and-more"],
)
async def test_unknown_route_is_a_404_problem(client, path):
    response = await client.get(path)
    assert_problem(response, 404)
    assert_contract_headers(response)


async def test_unknown_route_is_a_404_problem_with_a_key_too(client):
    response = await client.post("/v1/nothing-here", json={}, headers=bearer(await make_key()))
    assert_problem(response, 404)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/v1/departments", {"GET", "POST"}),
        ("DELETE", "/v1/members", {"GET", "POST"}),
        ("POST", "/v1/health", {"GET"}),
        ("PUT", "/v1/departments/35c04ba4-494d-47dc-9f59-b8696fcfca19", {"GET", "PATCH", "DELETE"}),
        ("DELETE", "/v1/openapi.json", {"GET"}),
    ],
)
async def test_wrong_method_is_a_405_problem_naming_every_allowed_method(
    client, method, path, allowed
):
    response = await client.request(method, path, headers=bearer(await make_key()))
    assert_problem(response, 405)
    assert_contract_headers(response)
    listed = {m.strip() for m in response.headers["allow"].split(",")}
    assert allowed <= listed, f"Allow: {response.headers['allow']}"
    assert method not in listed


@pytest.mark.parametrize("path", ["/v1/departments/", "/v1/health/", "/v1/openapi.json/"])
async def test_trailing_slash_is_a_404_not_a_redirect(client, path):
    response = await client.get(path, headers=bearer(await make_key()))
    assert_problem(response, 404)
    assert "location" not in response.headers


async def test_trailing_slash_after_an_id_is_a_404(client):
    department = await make_department()
    response = await client.get(
        f"/v1/departments/{department['id']}/", headers=bearer(await make_key())
    )
    assert_problem(response, 404)
    assert "location" not in response.headers


def _app_with_failing_routes():
    """A throwaway copy of the app with routes that fail in ways nobody planned for."""
    application = create_app(Settings())

    async def fails() -> None:
        raise RuntimeError(SECRET_TEXT)

    application.state.api.add_api_route("/v1/boom", fails, methods=["GET", "POST"])
    return application


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_server_error_is_a_500_problem_without_traceback(client, method):
    transport = httpx.ASGITransport(app=_app_with_failing_routes(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        response = await other.request(method, "/v1/boom", json={"a": 1})
    body = assert_problem(response, 500)
    assert_contract_headers(response)
    assert "RuntimeError" not in response.text
    assert "hunter2" not in response.text
    assert "secret.py" not in body["detail"]


async def test_write_failing_midway_is_a_500_that_writes_nothing(client, monkeypatch):
    """The department row is inserted before the audit step fails: the transaction must roll
    back, the answer must be a bare problem, and the Idempotency-Key must be free again."""
    key = await make_key()
    before = await row_counts()

    async def broken_record(*args, **kwargs):
        raise RuntimeError(SECRET_TEXT)

    monkeypatch.setattr(trail, "record", broken_record)
    payload = {"code": "BOOM", "name": "Afdeling Boom", "kind": "afdeling"}
    headers = {**bearer(key), "Idempotency-Key": "retry-after-500"}
    response = await client.post("/v1/departments", json=payload, headers=headers)
    body = assert_problem(response, 500)
    assert "hunter2" not in response.text and "RuntimeError" not in response.text
    assert body["type"].endswith("internal-error")
    assert await row_counts() == before

    monkeypatch.undo()
    retried = await client.post("/v1/departments", json=payload, headers=headers)
    assert retried.status_code == 201, retried.text


@pytest.mark.parametrize("path", ["/v1/a%0Ab/c", "/%0A", "/v1/members/a%0Ab"])
async def test_a_path_no_application_matches_is_a_404_problem(client, path):
    response = await client.get(path, headers=bearer(await make_key()))
    assert_problem(response, 404)
    assert_contract_headers(response)
