"""Problem details (RFC 9457): the one renderer of an error as `application/problem+json`.

A `Problem` is what went wrong; a `Renderer` turns it into a response. The /v1 API renders
with `problem_json`; the SCIM application (RFC 7644 §3.12) brings a renderer of its own. The
exception handlers and the middlewares that refuse a request early all render through the
renderer they were given, so an error looks the same wherever it was raised."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from fastapi.exceptions import RequestValidationError
from starlette.responses import Response

from app.core.errors import DomainError, InvalidParam
from app.core.schemas import WrongJsonType

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://leergemeenschap.amsterdam.example/problems/"

STATUS_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    410: "Gone",
    412: "Precondition failed",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Unprocessable request",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service temporarily unavailable",
}


@dataclass(frozen=True, slots=True)
class Problem:
    status: int
    detail: str
    title: str | None = None
    slug: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, error: DomainError) -> Problem:
        return cls(error.status, error.detail, error.title, error.slug, error.headers, error.extra)


# (the problem, the path it is about) → the response.
Renderer = Callable[[Problem, str], Response]

UNAVAILABLE = Problem(
    503,
    "The database is busy or unreachable; retry shortly.",
    slug="service-unavailable",
    headers={"Retry-After": "2"},
)
INTERNAL = Problem(
    500,
    "The server could not complete the request. The error has been logged.",
    slug="internal-error",
)


def problem_json(problem: Problem, instance: str) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + problem.slug if problem.slug else "about:blank",
        "title": problem.title or STATUS_TITLES.get(problem.status, "Error"),
        "status": problem.status,
        "detail": problem.detail,
        "instance": instance,
    }
    body.update(problem.extra)
    return Response(
        orjson.dumps(body),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=dict(problem.headers) or None,
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
    # A query parameter is named as it is written, also for one value of several (`status`,
    # not `status.1`): that is what the client sent and can correct.
    return where, (rest[0] if rest else where)


def validation_params(exc: RequestValidationError) -> list[InvalidParam]:
    """The `invalidParams` of a failed request validation."""
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
