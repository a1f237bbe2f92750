"""The one way in: a request's credentials are checked here, once, before its body is read,
before an Idempotency-Key is claimed and before a route takes a database connection.

The outcome (the caller, or why there is none) stays in the request's scope. This middleware
refuses nothing itself: a route that declares a role answers with the refusal, and public
routes ignore it (app/core/permissions.py)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.context import Authenticate, current_principal, set_outcome


class Authentication:
    def __init__(self, app: ASGIApp, authenticate: Authenticate) -> None:
        self.app = app
        self.authenticate = authenticate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
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
