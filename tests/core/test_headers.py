"""API-Version and the security headers on every response, HSTS only behind TLS, and CORS:
the OpenAPI document for anyone, everything else only for configured origins."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from app.core.db import database
from app.main import create_app
from tests.core.support import assert_contract_headers, assert_problem
from tests.factories import bearer, make_key

INTRANET = "https://intranet.amsterdam.example"
STRANGER = "https://elsewhere.example"


@asynccontextmanager
async def cors_client(*origins: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client on an app configured with CORS_ORIGINS (the database is the test's own)."""
    settings = database.settings.model_copy(update={"cors_origins": origins})
    transport = httpx.ASGITransport(app=create_app(settings), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_success_responses_carry_the_contract_headers(client):
    key = await make_key()
    for path in ("/v1/health", "/v1/openapi.json", "/v1/departments", "/v1/docs"):
        response = await client.get(path, headers=bearer(key))
        assert response.status_code == 200, (path, response.text)
        assert_contract_headers(response)


async def test_created_responses_carry_the_contract_headers(client):
    response = await client.post(
        "/v1/departments",
        json={"code": "HDR", "name": "Afdeling Kopregels", "kind": "afdeling"},
        headers=bearer(await make_key()),
    )
    assert response.status_code == 201, response.text
    assert_contract_headers(response)


@pytest.mark.parametrize(
    ("status", "method", "path", "role", "content"),
    [
        (401, "GET", "/v1/departments", None, None),
        (403, "POST", "/v1/departments", "reader", b"{}"),
        (404, "GET", "/v1/unknown", None, None),
        (405, "PUT", "/v1/departments", "admin", None),
        (400, "GET", "/v1/departments?pageSize=0", "admin", None),
        (413, "POST", "/v1/departments", "admin", b"x" * 2_000_000),
    ],
)
async def test_error_responses_carry_the_contract_headers(
    client, status, method, path, role, content
):
    headers = {"Content-Type": "application/json"}
    if role:
        headers.update(bearer(await make_key(role)))
    response = await client.request(method, path, content=content, headers=headers)
    assert_problem(response, status)
    assert_contract_headers(response)


async def test_hsts_is_sent_behind_tls_only(client):
    key = await make_key()
    tls = {"X-Forwarded-Proto": "https", **bearer(key)}
    for path, status in (("/v1/departments", 200), ("/v1/unknown", 404), ("/v1/health", 200)):
        response = await client.get(path, headers=tls)
        assert response.status_code == status
        assert "max-age=" in response.headers["strict-transport-security"]
        plain = await client.get(path, headers=bearer(key))
        assert "strict-transport-security" not in plain.headers


async def test_request_id_is_echoed_when_sane_and_replaced_when_not(client):
    sane = await client.get("/v1/health", headers={"X-Request-ID": "trace-1234.abc"})
    assert sane.headers["x-request-id"] == "trace-1234.abc"
    odd = await client.get("/v1/health", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert odd.headers["x-request-id"]
    assert "<" not in odd.headers["x-request-id"]


async def test_openapi_document_is_public_with_cors_for_any_origin(client):
    for headers in ({}, {"Origin": STRANGER}):
        response = await client.get("/v1/openapi.json", headers=headers)
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "*"
        assert response.json()["openapi"].startswith("3.")


async def test_other_routes_send_no_cors_header_to_unconfigured_origins(client):
    key = await make_key()
    for path in ("/v1/health", "/v1/departments", "/v1/unknown"):
        response = await client.get(path, headers={"Origin": STRANGER, **bearer(key)})
        assert "access-control-allow-origin" not in response.headers, path


async def test_configured_origins_get_cors_headers_and_others_do_not(client):
    key = await make_key()
    async with cors_client(INTRANET) as other:
        allowed = await other.get("/v1/departments", headers={"Origin": INTRANET, **bearer(key)})
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == INTRANET
        assert "origin" in allowed.headers["vary"].lower()
        exposed = allowed.headers["access-control-expose-headers"].lower()
        for name in ("api-version", "etag", "location", "link"):
            assert name in exposed
        refused = await other.get("/v1/departments", headers={"Origin": STRANGER, **bearer(key)})
        assert refused.status_code == 200
        assert "access-control-allow-origin" not in refused.headers
        # An error to an allowed origin is readable by the page too.
        failed = await other.get("/v1/departments", headers={"Origin": INTRANET})
        assert_problem(failed, 401)
        assert failed.headers["access-control-allow-origin"] == INTRANET


def _preflight(origin: str, method: str = "POST") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
    }


async def test_preflight_for_the_openapi_document_is_open(client):
    response = await client.options("/v1/openapi.json", headers=_preflight(STRANGER, "GET"))
    assert response.status_code in (200, 204)
    assert response.headers["access-control-allow-origin"] == "*"
    assert "GET" in response.headers["access-control-allow-methods"]


@pytest.mark.parametrize("path", ["/v1/departments", "/v1/members/some-id"])
async def test_preflight_from_a_configured_origin_needs_no_key(client, path):
    async with cors_client(INTRANET) as other:
        response = await other.options(path, headers=_preflight(INTRANET, "PATCH"))
    assert response.status_code in (200, 204)
    assert response.headers["access-control-allow-origin"] == INTRANET
    assert "PATCH" in response.headers["access-control-allow-methods"]
    allowed_headers = response.headers["access-control-allow-headers"].lower()
    for name in ("authorization", "content-type", "if-match", "idempotency-key"):
        assert name in allowed_headers
    assert_contract_headers(response)


async def test_preflight_from_an_unconfigured_origin_is_not_allowed(client):
    async with cors_client(INTRANET) as other:
        response = await other.options("/v1/departments", headers=_preflight(STRANGER))
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-methods" not in response.headers
    assert_problem(response, 403)
