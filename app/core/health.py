"""Liveness and readiness: public, cheap, and telling an operator what is wrong."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import text

from app import __version__
from app.core.db import database
from app.core.errors import ServiceUnavailable
from app.core.http import json_response
from app.core.openapi import responses
from app.core.schemas import ApiModel

router = APIRouter(prefix="/v1/health", tags=["health"])


class Health(ApiModel):
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
    return json_response({"status": "ok", "version": __version__})


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
    return json_response({"status": "ready", "version": __version__})
