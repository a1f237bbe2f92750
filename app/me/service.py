""" "Me": what a credential bound to a member (an API key that acts for one, or an OIDC token
mapped to one) reads and changes of their own. Changing is the members service's own update,
under the same rules as `PATCH /members/{id}` for a member who edits themself."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.context import Principal
from app.core.models import utcnow
from app.core.pagination import PageRequest
from app.core.permissions import own_member
from app.core.repository import list_page
from app.me import repository
from app.me.schemas import MeRead, QuestionRelation
from app.members import service as members
from app.members.schemas import MemberUpdate

GROUP_SORTING = repository.GROUP_SORTING
QUESTION_SORTING = repository.QUESTION_SORTING
WORKSHOP_SORTING = repository.WORKSHOP_SORTING


async def get_me(principal: Principal) -> MeRead:
    """The caller's member and what they take part in now, read on the hot path."""
    return await repository.summary(own_member(principal), utcnow())


async def update_me(
    conn: AsyncConnection, principal: Principal, patch: MemberUpdate, expected: int | None
) -> MeRead:
    """`PATCH /members/{id}` on the caller's own member, answered as `GET /me` answers."""
    member_id = own_member(principal)
    await members.update_member(conn, principal, member_id, patch, expected)
    return await repository.summary(member_id, utcnow(), repository.in_transaction(conn))


async def list_groups(
    conn: AsyncConnection,
    request: Request,
    principal: Principal,
    page: PageRequest,
    *,
    role: str | None,
) -> Response:
    """One page of the groups the caller is in now, each with their membership."""
    query = repository.groups_query(own_member(principal), role=role)
    return await list_page(
        conn,
        request,
        query,
        page,
        GROUP_SORTING,
        repository.group_item,
        fields=repository.GROUP_SORT_FIELDS,
    )


async def list_questions(
    conn: AsyncConnection,
    request: Request,
    principal: Principal,
    page: PageRequest,
    *,
    relation: Sequence[QuestionRelation] | None,
    status: Sequence[str] | None,
    open_: bool | None,
) -> Response:
    """One page of the caller's learning questions (raised or supported), each saying how they
    relate to it, with the questions merged into each."""
    member_id = own_member(principal)
    query = repository.questions_query(
        member_id, relations=relation or list(QuestionRelation), status=status, open_=open_
    )
    return await list_page(
        conn,
        request,
        query,
        page,
        QUESTION_SORTING,
        repository.question_item(member_id),
        repository.with_merged,
    )


async def list_workshops(
    conn: AsyncConnection,
    request: Request,
    principal: Principal,
    page: PageRequest,
    *,
    upcoming: bool | None,
) -> Response:
    """One page of the werkplaatsen the caller signed up for (or attended)."""
    query = repository.workshops_query(own_member(principal), upcoming=upcoming, now=utcnow())
    return await list_page(conn, request, query, page, WORKSHOP_SORTING, repository.workshop_item)
