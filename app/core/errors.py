"""The errors a request can end in, each carrying its HTTP status. This module imports nothing
of the application: every layer may raise these, and app/core/problems.py renders them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class DomainError(Exception):
    """An error that carries its HTTP status; one handler renders every subclass."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra or {}


class InvalidParam(dict[str, str]):
    """One entry of `invalidParams`: where (`in`), which (`name`), why (`reason`, `code`)."""

    def __init__(self, name: str, reason: str, code: str = "invalid", where: str = "body"):
        super().__init__(name=name, reason=reason, code=code)
        self["in"] = where


class InvalidInput(DomainError):
    status = 400
    slug = "invalid-input"
    title = "Invalid input"

    def __init__(self, params: Sequence[InvalidParam], detail: str | None = None) -> None:
        names = ", ".join(p["name"] for p in params)
        super().__init__(
            detail or f"The request has {len(params)} invalid parameter(s): {names}.",
            extra={"invalidParams": list(params)},
        )


class Unauthenticated(DomainError):
    status = 401
    slug = "unauthenticated"
    title = "Authentication required"

    def __init__(self, detail: str, error: str = "invalid_token") -> None:
        super().__init__(
            detail,
            headers={"WWW-Authenticate": f'Bearer realm="leergemeenschap", error="{error}"'},
        )


class Forbidden(DomainError):
    status = 403
    slug = "forbidden"
    title = "Not allowed"


class NotFound(DomainError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class Gone(DomainError):
    status = 410
    slug = "gone"
    title = "Gone"


class PreconditionFailed(DomainError):
    status = 412
    slug = "precondition-failed"
    title = "Precondition failed"


class PayloadTooLarge(DomainError):
    status = 413
    slug = "payload-too-large"
    title = "Request body too large"


class UnsupportedMediaType(DomainError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


class Unprocessable(DomainError):
    status = 422
    slug = "unprocessable"
    title = "Unprocessable request"


class TooManyRequests(DomainError):
    status = 429
    slug = "too-many-requests"
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int = 60) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class ServiceUnavailable(DomainError):
    status = 503
    slug = "service-unavailable"
    title = "Service temporarily unavailable"

    def __init__(self, detail: str, retry_after: int = 2) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})
