"""HTTP routes of /v1/changes: the change feed, read page by page or long-polled."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import Field

from app.changes import service
from app.changes.schemas import ChangePage
from app.core.http import json_response
from app.core.openapi import READ, responses
from app.core.permissions import Authenticated
from app.core.query import QueryModel, query_openapi, read_query
from app.core.routes import ContractRoute

router = APIRouter(prefix="/v1/changes", tags=["changes"], route_class=ContractRoute)


class ChangesQuery(QueryModel):
    """The feed's query parameters, read as one model in the route's body (app/core/query.py):
    a follower asks again and again, and FastAPI's solving of four declared parameters cost
    more than reading them in one pass."""

    after: str | None = Field(
        None,
        max_length=200,
        description="A position from an earlier page (`next`, or a change's `position`).",
    )
    types: str | None = Field(
        None,
        max_length=500,
        pattern=r"^[a-z-]+(,[a-z-]+)*$",
        description="Only these resource types, comma-separated, e.g. `member,department`.",
    )
    page_size: int = Field(100, alias="pageSize", ge=1, le=100)
    wait: float = Field(
        0,
        ge=0,
        le=service.MAX_WAIT_SECONDS,
        description="Seconds to wait for a change when there is none yet (long poll).",
    )


@router.get(
    "",
    operation_id="changes-list",
    summary="Follow the changes of every resource",
    description=(
        "Every change of a resource (created, updated, deactivated, erased, a status or "
        "lifecycle step …), oldest first, in an order a follower can rely on: it never misses "
        "a change and never sees one twice, even when transactions commit in another order "
        "than they began. A follower reads `next` while there is one, then asks `resume` "
        "again later (with `wait`, a long poll that answers as soon as a change comes). Each "
        "change names the resource, its new `version`, who made it and the `href` of its "
        "current representation. Without `after` the feed starts at its oldest change (it "
        "keeps `CHANGE_RETENTION_DAYS`, 90 by default); an older position is a 410, after "
        "which a follower reads the lists again. A caller sees the changes of what its role "
        "may read (sync keys: members and departments)."
    ),
    response_model=ChangePage,
    responses=responses(200, "One page of changes.", *READ, 410, headers=("Link",)),
    openapi_extra=query_openapi(ChangesQuery),
)
async def list_changes(request: Request, principal: Authenticated) -> Response:
    query = read_query(ChangesQuery, request)
    page = await service.changes(
        request,
        principal,
        after=query.after,
        types=query.types.split(",") if query.types else None,
        page_size=query.page_size,
        wait=query.wait,
    )
    links = {"Link": f'<{page["next"]}>; rel="next"'} if page["next"] else None
    return json_response(page, headers=links)
