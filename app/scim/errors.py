"""SCIM error bodies (RFC 7644 §3.12): the SCIM application renders every problem with
`scim_error`, whether its handlers or its middlewares refused the request."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response

from app.core.errors import DomainError
from app.core.problems import Problem
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


def scim_error(problem: Problem, instance: str) -> Response:
    """The SCIM application's renderer: a problem as an RFC 7644 error body."""
    detail = problem.detail
    params = problem.extra.get("invalidParams")
    if params:
        detail += " " + "; ".join(f"{p['name']}: {p['reason']}" for p in params)
    body: dict[str, Any] = {
        "schemas": [ERROR_SCHEMA],
        "status": str(problem.status),
        "detail": detail,
    }
    scim_type = problem.extra.get("scimType") or _DEFAULT_TYPES.get(problem.status)
    if scim_type:
        body["scimType"] = scim_type
    return Response(
        orjson.dumps(body),
        status_code=problem.status,
        media_type=SCIM_JSON,
        headers=dict(problem.headers) or None,
    )
