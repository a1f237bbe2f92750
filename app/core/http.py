"""HTTP contract helpers: JSON and CSV responses, ETag / If-Match, and written responses
that also complete a pending idempotency record inside the request's transaction."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

import orjson
from asyncpg.pgproto.pgproto import UUID as AsyncpgUUID
from fastapi import Depends, Header, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.errors import PreconditionFailed

# The methods that change something: their refusals are filed in the audit trail.
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

_ETAG_RE = re.compile(r'^\s*(?:W/)?"(\d+)"\s*$')


# asyncpg hands out its own UUID subclass, which orjson does not know by type (it writes
# `uuid.UUID` itself). Its own C method is the fallback: no Python frame per id, and for any
# other type it raises the TypeError that orjson reports as "not JSON serializable".
_fallback = AsyncpgUUID.__str__


def dumps(data: Any) -> bytes:
    try:
        return orjson.dumps(data, default=_fallback)
    except TypeError:
        # Keys that are not exactly `str` (enum members, numbers) are rare, and allowing them
        # makes every dump a third slower.
        return orjson.dumps(data, default=_fallback, option=orjson.OPT_NON_STR_KEYS)


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(dumps(data), status_code=status, media_type="application/json", headers=headers)


# The headers of a document anyone may read from any page (the OpenAPI descriptions).
PUBLIC_DOCUMENT = {"Access-Control-Allow-Origin": "*"}


def etag(version: int) -> str:
    return f'"{version}"'


def resource_headers(item: Mapping[str, Any], location: str | None = None) -> dict[str, str]:
    headers = {"ETag": etag(int(item["version"]))}
    if location:
        headers["Location"] = location
    return headers


def resource_response(
    item: Mapping[str, Any], status: int = 200, location: str | None = None
) -> Response:
    headers = {"ETag": etag(int(item["version"]))}
    if location:
        headers["Location"] = location
    return json_response(item, status=status, headers=headers)


# Versions start at 1, so this one never matches: it stands for an If-Match that names no
# version of ours at all.
NO_VERSION = 0


def parse_if_match(header: str | None) -> int | None:
    """The version the client says it has seen, or None when it did not say (or said `*`).

    An If-Match that names no version of ours can never match: that is a 412, not a 400. It is
    refused by `check_version`, not here, so that invalid input (400) and an unknown resource
    (404) are reported first, as they would be without the header."""
    if header is None or header.strip() == "*":
        return None
    for candidate in header.split(","):
        match = _ETAG_RE.match(candidate)
        if match:
            return int(match.group(1))
    return NO_VERSION


async def if_match(
    header: Annotated[
        str | None,
        Header(
            alias="If-Match",
            max_length=200,
            description="The ETag last seen; the write is refused (412) if it is stale.",
        ),
    ] = None,
) -> int | None:
    return parse_if_match(header)


# What the contract middleware accepts: 1 to 255 visible ASCII characters, optionally quoted
# as a structured-field string (any quotes around them are ignored, as the middleware does).
IDEMPOTENCY_KEY_PATTERN = r'^"*[!#-~](?:[!-~]{0,253}[!#-~])?"*$'


async def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            pattern=IDEMPOTENCY_KEY_PATTERN,
            description=(
                "Makes a retried POST safe: the same key with the same body answers the first "
                "response again; with another body it is a 422; while the first is in flight, 409."
            ),
        ),
    ] = None,
) -> None:
    """Documents the header; the contract middleware does the work before the route runs."""


IfMatch = Annotated[int | None, Depends(if_match)]
IDEMPOTENT = Depends(idempotency_key)


def check_version(current: int, expected: int | None) -> None:
    if expected == NO_VERSION:
        raise PreconditionFailed(
            "The If-Match header names no version of this resource.",
            extra={"currentVersion": current},
        )
    if expected is not None and expected != current:
        raise PreconditionFailed(
            f"The resource is at version {current}, not {expected}; fetch it again and retry.",
            extra={"currentVersion": current},
        )


async def written(
    conn: AsyncConnection,
    request: Request,
    data: Any,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    replay: Any = None,
) -> Response:
    """The response to a successful write. A POST that carried an Idempotency-Key stores this
    exact answer in the same transaction as its effect, so a retry can never act twice.
    `replay` is what a retry is shown instead, when the answer holds a secret not to keep."""
    body = dumps(data)
    response_headers = dict(headers or {})
    from app.core.idempotency import complete_in_transaction

    stored = body if replay is None else dumps(replay)
    await complete_in_transaction(conn, request, status, response_headers, stored)
    return Response(
        body, status_code=status, media_type="application/json", headers=response_headers
    )
