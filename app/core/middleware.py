"""One pure-ASGI middleware for the contract every response keeps: request id and origin,
version and security headers, CORS, body limits, JSON depth, Idempotency-Key on POST, and a
problem-details 500 in place of any traceback."""

from __future__ import annotations

import logging
import os
import re
from typing import Any

import orjson
from starlette.requests import Request

from app import __version__
from app.core import audit, idempotency, nul
from app.core.config import Settings
from app.core.context import RequestOrigin, current_origin, current_principal
from app.core.errors import PROBLEM_JSON, DomainError, is_database_unavailable, problem_body

log = logging.getLogger("leergemeenschap.http")

Scope = dict[str, Any]
Message = dict[str, Any]

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
_IDEMPOTENCY_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")

SCIM_PREFIX = "/scim/v2"
SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PUBLIC_CORS_PATHS = frozenset({"/v1/openapi.json", "/scim/v2/openapi.json"})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LARGE_BODY_PATHS = ("/v1/member-syncs", "/scim/v2/Bulk")

_STATIC_HEADERS: list[tuple[bytes, bytes]] = [
    (b"api-version", __version__.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"referrer-policy", b"no-referrer"),
]


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """True when JSON nests deeper than `limit`. Parsing with orjson (C) and walking only the
    containers is several times faster on a bulk body than scanning it in Python."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        # orjson refuses nesting past its own recursion limit; anything else is not JSON at
        # all, which the route's own parsing reports.
        return "depth" in str(exc).lower() or "recursion" in str(exc).lower()
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return False


async def _authenticates(scope: Scope) -> bool:
    """Whether the request's credentials hold; the outcome stays in the request's state for
    the route, so they are checked (and a failure counted) once."""
    from app.core.auth import authenticate

    try:
        await authenticate(Request(scope))
    except DomainError:
        return False
    return True


class ContractMiddleware:
    def __init__(self, app: Any, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.cors_origins = frozenset(settings.cors_origins)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        raw_id = headers.get(b"x-request-id", b"").decode("latin-1")
        # A client's own id is kept; else 128 random bits (as in a uuid4, at a fifth the cost).
        request_id = raw_id if _REQUEST_ID_RE.match(raw_id) else os.urandom(16).hex()
        client = scope.get("client")
        user_agent = headers.get(b"user-agent")
        current_origin.set(
            RequestOrigin(
                request_id=request_id,
                client_address=client[0] if client else None,
                user_agent=user_agent.decode("latin-1") if user_agent else None,
            )
        )
        current_principal.set(None)
        path: str = scope["path"]
        method: str = scope["method"]
        extra = self._response_headers(scope, headers, path, request_id)

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                out = list(message.get("headers", []))
                names = {name.lower() for name, _ in out}
                out.extend(h for h in extra if h[0] not in names)
                message["headers"] = out
            await send(message)

        if method == "OPTIONS" and b"access-control-request-method" in headers:
            await self._preflight(headers, path, send_with_headers)
            return

        bad_query = nul.query_params_with_nul(scope.get("query_string", b""))
        if bad_query:
            params = nul.invalid_params(bad_query, "query")
            writing = scope if method in WRITE_METHODS else None
            await self._invalid(send_with_headers, path, params, writing)
            return

        try:
            if method in WRITE_METHODS:
                await self._write(scope, receive, send_with_headers, headers, path, method)
            else:
                await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            if is_database_unavailable(exc):
                # The Idempotency-Key claim runs here, before any route: a database that is
                # down or restarting is a 503 to retry, as it is inside the routes.
                log.warning("database unavailable on %s %s: %r", method, path, exc)
                if not started:
                    await self._problem(
                        send_with_headers,
                        503,
                        "Service temporarily unavailable",
                        "The database is busy or unreachable; retry shortly.",
                        path,
                        slug="service-unavailable",
                        headers=[(b"retry-after", b"2")],
                    )
                return
            log.exception("unhandled error on %s %s", method, path)
            if not started:
                await self._problem(
                    send_with_headers,
                    500,
                    "Internal server error",
                    "The server could not complete the request. The error has been logged.",
                    path,
                    slug="internal-error",
                )

    def _response_headers(
        self, scope: Scope, headers: dict[bytes, bytes], path: str, request_id: str
    ) -> list[tuple[bytes, bytes]]:
        extra = list(_STATIC_HEADERS)
        extra.append((b"x-request-id", request_id.encode()))
        extra.append((b"cache-control", b"no-store"))
        forwarded = headers.get(b"x-forwarded-proto", b"").decode("latin-1").lower()
        if scope.get("scheme") == "https" or forwarded == "https":
            extra.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
        origin = headers.get(b"origin")
        if path in PUBLIC_CORS_PATHS:
            extra.append((b"access-control-allow-origin", b"*"))
        elif origin is not None and origin.decode("latin-1") in self.cors_origins:
            extra.append((b"access-control-allow-origin", origin))
            extra.append((b"vary", b"Origin"))
            extra.append(
                (
                    b"access-control-expose-headers",
                    b"API-Version, ETag, Location, Link, Retry-After, X-Request-ID",
                )
            )
        return extra

    async def _preflight(self, headers: dict[bytes, bytes], path: str, send: Any) -> None:
        origin = headers.get(b"origin", b"").decode("latin-1")
        allowed = path in PUBLIC_CORS_PATHS or origin in self.cors_origins
        if not allowed:
            await self._problem(
                send, 403, "Not allowed", f"Origin {origin or '(none)'} is not allowed.", path
            )
            return
        await send(
            {
                "type": "http.response.start",
                "status": 204,
                "headers": [
                    (b"access-control-allow-methods", b"GET, POST, PUT, PATCH, DELETE, OPTIONS"),
                    (
                        b"access-control-allow-headers",
                        b"Authorization, Content-Type, If-Match, Idempotency-Key, X-Request-ID",
                    ),
                    (b"access-control-max-age", b"600"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    async def _problem(
        self,
        send: Any,
        status: int,
        title: str,
        detail: str,
        path: str,
        slug: str | None = None,
        headers: list[tuple[bytes, bytes]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        if path.startswith(SCIM_PREFIX):
            # Identity providers read RFC 7644 error bodies, not problem details.
            body = orjson.dumps({"schemas": [SCIM_ERROR], "status": str(status), "detail": detail})
            media_type = b"application/scim+json"
        else:
            body = problem_body(status, title, detail, path, slug, extra)
            media_type = PROBLEM_JSON.encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", media_type),
                    (b"content-length", str(len(body)).encode()),
                    *(headers or []),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _refuse(
        self,
        scope: Scope,
        send: Any,
        status: int,
        title: str,
        detail: str,
        path: str,
        **options: Any,
    ) -> None:
        """Answer a write before it reaches its route, and file it in the audit trail as the
        refused write it is."""
        await audit.record_early_refusal(scope, status, detail)
        await self._problem(send, status, title, detail, path, **options)

    async def _invalid(
        self, send: Any, path: str, params: list[dict[str, str]], scope: Scope | None = None
    ) -> None:
        """400 naming each parameter; with `scope`, a refused write that goes to the audit."""
        names = ", ".join(p["name"] for p in params)
        detail = f"The request has {len(params)} invalid parameter(s): {names}."
        if scope is not None:
            await audit.record_early_refusal(scope, 400, detail)
        extra = {"invalidParams": params}
        await self._problem(
            send, 400, "Invalid input", detail, path, slug="invalid-input", extra=extra
        )

    async def _read_body(self, receive: Any, limit: int) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _write(
        self,
        scope: Scope,
        receive: Any,
        send: Any,
        headers: dict[bytes, bytes],
        path: str,
        method: str,
    ) -> None:
        limit = (
            self.settings.max_sync_body_bytes
            if path.startswith(LARGE_BODY_PATHS)
            else self.settings.max_body_bytes
        )
        too_large = f"The request body is larger than {limit} bytes."
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(
                scope,
                send,
                413,
                "Request body too large",
                too_large,
                path,
                slug="payload-too-large",
            )
            return
        body = await self._read_body(receive, limit)
        if body is None:
            await self._refuse(
                scope,
                send,
                413,
                "Request body too large",
                too_large,
                path,
                slug="payload-too-large",
            )
            return
        depth = self.settings.max_json_depth
        if body and json_depth_exceeds(body, depth):
            await self._refuse(
                scope,
                send,
                400,
                "Invalid input",
                f"The JSON body nests deeper than {depth} levels.",
                path,
                slug="invalid-input",
                extra={
                    "invalidParams": [
                        {
                            "name": "body",
                            "in": "body",
                            "code": "too_deep",
                            "reason": f"Nesting deeper than {depth} levels is refused.",
                        }
                    ]
                },
            )
            return

        bad_body = nul.body_properties_with_nul(body)
        if bad_body:
            await self._invalid(send, path, nul.invalid_params(bad_body, "body"), scope)
            return

        delivered = False

        async def replay_receive() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            message: Message = await receive()
            return message

        key_header = headers.get(b"idempotency-key")
        if method != "POST" or key_header is None:
            await self.app(scope, replay_receive, send)
            return
        await self._idempotent(scope, replay_receive, send, headers, path, body, key_header)

    async def _idempotent(
        self,
        scope: Scope,
        receive: Any,
        send: Any,
        headers: dict[bytes, bytes],
        path: str,
        body: bytes,
        key_header: bytes,
    ) -> None:
        if not await _authenticates(scope):
            # No key is claimed or replayed for a caller who is not who they say: the route
            # refuses the request (401, 429) as it would without the header, and files it.
            await self.app(scope, receive, send)
            return
        key = key_header.decode("latin-1").strip().strip('"')
        if not _IDEMPOTENCY_KEY_RE.match(key):
            await self._refuse(
                scope,
                send,
                400,
                "Invalid input",
                "Idempotency-Key must be 1 to 255 visible ASCII characters.",
                path,
                slug="invalid-input",
                extra={
                    "invalidParams": [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "code": "invalid",
                            "reason": "1 to 255 visible ASCII characters.",
                        }
                    ]
                },
            )
            return
        fp = idempotency.fingerprint(
            "POST", path, scope.get("query_string", b""), body, headers.get(b"if-match")
        )
        owner = idempotency.owner_of(headers.get(b"authorization"))
        claim = await idempotency.claim(owner, key, fp, self.settings.idempotency_lock_seconds)
        if claim.outcome == "mismatch":
            await self._refuse(
                scope,
                send,
                422,
                "Idempotency-Key reused",
                "This Idempotency-Key was already used with another request body.",
                path,
                slug="idempotency-key-reused",
            )
            return
        if claim.outcome == "busy":
            await self._refuse(
                scope,
                send,
                409,
                "Request in progress",
                "A request with this Idempotency-Key is still being processed; retry later.",
                path,
                slug="idempotency-in-flight",
                headers=[(b"retry-after", b"1")],
            )
            return
        if claim.outcome == "replay":
            stored = claim.stored
            stored_headers = [(k.encode(), v.encode()) for k, v in stored["headers"].items()]
            stored_headers.append((b"content-type", b"application/json"))
            stored_headers.append((b"idempotent-replayed", b"true"))
            await send(
                {
                    "type": "http.response.start",
                    "status": stored["status"],
                    "headers": stored_headers,
                }
            )
            await send({"type": "http.response.body", "body": stored["body"]})
            return

        assert claim.record_id is not None
        pending: dict[str, Any] = {"id": claim.record_id, "completed": False}
        scope[idempotency.SCOPE_KEY] = pending
        status = 500
        response_headers: dict[str, str] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    lowered = name.decode("latin-1").lower()
                    if lowered in ("location", "etag"):
                        response_headers[lowered] = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            if not pending["completed"]:
                try:
                    await idempotency.finish(
                        claim.record_id, status, response_headers, b"".join(chunks)
                    )
                except Exception:
                    log.exception("could not settle idempotency record %s", claim.record_id)
