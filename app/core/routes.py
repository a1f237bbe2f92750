"""The route class of both applications: every operation takes only the query parameters it
declares (app/core/query.py) and serves only the media types it declares
(app/core/negotiation.py). `create_api` and `create_scim` refuse a router without it. Both
checks run before the route does, on the raw request, and cost next to nothing when there is
no query string and no Accept header to look at."""

from __future__ import annotations

from typing import Any, NoReturn

from fastapi.routing import APIRoute
from starlette.types import Message, Receive, Scope, Send

from app.core.context import require_caller
from app.core.errors import DomainError, InvalidInput
from app.core.negotiation import CHOSEN, NotAcceptable, acceptable, choose, declared_media_types
from app.core.permissions import requires_caller
from app.core.query import declared_query, undeclared


class ContractRoute(APIRoute):
    """A route that takes and serves only what its operation declares."""

    # Refuse query parameters the operation does not declare (SCIM's routes do not: RFC 7644
    # clients send parameters of their own).
    strict_query = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.media_types = declared_media_types(self)
        self._offered = acceptable(self.media_types)
        self._methods = frozenset(self.methods or ())
        # Accept values that need no parsing (bytes, as they arrive): the first type wins.
        self._fast = frozenset({b"*/*", self.media_types[0].encode("latin-1")})
        self._query, self._repeatable = declared_query(self)
        self._needs_caller = requires_caller(self)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] in self._methods:  # a wrong method is a 405, whatever it asks
            if self.strict_query and scope["query_string"]:
                problems = undeclared(scope["query_string"], self._query, self._repeatable)
                if problems:
                    self._refuse(scope, InvalidInput(problems))
            for name, value in scope["headers"]:
                if name == b"accept":
                    if value not in self._fast:
                        send = self._negotiate(value.decode("latin-1"), scope, send)
                    break
        await super().handle(scope, receive, send)

    def _negotiate(self, accept: str, scope: Scope, send: Send) -> Send:
        media_type = choose(accept, self._offered)
        if media_type is None:
            self._refuse(scope, NotAcceptable(accept, self.media_types))
        if media_type in self.media_types:
            if media_type != self.media_types[0]:
                scope[CHOSEN] = media_type
            return send
        # The JSON label of a `+json` body: the body is the same, its Content-Type says JSON.
        label = media_type.encode("latin-1")

        async def relabelled(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 300:
                message["headers"] = [
                    (k, label if k == b"content-type" else v) for k, v in message["headers"]
                ]
            await send(message)

        scope[CHOSEN] = media_type
        return relabelled

    def _refuse(self, scope: Scope, error: DomainError) -> NoReturn:
        """Refuse the request; a caller the edge refused hears that first (401, 429), as it
        would from the route, so that nobody learns an operation's shape without a key."""
        if self._needs_caller:
            require_caller(scope)
        raise error
