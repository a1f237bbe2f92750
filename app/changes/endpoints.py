"""HTTP routes of /v1/changes: the change feed, read page by page, long-polled, or streamed as
Server-Sent Events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import Field

from app.changes import service
from app.changes.schemas import ChangePage
from app.core.http import json_response
from app.core.negotiation import EVENT_STREAM
from app.core.openapi import READ, STREAM_TICKET, responses
from app.core.permissions import Authenticated
from app.core.query import QueryModel, query_openapi, read_query
from app.core.routes import ContractRoute, variant_of

router = APIRouter(prefix="/v1/changes", tags=["changes"], route_class=ContractRoute)

EVENT_FORMAT = (
    "The feed as Server-Sent Events (`Accept: text/event-stream`), for a browser's "
    "`EventSource`: first a comment with `retry: 3000`; then each change as an event "
    "`event: change`, `id:` its `position`, `data:` the change as JSON (one item of the JSON "
    "page); a comment (`: heartbeat`) when nothing came for 10 s. The server closes the "
    "stream after `CHANGE_STREAM_SECONDS` (30 minutes); EventSource reconnects and resumes "
    "with `Last-Event-ID`."
)
EVENT_EXAMPLE = (
    ": the change feed\nretry: 3000\n\n"
    'event: change\ndata: {"position":"WyJjaGFuZ2VzIixbNzQxLDE3NjQ3NjYwMDBdLDEyXQ",'
    '"type":"member","resourceId":"…","change":"updated","version":2,…}\n'
    "id: WyJjaGFuZ2VzIixbNzQxLDE3NjQ3NjYwMDBdLDEyXQ\n\n"
    ": heartbeat\n\n"
)


def _responses() -> dict[int | str, dict[str, Any]]:
    declared = responses(200, "One page of changes, or the event stream.", *READ, 410)
    declared[200]["headers"] = {"Link": {"$ref": "#/components/headers/Link"}}
    declared[200]["content"] = {
        "application/json": {"schema": {"$ref": "#/components/schemas/ChangePage"}},
        EVENT_STREAM: {
            "schema": {"type": "string", "description": EVENT_FORMAT},
            "example": EVENT_EXAMPLE,
        },
    }
    return declared


# What only the event stream reads: in the document, and accepted in every query string of the
# operation (the JSON page's endpoint does not read them). The ticket is read at the edge.
STREAM_PARAMETERS = [
    {
        "name": "ticket",
        "in": "query",
        "required": False,
        "description": "For a browser's `EventSource` only, which cannot send an "
        "Authorization header: a stream ticket (`POST /changes/stream-tickets`), instead of "
        "that header, with `Accept: text/event-stream`. Anywhere else a ticket is refused "
        "(401).",
        "schema": {"type": "string"},
    },
    {
        "name": "Last-Event-ID",
        "in": "header",
        "required": False,
        "description": "Event stream only: the `id` of the last event received (EventSource "
        "sends it when it reconnects); the stream continues after it, instead of after "
        "`after`. The JSON page does not read it.",
        "schema": {"type": "string"},
    },
]

After = Annotated[
    str | None,
    Query(
        max_length=200,
        description="A position from an earlier page (`next`, or a change's `position`).",
    ),
]
Types = Annotated[
    str | None,
    Query(
        max_length=500,
        pattern=r"^[a-z-]+(,[a-z-]+)*$",
        description="Only these resource types, comma-separated, e.g. `member,department`.",
    ),
]


class ChangesQuery(QueryModel):
    """The JSON page's query parameters, read as one model in the route's body
    (app/core/query.py): a follower asks again and again, and FastAPI's solving of four
    declared parameters cost more than reading them in one pass."""

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
    page_size: int = Field(
        100,
        alias="pageSize",
        ge=1,
        le=1000,
        description="Up to 1,000: a follower that fell behind (a sync wrote 10,000 changes) catches up in few pages.",
    )
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
        "may read (sync keys: members and departments).\n\n"
        "**Live, as Server-Sent Events.** With `Accept: text/event-stream` the same feed comes "
        "as an event stream: the same positions (each event's `id`), `types` and roles; it "
        "starts after `Last-Event-ID` when given (EventSource sends it when it reconnects), "
        "else after `after`, else at the feed's start; `pageSize` and `wait` do not apply. "
        "A bad position is still a 400 and an old one a 410, before the stream begins. A "
        "browser's `EventSource` cannot send an Authorization header: it opens the `href` "
        "of a stream ticket (`POST /changes/stream-tickets`, good for a few minutes and for "
        "this stream only), from an origin in `CORS_ORIGINS`. " + EVENT_FORMAT
    ),
    response_model=ChangePage,
    responses=_responses(),
    openapi_extra={
        "parameters": query_openapi(ChangesQuery)["parameters"] + STREAM_PARAMETERS,
        "security": [{"bearerAuth": []}, {STREAM_TICKET: []}],
    },
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


def _stream_follower(
    principal: Authenticated,
    after: After = None,
    types: Types = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=200)] = None,
) -> service.Follower:
    # A dependency: its refusals are problem answers, given before the stream starts.
    return service.stream_follower(
        principal,
        last_event_id=last_event_id,
        after=after,
        types=types.split(",") if types else None,
    )


@variant_of(router, "changes-list", EVENT_STREAM, EventSourceResponse)
async def stream_changes(
    request: Request, follower: Annotated[service.Follower, Depends(_stream_follower)]
) -> AsyncIterator[ServerSentEvent]:
    async for event in service.stream(follower, request.is_disconnected):
        yield event
