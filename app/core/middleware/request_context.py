"""Names each request: its id (the client's own when sane, else a random one) and where it
came from, for the audit trail, the logs and the `X-Request-ID` response header."""

from __future__ import annotations

import os
import re

from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.context import RequestOrigin, current_origin, current_principal

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
REQUEST_ID = "leergemeenschap.request_id"


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_id = b""
        user_agent = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                raw_id = value
            elif name == b"user-agent":
                user_agent = value
        candidate = raw_id.decode("latin-1")
        # A client's own id is kept; else 128 random bits (as in a uuid4, at a fifth the cost).
        request_id = candidate if _REQUEST_ID_RE.match(candidate) else os.urandom(16).hex()
        scope.setdefault("state", {})[REQUEST_ID] = request_id
        client = scope.get("client")
        current_origin.set(
            RequestOrigin(
                request_id=request_id,
                client_address=client[0] if client else None,
                user_agent=user_agent.decode("latin-1") if user_agent else None,
            )
        )
        current_principal.set(None)
        await self.app(scope, receive, send)
