"""Assertions the contract tests share: the problem shape, the contract headers, row counts."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount

from app import __version__
from app.core.db import database
from app.metadata import metadata

PROBLEM_MEMBERS = ("type", "title", "status", "detail", "instance")


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """An RFC 9457 problem with every member filled in, about this request, with no traceback."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    missing = [name for name in PROBLEM_MEMBERS if name not in body]
    assert not missing, f"problem lacks {missing}: {body}"
    assert body["status"] == status
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["instance"] == response.request.url.path
    assert "Traceback" not in response.text
    assert 'File "' not in response.text
    return body


def assert_contract_headers(response: httpx.Response) -> None:
    """The headers every response carries, success or error (HSTS only behind TLS)."""
    headers = response.headers
    assert headers["api-version"] == __version__
    assert headers["cache-control"] == "no-store"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers.get("x-request-id")
    assert "strict-transport-security" not in headers


def invalid_params(body: dict[str, Any]) -> set[tuple[str, str]]:
    """(where, name) of every entry of `invalidParams`."""
    params = body.get("invalidParams")
    assert isinstance(params, list) and params, f"no invalidParams in {body}"
    for param in params:
        assert param["reason"], param
        assert param["code"], param
    return {(param["in"], param["name"]) for param in params}


async def row_counts() -> dict[str, int]:
    """Rows per table, for asserting that refused requests wrote nothing. The audit trail is
    left out: a refused write is supposed to leave an event there."""
    counts: dict[str, int] = {}
    async with database.engine.connect() as conn:
        for table in metadata.sorted_tables:
            if table.name == "audit_events":
                continue
            counts[table.name] = int(
                (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            )
    return counts


def full_paths(routes: list[BaseRoute], prefix: str = "") -> list[tuple[BaseRoute, str]]:
    """Each route with its full path, the applications mounted in the service (/v1 and SCIM)
    opened up. Recent FastAPI keeps an included router as one entry; `iter_route_contexts`
    opens it up (older versions list routes flat already)."""
    found: list[tuple[BaseRoute, str]] = []
    for route in routes:
        if isinstance(route, Mount) and isinstance(route.app, Starlette):
            found.extend(full_paths(route.app.routes, prefix + route.path))
            continue
        try:
            from fastapi.routing import iter_route_contexts
        except ImportError:  # pragma: no cover - older FastAPI
            found.append((route, prefix + getattr(route, "path", "")))
            continue
        found.extend(
            (c.original_route, prefix + (c.path or "")) for c in iter_route_contexts([route])
        )
    return found
