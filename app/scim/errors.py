"""SCIM error bodies (RFC 7644 §3.12): every error under /scim/v2 is rendered here, by the
application's error handlers (app/core/errors.py), after the request's transaction ended."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response

from app.core.errors import DomainError
from app.scim.schemas import SCIM_JSON

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
# The scimType a status implies when the error does not name one.
_DEFAULT_TYPES = {400: "invalidValue", 409: "uniqueness"}


class ScimProblem(DomainError):
    """A refusal in SCIM terms (from scim2-models or the SCIM service), with its scimType."""

    def __init__(self, status: int, detail: str, scim_type: str | None) -> None:
        super().__init__(detail, extra={"scimType": scim_type} if scim_type else None)
        self.status = status
        self.title = "SCIM error"
        self.slug = "scim-error"


def scim_error_response(
    status: int,
    detail: str,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    extra = extra or {}
    params = extra.get("invalidParams")
    if params:
        detail += " " + "; ".join(f"{p['name']}: {p['reason']}" for p in params)
    body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(status), "detail": detail}
    scim_type = extra.get("scimType") or _DEFAULT_TYPES.get(status)
    if scim_type:
        body["scimType"] = scim_type
    return Response(orjson.dumps(body), status_code=status, media_type=SCIM_JSON, headers=headers)
