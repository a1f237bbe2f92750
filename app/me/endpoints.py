"""HTTP routes of /v1/me: the caller's own member and what they take part in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import Response

from app.core.db import ReadDb, WriteDb
from app.core.http import IfMatch, resource_headers, resource_response, written
from app.core.openapi import READ, WRITE, responses
from app.core.pagination import PageRequest
from app.core.permissions import Authenticated
from app.core.query import ONE_OR_MORE, ONE_OR_MORE_HELP
from app.core.routes import ContractRoute
from app.learning_groups.models import MembershipRole
from app.learning_questions.models import QuestionStatus
from app.me import service
from app.me.schemas import (
    MeRead,
    MyGroupPage,
    MyQuestionPage,
    MyWorkshopPage,
    QuestionRelation,
)
from app.members.schemas import MemberUpdate

router = APIRouter(prefix="/v1/me", tags=["me"], route_class=ContractRoute)

BOUND = (
    "For any credential that acts for a member: an API key issued with a `memberId`, or an "
    "OIDC token whose member claim names a member. Any other credential has no 'me' (404)."
)


@router.get(
    "",
    operation_id="me-get",
    summary="Get yourself: your member, your groups, your werkplaatsen ahead",
    description=(
        "Your member as `GET /members/{memberId}` shows it, with what you take part in now: "
        "the groups you are in (with your role), the werkplaatsen ahead that you signed up "
        "for, and how many of the learning questions you raised are still open. The ETag is "
        "your member's version, for `PATCH /me`. " + BOUND
    ),
    response_model=MeRead,
    responses=responses(200, "You.", *READ, 404, headers=("ETag",)),
)
async def get_me(principal: Authenticated) -> Response:
    return resource_response(await service.get_me(principal))


@router.patch(
    "",
    operation_id="me-update",
    summary="Change your own profile (JSON Merge Patch)",
    description=(
        "What `PATCH /members/{memberId}` does for a member who edits themself, under the same "
        "rules: your community fields (displayName, participation, transitionRoles, "
        "discipline); any other field only with an admin key (403), and never a field a sync "
        "manages (409). Answers as `GET /me`. " + BOUND
    ),
    response_model=MeRead,
    responses=responses(200, "You, changed.", *WRITE, 404, 412, headers=("ETag",)),
)
async def update_me(
    request: Request,
    principal: Authenticated,
    conn: WriteDb,
    expected: IfMatch,
    patch: Annotated[MemberUpdate, Body(media_type="application/merge-patch+json")],
) -> Response:
    item = await service.update_me(conn, principal, patch, expected)
    return await written(conn, request, item, headers=resource_headers(item))


@router.get(
    "/learning-groups",
    operation_id="me-learning-groups-list",
    summary="List the learning groups you are in now, with your role",
    description="Each item is the group as the group list shows it, with your membership. "
    + service.GROUP_SORTING.description
    + " "
    + BOUND,
    response_model=MyGroupPage,
    responses=responses(200, "One page of your groups.", *READ, 404, headers=("Link",)),
)
async def list_my_groups(
    request: Request,
    principal: Authenticated,
    conn: ReadDb,
    page: Annotated[PageRequest, Depends(service.GROUP_SORTING.params)],
    role: Annotated[
        MembershipRole | None, Query(description="Only the groups where you have this role.")
    ] = None,
) -> Response:
    return await service.list_groups(conn, request, principal, page, role=role)


@router.get(
    "/learning-questions",
    operation_id="me-learning-questions-list",
    summary="List your learning questions",
    description=(
        "The questions you relate to (`relation`: those you raised, those you support; both by default), each as the question "
        "list shows it, with `relations` saying how. " + service.QUESTION_SORTING.description
    )
    + " "
    + BOUND,
    response_model=MyQuestionPage,
    responses=responses(200, "One page of your questions.", *READ, 404, headers=("Link",)),
)
async def list_my_questions(
    request: Request,
    principal: Authenticated,
    conn: ReadDb,
    page: Annotated[PageRequest, Depends(service.QUESTION_SORTING.params)],
    relation: Annotated[
        list[QuestionRelation] | None,
        ONE_OR_MORE,
        Query(
            description="Only questions you relate to this way (default: every way). "
            + ONE_OR_MORE_HELP
        ),
    ] = None,
    status: Annotated[
        list[QuestionStatus] | None, ONE_OR_MORE, Query(description=ONE_OR_MORE_HELP)
    ] = None,
    open_: Annotated[
        bool | None,
        Query(
            alias="open",
            description="true: only those still open (not answered, merged or retired), "
            "which `GET /me` counts; false: only those that are not.",
        ),
    ] = None,
) -> Response:
    return await service.list_questions(
        conn, request, principal, page, relation=relation, status=status, open_=open_
    )


@router.get(
    "/workshops",
    operation_id="me-workshops-list",
    summary="List the werkplaatsen you signed up for",
    description=service.WORKSHOP_SORTING.description + " " + BOUND,
    response_model=MyWorkshopPage,
    responses=responses(200, "One page of your werkplaatsen.", *READ, 404, headers=("Link",)),
)
async def list_my_workshops(
    request: Request,
    principal: Authenticated,
    conn: ReadDb,
    page: Annotated[PageRequest, Depends(service.WORKSHOP_SORTING.params)],
    upcoming: Annotated[
        bool | None,
        Query(
            description="true: only those that have not started yet; false: only those that have."
        ),
    ] = None,
) -> Response:
    return await service.list_workshops(conn, request, principal, page, upcoming=upcoming)
