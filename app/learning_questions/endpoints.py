"""HTTP routes of /v1/learning-questions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import Response

from app.core.db import ReadDb, WriteDb
from app.core.http import (
    IDEMPOTENT,
    IfMatch,
    json_response,
    resource_headers,
    resource_response,
    written,
)
from app.core.openapi import READ, WRITE, responses
from app.core.pagination import PageRequest
from app.core.permissions import CanContribute, CanReadCommunity
from app.core.query import ONE_OR_MORE, ONE_OR_MORE_HELP
from app.core.routes import ContractRoute
from app.learning_questions import lifecycle, service
from app.learning_questions.models import QuestionKind, QuestionStatus
from app.learning_questions.schemas import (
    QuestionCreate,
    QuestionMerge,
    QuestionPage,
    QuestionRead,
    QuestionUpdate,
    SupporterPage,
    SupportRead,
)

QuestionId = Annotated[uuid.UUID, Path(alias="questionId")]

router = APIRouter(
    prefix="/v1/learning-questions", tags=["learning-questions"], route_class=ContractRoute
)

WHO_MAY_WRITE = (
    "Admins manage every question. Members and facilitators propose questions (status "
    "`proposed`, raised by their own member), edit their own proposal while it is "
    "proposed, and withdraw it (`status: retired`). A facilitator manages the questions owned by a group they facilitate. "
    "Readers read; sync keys have no access."
)

WHO_MAY_SUPPORT = (
    "Only a credential that acts for a member may support, and only for that member: a "
    "member's or facilitator's key or token, or an admin key linked to a member (an admin key "
    "without one is a 403, as are readers and sync keys)."
)


@router.get(
    "",
    operation_id="learning-questions-list",
    summary="List learning questions",
    description="Each item embeds its theme and owner group and lists the questions merged "
    "into it. " + service.SORTING.description,
    response_model=QuestionPage,
    responses=responses(200, "One page of learning questions.", *READ, headers=("Link",)),
)
async def list_questions(
    request: Request,
    principal: CanReadCommunity,
    conn: ReadDb,
    page: Annotated[PageRequest, Depends(service.SORTING.params)],
    theme_id: Annotated[uuid.UUID | None, Query(alias="themeId")] = None,
    status: Annotated[
        list[QuestionStatus] | None, ONE_OR_MORE, Query(description=ONE_OR_MORE_HELP)
    ] = None,
    owner_group_id: Annotated[uuid.UUID | None, Query(alias="ownerGroupId")] = None,
    kind: Annotated[
        list[QuestionKind] | None, ONE_OR_MORE, Query(description=ONE_OR_MORE_HELP)
    ] = None,
    raised_by_member_id: Annotated[uuid.UUID | None, Query(alias="raisedByMemberId")] = None,
    origin_workshop_id: Annotated[uuid.UUID | None, Query(alias="originWorkshopId")] = None,
    origin_group_id: Annotated[uuid.UUID | None, Query(alias="originGroupId")] = None,
    origin_case_id: Annotated[uuid.UUID | None, Query(alias="originCaseId")] = None,
    merged_into_id: Annotated[uuid.UUID | None, Query(alias="mergedIntoId")] = None,
    supported_by_member_id: Annotated[
        uuid.UUID | None,
        Query(
            alias="supportedByMemberId",
            description="Only questions this member supports now.",
        ),
    ] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Searches title and description.")
    ] = None,
) -> Response:
    return await service.list_questions(
        conn,
        request,
        principal,
        page,
        theme_id=theme_id,
        status=status,
        owner_group_id=owner_group_id,
        kind=kind,
        raised_by_member_id=raised_by_member_id,
        origin_workshop_id=origin_workshop_id,
        origin_group_id=origin_group_id,
        origin_case_id=origin_case_id,
        merged_into_id=merged_into_id,
        supported_by_member_id=supported_by_member_id,
        q=q,
    )


@router.post(
    "",
    operation_id="learning-questions-create",
    summary="Propose a learning question",
    description=WHO_MAY_WRITE,
    status_code=201,
    response_model=QuestionRead,
    responses=responses(
        201, "The learning question was created.", *WRITE, headers=("Location", "ETag")
    ),
    dependencies=[IDEMPOTENT],
)
async def create_question(
    request: Request, principal: CanContribute, conn: WriteDb, data: QuestionCreate
) -> Response:
    item = await service.create_question(conn, principal, data)
    location = str(request.url_for("learning-questions-get", questionId=item["id"]))
    return await written(conn, request, item, status=201, headers=resource_headers(item, location))


@router.get(
    "/{questionId}",
    operation_id="learning-questions-get",
    name="learning-questions-get",
    summary="Get a learning question",
    response_model=QuestionRead,
    responses=responses(200, "The learning question.", *READ, 404, headers=("ETag",)),
)
async def get_question(
    principal: CanReadCommunity, conn: ReadDb, question_id: QuestionId
) -> Response:
    return resource_response(await service.get_question(conn, principal, question_id))


@router.patch(
    "/{questionId}",
    operation_id="learning-questions-update",
    summary="Change a learning question (JSON Merge Patch)",
    description=(
        "Changing `status` moves the question along its lifecycle: "
        + lifecycle.describe()
        + " Any other move is a 409 naming `allowedTransitions`; a merged question accepts "
        "no change at all (409). " + WHO_MAY_WRITE
    ),
    response_model=QuestionRead,
    responses=responses(200, "The changed learning question.", *WRITE, 404, 412, headers=("ETag",)),
)
async def update_question(
    request: Request,
    principal: CanContribute,
    conn: WriteDb,
    question_id: QuestionId,
    expected: IfMatch,
    patch: Annotated[QuestionUpdate, Body(media_type="application/merge-patch+json")],
) -> Response:
    item = await service.update_question(conn, principal, question_id, patch, expected)
    return await written(conn, request, item, headers=resource_headers(item))


@router.post(
    "/{questionId}/_merge",
    operation_id="learning-questions-merge",
    summary="Merge a learning question into another",
    description=(
        "Marks the question `merged` with `mergedIntoId` pointing at the survivor, which then "
        "lists it in `mergedQuestionIds`. Merging a question into itself, into a merged "
        "question, or in a way that would make a cycle is a 409; so is merging a question "
        "that is already merged. `If-Match` applies to the merged question. Admins, and "
        "facilitators of the question's owner group, may merge."
    ),
    response_model=QuestionRead,
    responses=responses(200, "The merged learning question.", *WRITE, 404, 412, headers=("ETag",)),
    dependencies=[IDEMPOTENT],
)
async def merge_question(
    request: Request,
    principal: CanContribute,
    conn: WriteDb,
    question_id: QuestionId,
    expected: IfMatch,
    data: QuestionMerge,
) -> Response:
    item = await service.merge_question(conn, principal, question_id, data.into_id, expected)
    return await written(conn, request, item, headers=resource_headers(item))


@router.get(
    "/{questionId}/supporters",
    operation_id="learning-question-supporters-list",
    summary="List who supports a learning question",
    description=(
        'The members who support the question now ("ik wil dit ook leren"), each with '
        "their display name (an erased member's pseudonym) and since when; a withdrawn "
        "support is not listed. The question's `supportCount` is their number. "
        + service.SUPPORTER_SORTING.description
    ),
    response_model=SupporterPage,
    responses=responses(200, "One page of supporters.", *READ, 404, headers=("Link",)),
)
async def list_supporters(
    request: Request,
    _: CanReadCommunity,
    conn: ReadDb,
    question_id: QuestionId,
    page: Annotated[PageRequest, Depends(service.SUPPORTER_SORTING.params)],
) -> Response:
    return await service.list_supporters(conn, request, question_id, page)


@router.get(
    "/{questionId}/supporters/me",
    operation_id="learning-question-supporters-me-get",
    summary="Whether you support a learning question",
    description=(
        "Your own support of the question, with its `supportCount`; a 404 when you do not "
        "support it (now). " + WHO_MAY_SUPPORT
    ),
    response_model=SupportRead,
    responses=responses(200, "Your support.", *READ, 404),
)
async def get_own_support(
    principal: CanContribute, conn: ReadDb, question_id: QuestionId
) -> Response:
    return json_response(await service.get_own_support(conn, principal, question_id))


@router.put(
    "/{questionId}/supporters/me",
    operation_id="learning-question-supporters-me-put",
    summary='Support a learning question ("ik wil dit ook leren")',
    description=(
        "Adds your member to the question's supporters and raises its `supportCount` by one: "
        "201. **Idempotent:** supporting a question you already support changes nothing and "
        "answers 200 with the same support (the same `supportedAt`), so a retried or doubled "
        "click is harmless; it is never a 409. A merged or retired question takes no new "
        "support (409, with `currentStatus`, and `mergedIntoId` for a merged one). No body. "
        + WHO_MAY_SUPPORT
    ),
    status_code=201,
    response_model=SupportRead,
    responses={
        **responses(201, "You support the question now.", *WRITE, 404),
        200: {
            "description": "You supported the question already; nothing changed.",
            "model": SupportRead,
        },
    },
)
async def support_question(
    request: Request, principal: CanContribute, conn: WriteDb, question_id: QuestionId
) -> Response:
    support, added = await service.support_question(conn, principal, question_id)
    return await written(conn, request, support, status=201 if added else 200)


@router.delete(
    "/{questionId}/supporters/me",
    operation_id="learning-question-supporters-me-delete",
    summary="Withdraw your support of a learning question",
    description=(
        "Ends your support and lowers the question's `supportCount` by one; the history "
        "keeps that you supported it until now (an agenda revision published meanwhile still "
        "counts you). Idempotent: withdrawing a support you do not give answers 204 as well. "
        "Allowed whatever the question's status. " + WHO_MAY_SUPPORT
    ),
    status_code=204,
    response_class=Response,
    responses=responses(204, "You do not support the question (any more).", *WRITE, 404),
)
async def withdraw_support(
    principal: CanContribute, conn: WriteDb, question_id: QuestionId
) -> Response:
    await service.withdraw_support(conn, principal, question_id)
    return Response(status_code=204)
