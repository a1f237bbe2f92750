"""A webhook receiver on 127.0.0.1 for the tests: a small HTTP/1.1 server on asyncio that
records every request and answers as the test tells it (a status, a delay, a redirect, a
huge body), and a signature check written from the Standard Webhooks specification itself,
independent of the `standardwebhooks` package the API signs with."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    # When it arrived (time.monotonic()).
    at: float = field(default_factory=time.monotonic)

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    port: int = 0
    requests: list[Received] = field(default_factory=list)
    # What the next answers are: popped from the front; when empty, `default`.
    script: list[dict[str, Any]] = field(default_factory=list)
    default: dict[str, Any] = field(default_factory=lambda: {"status": 204})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/leergemeenschap"

    def on(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            _method, path, _version = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append(Received(path, headers, body))
            answer = self.script.pop(0) if self.script else self.default
            if answer.get("delay"):
                await asyncio.sleep(answer["delay"])
            status = answer.get("status", 204)
            extra = ""
            if answer.get("location"):
                extra = f"Location: {answer['location']}\r\n"
            payload = b"x" * answer.get("body_bytes", 0)
            writer.write(
                f"HTTP/1.1 {status} Answer\r\nContent-Length: {len(payload)}\r\n{extra}"
                "Connection: close\r\n\r\n".encode()
            )
            # A huge body goes out in pieces; the API stops reading and hangs up.
            for start in range(0, len(payload), 65536):
                writer.write(payload[start : start + 65536])
                await writer.drain()
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def receiving(**options: Any) -> AsyncIterator[Receiver]:
    receiver = Receiver(**options)
    server = await asyncio.start_server(receiver._handle, "127.0.0.1", 0)
    receiver.port = server.sockets[0].getsockname()[1]
    try:
        yield receiver
    finally:
        server.close()


def verifies(secret: str, request: Received) -> bool:
    """Whether one of the request's `v1` signatures is the HMAC-SHA256, under the secret
    (base64 after `whsec_`), of `{webhook-id}.{webhook-timestamp}.{body}`."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = b".".join(
        [
            request.headers["webhook-id"].encode(),
            request.headers["webhook-timestamp"].encode(),
            request.body,
        ]
    )
    expected = hmac.new(key, signed, hashlib.sha256).digest()
    for part in request.headers["webhook-signature"].split(" "):
        version, _, value = part.partition(",")
        if version == "v1" and hmac.compare_digest(base64.b64decode(value), expected):
            return True
    return False
