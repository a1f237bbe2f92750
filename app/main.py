"""create_app(): the FastAPI application with its routers, error handlers and middleware."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from app import __version__
from app.agenda.endpoints import router as agenda_router
from app.api_keys.endpoints import router as api_keys_router
from app.audit.endpoints import router as audit_router
from app.cases.endpoints import router as cases_router
from app.core.config import Settings, get_settings
from app.core.db import database
from app.core.errors import install_error_handlers
from app.core.fastread import reader
from app.core.health import router as health_router
from app.core.http import json_response
from app.core.middleware import ContractMiddleware
from app.core.openapi import build_document, responses
from app.departments.endpoints import router as departments_router
from app.insights.endpoints import router as insights_router
from app.learning_groups.endpoints import router as learning_groups_router
from app.learning_questions.endpoints import router as learning_questions_router
from app.members.endpoints import router as members_router
from app.organisations.endpoints import router as organisations_router
from app.privacy.endpoints import router as privacy_router
from app.scim.endpoints import router as scim_router
from app.stats.endpoints import router as stats_router
from app.sync.endpoints import router as member_syncs_router
from app.themes.endpoints import router as themes_router
from app.workshops.endpoints import router as workshops_router

TITLE = "Leergemeenschap API"
DESCRIPTION = """\
The backend of a municipal learning community of civil servants, modelled on the
Leergemeenschap Amsterdam Circulair: departments and members, learning groups around three
themes, workshops (werkplaatsen), cases, learning questions and the evolving learning agenda.

Conventions (NL GOV API Design Rules 2.2): errors are `application/problem+json`; invalid input
is a 400 listing every invalid parameter in `invalidParams`; lists use keyset pagination
(`cursor`, `pageSize`) with a `next` link; every mutable resource has a `version` and an
`ETag`, and writes honour `If-Match`; POST honours `Idempotency-Key`; PATCH is JSON Merge Patch.
"""

TAGS = [
    {"name": "departments", "description": "Units of the municipality (organisatieonderdelen)."},
    {"name": "members", "description": "People of the community (deelnemers and volgers)."},
    {"name": "themes", "description": "The central themes, each with its transition role."},
    {
        "name": "organisations",
        "description": "Partners: facilitators, market parties, initiatives.",
    },
    {"name": "workshops", "description": "Gatherings of the community (werkplaatsen)."},
    {"name": "learning-groups", "description": "Groups learning around a theme (leergroepen)."},
    {"name": "cases", "description": "Concrete cases the learning groups work on (casussen)."},
    {"name": "api-keys", "description": "Credentials for scripts and systems (admins only)."},
    {"name": "audit-events", "description": "The append-only audit trail (admins only)."},
    {
        "name": "member-syncs",
        "description": "Declarative department syncs from the intranet or an HR export "
        "(sync and admin keys).",
    },
    {
        "name": "agenda",
        "description": "The learning agenda (leeragenda): revisions, as-of, diffs, CSV.",
    },
    {
        "name": "learning-questions",
        "description": "Questions the community wants to learn about (leervragen), their "
        "lifecycle and lineage.",
    },
    {
        "name": "insights",
        "description": "Lessons from cases, groups and questions (inzichten), tracked until "
        "they are the normal way of working.",
    },
    {"name": "stats", "description": "The community's numbers (participation, coverage, …)."},
    {"name": "health", "description": "Liveness and readiness (public)."},
    {"name": "meta", "description": "The API's own description (public)."},
]

STATIC_DIR = Path(str(fastapi_offline.__file__)).parent / "static"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    if database._engine is None:  # tests may have configured it already
        database.configure(settings)
    # Everything imported at start-up lives as long as the process: keep it out of the
    # cyclic collector's scans, and collect the young generation less often. Requests
    # allocate many short-lived objects; with the defaults the collector took about a tenth
    # of a worker's time under load (py-spy, `make bench`).
    gc.collect()
    gc.freeze()
    gc.set_threshold(7_000, 20, 20)
    try:
        yield
    finally:
        await reader.close()
        await database.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    logging.basicConfig(level=logging.INFO)
    app = FastAPI(
        title=TITLE,
        version=__version__,
        description=DESCRIPTION,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
        lifespan=lifespan,
        openapi_tags=TAGS,
        # Off unless asked for: otherwise FastAPI looks up the global OpenTelemetry
        # providers on every request, even when none is configured.
        telemetry={
            "tracing": settings.telemetry,
            "metrics": settings.telemetry,
            "logs": settings.telemetry,
        },
    )
    app.state.settings = settings
    install_error_handlers(app)
    # FastAPI matches a request against the routes one by one, in this order, at a real cost
    # per route: the most-read resources come first. (Tags, not this order, group the docs.)
    for router in (
        members_router,
        agenda_router,
        learning_groups_router,
        health_router,
        departments_router,
        learning_questions_router,
        themes_router,
        organisations_router,
        workshops_router,
        cases_router,
        insights_router,
        stats_router,
        privacy_router,
        member_syncs_router,
        scim_router,
        api_keys_router,
        audit_router,
    ):
        app.include_router(router)
    _install_meta_routes(app)
    app.add_middleware(ContractMiddleware, settings=settings)
    return app


def openapi_document(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        app.openapi_schema = build_document(app, title=TITLE, description=DESCRIPTION)
    return app.openapi_schema


def _install_meta_routes(app: FastAPI) -> None:
    app.mount("/v1/docs-static", StaticFiles(directory=STATIC_DIR), name="docs-static")

    @app.get(
        "/v1/openapi.json",
        operation_id="openapi-get",
        tags=["meta"],
        summary="This API's OpenAPI document",
        responses=responses(200, "The OpenAPI 3.1 document.", 500),
    )
    async def openapi_json() -> Response:
        return json_response(openapi_document(app))

    @app.get("/v1/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/v1/openapi.json",
            title=f"{TITLE} - Swagger UI",
            swagger_js_url="/v1/docs-static/swagger-ui-bundle.js",
            swagger_css_url="/v1/docs-static/swagger-ui.css",
            swagger_favicon_url="/v1/docs-static/favicon.png",
        )

    @app.get("/v1/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/v1/openapi.json",
            title=f"{TITLE} - ReDoc",
            redoc_js_url="/v1/docs-static/redoc.standalone.js",
            redoc_favicon_url="/v1/docs-static/favicon.png",
            with_google_fonts=False,
        )
