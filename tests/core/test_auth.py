"""Every route but the public ones needs an API key; bad keys are 401 with
`WWW-Authenticate: Bearer`, roles that may not are 403, and a revocation reaches every worker
within API_KEY_CACHE_SECONDS."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import timedelta

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy import event
from starlette.routing import Mount

from app.auth import repository as key_repository
from app.auth.authentication import key_cache
from app.auth.service import issue_key
from app.core.config import Settings
from app.core.context import SYSTEM
from app.core.db import database
from app.core.models import utcnow
from app.core.permissions import Role, RoleCheck
from app.main import create_app
from tests.conftest import client_for
from tests.core.support import assert_contract_headers, assert_problem, full_paths, row_counts
from tests.factories import bearer, make_key

# The issue's list: health, the OpenAPI documents (the SCIM API has its own) and the docs.
PUBLIC_PATHS = frozenset(
    {
        "/v1/health",
        "/v1/health/ready",
        "/v1/openapi.json",
        "/v1/docs",
        "/v1/redoc",
        "/scim/v2/openapi.json",
    }
)
PUBLIC_MOUNTS = frozenset({"/v1/docs-static"})


def _needs_key(dependant: Dependant) -> bool:
    return any(isinstance(dep.call, RoleCheck) or _needs_key(dep) for dep in dependant.dependencies)


def test_every_route_is_authenticated_or_on_the_public_allow_list():
    app = create_app(Settings())
    unguarded: list[str] = []
    api_routes = 0
    for route, path in full_paths(app.routes):
        if isinstance(route, APIRoute):
            api_routes += 1
            if path not in PUBLIC_PATHS and not _needs_key(route.dependant):
                unguarded.append(f"{sorted(route.methods)} {path}")
        elif isinstance(route, Mount):
            if path not in PUBLIC_MOUNTS:
                unguarded.append(f"mount {path}")
        else:
            unguarded.append(f"{type(route).__name__} {path}")
    assert api_routes >= 10, "the walk found too few routes to be looking at the real app"
    assert not unguarded, f"routes without the authenticate dependency: {unguarded}"


def test_the_public_allow_list_names_only_routes_that_exist():
    app = create_app(Settings())
    paths = {path for _route, path in full_paths(app.routes)}
    assert paths >= PUBLIC_PATHS | PUBLIC_MOUNTS


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


def _guarded_operations() -> list[tuple[str, str]]:
    app = create_app(Settings())
    operations = []
    for route, path in full_paths(app.routes):
        if isinstance(route, APIRoute) and path not in PUBLIC_PATHS:
            operations.extend((method, path) for method in sorted(route.methods))
    return operations


@pytest.mark.parametrize(("method", "path"), _guarded_operations())
async def test_every_guarded_operation_answers_401_without_a_key(client, method, path):
    before = await row_counts()
    response = await client.request(method, _concrete(path))
    if path.startswith("/scim/"):
        # SCIM answers in its own error format (RFC 7644 §3.12), not problem+json.
        assert response.status_code == 401, response.text
        assert response.json()["status"] == "401"
    else:
        assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert await row_counts() == before


@pytest.mark.parametrize("path", sorted(PUBLIC_PATHS))
async def test_public_routes_need_no_key(client, path):
    response = await client.get(path)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNzd29yZA==",
        "Token lgk_abc",
        "lgk_without_scheme",
        "Bearer lgk_" + "A" * 43,
        "Bearer not-even-our-prefix",
        "Bearer " + "x" * 5000,
    ],
)
async def test_missing_or_wrong_credentials_are_401_with_bearer_challenge(client, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await client.get("/v1/departments", headers=headers)
    assert_problem(response, 401)
    assert_contract_headers(response)
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_scheme_is_case_insensitive(client):
    key = await make_key("reader")
    response = await client.get("/v1/departments", headers={"Authorization": f"bearer {key}"})
    assert response.status_code == 200


async def test_revoked_key_is_401_at_once_in_the_worker_that_revoked_it(client):
    admin = bearer(await make_key())
    key = await make_key("reader")
    assert (await client.get("/v1/departments", headers=bearer(key))).status_code == 200
    listed = await client.get("/v1/api-keys", headers=admin)
    key_id = next(i["id"] for i in listed.json()["items"] if key.startswith(i["prefix"]))
    revoked = await client.delete(f"/v1/api-keys/{key_id}", headers=admin)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revokedAt"] is not None
    response = await client.get("/v1/departments", headers=bearer(key))
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_revocation_elsewhere_takes_effect_within_the_cache_window(app, statements):
    """Another worker revoked the key: this one trusts its cache (no database round trip)
    for at most API_KEY_CACHE_SECONDS, then asks again and refuses the key."""
    window = 2.0  # wide enough for a loaded machine: the cached request must fall inside it
    short = database.settings.model_copy(update={"api_key_cache_seconds": window})
    async with client_for(create_app(short)) as client:
        await _revoked_elsewhere(client, statements, window)


async def _revoked_elsewhere(client, statements, window):
    admin_key = await make_key()
    key = await make_key("reader")
    assert (await client.get("/v1/departments", headers=bearer(key))).status_code == 200

    listed = await client.get("/v1/api-keys", headers=bearer(admin_key))
    key_id = next(i["id"] for i in listed.json()["items"] if key.startswith(i["prefix"]))
    async with database.engine.begin() as conn:  # as another worker would: no cache clearing
        await key_repository.revoke(conn, uuid.UUID(key_id), utcnow())

    statements.statements.clear()
    cached = await client.get("/v1/departments", headers=bearer(key))
    assert cached.status_code == 200
    assert not [s for s in statements.statements if "api_keys" in s], "cache was not used"

    await asyncio.sleep(window + 0.2)
    response = await client.get("/v1/departments", headers=bearer(key))
    assert_problem(response, 401)


async def test_expired_key_is_401(client):
    async with database.engine.begin() as conn:
        item = await issue_key(
            conn,
            SYSTEM,
            name="short-lived",
            role=Role.READER,
            expires_at=utcnow() + timedelta(seconds=1),
        )
    key = str(item["key"])
    assert (await client.get("/v1/departments", headers=bearer(key))).status_code == 200
    await asyncio.sleep(1.2)
    # Still cached (the cache window is longer than what is left), yet expired: refused.
    response = await client.get("/v1/departments", headers=bearer(key))
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    key_cache.clear()
    response = await client.get("/v1/departments", headers=bearer(key))
    assert_problem(response, 401)


@pytest.mark.parametrize(
    ("role", "method", "path", "body"),
    [
        ("reader", "POST", "/v1/departments", {"code": "X", "name": "X", "kind": "afdeling"}),
        ("member", "POST", "/v1/departments", {"code": "X", "name": "X", "kind": "afdeling"}),
        ("facilitator", "GET", "/v1/api-keys", None),
        ("member", "POST", "/v1/api-keys", {"name": "x", "role": "admin"}),
        ("reader", "GET", "/v1/audit-events", None),
        ("facilitator", "GET", "/v1/audit-events", None),
        ("sync", "POST", "/v1/api-keys", {"name": "x", "role": "admin"}),
    ],
)
async def test_a_role_that_may_not_gets_403(client, role, method, path, body):
    key = await make_key(role)
    before = await row_counts()
    response = await client.request(method, path, json=body, headers=bearer(key))
    assert_problem(response, 403)
    assert_contract_headers(response)
    assert await row_counts() == before


@pytest.mark.parametrize(
    "content", [b'{"code": "A", ', b"[1, 2", b"\xff\xfe not utf-8", b'{"code": 1}']
)
async def test_the_key_is_checked_before_the_body(client, content):
    """A caller without a valid key learns nothing about what the route expects."""
    for headers in ({}, bearer("lgk_" + "Z" * 43)):
        response = await client.post(
            "/v1/departments",
            content=content,
            headers={**headers, "Content-Type": "application/json"},
        )
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")
    valid = await client.post(
        "/v1/departments",
        content=content,
        headers={**bearer(await make_key()), "Content-Type": "application/json"},
    )
    assert_problem(valid, 400)


async def test_credentials_are_looked_up_once_per_request_at_the_edge(client, statements):
    """One way in: a POST with an Idempotency-Key and an invalid body still asks the key
    store exactly once, before anything else touches the database."""
    key = await make_key()
    key_cache.clear()
    statements.statements.clear()
    response = await client.post(
        "/v1/departments",
        json={"code": 12},
        headers={**bearer(key), "Idempotency-Key": "once-only"},
    )
    assert_problem(response, 400)
    lookups = [s for s in statements.statements if "api_keys" in s]
    assert len(lookups) == 1, lookups
    assert "api_keys" in statements.statements[0]


async def test_a_request_refused_at_the_edge_takes_no_database_connection(client):
    """Without an accepted caller a route's connection dependency refuses before checkout
    (a refused write still files its refusal; a read has nothing to file)."""
    checkouts = []
    engine = database.engine.sync_engine

    def counted(*_args):
        checkouts.append(1)

    event.listen(engine, "checkout", counted)
    try:
        anonymous = await client.get("/v1/departments")
    finally:
        event.remove(engine, "checkout", counted)
    assert_problem(anonymous, 401)
    assert checkouts == []


async def test_a_database_fault_at_the_edge_is_a_503_even_for_a_body_that_is_not_json(
    client, monkeypatch
):
    from app.auth import repository as auth_repository

    async def unreachable(*_args):
        raise ConnectionRefusedError("the database is down")

    key = await make_key()
    key_cache.clear()
    monkeypatch.setattr(auth_repository, "key_by_digest", unreachable)
    for content in (b"{", b'{"code": 1}'):
        response = await client.post(
            "/v1/departments",
            content=content,
            headers={**bearer(key), "Content-Type": "application/json"},
        )
        assert_problem(response, 503)
        assert response.headers["retry-after"]
    assert (await client.get("/v1/health")).status_code == 200


async def test_a_role_that_may_not_write_opens_no_write_transaction(client):
    """The role is checked before the route's connection is taken: the 403 costs only the
    refusal's own audit event, not a write transaction (on SQLite, the write lock)."""
    reader = bearer(await make_key("reader"))
    assert (await client.get("/v1/departments", headers=reader)).status_code == 200  # cached
    checkouts = []
    engine = database.engine.sync_engine

    def counted(*_args):
        checkouts.append(1)

    event.listen(engine, "checkout", counted)
    try:
        response = await client.post(
            "/v1/departments",
            json={"code": "NEE", "name": "Nee", "kind": "afdeling"},
            headers=reader,
        )
    finally:
        event.remove(engine, "checkout", counted)
    assert_problem(response, 403)
    assert len(checkouts) == 1  # the audit event of the refusal
