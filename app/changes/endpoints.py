"""HTTP routes of /v1/changes: the change feed, read page by page or long-polled."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.changes import service
from app.changes.schemas import ChangePage
from app.core.http import json_response
from app.core.openapi import READ, responses
from app.core.permissions import Authenticated
from app.core.routes import ContractRoute

router = APIRouter(prefix="/v1/changes", tags=["changes"], route_class=ContractRoute)


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
)
async def list_changes(
    request: Request,
    principal: Authenticated,
    after: Annotated[
        str | None,
        Query(
            max_length=200,
            description="A position from an earlier page (`next`, or a change's `position`).",
        ),
    ] = None,
    types: Annotated[
        str | None,
        Query(
            max_length=500,
            pattern=r"^[a-z-]+(,[a-z-]+)*$",
            description="Only these resource types, comma-separated, e.g. `member,department`.",
        ),
    ] = None,
    page_size: Annotated[int, Query(alias="pageSize", ge=1, le=100)] = 100,
    wait: Annotated[
        float,
        Query(
            ge=0,
            le=service.MAX_WAIT_SECONDS,
            description="Seconds to wait for a change when there is none yet (long poll).",
        ),
    ] = 0,
) -> Response:
    page = await service.changes(
        request,
        principal,
        after=after,
        types=types.split(",") if types else None,
        page_size=page_size,
        wait=wait,
    )
    links = {"Link": f'<{page["next"]}>; rel="next"'} if page["next"] else None
    return json_response(page, headers=links)
