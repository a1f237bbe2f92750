"""Small HTTP helpers the agenda tests share: each does one API call and checks its status."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from tests.factories import bearer

MERGE_PATCH = "application/merge-patch+json"


def item(
    question_id: uuid.UUID | str,
    rank: int | None = None,
    priority: str = "medium",
    owner_group_id: uuid.UUID | str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"questionId": str(question_id), "priority": priority}
    if rank is not None:
        body["rank"] = rank
    if owner_group_id is not None:
        body["ownerGroupId"] = str(owner_group_id)
    if note is not None:
        body["note"] = note
    return body


def headers(key: str, if_match: str | None = None, **extra: str) -> dict[str, str]:
    result = {**bearer(key), **extra}
    if if_match is not None:
        result["If-Match"] = if_match
    return result


async def create_draft(
    client: httpx.AsyncClient, key: str, body: dict[str, Any] | None = None, status: int = 201
) -> httpx.Response:
    response = await client.post("/v1/agenda/revisions", json=body or {}, headers=bearer(key))
    assert response.status_code == status, response.text
    return response


async def put_items(
    client: httpx.AsyncClient,
    key: str,
    number: int,
    items: list[dict[str, Any]],
    if_match: str | None = None,
    status: int = 200,
) -> httpx.Response:
    response = await client.put(
        f"/v1/agenda/revisions/{number}/items",
        json={"items": items},
        headers=headers(key, if_match),
    )
    assert response.status_code == status, response.text
    return response


async def patch_revision(
    client: httpx.AsyncClient,
    key: str,
    number: int,
    body: dict[str, Any],
    if_match: str | None = None,
    status: int = 200,
) -> httpx.Response:
    response = await client.patch(
        f"/v1/agenda/revisions/{number}",
        content=json.dumps(body),
        headers=headers(key, if_match, **{"Content-Type": MERGE_PATCH}),
    )
    assert response.status_code == status, response.text
    return response


async def publish(
    client: httpx.AsyncClient,
    key: str,
    number: int,
    if_match: str | None = None,
    status: int = 200,
) -> httpx.Response:
    response = await client.post(
        f"/v1/agenda/revisions/{number}/_publish", headers=headers(key, if_match)
    )
    assert response.status_code == status, response.text
    return response


async def get_revision(client: httpx.AsyncClient, key: str, number: int) -> dict[str, Any]:
    response = await client.get(f"/v1/agenda/revisions/{number}", headers=bearer(key))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def publish_agenda(
    client: httpx.AsyncClient, key: str, items: list[dict[str, Any]], **draft: Any
) -> dict[str, Any]:
    """Draft, fill and publish one revision; answers the published revision."""
    created = (await create_draft(client, key, draft)).json()
    filled = await put_items(client, key, created["number"], items)
    published = await publish(client, key, created["number"], filled.headers["ETag"])
    body: dict[str, Any] = published.json()
    return body


def invalid_names(response: httpx.Response) -> list[str]:
    return [p["name"] for p in response.json()["invalidParams"]]
