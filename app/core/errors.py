"""Problem details (RFC 9457): the domain errors, and the handlers that render every error."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg
import asyncpg.exceptions as pg_errors
import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from app.core.schemas import WrongJsonType

log = logging.getLogger("leergemeenschap.errors")

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://leergemeenschap.amsterdam.example/problems/"
SCIM_PATH = "/scim/v2"


class DomainError(Exception):
    """An error that carries its HTTP status; one handler renders every subclass."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra or {}


class InvalidParam(dict[str, str]):
    """One entry of `invalidParams`: where (`in`), which (`name`), why (`reason`, `code`)."""

    def __init__(self, name: str, reason: str, code: str = "invalid", where: str = "body"):
        super().__init__(name=name, reason=reason, code=code)
        self["in"] = where


class InvalidInput(DomainError):
    status = 400
    slug = "invalid-input"
    title = "Invalid input"

    def __init__(self, params: Sequence[InvalidParam], detail: str | None = None) -> None:
        names = ", ".join(p["name"] for p in params)
        super().__init__(
            detail or f"The request has {len(params)} invalid parameter(s): {names}.",
            extra={"invalidParams": list(params)},
        )


class Unauthenticated(DomainError):
    status = 401
    slug = "unauthenticated"
    title = "Authentication required"

    def __init__(self, detail: str, error: str = "invalid_token") -> None:
        super().__init__(
            detail,
            headers={"WWW-Authenticate": f'Bearer realm="leergemeenschap", error="{error}"'},
        )


class Forbidden(DomainError):
    status = 403
    slug = "forbidden"
    title = "Not allowed"


class NotFound(DomainError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class PreconditionFailed(DomainError):
    status = 412
    slug = "precondition-failed"
    title = "Precondition failed"


class PayloadTooLarge(DomainError):
    status = 413
    slug = "payload-too-large"
    title = "Request body too large"


class UnsupportedMediaType(DomainError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


class Unprocessable(DomainError):
    status = 422
    slug = "unprocessable"
    title = "Unprocessable request"


class TooManyRequests(DomainError):
    status = 429
    slug = "too-many-requests"
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int = 60) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class ServiceUnavailable(DomainError):
    status = 503
    slug = "service-unavailable"
    title = "Service temporarily unavailable"

    def __init__(self, detail: str, retry_after: int = 2) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


_STATUS_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    412: "Precondition failed",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Unprocessable request",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service temporarily unavailable",
}


def problem_body(
    status: int,
    title: str,
    detail: str,
    instance: str,
    slug: str | None = None,
    extra: dict[str, Any] | None = None,
) -> bytes:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug if slug else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if extra:
        body.update(extra)
    return orjson.dumps(body)


def problem_response(
    request: Request | None,
    status: int,
    detail: str,
    *,
    title: str | None = None,
    slug: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
    instance: str | None = None,
) -> Response:
    if request is not None and request.url.path.startswith(SCIM_PATH):
        # SCIM clients read RFC 7644 errors, whatever went wrong and wherever (app/scim).
        from app.scim.errors import scim_error_response

        return scim_error_response(status, detail, extra, headers)
    if instance is None:
        instance = request.url.path if request is not None else "/"
    return Response(
        problem_body(
            status,
            title or _STATUS_TITLES.get(status, "Error"),
            detail,
            instance,
            slug,
            extra,
        ),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _loc_to_param(loc: Iterable[Any]) -> tuple[str, str]:
    parts = list(loc)
    where = str(parts[0]) if parts else "body"
    rest = [str(p) for p in parts[1:]]
    if where == "body":
        # Pydantic reports a body field as ("body", "field", 0, "sub"); name it as a JSON path.
        name = ""
        for p in rest:
            name += f"[{p}]" if p.isdigit() else (f".{p}" if name else p)
        return where, name or "body"
    return where, ".".join(rest) or where


def _validation_params(exc: RequestValidationError) -> list[InvalidParam]:
    params: list[InvalidParam] = []
    for error in exc.errors():
        where, name = _loc_to_param(error.get("loc", ()))
        code = str(error.get("type", "invalid"))
        reason = str(error.get("msg", "is invalid"))
        wrong = error.get("input")
        if isinstance(wrong, WrongJsonType):
            reason = wrong.reason or reason
            code = wrong.code or code
        if code == "extra_forbidden":
            reason = "Unknown property; it cannot be set by a client."
        elif code == "json_invalid":
            name = "body"
            reason = f"The body is not valid JSON: {error.get('ctx', {}).get('error', '')}".strip()
        params.append(InvalidParam(name=name, reason=reason, code=code, where=where))
    return params


def validation_params(exc: RequestValidationError) -> list[InvalidParam]:
    """The `invalidParams` of a failed request validation (for routes that add their own)."""
    return _validation_params(exc)


async def _audit_refusal(request: Request, status: int, detail: str) -> None:
    # Imported late: audit depends on the database layer, which imports nothing from here.
    from app.core.audit import record_refusal

    await record_refusal(request, status, detail)


async def _render(request: Request, exc: DomainError) -> Response:
    await _audit_refusal(request, exc.status, exc.detail)
    return problem_response(
        request,
        exc.status,
        exc.detail,
        title=exc.title,
        slug=exc.slug,
        headers=exc.headers,
        extra=exc.extra,
    )


async def domain_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return await _render(request, exc)


def needs_key(dependant: Any) -> bool:
    """Whether a route (its dependant) authenticates the caller somewhere in its dependencies."""
    from app.core.auth import ROLE_CHECKS, authenticate

    return any(
        d.call is authenticate or d.call in ROLE_CHECKS or needs_key(d)
        for d in dependant.dependencies
    )


async def validation_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    # FastAPI parses a JSON body before it runs any dependency, so a malformed body would be
    # answered before the key is checked. Check it first: a caller without a valid key learns
    # nothing about the input a route expects.
    dependant = getattr(request.scope.get("route"), "dependant", None)
    if dependant and needs_key(dependant):
        from app.core.auth import authenticate

        try:
            await authenticate(request)  # at once when the request was already checked
        except DomainError as refusal:
            return await _render(request, refusal)
    return await _render(request, InvalidInput(_validation_params(exc)))


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


async def http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    headers = dict(exc.headers or {})
    if status == 404:
        detail = f"There is no resource at {request.url.path}."
    elif status == 405:
        detail = f"{request.method} is not allowed on {request.url.path}."
        allow = _allowed_methods(request)
        if allow:
            headers["Allow"] = allow
    elif isinstance(exc.detail, str):
        detail = exc.detail
    else:
        detail = _STATUS_TITLES.get(status, "Error")
    if status == 400 and "parsing the body" in detail:
        error = InvalidInput(
            [InvalidParam(name="body", reason="The body could not be parsed as JSON.")],
        )
        return await _render(request, error)
    if status >= 400 and "route" in request.scope:
        await _audit_refusal(request, status, detail)
    return problem_response(request, status, detail, headers=headers)


def _is_unavailable(exc: DBAPIError) -> bool:
    if exc.connection_invalidated:
        return True
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    markers = (
        "database is locked",
        "database table is locked",
        "statement timeout",
        "canceling statement",
        "connection",
        "terminat",
        "shutting down",
        "too many clients",
        "deadlock",
        "could not serialize",
    )
    return any(marker in text for marker in markers)


def _unavailable(request: Request) -> Response:
    return problem_response(
        request,
        503,
        "The database is busy or unreachable; retry shortly.",
        slug="service-unavailable",
        headers={"Retry-After": "2"},
    )


_ASYNCPG_UNAVAILABLE = (
    asyncpg.InterfaceError,  # includes a connection that Postgres closed under us
    asyncpg.PostgresConnectionError,
    asyncpg.QueryCanceledError,  # statement_timeout
    asyncpg.AdminShutdownError,  # pg_terminate_backend, a server shutting down
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
)


# asyncpg's errors for a lost or refused connection, a server shutting down or restarting, a
# statement cancelled by statement_timeout, too many connections, a deadlock or a
# serialization failure; and the state error of a connection that broke mid-operation.
_DRIVER_UNAVAILABLE = (
    pg_errors.PostgresConnectionError,
    pg_errors.OperatorInterventionError,
    pg_errors.InsufficientResourcesError,
    pg_errors.TransactionRollbackError,
    pg_errors.InternalClientError,
)


def is_database_unavailable(exc: BaseException) -> bool:
    """A fault of the database or the way to it, not of the request: worth a retry."""
    if isinstance(exc, PoolTimeout):
        return True  # every pooled connection stayed busy for pool_timeout
    if isinstance(exc, DBAPIError):
        return not isinstance(exc, IntegrityError) and (
            isinstance(exc, OperationalError) or _is_unavailable(exc)
        )
    if isinstance(exc, _ASYNCPG_UNAVAILABLE):
        return True  # the fast reader's own driver errors (app/core/fastread.py)
    if isinstance(exc, _DRIVER_UNAVAILABLE):
        return True  # raised by asyncpg itself (the fast read path has no SQLAlchemy around it)
    if isinstance(exc, pg_errors.InterfaceError):
        return "closed" in str(exc)  # not its other complaints, which are bugs
    # Opening a connection to a server that is down or restarting: the driver's own errors
    # (connection refused or reset, a connect timeout) are not wrapped by SQLAlchemy.
    return isinstance(exc, (OSError, TimeoutError))


async def database_error_handler(request: Request, exc: Exception) -> Response:
    if isinstance(exc, IntegrityError):
        log.info("integrity error on %s: %s", request.url.path, exc.orig)
        return await _render(
            request,
            Conflict("The change conflicts with the current state of another resource."),
        )
    if is_database_unavailable(exc):
        reason = exc.orig if isinstance(exc, DBAPIError) else exc
        log.warning("database unavailable on %s: %r", request.url.path, reason)
        return _unavailable(request)
    return await unexpected_error_handler(request, exc)


async def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    if is_database_unavailable(exc):
        # Raised outside a route (the Idempotency-Key claim, the audit of an early refusal),
        # where only this last-resort handler sees it: still a 503 to retry, not a 500.
        log.warning("database unavailable on %s: %r", request.url.path, exc)
        return _unavailable(request)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        request,
        500,
        "The server could not complete the request. The error has been logged.",
        slug="internal-error",
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(DBAPIError, database_error_handler)
    app.add_exception_handler(PoolTimeout, database_error_handler)
    app.add_exception_handler(OSError, database_error_handler)
    app.add_exception_handler(asyncpg.PostgresError, database_error_handler)
    app.add_exception_handler(asyncpg.InterfaceError, database_error_handler)
    app.add_exception_handler(Exception, unexpected_error_handler)
