"""HTTP routes of /v1/agenda (the current agenda, its revisions, diffs) and a question's
agenda history under /v1/learning-questions."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import Response

from app.agenda import service
from app.agenda.export import CSV, CSV_COLUMNS, CsvResponse, items_csv
from app.agenda.models import RevisionStatus
from app.agenda.schemas import (
    AgendaItemsReplace,
    QuestionAgendaHistory,
    RevisionCreate,
    RevisionDiff,
    RevisionPage,
    RevisionRead,
    RevisionUpdate,
)
from app.core.db import ReadDb, WriteDb
from app.core.errors import NotFound
from app.core.http import IDEMPOTENT, IfMatch, json_response, resource_headers, written
from app.core.moments import AsOf
from app.core.openapi import READ, WRITE, responses
from app.core.pagination import PageRequest
from app.core.permissions import AdminOnly, CanReadCommunity
from app.core.routes import ContractRoute

router = APIRouter(tags=["agenda"], route_class=ContractRoute)

MAX_NUMBER = 2**31 - 1
RevisionNumber = Annotated[
    int, Path(alias="number", description="The revision's number (1, 2, 3 …).")
]
QuestionId = Annotated[uuid.UUID, Path(alias="questionId")]


def _known_number(number: int) -> int:
    # Numbers beyond the column's range cannot name a revision: not found, not a server error.
    if not 1 <= number <= MAX_NUMBER:
        raise NotFound(f"There is no agenda revision {number}.")
    return number


def _csv_responses(description: str) -> dict[int | str, dict[str, Any]]:
    declared = responses(200, description, *READ, 404, headers=("ETag",))
    example = ",".join(CSV_COLUMNS) + "\r\n1,high,…\r\n"
    declared[200]["content"] = {CSV: {"schema": {"type": "string"}, "example": example}}
    return declared


def _csv_response(revision: RevisionRead, filename: str) -> Response:
    headers = resource_headers(revision)
    headers["Content-Disposition"] = f'inline; filename="{filename}.csv"'
    return CsvResponse(items_csv(revision["items"]), headers=headers)


READ_DESCRIPTION = "Readable by every role except `sync`."


@router.get(
    "/v1/agenda",
    operation_id="agenda-get",
    summary="The learning agenda in force now, or at a given moment",
    description=(
        "The latest published revision with its items by rank; each item embeds its question "
        "(title, current status, current `supportCount`, theme) and owner group. With `asOf`, "
        "the revision that was in force at that moment (404 before the first publication), "
        "each question with the title, status and support it had then, and `moment` saying "
        "which instant that is. The same items as "
        "CSV: `GET /agenda/export.csv`. " + READ_DESCRIPTION
    ),
    response_model=RevisionRead,
    responses=responses(200, "The agenda revision in force.", *READ, 404, headers=("ETag",)),
)
async def get_agenda(_: CanReadCommunity, as_of: AsOf = None) -> Response:
    revision = await service.agenda(as_of)
    return json_response(revision, headers=resource_headers(revision))


@router.get(
    "/v1/agenda/export.csv",
    operation_id="agenda-export-get",
    summary="The learning agenda in force now, or at a given moment, as CSV",
    description=(
        "The items of the revision `GET /agenda` answers, one row per item by rank, as CSV "
        "(RFC 4180, UTF-8, CRLF line ends, a header row; a cell a spreadsheet would run as a "
        "formula starts with `'`). " + READ_DESCRIPTION
    ),
    response_class=CsvResponse,
    responses=_csv_responses("The agenda revision in force, as CSV."),
)
async def export_agenda(_: CanReadCommunity, as_of: AsOf = None) -> Response:
    revision = await service.agenda(as_of)
    return _csv_response(revision, f"agenda-revision-{revision['number']}")


@router.get(
    "/v1/agenda/revisions",
    operation_id="agenda-revisions-list",
    summary="List agenda revisions",
    description="Ordered by number (`sort=-number` for newest first). " + READ_DESCRIPTION,
    response_model=RevisionPage,
    responses=responses(200, "One page of revisions (without items).", *READ, headers=("Link",)),
)
async def list_revisions(
    request: Request,
    _: CanReadCommunity,
    conn: ReadDb,
    page: Annotated[PageRequest, Depends(service.SORTING.params)],
    status: Annotated[RevisionStatus | None, Query()] = None,
) -> Response:
    return await service.list_revisions(conn, request, page, status=status)


@router.post(
    "/v1/agenda/revisions",
    operation_id="agenda-revisions-create",
    summary="Open the next revision as a draft",
    description=(
        "The draft starts as a copy of the latest published revision's items (empty before "
        "the first publication). At most one draft exists: another is a 409. Admins only."
    ),
    status_code=201,
    response_model=RevisionRead,
    responses=responses(201, "The draft was created.", *WRITE, headers=("Location", "ETag")),
    dependencies=[IDEMPOTENT],
)
async def create_revision(
    request: Request,
    principal: AdminOnly,
    conn: WriteDb,
    data: Annotated[RevisionCreate | None, Body()] = None,
) -> Response:
    revision = await service.create_draft(conn, principal, data or RevisionCreate())
    location = str(request.url_for("agenda-revisions-get", number=revision["number"]))
    return await written(
        conn, request, revision, status=201, headers=resource_headers(revision, location)
    )


@router.get(
    "/v1/agenda/revisions/{number}",
    operation_id="agenda-revisions-get",
    name="agenda-revisions-get",
    summary="Get an agenda revision with its items",
    description=(
        "Items by rank, each embedding its question and owner group. A published revision "
        "shows each question's title, status and `supportCount` as they were at its "
        "publication (`moment`), a draft as they are now (the support facilitators rank by). The same items as CSV: "
        "`GET /agenda/revisions/{number}/export.csv`. " + READ_DESCRIPTION
    ),
    response_model=RevisionRead,
    responses=responses(200, "The revision.", *READ, 404, headers=("ETag",)),
)
async def get_revision(_: CanReadCommunity, number: RevisionNumber) -> Response:
    revision = await service.read_revision(_known_number(number))
    return json_response(revision, headers=resource_headers(revision))


@router.get(
    "/v1/agenda/revisions/{number}/export.csv",
    operation_id="agenda-revision-export-get",
    summary="An agenda revision's items as CSV",
    description=(
        "The items of `GET /agenda/revisions/{number}`, one row per item by rank, as CSV "
        "(RFC 4180, UTF-8, CRLF line ends, a header row). " + READ_DESCRIPTION
    ),
    response_class=CsvResponse,
    responses=_csv_responses("The revision's items, as CSV."),
)
async def export_revision(_: CanReadCommunity, number: RevisionNumber) -> Response:
    revision = await service.read_revision(_known_number(number))
    return _csv_response(revision, f"agenda-revision-{number}")


@router.patch(
    "/v1/agenda/revisions/{number}",
    operation_id="agenda-revisions-update",
    summary="Change a draft's title, rationale or workshop (JSON Merge Patch)",
    description="A published revision never changes (409). Admins only.",
    response_model=RevisionRead,
    responses=responses(200, "The changed draft.", *WRITE, 404, 412, headers=("ETag",)),
)
async def update_revision(
    request: Request,
    principal: AdminOnly,
    conn: WriteDb,
    number: RevisionNumber,
    expected: IfMatch,
    patch: Annotated[RevisionUpdate, Body(media_type="application/merge-patch+json")],
) -> Response:
    revision = await service.update_revision(
        conn, principal, _known_number(number), patch, expected
    )
    return await written(conn, request, revision, headers=resource_headers(revision))


@router.delete(
    "/v1/agenda/revisions/{number}",
    operation_id="agenda-revisions-delete",
    summary="Discard the draft",
    description="Only a draft can be discarded; its number is used again by the next draft.",
    status_code=204,
    responses=responses(204, "The draft is gone.", *WRITE, 404, 412),
)
async def delete_revision(
    request: Request, principal: AdminOnly, conn: WriteDb, number: RevisionNumber, expected: IfMatch
) -> Response:
    await service.delete_draft(conn, principal, _known_number(number), expected)
    return Response(status_code=204)


@router.put(
    "/v1/agenda/revisions/{number}/items",
    operation_id="agenda-revision-items-update",
    summary="Replace a draft's items (the whole ordered list)",
    description=(
        "Each question at most once, not merged or retired; ranks exactly 1..n; owner groups "
        "must exist. Every offending item is listed in one 400 (`items[3].questionId`). "
        "A published revision never changes (409). Admins only."
    ),
    response_model=RevisionRead,
    responses=responses(200, "The draft with its new items.", *WRITE, 404, 412, headers=("ETag",)),
)
async def replace_items(
    request: Request,
    principal: AdminOnly,
    conn: WriteDb,
    number: RevisionNumber,
    expected: IfMatch,
    data: AgendaItemsReplace,
) -> Response:
    revision = await service.replace_items(
        conn, principal, _known_number(number), data.items, expected
    )
    return await written(conn, request, revision, headers=resource_headers(revision))


@router.post(
    "/v1/agenda/revisions/{number}/_publish",
    operation_id="agenda-revisions-publish",
    summary="Publish the draft",
    description=(
        "Sets `publishedAt` and `publishedBy`; from then on the revision never changes. "
        "Send `If-Match` with the draft's ETag so that you publish what you reviewed. Of two "
        "concurrent publications exactly one succeeds. Publishing a published revision is a "
        "409. Admins only."
    ),
    response_model=RevisionRead,
    responses=responses(200, "The published revision.", *WRITE, 404, 412, headers=("ETag",)),
    dependencies=[IDEMPOTENT],
)
async def publish_revision(
    request: Request, principal: AdminOnly, conn: WriteDb, number: RevisionNumber, expected: IfMatch
) -> Response:
    revision = await service.publish_revision(conn, principal, _known_number(number), expected)
    return await written(conn, request, revision, headers=resource_headers(revision))


@router.get(
    "/v1/agenda/revisions/{number}/diff",
    operation_id="agenda-revision-diff-get",
    summary="What changed from another revision to this one",
    description=(
        "Items added, removed and changed (each of rank, priority, ownerGroupId and note as "
        "`{old, new}`), and the questions of either revision whose status differed between "
        "the two revisions' moments. A revision's moment is its publication; a draft's is "
        "now. Each item shows its question's title and status at its own revision's moment. "
        "`from` may be newer than this revision (a reverse diff), or this revision itself "
        "(nothing differs). " + READ_DESCRIPTION
    ),
    response_model=RevisionDiff,
    responses=responses(200, "The differences.", *READ, 404),
)
async def diff_revision(
    _: CanReadCommunity,
    conn: ReadDb,
    number: RevisionNumber,
    from_number: Annotated[int, Query(alias="from", description="The revision to compare with.")],
) -> Response:
    other = _known_number(from_number)
    return json_response(await service.diff_revisions(conn, _known_number(number), other))


@router.get(
    "/v1/learning-questions/{questionId}/agenda-history",
    operation_id="learning-question-agenda-history-get",
    summary="Where a question stood on every published agenda revision",
    description=(
        "Every published revision in order, with the question's rank, priority, owner group "
        "and note where it was present (`present: false` where it was not), and its title, "
        "status and `supportCount` at each publication. " + READ_DESCRIPTION
    ),
    response_model=QuestionAgendaHistory,
    responses=responses(200, "The question's agenda history.", *READ, 404),
)
async def question_agenda_history(
    _: CanReadCommunity, conn: ReadDb, question_id: QuestionId
) -> Response:
    return json_response(await service.question_agenda_history(conn, question_id))
