"""The edge's last resort: an exception that escapes the edge or an application becomes a
problem (503 when the database is at fault, else 500) instead of a traceback. An application
renders and logs its own unexpected errors (its `Exception` handler, app/core/handlers.py)
before they reach this; what has already been answered is not logged again."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.handlers import last_resort
from app.core.problems import Renderer


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
            if started:
                return  # answered (and logged) by the application's own last resort
            path = scope["path"]
            problem = last_resort(exc, scope["method"], path)
            await self.render(problem, path)(scope, receive, send)
