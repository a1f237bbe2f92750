"""Liveness and readiness: public, cheap, and telling an operator what is wrong."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import text
from typing_extensions import TypedDict

from app import __version__
from app.core.db import database
from app.core.errors import ServiceUnavailable
from app.core.http import json_response
from app.core.openapi import responses
from app.core.routes import ContractRoute

router = APIRouter(prefix="/v1/health", tags=["health"], route_class=ContractRoute)


# What both probes answer: how the process is, and which version of the API it serves.
class Health(TypedDict):
    status: str
    version: str


@router.get(
    "",
    operation_id="health-get",
    summary="Liveness: the process answers",
    response_model=Health,
    responses=responses(200, "The process is up.", 500),
)
async def health() -> Response:
    alive: Health = {"status": "ok", "version": __version__}
    return json_response(alive)


@router.get(
    "/ready",
    operation_id="readiness-get",
    summary="Readiness: the database answers",
    response_model=Health,
    responses=responses(200, "Ready to serve.", 500, 503),
)
async def readiness() -> Response:
    try:
        async with database.reader.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        raise ServiceUnavailable("The database does not answer.") from exc
    ready: Health = {"status": "ready", "version": __version__}
    return json_response(ready)
