"""Rules about learning questions: who may propose and manage them, their lifecycle, merges
(lineage without self-merges, merges into merged questions, or cycles), and members' support."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic.alias_generators import to_camel
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import feed, trail
from app.cases.models import Case
from app.core.context import Principal
from app.core.errors import Conflict, Forbidden, InvalidInput, InvalidParam, NotFound
from app.core.http import check_version
from app.core.lifecycle import allowed_next, ensure_transition
from app.core.models import table_of
from app.core.pagination import PageRequest
from app.core.permissions import Role, ensure_role
from app.core.repository import list_page, require_references
from app.learning_groups import repository as groups_repository
from app.learning_groups.models import LearningGroup
from app.learning_groups.service import facilitated_by
from app.learning_questions import repository
from app.learning_questions.lifecycle import TRANSITIONS
from app.learning_questions.models import QuestionStatus
from app.learning_questions.schemas import (
    QuestionCreate,
    QuestionRead,
    QuestionUpdate,
    SupportRead,
)
from app.members.models import Member
from app.notifications import service as notifications
from app.notifications.models import NotificationKind
from app.themes.models import Theme
from app.workshops.models import Workshop

OBJECT = feed.resource(
    "learning-question",
    repository.table,
    path="/learning-questions/{id}",
    readers=feed.COMMUNITY,
)
KIND = "learning question"
CONTRIBUTORS = frozenset({Role.ADMIN.value, Role.FACILITATOR.value, Role.MEMBER.value})
SORTING = repository.SORTING
SUPPORTER_SORTING = repository.SUPPORTER_SORTING
# The audit actions of a support and a withdrawal (the change feed's `supported` and
# `support-withdrawn` on the question: app/audit/feed.py).
SUPPORT = "learning-question-supporters-me-put"
WITHDRAW = "learning-question-supporters-me-delete"

# The table each reference field names; a missing id is reported by the field's JSON name,
# which the input models' alias rule (to_camel) gives it.
_REFERENCES: dict[str, Table] = {
    "theme_id": table_of(Theme),
    "origin_workshop_id": table_of(Workshop),
    "origin_group_id": table_of(LearningGroup),
    "origin_case_id": table_of(Case),
    "raised_by_member_id": table_of(Member),
    "owner_group_id": table_of(LearningGroup),
}


async def list_questions(
    conn: AsyncConnection,
    request: Request,
    principal: Principal,
    page: PageRequest,
    *,
    theme_id: uuid.UUID | None,
    status: Sequence[str] | None,
    owner_group_id: uuid.UUID | None,
    kind: Sequence[str] | None,
    raised_by_member_id: uuid.UUID | None,
    origin_workshop_id: uuid.UUID | None,
    origin_group_id: uuid.UUID | None,
    origin_case_id: uuid.UUID | None,
    merged_into_id: uuid.UUID | None,
    supported_by_member_id: uuid.UUID | None,
    q: str | None,
) -> Response:
    """One page of learning questions with the questions merged into each, answered as the
    list route answers it."""
    query = repository.list_query(
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

    async def enrich(conn: AsyncConnection, items: list[QuestionRead]) -> None:
        await repository.with_merged(conn, items)
        await for_caller(conn, principal, items)

    return await list_page(conn, request, query, page, SORTING, repository.to_item, enrich)


async def get_question(
    conn: AsyncConnection, principal: Principal, question_id: uuid.UUID
) -> QuestionRead:
    return await _read(conn, principal, question_id)


async def _read(
    conn: AsyncConnection, principal: Principal, question_id: uuid.UUID
) -> QuestionRead:
    return (await for_caller(conn, principal, [await repository.get(conn, question_id)]))[0]


# What the proposer of a question may do with it while it is proposed: withdraw it.
WITHDRAWN = QuestionStatus.RETIRED


async def for_caller(
    conn: AsyncConnection, principal: Principal, items: list[QuestionRead]
) -> list[QuestionRead]:
    """Narrow each question's `allowedTransitions` to the moves the caller may make, by the
    rules `update_question` enforces: an admin and a facilitator of the owner group follow the
    lifecycle; the proposer of a proposed question may withdraw it (`retired`); anyone else
    may move nothing. At most one statement for the page (a facilitator's groups)."""
    if principal.is_admin:
        return items
    contributor = principal.role in CONTRIBUTORS
    facilitated: frozenset[uuid.UUID] = frozenset()
    if contributor and any(item["ownerGroupId"] is not None for item in items):
        facilitated = await facilitated_by(conn, principal)
    for item in items:
        owner = item["ownerGroupId"]
        if contributor and owner is not None and owner in facilitated:
            continue
        proposer = (
            contributor
            and principal.member_id is not None
            and item["raisedByMemberId"] == principal.member_id
            and item["status"] == QuestionStatus.PROPOSED
        )
        item["allowedTransitions"] = [
            s for s in item["allowedTransitions"] if proposer and s == WITHDRAWN
        ]
    return items


async def _require_references(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await require_references(
        conn,
        {
            to_camel(field): (table, values[field])
            for field, table in _REFERENCES.items()
            if field in values
        },
    )


def _own_member(principal: Principal) -> uuid.UUID:
    if principal.member_id is None:
        raise Forbidden(
            "This API key acts for no member, so it cannot propose or edit questions as one; "
            "ask an admin for a key linked to your member."
        )
    return principal.member_id


async def _facilitates(
    conn: AsyncConnection, principal: Principal, *group_ids: uuid.UUID | None
) -> set[uuid.UUID]:
    """Which of the given groups the caller facilitates now (none unless a facilitator key)."""
    if principal.role != Role.FACILITATOR.value or principal.member_id is None:
        return set()
    return {
        group_id
        for group_id in set(group_ids)
        if group_id is not None
        and await groups_repository.facilitates(conn, principal.member_id, group_id)
    }


async def create_question(
    conn: AsyncConnection,
    principal: Principal,
    data: QuestionCreate,
) -> QuestionRead:
    ensure_role(principal, CONTRIBUTORS, "propose learning questions")
    if data.status == QuestionStatus.MERGED:
        raise InvalidInput(
            [
                InvalidParam(
                    "status",
                    "A question becomes merged only through POST .../{questionId}/_merge.",
                    code="enum",
                )
            ]
        )
    raised_by = data.raised_by_member_id
    if not principal.is_admin:
        own = _own_member(principal)
        if raised_by is not None and raised_by != own:
            raise Forbidden("Only an admin may propose a question on someone else's behalf.")
        raised_by = own
    elif raised_by is None:
        raised_by = principal.member_id
    values: dict[str, Any] = {
        "title": data.title,
        "description": data.description,
        "theme_id": data.theme_id,
        "kind": data.kind,
        "origin_workshop_id": data.origin_workshop_id,
        "origin_group_id": data.origin_group_id,
        "origin_case_id": data.origin_case_id,
        "raised_by_member_id": raised_by,
        "owner_group_id": data.owner_group_id,
        "status": data.status,
        "answer": data.answer,
    }
    await _require_references(conn, values)
    if (
        not principal.is_admin
        and data.status != QuestionStatus.PROPOSED
        and data.owner_group_id not in await _facilitates(conn, principal, data.owner_group_id)
    ):
        raise Forbidden(
            "A new question starts as 'proposed'; only an admin, or a facilitator of its "
            "owner group, may start it in another status."
        )
    question_id = await repository.create(conn, values)
    await trail.record(
        conn, "learning-questions-create", OBJECT, question_id, detail={"status": data.status}
    )
    return await _read(conn, principal, question_id)


def _ensure_not_merged(current: QuestionRead) -> None:
    if current["status"] == QuestionStatus.MERGED:
        raise Conflict(
            f"This question was merged into {current['mergedIntoId']} and accepts no further "
            "changes; change the surviving question instead.",
            extra={
                "allowedTransitions": [],
                "currentStatus": str(current["status"]),
                "mergedIntoId": str(current["mergedIntoId"]),
            },
        )


async def _authorise_update(
    conn: AsyncConnection,
    principal: Principal,
    current: QuestionRead,
    changes: dict[str, Any],
) -> None:
    if principal.is_admin:
        return
    if (
        "raised_by_member_id" in changes
        and changes["raised_by_member_id"] != current["raisedByMemberId"]
    ):
        raise Forbidden("Only an admin may change who raised a question.")
    owner = current["ownerGroupId"]
    new_owner = changes.get("owner_group_id", owner)
    facilitated = await _facilitates(conn, principal, owner, new_owner)
    if owner is not None and owner in facilitated:
        if new_owner not in facilitated:
            raise Forbidden(
                "A facilitator may hand a question only to another group they facilitate; "
                "ask an admin to move it elsewhere."
            )
        return
    own = principal.member_id is not None and principal.member_id == current["raisedByMemberId"]
    if own and current["status"] == QuestionStatus.PROPOSED:
        # The proposer edits it while it is proposed, and may withdraw it (to `retired`).
        if changes.get("status", QuestionStatus.PROPOSED) not in (
            QuestionStatus.PROPOSED,
            WITHDRAWN,
        ):
            raise Forbidden(
                "Only an admin, or a facilitator of the owner group, may move a proposed "
                "question on; its proposer may still edit it while it is proposed, or "
                "withdraw it (status `retired`)."
            )
        return
    raise Forbidden(
        "Only an admin, a facilitator of the owner group, or the proposer (while the "
        "question is proposed) may change this question."
    )


async def update_question(
    conn: AsyncConnection,
    principal: Principal,
    question_id: uuid.UUID,
    patch: QuestionUpdate,
    expected_version: int | None,
) -> QuestionRead:
    ensure_role(principal, CONTRIBUTORS, "change learning questions")
    current = await repository.get(conn, question_id)
    check_version(current["version"], expected_version)
    changes = patch.changes()
    await _authorise_update(conn, principal, current, changes)
    _ensure_not_merged(current)
    status = current["status"]
    new_status = changes.get("status", status)
    if new_status == QuestionStatus.MERGED and status != QuestionStatus.MERGED:
        raise Conflict(
            "A question becomes merged only through POST "
            f"/v1/learning-questions/{question_id}/_merge, which names the survivor.",
            extra={
                "allowedTransitions": allowed_next(TRANSITIONS, status),
                "currentStatus": str(status),
            },
        )
    ensure_transition(KIND, TRANSITIONS, status, new_status)
    await _require_references(conn, changes)
    if changes:
        await repository.update(
            conn,
            question_id,
            current["version"],
            changes,
            from_status=status,
            from_title=current["title"],
        )
        detail: dict[str, Any] = {"fields": sorted(changes)}
        if new_status != status:
            detail["status"] = {"from": str(status), "to": str(new_status)}
        await trail.record(conn, "learning-questions-update", OBJECT, question_id, detail=detail)
        if new_status != status:
            await _notify(
                conn,
                principal,
                NotificationKind.QUESTION_STATUS_CHANGED,
                question_id,
                {
                    "title": changes.get("title", current["title"]),
                    "from": str(status),
                    "to": str(new_status),
                },
            )
    return await _read(conn, principal, question_id)


async def _notify(
    conn: AsyncConnection,
    principal: Principal,
    kind: NotificationKind,
    question_id: uuid.UUID,
    payload: dict[str, Any],
) -> None:
    """Tell the question's raiser and supporters, in the write's transaction."""
    await notifications.notify(
        conn,
        kind,
        repository.concerned(question_id, principal.member_id),
        subject_type=OBJECT,
        subject_id=question_id,
        href=f"/v1/learning-questions/{question_id}",
        payload=payload,
    )


def _unknown_target(into_id: uuid.UUID) -> InvalidInput:
    return InvalidInput(
        [InvalidParam("intoId", f"No learning question has id {into_id}.", "unknown_reference")]
    )


async def _ensure_valid_survivor(
    conn: AsyncConnection, question_id: uuid.UUID, target: QuestionRead
) -> None:
    if target["status"] != QuestionStatus.MERGED:
        return
    chain = await repository.survivor_chain(conn, target["id"])
    if question_id in chain:
        raise Conflict(
            f"Merging into {target['id']} would make a cycle: that question was itself merged "
            "(directly or through others) into this one.",
            extra={"lineage": [str(target["id"]), *(str(q) for q in chain)]},
        )
    survivor = chain[-1] if chain else target["mergedIntoId"]
    raise Conflict(
        f"Question {target['id']} is itself merged; merge into its survivor {survivor} instead.",
        extra={"survivorId": str(survivor)},
    )


async def merge_question(
    conn: AsyncConnection,
    principal: Principal,
    question_id: uuid.UUID,
    into_id: uuid.UUID,
    expected_version: int | None,
) -> QuestionRead:
    """Mark a question merged into a survivor, which then lists it in `mergedQuestionIds`."""
    ensure_role(principal, CONTRIBUTORS, "merge learning questions")
    current = await repository.get(conn, question_id)
    check_version(current["version"], expected_version)
    if not principal.is_admin:
        owner = current["ownerGroupId"]
        if owner is None or owner not in await _facilitates(conn, principal, owner):
            raise Forbidden(
                "Only an admin, or a facilitator of the question's owner group, may merge it."
            )
    if into_id == question_id:
        raise Conflict("A question cannot be merged into itself.")
    _ensure_not_merged(current)
    try:
        target = await repository.get(conn, into_id)
    except NotFound:  # an unknown id in the body is bad input (400), not a missing resource
        raise _unknown_target(into_id) from None
    await _ensure_valid_survivor(conn, question_id, target)
    await repository.update(
        conn,
        question_id,
        current["version"],
        {"status": QuestionStatus.MERGED, "merged_into_id": into_id},
        from_status=current["status"],
        from_title=current["title"],
    )
    # The survivor's representation now lists this question, so its ETag must change too.
    await repository.touch(conn, into_id, target["version"])
    await trail.record(
        conn,
        "learning-questions-merge",
        OBJECT,
        question_id,
        detail={"intoId": str(into_id), "fromStatus": str(current["status"])},
    )
    await _notify(
        conn,
        principal,
        NotificationKind.QUESTION_MERGED,
        question_id,
        {
            "title": current["title"],
            "from": str(current["status"]),
            "intoId": str(into_id),
            "intoTitle": target["title"],
        },
    )
    return await _read(conn, principal, question_id)


# --- support ("ik wil dit ook leren") -------------------------------------------------------


def _supporting_member(principal: Principal, what: str) -> uuid.UUID:
    """The member a support is given or withdrawn for: always the caller's own."""
    ensure_role(principal, CONTRIBUTORS, what)
    if principal.member_id is None:
        raise Forbidden(
            "This credential acts for no member, and only a member can support a question; "
            "use a key or token linked to your member."
        )
    return principal.member_id


async def _ensure_question(conn: AsyncConnection, question_id: uuid.UUID) -> QuestionStatus:
    status = await repository.status_of(conn, question_id)
    if status is None:
        raise NotFound(f"No learning question has id {question_id}.")
    return status


async def list_supporters(
    conn: AsyncConnection, request: Request, question_id: uuid.UUID, page: PageRequest
) -> Response:
    """One page of the question's current supporters, answered as the list route answers it."""
    await _ensure_question(conn, question_id)
    return await repository.supporter_page(conn, request, question_id, page)


async def get_own_support(
    conn: AsyncConnection, principal: Principal, question_id: uuid.UUID
) -> SupportRead:
    member_id = _supporting_member(principal, "support learning questions")
    await _ensure_question(conn, question_id)
    support = await repository.support_of(conn, question_id, member_id)
    if support is None:
        raise NotFound("You do not support this question (PUT supports it).")
    return support


async def support_question(
    conn: AsyncConnection, principal: Principal, question_id: uuid.UUID
) -> tuple[SupportRead, bool]:
    """The caller's member supports the question; True when that is new. Supporting again
    changes nothing (the same support, the same count): idempotent, as PUT is."""
    member_id = _supporting_member(principal, "support learning questions")
    await _ensure_question(conn, question_id)
    added = await repository.add_support(conn, question_id, member_id)
    if added is None:
        # Merged or retired (perhaps meanwhile): the row just inserted rolls back with the
        # request's transaction.
        current = await repository.get(conn, question_id)
        extra = {"currentStatus": str(current["status"])}
        hint = "."
        if current["mergedIntoId"] is not None:
            extra["mergedIntoId"] = str(current["mergedIntoId"])
            hint = f"; support {current['mergedIntoId']}, the question it was merged into."
        raise Conflict(
            f"This question is {current['status']} and takes no new support{hint}", extra=extra
        )
    if added:
        await trail.record(conn, SUPPORT, OBJECT, question_id, detail={"memberId": str(member_id)})
    support = await repository.support_of(conn, question_id, member_id)
    assert support is not None
    return support, added


async def withdraw_support(
    conn: AsyncConnection, principal: Principal, question_id: uuid.UUID
) -> None:
    """The caller's member no longer supports the question (the history keeps that they did).
    Withdrawing a support that is not there changes nothing, as DELETE is idempotent; a
    withdrawal is allowed whatever the question's status."""
    member_id = _supporting_member(principal, "withdraw support")
    await _ensure_question(conn, question_id)
    if await repository.withdraw_support(conn, question_id, member_id):
        await trail.record(conn, WITHDRAW, OBJECT, question_id, detail={"memberId": str(member_id)})
