"""`Idempotency-Key` on POST: the first request with a key is claimed and its answer kept,
a retry with the same key and body gets that answer again, another body with the same key
is a 422, and a retry while the first is still running a 409 (app/core/idempotency.py keeps
the records). Keys are claimed only for callers the edge accepted: for anyone else the route
answers with its refusal, as it would without the header."""

from __future__ import annotations

import logging
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import idempotency
from app.core.context import Principal, RecordRefusal, outcome
from app.core.errors import InvalidInput, InvalidParam
from app.core.middleware.body import read_body, replaying
from app.core.problems import Problem, Renderer

log = logging.getLogger("leergemeenschap.http")

_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")

_MALFORMED = Problem.of(
    InvalidInput(
        [InvalidParam("Idempotency-Key", "1 to 255 visible ASCII characters.", where="header")],
        "Idempotency-Key must be 1 to 255 visible ASCII characters.",
    )
)
_REUSED = Problem(
    422,
    "This Idempotency-Key was already used with another request body.",
    "Idempotency-Key reused",
    "idempotency-key-reused",
)
_BUSY = Problem(
    409,
    "A request with this Idempotency-Key is still being processed; retry later.",
    "Request in progress",
    "idempotency-in-flight",
    headers={"Retry-After": "1"},
)


class Idempotency:
    def __init__(
        self,
        app: ASGIApp,
        *,
        lock_seconds: int,
        render: Renderer,
        record_refusal: RecordRefusal,
    ) -> None:
        self.app = app
        self.lock_seconds = lock_seconds
        self.render = render
        self.record_refusal = record_refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        key_header = headers.get(b"idempotency-key")
        if key_header is None or not isinstance(outcome(scope), Principal):
            await self.app(scope, receive, send)
            return
        key = key_header.decode("latin-1").strip().strip('"')
        if not _KEY_RE.match(key):
            await self.refuse(scope, receive, send, _MALFORMED)
            return
        body = await read_body(receive) or b""
        replay = replaying(body, receive)

        fp = idempotency.fingerprint(
            "POST", scope["path"], scope.get("query_string", b""), body, headers.get(b"if-match")
        )
        owner = idempotency.owner_of(headers.get(b"authorization"))
        claim = await idempotency.claim(owner, key, fp, self.lock_seconds)
        if claim.outcome == "mismatch":
            await self.refuse(scope, receive, send, _REUSED)
        elif claim.outcome == "busy":
            await self.refuse(scope, receive, send, _BUSY)
        elif claim.outcome == "replay":
            await self._replay(send, claim.stored)
        else:
            await self._first(scope, replay, send, claim)

    async def refuse(self, scope: Scope, receive: Receive, send: Send, problem: Problem) -> None:
        await self.record_refusal(scope, problem.status, problem.detail)
        await self.render(problem, scope["path"])(scope, receive, send)

    @staticmethod
    async def _replay(send: Send, stored: dict[str, Any]) -> None:
        stored_headers = [(k.encode(), v.encode()) for k, v in stored["headers"].items()]
        stored_headers.append((b"content-type", b"application/json"))
        stored_headers.append((b"idempotent-replayed", b"true"))
        await send(
            {"type": "http.response.start", "status": stored["status"], "headers": stored_headers}
        )
        await send({"type": "http.response.body", "body": stored["body"]})

    async def _first(
        self, scope: Scope, receive: Receive, send: Send, claim: idempotency.Claim
    ) -> None:
        """Run the request; an answer the route did not store itself is settled afterwards."""
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
