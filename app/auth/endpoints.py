"""HTTP routes of /v1/api-keys, for admins."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from app.auth import service
from app.auth.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyPage, ApiKeyRead
from app.core.db import ReadDb, WriteDb
from app.core.http import IDEMPOTENT, json_response, written
from app.core.openapi import READ, WRITE, responses
from app.core.pagination import PageRequest
from app.core.permissions import AdminOnly
from app.core.routes import ContractRoute

KeyId = Annotated[uuid.UUID, Path(alias="keyId")]

router = APIRouter(prefix="/v1/api-keys", tags=["api-keys"], route_class=ContractRoute)


@router.get(
    "",
    operation_id="api-keys-list",
    summary="List API keys (never their secrets)",
    response_model=ApiKeyPage,
    responses=responses(200, "One page of API keys.", *READ, headers=("Link",)),
)
async def list_keys(
    request: Request,
    _: AdminOnly,
    conn: ReadDb,
    page: Annotated[PageRequest, Depends(service.SORTING.params)],
) -> Response:
    return await service.list_keys(conn, request, page)


@router.post(
    "",
    operation_id="api-keys-create",
    summary="Issue an API key (the key is shown once)",
    status_code=201,
    response_model=ApiKeyCreated,
    responses=responses(201, "The key, shown this once.", *WRITE, headers=("Location",)),
    dependencies=[IDEMPOTENT],
)
async def create_key(
    request: Request, principal: AdminOnly, conn: WriteDb, data: ApiKeyCreate
) -> Response:
    item = await service.issue_key(
        conn,
        principal,
        name=data.name,
        role=data.role,
        member_id=data.member_id,
        expires_at=data.expires_at,
    )
    location = str(request.url_for("api-keys-get", keyId=item["id"]))
    # A retry with the same Idempotency-Key gets the key's metadata, never the secret again.
    redacted: ApiKeyCreated = {**item, "key": item["prefix"] + "…"}
    return await written(
        conn, request, item, status=201, headers={"Location": location}, replay=redacted
    )


@router.get(
    "/{keyId}",
    operation_id="api-keys-get",
    name="api-keys-get",
    summary="Get an API key's metadata",
    response_model=ApiKeyRead,
    responses=responses(200, "The key's metadata.", *READ, 404),
)
async def get_key(_: AdminOnly, conn: ReadDb, key_id: KeyId) -> Response:
    return json_response(await service.get_key(conn, key_id))


@router.delete(
    "/{keyId}",
    operation_id="api-keys-delete",
    summary="Revoke an API key",
    response_model=ApiKeyRead,
    responses=responses(200, "The revoked key.", *WRITE, 404),
)
async def revoke_key(
    request: Request, principal: AdminOnly, conn: WriteDb, key_id: KeyId
) -> Response:
    item = await service.revoke_key(conn, principal, key_id)
    return await written(conn, request, item)
