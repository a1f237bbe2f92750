"""Cross-origin requests from browsers, through Starlette's `CORSMiddleware`: the public
documents (the OpenAPI descriptions, GET only) for any origin, everything else for the
configured origins only. A refused preflight is a problem (403) like any other refusal. (The
documents also carry `Access-Control-Allow-Origin: *` themselves, for requests without an
`Origin`, which this middleware leaves alone.)

Requests without an `Origin` header (scripts, servers, same-origin pages) pass straight on."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.problems import Problem, Renderer

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# Last-Event-ID resumes the change feed's event stream: it is not a CORS-safelisted header, so
# a client that sets it itself (a fetch-based SSE library, a polyfill) sends a preflight first.
REQUEST_HEADERS = (
    "Authorization",
    "Content-Type",
    "If-Match",
    "Idempotency-Key",
    "Last-Event-ID",
    "X-Request-ID",
)
EXPOSED_HEADERS = ("API-Version", "ETag", "Location", "Link", "Retry-After", "X-Request-ID")


class _Policy(CORSMiddleware):
    """Starlette's CORS, with a refused preflight rendered as a problem."""

    def __init__(
        self, app: ASGIApp, origins: Iterable[str], methods: Iterable[str], render: Renderer
    ) -> None:
        super().__init__(
            app,
            allow_origins=list(origins),
            allow_methods=list(methods),
            allow_headers=REQUEST_HEADERS,
            expose_headers=EXPOSED_HEADERS,
            max_age=600,
        )
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            response = self.preflight_response(request_headers=headers)
            if response.status_code != 200:
                origin = headers["origin"]
                detail = (
                    f"Origin {origin} is not allowed."
                    if not self.is_allowed_origin(origin)
                    else "The preflight asks for a method or header this API does not accept."
                )
                response = self.render(Problem(403, detail, "Not allowed"), scope["path"])
            await response(scope, receive, send)
            return
        await self.simple_response(scope, receive, send, request_headers=headers)


class Cors:
    def __init__(
        self,
        app: ASGIApp,
        *,
        origins: Iterable[str],
        public_paths: Iterable[str],
        render: Renderer,
    ) -> None:
        self.app = app
        self.public_paths = frozenset(public_paths)
        self.public = _Policy(app, ["*"], ["GET", "OPTIONS"], render)
        self.configured = _Policy(app, origins, METHODS, render)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not any(n == b"origin" for n, _ in scope["headers"]):
            await self.app(scope, receive, send)
            return
        if scope["path"] in self.public_paths:
            await self.public(scope, receive, send)
        else:
            await self.configured(scope, receive, send)
