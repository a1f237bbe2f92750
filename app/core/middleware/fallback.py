"""The last resort: an exception no handler took becomes a problem (503 when the database is
at fault, else 500) instead of a traceback, and is logged."""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.faults import is_database_unavailable
from app.core.problems import INTERNAL, UNAVAILABLE, Renderer

log = logging.getLogger("leergemeenschap.http")


class ErrorFallback:
    def __init__(self, app: ASGIApp, render: Renderer) -> None:
        self.app = app
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            method, path = scope["method"], scope["path"]
            if is_database_unavailable(exc):
                # Raised outside a route (an Idempotency-Key claim, a key look-up) or past
                # the handlers: still a 503 to retry.
                log.warning("database unavailable on %s %s: %r", method, path, exc)
                problem = UNAVAILABLE
            else:
                log.exception("unhandled error on %s %s", method, path)
                problem = INTERNAL
            if not started:
                await self.render(problem, path)(scope, receive, send)
