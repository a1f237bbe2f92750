"""Input no route should see is refused before routing, the same on SQLite and Postgres:
NUL characters in the query string or in JSON strings (Postgres text cannot hold them),
bodies over the size limit (413), and JSON nested deeper than the limit. A refused write is
filed in the audit trail. Bodies are read here once and handed on as they came."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core import nul
from app.core.context import RecordRefusal
from app.core.errors import InvalidInput, InvalidParam
from app.core.http import WRITE_METHODS
from app.core.middleware.body import read_body, replaying
from app.core.problems import Problem, Renderer


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


class InputChecks:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_json_depth: int,
        larger_bodies: Mapping[str, int],
        render: Renderer,
        record_refusal: RecordRefusal,
    ) -> None:
        """`larger_bodies`: path prefixes that accept bodies up to their own limit (bulk)."""
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_json_depth = max_json_depth
        self.larger_bodies = tuple(larger_bodies.items())
        self.render = render
        self.record_refusal = record_refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        writing = scope["method"] in WRITE_METHODS
        bad_query = nul.query_params_with_nul(scope.get("query_string", b""))
        if bad_query:
            params = nul.invalid_params(bad_query, "query")
            await self.refuse(scope, receive, send, Problem.of(InvalidInput(params)), writing)
            return
        if not writing:
            await self.app(scope, receive, send)
            return
        problem, body = await self._check_body(scope, receive)
        if problem is not None:
            await self.refuse(scope, receive, send, problem, True)
            return
        await self.app(scope, replaying(body, receive), send)

    async def _check_body(self, scope: Scope, receive: Receive) -> tuple[Problem | None, bytes]:
        path: str = scope["path"]
        limit = next(
            (size for prefix, size in self.larger_bodies if path.startswith(prefix)),
            self.max_body_bytes,
        )
        too_large = Problem(
            413,
            f"The request body is larger than {limit} bytes.",
            "Request body too large",
            "payload-too-large",
        )
        declared = next((v for n, v in scope["headers"] if n == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return too_large, b""
        body = await read_body(receive, limit)
        if body is None:
            return too_large, b""
        depth = self.max_json_depth
        if body and json_depth_exceeds(body, depth):
            reason = f"Nesting deeper than {depth} levels is refused."
            refusal = InvalidInput(
                [InvalidParam("body", reason, code="too_deep", where="body")],
                f"The JSON body nests deeper than {depth} levels.",
            )
            return Problem.of(refusal), body
        bad_body = nul.body_properties_with_nul(body)
        if bad_body:
            return Problem.of(InvalidInput(nul.invalid_params(bad_body, "body"))), body
        return None, body

    async def refuse(
        self, scope: Scope, receive: Receive, send: Send, problem: Problem, writing: bool
    ) -> None:
        if writing:
            await self.record_refusal(scope, problem.status, problem.detail)
        await self.render(problem, scope["path"])(scope, receive, send)
