"""create_app(): the service as it meets a request. The edge (request id, headers, CORS,
authentication) comes first; then the /v1 API or the SCIM application, each with its own
error renderer, input checks, Idempotency-Key handling, exception handlers and routes."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import State
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from app import __version__
from app.agenda.endpoints import router as agenda_router
from app.audit import trail
from app.audit.endpoints import router as audit_router
from app.auth.authentication import Authenticator
from app.auth.endpoints import calendar_subscription_router, stream_tickets_router
from app.auth.endpoints import router as api_keys_router
from app.cases.endpoints import router as cases_router
from app.changes.endpoints import router as changes_router
from app.comments.endpoints import router as comments_router
from app.core.config import Settings, get_settings
from app.core.db import database
from app.core.handlers import exception_handlers
from app.core.health import router as health_router
from app.core.http import PUBLIC_DOCUMENT, json_response
from app.core.middleware.authentication import Authentication
from app.core.middleware.cors import Cors
from app.core.middleware.fallback import ErrorFallback
from app.core.middleware.headers import ContractHeaders
from app.core.middleware.idempotency import Idempotency
from app.core.middleware.input_checks import InputChecks
from app.core.middleware.request_context import RequestContext
from app.core.openapi import build_document, responses, served
from app.core.paths import MY_WORKSHOPS_CALENDAR
from app.core.problems import Problem, Renderer, problem_json
from app.core.routes import ContractRoute
from app.departments.endpoints import router as departments_router
from app.insights.endpoints import router as insights_router
from app.learning_groups.endpoints import router as learning_groups_router
from app.learning_questions.endpoints import router as learning_questions_router
from app.me.endpoints import router as me_router
from app.members.endpoints import router as members_router
from app.notifications.endpoints import router as notifications_router
from app.organisations.endpoints import router as organisations_router
from app.privacy.endpoints import router as privacy_router
from app.scim.endpoints import router as scim_router
from app.scim.errors import scim_error
from app.stats.endpoints import router as stats_router
from app.sync.endpoints import router as member_syncs_router
from app.themes.endpoints import router as themes_router
from app.webhooks.delivery import run_worker
from app.webhooks.endpoints import router as webhooks_router
from app.workshops.endpoints import calendar_router as workshop_calendars_router
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

Try it out: `make run` serves this API on http://127.0.0.1:8000 and prints an admin key; enter
it under **Authorize**. The document served there names that server first.

## Glossary

Resource names are English, the users' own vocabulary in this product; these are the Dutch terms
of the community (the one explained deviation, "leg uit", from the API Design Rules).

| API | Dutch |
|---|---|
| department | organisatieonderdeel |
| organisation | partner / organisatie |
| member (participant / follower) | deelnemer (deelnemer / volger) |
| theme | thema |
| workshop | werkplaats |
| learning group | leergroep |
| case | casus |
| learning question | leervraag |
| learning agenda | leeragenda |
| agenda revision | leeragenda (versie) |
| insight | inzicht |
| transition roles | verbinder, coalitiebouwer, gebiedsmakelaar |
"""

TAGS = [
    {"name": "departments", "description": "Units of the municipality (organisatieonderdelen)."},
    {"name": "members", "description": "People of the community (deelnemers and volgers)."},
    {
        "name": "me",
        "description": "Yourself: the member your key or token acts for, and what you take "
        "part in.",
    },
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
        "name": "changes",
        "description": "The change feed: what changed, in an order a follower can rely on.",
    },
    {
        "name": "webhooks",
        "description": "Signed deliveries of the change feed to receivers (admins only).",
    },
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
    {
        "name": "comments",
        "description": "The discussion (reacties) on learning questions, cases, insights and "
        "learning groups: comments, replies one level deep, moderation.",
    },
    {"name": "stats", "description": "The community's numbers (participation, coverage, …)."},
    {"name": "health", "description": "Liveness and readiness (public)."},
    {"name": "meta", "description": "The API's own description (public)."},
]

STATIC_DIR = Path(str(fastapi_offline.__file__)).parent / "static"
SCIM_BASE = "/scim/v2"
# The machine-readable documents: readable from any origin (CORS).
PUBLIC_DOCUMENTS = ("/v1/openapi.json", SCIM_BASE + "/openapi.json")
# What needs no credentials (the only routes without a role): health, the documents, the docs.
PUBLIC_PATHS = (*PUBLIC_DOCUMENTS, "/v1/health", "/v1/health/ready", "/v1/docs", "/v1/redoc")
PUBLIC_PREFIXES = ("/v1/docs-static/",)


@asynccontextmanager
async def lifespan(app: Service) -> AsyncIterator[None]:
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
    # Webhook deliveries, in this process too unless a `leergemeenschap worker` does them
    # alone (any number of both share the work; docs/operations.md).
    stop = asyncio.Event()
    worker = (
        asyncio.create_task(run_worker(settings, stop))
        if settings.webhook_worker_in_process
        else None
    )
    try:
        yield
    finally:
        stop.set()
        if worker is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(worker, timeout=settings.webhook_timeout_seconds + 5)
        await database.dispose()


def _guarded(
    render: Renderer, settings: Settings, larger_bodies: dict[str, int]
) -> list[Middleware]:
    """What an API application does with a request before its routes (outermost first)."""
    return [
        # NUL characters, bodies too large or nested too deep: refused before routing.
        Middleware(
            InputChecks,
            max_body_bytes=settings.max_body_bytes,
            max_json_depth=settings.max_json_depth,
            larger_bodies=larger_bodies,
            render=render,
            record_refusal=trail.record_refusal,
        ),
        # Idempotency-Key on POST: claimed, replayed or refused.
        Middleware(
            Idempotency,
            lock_seconds=settings.idempotency_lock_seconds,
            render=render,
            record_refusal=trail.record_refusal,
        ),
    ]


def _with_handlers(app: FastAPI, render: Renderer) -> None:
    for exception, handler in exception_handlers(render, trail.record_refusal).items():
        app.add_exception_handler(exception, handler)


def create_api(settings: Settings) -> FastAPI:
    """The /v1 API: its routes, its documents, problem+json errors."""
    api = FastAPI(
        title=TITLE,
        version=__version__,
        description=DESCRIPTION,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
        openapi_tags=TAGS,
        middleware=_guarded(
            problem_json, settings, {"/v1/member-syncs": settings.max_sync_body_bytes}
        ),
        # Off unless asked for: otherwise FastAPI looks up the global OpenTelemetry
        # providers on every request, even when none is configured.
        telemetry={
            "tracing": settings.telemetry,
            "metrics": settings.telemetry,
            "logs": settings.telemetry,
        },
    )
    _with_handlers(api, problem_json)
    # The document and the docs are negotiated like every other operation.
    api.router.route_class = ContractRoute
    # FastAPI matches a request against the routes one by one, in this order, at a real cost
    # per route: the most-read resources come first. (Tags, not this order, group the docs.)
    # The change feed is second: its followers ask it again and again, and from last place
    # matching it cost a tenth of a 100-change page's CPU (benchmarks/README.md). The
    # discussion's threads come right after a member's own routes: matched after some 80
    # routes, a thread of 50 spent a third of its CPU finding its route.
    for router in (
        members_router,
        changes_router,
        agenda_router,
        learning_groups_router,
        me_router,
        calendar_subscription_router,
        notifications_router,
        comments_router,
        health_router,
        departments_router,
        learning_questions_router,
        themes_router,
        organisations_router,
        workshops_router,
        workshop_calendars_router,
        cases_router,
        insights_router,
        stats_router,
        privacy_router,
        member_syncs_router,
        api_keys_router,
        audit_router,
        webhooks_router,
        stream_tickets_router,
    ):
        _include(api, router)
    _install_meta_routes(api)
    return api


def _include(app: FastAPI, router: APIRouter) -> None:
    # Every operation serves only what it declares (app/core/negotiation.py).
    if not issubclass(router.route_class, ContractRoute):
        raise TypeError(
            f"The router tagged {router.tags} must be built with "
            "APIRouter(..., route_class=ContractRoute) (app/core/routes.py)."
        )
    app.include_router(router)


def create_scim(settings: Settings) -> FastAPI:
    """The SCIM 2.0 application (RFC 7644), mounted at /scim/v2: SCIM errors, its own
    document."""
    scim = FastAPI(
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
        middleware=_guarded(scim_error, settings, {}),
    )
    _with_handlers(scim, scim_error)
    _include(scim, scim_router)
    return scim


class Service:
    """The service as uvicorn serves it: the edge middlewares around a router that hands
    /scim/v2 to the SCIM application and every other path to the /v1 API.

    A bare router rather than a third application: an application would wrap every request
    in its own error and exception middlewares once more, before the API's own."""

    def __init__(self, settings: Settings, api: FastAPI, scim: FastAPI, edge: list[Middleware]):
        self.state = State({"settings": settings, "api": api, "scim": scim})
        self.router = Router(
            routes=[Mount(SCIM_BASE, app=scim), Mount("", app=api)],
            redirect_slashes=False,
            default=_no_application,
            lifespan=lifespan,
        )
        handler: ASGIApp = self.router
        for cls, args, kwargs in reversed(edge):
            handler = cls(handler, *args, **kwargs)
        self.handler = handler

    @property
    def routes(self) -> list[BaseRoute]:
        return self.router.routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self
        await self.handler(scope, receive, send)


async def _no_application(scope: Scope, receive: Receive, send: Send) -> None:
    """A path neither application takes (one with a line break, say): a problem too."""
    if scope["type"] != "http":
        return
    path = scope["path"]
    await problem_json(Problem(404, f"There is no resource at {path}."), path)(scope, receive, send)


def create_app(settings: Settings | None = None) -> Service:
    """The whole service: the edge every request passes, then the /v1 API or SCIM."""
    settings = settings or get_settings()
    logging.basicConfig(level=logging.INFO)
    edge = [
        # Names the request (X-Request-ID) and where it came from.
        Middleware(RequestContext),
        # API-Version, X-Request-ID, Cache-Control and the security headers, always.
        Middleware(ContractHeaders, version=__version__),
        # The edge's own faults: a problem, never a traceback.
        Middleware(ErrorFallback, render=problem_json),
        # Browsers on other origins: the documents for all, the rest for CORS_ORIGINS.
        Middleware(
            Cors, origins=settings.cors_origins, public_paths=PUBLIC_DOCUMENTS, render=problem_json
        ),
        # The one way in: credentials are checked here, once.
        Middleware(
            Authentication,
            # Stream tickets open the change feed's event stream, and nothing else; calendar
            # tickets a member's own werkplaatsen feed, and nothing else.
            authenticate=Authenticator(
                settings,
                ticket_paths=(changes_router.prefix,),
                calendar_paths=(MY_WORKSHOPS_CALENDAR,),
            ),
            public_paths=PUBLIC_PATHS,
            public_prefixes=PUBLIC_PREFIXES,
        ),
    ]
    return Service(settings, create_api(settings), create_scim(settings), edge)


def openapi_document(app: Service | FastAPI) -> dict[str, Any]:
    """The /v1 API's OpenAPI document (of `create_app`'s service, or of the API itself)."""
    api: FastAPI = app if isinstance(app, FastAPI) else app.state.api
    if api.openapi_schema is None:
        # Imported here: reading the demo story's files costs a server's start-up a third of a
        # second, and the document is built once, when first asked for.
        from app.demo.examples import examples as demo_examples
        from app.demo.examples import path_parameters as demo_path_parameters

        api.openapi_schema = build_document(
            api,
            title=TITLE,
            description=DESCRIPTION,
            examples=demo_examples(),
            path_examples=demo_path_parameters(),
        )
    return api.openapi_schema


def _install_meta_routes(app: FastAPI) -> None:
    app.mount(PUBLIC_PREFIXES[0].rstrip("/"), StaticFiles(directory=STATIC_DIR), name="docs-static")

    @app.get(
        "/v1/openapi.json",
        operation_id="openapi-get",
        tags=["meta"],
        summary="This API's OpenAPI document",
        responses=responses(200, "The OpenAPI 3.1 document.", 500),
    )
    async def openapi_json() -> Response:
        return json_response(served(openapi_document(app)), headers=PUBLIC_DOCUMENT)

    @app.get("/v1/docs", include_in_schema=False, response_class=HTMLResponse)
    async def swagger_ui(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/v1/openapi.json",
            title=f"{TITLE} - Swagger UI",
            swagger_js_url="/v1/docs-static/swagger-ui-bundle.js",
            swagger_css_url="/v1/docs-static/swagger-ui.css",
            swagger_favicon_url="/v1/docs-static/favicon.png",
        )

    @app.get("/v1/redoc", include_in_schema=False, response_class=HTMLResponse)
    async def redoc(request: Request) -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/v1/openapi.json",
            title=f"{TITLE} - ReDoc",
            redoc_js_url="/v1/docs-static/redoc.standalone.js",
            redoc_favicon_url="/v1/docs-static/favicon.png",
            with_google_fonts=False,
        )
