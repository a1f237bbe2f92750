"""The one way in: a request's credentials are checked here, once, before its body is read,
before an Idempotency-Key is claimed and before a route takes a database connection.

The outcome (the caller, or why there is none) stays in the request's scope. This middleware
refuses nothing itself: a route that declares a role answers with the refusal
(app/core/permissions.py). Requests for the public paths (health, the documents) are not
authenticated at all: a stale key on a health probe neither waits for the database nor counts
against the failure limit."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.context import Authenticate, current_principal, set_outcome


class Authentication:
    def __init__(
        self,
        app: ASGIApp,
        authenticate: Authenticate,
        public_paths: Iterable[str] = (),
        public_prefixes: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.authenticate = authenticate
        self.public_paths = frozenset(public_paths)
        self.public_prefixes = tuple(public_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._public(scope["path"]):
            await self.app(scope, receive, send)
            return
        try:
            principal = await self.authenticate(scope)
        except Exception as exc:  # a refusal, or a database fault the route reports as 503
            set_outcome(scope, exc)
        else:
            set_outcome(scope, principal)
            current_principal.set(principal)
        await self.app(scope, receive, send)

    def _public(self, path: str) -> bool:
        return path in self.public_paths or (
            bool(self.public_prefixes) and path.startswith(self.public_prefixes)
        )
