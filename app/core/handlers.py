"""The exception handlers of an application: every error a route raises becomes a problem,
rendered by the application's renderer, and a refused write is filed through `record_refusal`.
`exception_handlers` gives them; the application registers them where it is built."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match, Mount

from app.core.context import RecordRefusal, matched_route, outcome
from app.core.errors import Conflict, DomainError, InvalidInput, InvalidParam
from app.core.faults import DATABASE_ERRORS, is_database_unavailable
from app.core.http import WRITE_METHODS
from app.core.permissions import requires_caller
from app.core.problems import INTERNAL, STATUS_TITLES, UNAVAILABLE, Problem, Renderer
from app.core.problems import validation_params as _validation_params

log = logging.getLogger("leergemeenschap.errors")

Handler = Callable[[Request, Exception], Awaitable[Response]]

_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> str | None:
    """Every method the path answers to. Starlette's 405 names only the methods of the first
    route whose path matched, but a resource such as /v1/departments is served by several
    routes. Asking each route (included routers too) about each method covers them all."""
    routes = [r for r in getattr(request.app, "routes", ()) if not isinstance(r, Mount)]
    allowed = [
        method
        for method in _METHODS
        if any(r.matches({**request.scope, "method": method})[0] == Match.FULL for r in routes)
    ]
    return ", ".join(allowed) or None


def last_resort(exc: BaseException, method: str, path: str) -> Problem:
    """The problem for an exception nothing else handled, logged: a 503 when the database or
    the way to it is at fault (worth a retry), else a 500 that discloses nothing."""
    if is_database_unavailable(exc):
        log.warning("database unavailable on %s %s: %r", method, path, exc)
        return UNAVAILABLE
    log.error("unhandled error on %s %s", method, path, exc_info=exc)
    return INTERNAL


def exception_handlers(
    render: Renderer, record_refusal: RecordRefusal
) -> dict[type[Exception], Handler]:
    """The handlers of one application, rendering with `render`."""

    async def refuse(request: Request, problem: Problem) -> Response:
        # A write that reached its route and was refused still leaves a trace in the audit.
        if request.method in WRITE_METHODS and matched_route(request.scope) is not None:
            await record_refusal(request.scope, problem.status, problem.detail)
        return render(problem, request.scope["path"])

    async def domain_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DomainError)
        return await refuse(request, Problem.of(exc))

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        # FastAPI reads a JSON body before it runs any dependency, so a body that is not JSON
        # at all would be answered before the role is checked. A caller the edge did not
        # accept learns nothing about the input a route expects: it gets the refusal (or the
        # 503 of a database that kept the edge from deciding).
        if requires_caller(matched_route(request.scope)):
            refusal = outcome(request.scope)
            if isinstance(refusal, DomainError):
                return await domain_error(request, refusal)
            if isinstance(refusal, DATABASE_ERRORS):
                return await database_error(request, refusal)
        return await refuse(request, Problem.of(InvalidInput(_validation_params(exc))))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        status = exc.status_code
        path = request.scope["path"]
        headers = dict(exc.headers or {})
        if status == 404:
            detail = f"There is no resource at {path}."
        elif status == 405:
            detail = f"{request.method} is not allowed on {path}."
            allow = _allowed_methods(request)
            if allow:
                headers["Allow"] = allow
        elif isinstance(exc.detail, str):
            detail = exc.detail
        else:
            detail = STATUS_TITLES.get(status, "Error")
        if status == 400 and "parsing the body" in detail:
            body = InvalidParam(name="body", reason="The body could not be parsed as JSON.")
            return await refuse(request, Problem.of(InvalidInput([body])))
        return await refuse(request, Problem(status, detail, headers=headers))

    async def database_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, IntegrityError):
            log.info("integrity error on %s: %s", request.scope["path"], exc.orig)
            conflict = Conflict("The change conflicts with the current state of another resource.")
            return await refuse(request, Problem.of(conflict))
        if is_database_unavailable(exc):
            reason = getattr(exc, "orig", None) or exc
            log.warning("database unavailable on %s: %r", request.scope["path"], reason)
            return render(UNAVAILABLE, request.scope["path"])
        log.exception(
            "unhandled error on %s %s", request.method, request.scope["path"], exc_info=exc
        )
        return render(INTERNAL, request.scope["path"])

    async def unexpected(request: Request, exc: Exception) -> Response:
        # Starlette's outermost middleware of the application calls this for anything no
        # other handler took, then raises it again for the edge (which does not log it twice).
        path = request.scope["path"]
        return render(last_resort(exc, request.method, path), path)

    handlers: dict[type[Exception], Handler] = {
        Exception: unexpected,
        DomainError: domain_error,
        RequestValidationError: validation_error,
        StarletteHTTPException: http_error,
    }
    handlers.update(dict.fromkeys(DATABASE_ERRORS, database_error))
    return handlers
