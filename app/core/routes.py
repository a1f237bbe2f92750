"""The route class of both applications: every operation takes only the query parameters it
declares (app/core/query.py) and serves only the media types it declares
(app/core/negotiation.py). `create_api` and `create_scim` refuse a router without it. Both
checks run before the route does, on the raw request, and cost next to nothing when there is
no query string and no Accept header to look at.

An operation may serve one of its media types from an endpoint of its own (`variant_of`): the
change feed's event stream is a generator that FastAPI streams, the JSON page an ordinary
answer. The operation, its query parameters and its document stay one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from fastapi import APIRouter
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.types import Message, Receive, Scope, Send

from app.core.context import require_caller
from app.core.errors import DomainError, InvalidInput
from app.core.negotiation import CHOSEN, NotAcceptable, acceptable, choose, declared_media_types
from app.core.permissions import requires_caller
from app.core.query import declared_query, undeclared

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


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
        # Endpoints that serve this operation in one of its media types (see `variant_of`).
        self.variants: dict[str, APIRoute] = {}

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
            if self.variants:
                variant = self.variants.get(scope.get(CHOSEN, ""))
                if variant is not None:
                    await variant.handle(scope, receive, _no_store(send))
                    return
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


def _no_store(send: Send) -> Send:
    """Nothing the API answers is stored (app/core/middleware/headers.py): a variant's
    response class may say otherwise (FastAPI's event streams say `no-cache`)."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [
                (k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"
            ]
        await send(message)

    return sending


def variant_of(
    router: APIRouter, operation_id: str, media_type: str, response_class: type[Response]
) -> Callable[[Endpoint], Endpoint]:
    """Serve `media_type`, one of the media types the operation `operation_id` of `router`
    declares, from the decorated endpoint: a request whose Accept chooses it goes there, after
    the operation's own checks (query parameters, negotiation). The endpoint declares the
    parameters it reads; it is not in the document (the operation is)."""

    def register(endpoint: Endpoint) -> Endpoint:
        route = next(
            r
            for r in router.routes
            if isinstance(r, ContractRoute) and r.operation_id == operation_id
        )
        if media_type not in route.media_types:
            raise ValueError(f"{operation_id} does not declare {media_type}")
        route.variants[media_type] = APIRoute(
            route.path,
            endpoint,
            methods=route.methods,
            response_class=response_class,
            dependencies=route.dependencies,
            name=f"{route.name}-{media_type}",
            include_in_schema=False,
        )
        return endpoint

    return register
