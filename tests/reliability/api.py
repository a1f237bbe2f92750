"""Test data for the live servers, built through the HTTP API as a client would."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Iterable
from typing import Any, TypeVar

import httpx
import orjson

from tests.reliability.conftest import LiveServer, bearer

T = TypeVar("T")
MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}


def client(server: LiveServer, *, timeout: float = 30, connections: int = 300) -> httpx.AsyncClient:
    """A client that opens as many connections as the test has requests in flight."""
    return httpx.AsyncClient(
        base_url=server.base_url,
        headers=bearer(server.db.admin_key),
        timeout=timeout,
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )


async def gather_limited(coros: Iterable[Awaitable[T]], limit: int = 20) -> list[T]:
    """Run coroutines with at most `limit` at a time (for setting up, not for the faults)."""
    gate = asyncio.Semaphore(limit)

    async def one(coro: Awaitable[T]) -> T:
        async with gate:
            return await coro

    return await asyncio.gather(*(one(c) for c in coros))


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def sync_payload(code: str, count: int) -> bytes:
    """A member sync that creates `count` members in department `code` (one statement body)."""
    members = [
        {
            "externalId": f"{code}-{n:06d}",
            "email": f"deelnemer.{n}@{code.lower()}.amsterdam.example",
            "givenName": f"Voornaam{n}",
            "familyName": f"Achternaam{n}",
            "departmentCode": code,
        }
        for n in range(count)
    ]
    return orjson.dumps(
        {
            "scope": {"departmentCodes": [code]},
            "departments": [{"code": code, "name": f"Afdeling {code}", "kind": "afdeling"}],
            "members": members,
        }
    )


async def make_members(http: httpx.AsyncClient, count: int) -> list[dict[str, Any]]:
    """`count` members, created by one member sync into a department of their own."""
    code = f"REL-{uuid.uuid4().hex[:6].upper()}"
    run = created(
        await http.post(
            "/v1/member-syncs",
            content=sync_payload(code, count),
            headers={"Content-Type": "application/json"},
        )
    )
    assert run["counts"]["created"] == count, run["counts"]
    members: list[dict[str, Any]] = []
    department = (await http.get(f"/v1/departments?code={code}")).json()["items"][0]
    url: str | None = f"/v1/members?departmentId={department['id']}&pageSize=100"
    while url:
        page = await http.get(url)
        assert page.status_code == 200, page.text
        members.extend(page.json()["items"])
        url = page.json().get("next")
    assert len(members) == count
    return members


async def make_group(http: httpx.AsyncClient, role: str = "verbinder") -> dict[str, Any]:
    theme = created(
        await http.post(
            "/v1/themes", json={"name": f"Thema {uuid.uuid4().hex[:6]}", "transitionRole": role}
        )
    )
    return created(
        await http.post(
            "/v1/learning-groups",
            json={"name": "Leergroep", "themeId": theme["id"], "mode": "self_directed"},
        )
    )


async def member_key(http: httpx.AsyncClient, member_id: str) -> str:
    key = created(
        await http.post(
            "/v1/api-keys",
            json={"name": f"key of {member_id}", "role": "member", "memberId": member_id},
        )
    )
    return str(key["key"])


def is_problem(response: httpx.Response, status: int) -> bool:
    return (
        response.status_code == status
        and response.headers.get("content-type", "").startswith("application/problem+json")
        and response.json().get("status") == status
    )


def is_unavailable(response: httpx.Response) -> bool:
    """The answer a client may retry: a 503 problem that says when (Retry-After)."""
    return is_problem(response, 503) and response.headers.get("retry-after", "").isdigit()
