"""Content negotiation for every operation, in one place: the media types an operation serves
are the ones it declares for its successful answers, and a request whose Accept header admits
none of them is refused with a 406 problem naming them, before the route runs.

Every route of both applications is a `ContractRoute` (app/core/routes.py), which runs it. The check is on the hot path: a request without Accept, with `*/*` or with the
operation's own media type passes after one scan of the raw headers; any other header is
parsed once per distinct value (a small cache) and matched with its q-values (RFC 9110
§12.5.1). Problems are not negotiated: an application renders every error in its one error
format, whatever the client accepts."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from fastapi.datastructures import DefaultPlaceholder
from fastapi.routing import APIRoute
from starlette.types import Scope

from app.core.errors import DomainError

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
# Server-Sent Events: what a browser's EventSource asks for.
EVENT_STREAM = "text/event-stream"

# The scope key of a media type chosen other than the operation's first (see `chosen`).
CHOSEN = "leergemeenschap.media_type"

# (type, subtype, q) of each media range of an Accept header.
Range = tuple[str, str, float]


class NotAcceptable(DomainError):
    status = 406
    slug = "not-acceptable"
    title = "Not acceptable"

    def __init__(self, accept: str, served: Iterable[str]) -> None:
        types = list(served)
        super().__init__(
            f"This operation answers {', '.join(types)}; the Accept header "
            f"'{accept[:200]}' admits none of them.",
            extra={"supportedMediaTypes": types},
        )


@lru_cache(maxsize=256)
def parse_accept(header: str) -> tuple[Range, ...]:
    """The media ranges of an Accept header; a malformed range is ignored, a bad q is 0."""
    ranges: list[Range] = []
    for part in header.split(","):
        media, *params = part.split(";")
        kind, slash, subtype = media.strip().lower().partition("/")
        if not slash or not kind or not subtype:
            continue
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        ranges.append((kind, subtype, quality))
    return tuple(ranges)


def quality(media_type: str, ranges: Iterable[Range]) -> float:
    """The q the most specific range matching `media_type` gives it; 0 when none matches."""
    kind, _, subtype = media_type.partition("/")
    best_specificity, best_q = 0, 0.0
    for range_kind, range_subtype, q in ranges:
        if range_kind == kind and range_subtype == subtype:
            specificity = 3
        elif range_kind == kind and range_subtype == "*":
            specificity = 2
        elif range_kind == "*" and range_subtype == "*":
            specificity = 1
        else:
            continue
        if specificity > best_specificity:
            best_specificity, best_q = specificity, q
    return best_q


def choose(accept: str, offered: tuple[str, ...]) -> str | None:
    """The offered type the header prefers (ties go to the first offered), or None."""
    ranges = parse_accept(accept)
    if not ranges:
        # Nothing readable in it: as if the client had sent no Accept at all.
        return offered[0]
    best, best_q = None, 0.0
    for media_type in offered:
        q = quality(media_type, ranges)
        if q > best_q:
            best, best_q = media_type, q
    if best is None and JSON in offered and _names(PROBLEM_JSON, ranges):
        # A client that names problem details as the JSON it reads is answered JSON.
        return JSON
    return best


def _names(media_type: str, ranges: Iterable[Range]) -> bool:
    kind, _, subtype = media_type.partition("/")
    return any(k == kind and s == subtype and q > 0 for k, s, q in ranges)


def _media_type(response_class: Any) -> str | None:
    if isinstance(response_class, DefaultPlaceholder):
        response_class = response_class.value
    media_type = getattr(response_class, "media_type", None)
    return media_type if isinstance(media_type, str) else None


def declared_media_types(route: APIRoute) -> tuple[str, ...]:
    """What an operation serves: the media type of its response class, then every media type
    it declares for a successful status, in order."""
    served: list[str] = []
    default = _media_type(route.response_class)
    if default:
        served.append(default)
    for status, declared in (route.responses or {}).items():
        if str(status).startswith("2"):
            served.extend(m for m in declared.get("content", {}) if m not in served)
    return tuple(served) or (JSON,)


def acceptable(served: tuple[str, ...]) -> tuple[str, ...]:
    """What may be chosen to serve one of `served`: a `+json` type's body is JSON, and may be
    labelled `application/json` (SCIM clients often ask for that)."""
    if JSON not in served and any(m.endswith("+json") for m in served):
        return (*served, JSON)
    return served


def chosen(scope: Scope) -> str | None:
    """The media type chosen for the request when it is not the operation's first: what a
    route that declares several for one status would answer in."""
    media_type: str | None = scope.get(CHOSEN)
    return media_type


def accept_header(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"accept":
            return bytes(value).decode("latin-1")
    return None


def asks_for(scope: Scope, media_type: str, offered: tuple[str, ...]) -> bool:
    """Whether content negotiation among `offered` chooses `media_type` for this request, as
    the route will: for a decision taken before routing (the edge's, on stream tickets)."""
    accept = accept_header(scope)
    return accept is not None and choose(accept, offered) == media_type
