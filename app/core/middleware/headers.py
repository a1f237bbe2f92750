"""The headers every response carries, errors and preflights included: the API version, the
request id, `Cache-Control: no-store`, the security headers, and HSTS behind TLS."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.middleware.request_context import REQUEST_ID

_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class ContractHeaders:
    def __init__(self, app: ASGIApp, version: str) -> None:
        self.app = app
        self.static: list[tuple[bytes, bytes]] = [
            (b"api-version", version.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"content-security-policy", b"frame-ancestors 'none'"),
            (b"referrer-policy", b"no-referrer"),
            (b"cache-control", b"no-store"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(self.static)
        request_id = scope.get("state", {}).get(REQUEST_ID)
        if request_id:
            extra.append((b"x-request-id", request_id.encode()))
        if scope.get("scheme") == "https" or _forwarded_https(scope):
            extra.append(_HSTS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = list(message.get("headers", []))
                names = {name.lower() for name, _ in out}
                out.extend(h for h in extra if h[0] not in names)
                message["headers"] = out
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _forwarded_https(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"x-forwarded-proto":
            return bool(value.decode("latin-1").lower() == "https")
    return False
