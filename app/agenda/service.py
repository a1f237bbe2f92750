"""Rules of the learning agenda: one draft at a time, published revisions never change, items
name usable questions once each with ranks 1..n; and the questions scripts ask of its history."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, NoReturn

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from app.agenda import repository
from app.agenda.models import RevisionStatus
from app.agenda.schemas import (
    AgendaHistoryEntry,
    AgendaItemInput,
    AgendaItemRead,
    ChangedItem,
    QuestionAgendaHistory,
    RevisionCreate,
    RevisionDiff,
    RevisionMoment,
    RevisionRead,
    RevisionUpdate,
    StatusChange,
)
from app.audit import feed, trail
from app.core.context import Principal
from app.core.errors import Conflict, InvalidInput, InvalidParam, NotFound, PreconditionFailed
from app.core.http import check_version
from app.core.models import table_of, utcnow
from app.core.moments import parse_instant
from app.core.pagination import PageRequest
from app.core.permissions import ensure_admin
from app.core.repository import existing_ids, require_references
from app.learning_groups.models import LearningGroup
from app.learning_questions.models import QuestionStatus
from app.learning_questions.service import OBJECT as QUESTION
from app.notifications import service as notifications
from app.notifications.models import NotificationKind
from app.workshops.models import Workshop

OBJECT = feed.resource(
    "agenda-revision",
    repository.revisions,
    key="number",
    path="/agenda/revisions/{id}",
    readers=feed.COMMUNITY,
)
SORTING = repository.SORTING
UNUSABLE = frozenset({"merged", "retired"})

# --- reading -------------------------------------------------------------------------------


def _revision_with_items(row: Sequence[Any], items: list[AgendaItemRead]) -> RevisionRead:
    """The revision with its questions as they are now (no `moment`)."""
    # to_revision's summary never holds `moment`; mypy cannot know that of a TypedDict value.
    return {**repository.to_revision(row), "items": items}  # type: ignore[typeddict-item]


def _revision_at(row: Sequence[Any], items: list[AgendaItemRead], moment: datetime) -> RevisionRead:
    return {**repository.to_revision(row), "items": items, "moment": moment}


async def get_revision(conn: AsyncConnection, number: int) -> RevisionRead:
    """A revision with its items, in the caller's transaction: two statements, whatever its
    size. A published revision shows its questions as they were at its publication, so that
    what it says never changes; a draft shows them as they are now."""
    row = await repository.revision_row(conn, number)
    published_at: datetime | None = row[repository.PUBLISHED_AT]
    if published_at is None:
        return _revision_with_items(row, await repository.items_of(conn, row[0]))
    items = await repository.items_at(conn, row[0], published_at)
    return _revision_at(row, items, published_at)


async def read_revision(number: int) -> RevisionRead:
    """`get_revision` on the hot path (app/core/fastread.py)."""
    row = await repository.read_revision_row(number)
    published_at: datetime | None = row[repository.PUBLISHED_AT]
    if published_at is None:
        return _revision_with_items(row, await repository.read_items_of(row[0]))
    items = await repository.read_items_at(row[0], published_at)
    return _revision_at(row, items, published_at)


async def list_revisions(
    conn: AsyncConnection, request: Request, page: PageRequest, *, status: RevisionStatus | None
) -> Response:
    """One page of revisions (without items), answered as the list route answers it."""
    return await repository.revision_page(conn, request, status, page)


async def agenda(as_of: str | None) -> RevisionRead:
    """The agenda now, or as it was at `as_of` (a query parameter's text). Now: the revision
    in force with its questions as they are, two statements whatever its size, read on the
    hot path (and nothing more: this is the busiest read of the agenda)."""
    if as_of is not None:
        return await agenda_at(parse_instant(as_of, "asOf"))
    row = await repository.read_revision_in_force(None)
    if row is None:
        raise NotFound("No agenda revision has been published yet.")
    return _revision_with_items(row, await repository.read_items_of(row[0]))


async def agenda_at(moment: datetime) -> RevisionRead:
    """The revision in force at `moment`, its questions' titles and statuses as they were then
    (from their histories): still two statements, on the hot path."""
    row = await repository.read_revision_in_force(moment)
    if row is None:
        raise NotFound(f"No agenda revision was published yet at {moment.isoformat()}.")
    return _revision_at(row, await repository.read_items_at(row[0], moment), moment)


def _moment(row: Row[Any], now: datetime) -> datetime:
    published: datetime | None = row.published_at
    return published if published is not None else now


def _describe(row: Row[Any], moment: datetime) -> RevisionMoment:
    return {
        "number": row.number,
        "status": row.status,
        "publishedAt": row.published_at,
        "moment": moment,
    }


# The item fields a diff compares, by their keys (the order `changedFields` lists them in).
COMPARED_FIELDS: tuple[Literal["rank", "priority", "ownerGroupId", "note"], ...] = (
    "rank",
    "priority",
    "ownerGroupId",
    "note",
)


def _item_changes(old: AgendaItemRead, new: AgendaItemRead) -> ChangedItem | None:
    changed: list[str] = [field for field in COMPARED_FIELDS if old[field] != new[field]]
    if not changed:
        return None
    return {
        "questionId": new["questionId"],
        "question": new["question"],
        "changedFields": changed,
        "rank": {"old": old["rank"], "new": new["rank"]},
        "priority": {"old": old["priority"], "new": new["priority"]},
        "ownerGroupId": {"old": old["ownerGroupId"], "new": new["ownerGroupId"]},
        "ownerGroup": {"old": old["ownerGroup"], "new": new["ownerGroup"]},
        "note": {"old": old["note"], "new": new["note"]},
    }


def _statuses_at(history: Sequence[Any], moment: datetime) -> dict[uuid.UUID, QuestionStatus]:
    """Each question's last recorded status at `moment`, from its history rows (ordered by
    question, then time). The history stores a status by its value, a plain string: in JSON,
    that QuestionStatus."""
    statuses: dict[uuid.UUID, QuestionStatus] = {}
    for qid, status, changed_at in history:
        if changed_at <= moment:
            statuses[qid] = status
    return statuses


def _show_at(items: list[AgendaItemRead], statuses: dict[uuid.UUID, QuestionStatus]) -> None:
    """Each item's question with its status at its revision's moment (as it is now where no
    history reaches back that far)."""
    for item in items:
        question = item["question"]
        question["status"] = statuses.get(question["id"], question["status"])


def _status_changes(
    questions: dict[uuid.UUID, AgendaItemRead],
    at_old: dict[uuid.UUID, QuestionStatus],
    at_new: dict[uuid.UUID, QuestionStatus],
) -> list[StatusChange]:
    """`questions` maps every question of either revision to its item, in reporting order."""
    return [
        {
            "questionId": qid,
            "question": {"id": qid, "title": item["question"]["title"]},
            "title": item["question"]["title"],
            "old": at_old[qid],
            "new": at_new[qid],
        }
        for qid, item in questions.items()
        if qid in at_old and qid in at_new and at_old[qid] != at_new[qid]
    ]


async def diff_revisions(
    conn: AsyncConnection, number: int, from_number: int | None
) -> RevisionDiff:
    """What changed from revision `from_number` to revision `number`. Each side's moment is its
    publication; a draft's moment is now, since its questions can still change."""
    if from_number is None:
        raise InvalidInput(
            [
                InvalidParam(
                    "from", "Name the revision to compare with.", code="missing", where="query"
                )
            ]
        )
    rows = await repository.revisions_by_number(conn, (number, from_number))
    missing = sorted({number, from_number} - rows.keys())
    if missing:
        names = " and ".join(str(n) for n in missing)
        raise NotFound(f"There is no agenda revision {names}.")
    old_row, new_row = rows[from_number], rows[number]
    now = utcnow()
    old_moment, new_moment = _moment(old_row, now), _moment(new_row, now)
    # Titles come at each side's moment; statuses are replayed here from the one history
    # read that the status changes below need anyway.
    items = await repository.embedded_items(conn, (old_row.id, new_row.id), now)
    history = await repository.status_history(
        conn, (old_row.id, new_row.id), max(old_moment, new_moment)
    )
    old_statuses = _statuses_at(history, old_moment)
    new_statuses = _statuses_at(history, new_moment)
    _show_at(items[old_row.id], old_statuses)
    _show_at(items[new_row.id], new_statuses)

    old_items = {item["questionId"]: item for item in items[old_row.id]}
    new_items = {item["questionId"]: item for item in items[new_row.id]}
    added = [item for qid, item in new_items.items() if qid not in old_items]
    removed = [item for qid, item in old_items.items() if qid not in new_items]
    changed = [
        entry
        for qid, item in new_items.items()
        if qid in old_items and (entry := _item_changes(old_items[qid], item)) is not None
    ]
    # Status changes follow the new agenda's order, then what only the old one held.
    everyone = {
        **new_items,
        **{qid: item for qid, item in old_items.items() if qid not in new_items},
    }
    return {
        "from": _describe(old_row, old_moment),
        "to": _describe(new_row, new_moment),
        "added": added,
        "removed": removed,
        "changed": changed,
        "statusChanges": _status_changes(everyone, old_statuses, new_statuses),
    }


async def question_agenda_history(
    conn: AsyncConnection, question_id: uuid.UUID
) -> QuestionAgendaHistory:
    title = await repository.question_title(conn, question_id)
    if title is None:
        raise NotFound(f"No learning question has id {question_id}.")
    entries: list[AgendaHistoryEntry] = [
        {
            "number": row.number,
            "publishedAt": row.published_at,
            "present": row.question_id is not None,
            "title": row.title,
            "status": row.status,
            "supportCount": int(row.support_count),
            "rank": row.rank,
            "priority": row.priority,
            "ownerGroupId": row.owner_group_id,
            "ownerGroup": (
                None
                if row.owner_group_id is None
                else {"id": row.owner_group_id, "name": row.owner_group_name}
            ),
            "note": row.note,
        }
        for row in await repository.question_history(conn, question_id)
    ]
    return {
        "questionId": question_id,
        "question": {"id": question_id, "title": title},
        "items": entries,
    }


# --- writing -------------------------------------------------------------------------------


def _ensure_draft(row: Row[Any]) -> None:
    if row.status != RevisionStatus.DRAFT.value:
        raise Conflict(
            f"Revision {row.number} is published; a published revision never changes. "
            "Create a new draft instead."
        )


async def _refuse_lost_race(conn: AsyncConnection, number: int) -> NoReturn:
    """A guarded write matched no row: someone published or changed the draft meanwhile."""
    row = await repository.revision_by_number(conn, number)
    _ensure_draft(row)
    raise PreconditionFailed(
        f"Revision {number} was changed by someone else meanwhile; fetch it again and retry.",
        extra={"currentVersion": row.version},
    )


async def create_draft(
    conn: AsyncConnection,
    principal: Principal,
    data: RevisionCreate,
) -> RevisionRead:
    """The next revision, as a draft holding the latest published agenda (or nothing)."""
    ensure_admin(principal, "create agenda revisions")
    open_draft = await repository.draft_number(conn)
    if open_draft is not None:
        raise Conflict(
            f"Revision {open_draft} is already a draft; publish or delete it first.",
            extra={"draftNumber": open_draft},
        )
    await require_references(conn, {"workshopId": (table_of(Workshop), data.workshop_id)})
    number = await repository.next_number(conn)
    source = await repository.latest_published_id(conn)
    try:
        revision_id = await repository.create_revision(
            conn,
            {
                "number": number,
                "title": data.title,
                "rationale": data.rationale,
                "workshop_id": data.workshop_id,
            },
        )
    except IntegrityError:
        # Another request created the draft between our check and our insert; the unique
        # indexes (one draft, unique numbers) decided the race.
        raise Conflict(
            "Another draft was created at the same moment; there can be only one."
        ) from None
    if source is not None:
        await repository.copy_items(conn, source, revision_id)
    await trail.record(conn, "agenda-revisions-create", OBJECT, number)
    return await get_revision(conn, number)


async def update_revision(
    conn: AsyncConnection,
    principal: Principal,
    number: int,
    patch: RevisionUpdate,
    expected_version: int | None,
) -> RevisionRead:
    ensure_admin(principal, "change agenda revisions")
    row = await repository.revision_by_number(conn, number)
    _ensure_draft(row)
    check_version(row.version, expected_version)
    changes = patch.changes()
    if changes.get("workshop_id") is not None:
        await require_references(conn, {"workshopId": (table_of(Workshop), changes["workshop_id"])})
    if changes:
        if not await repository.bump_draft(conn, row.id, row.version, changes):
            await _refuse_lost_race(conn, number)
        await trail.record(
            conn, "agenda-revisions-update", OBJECT, number, detail={"fields": sorted(changes)}
        )
    return await get_revision(conn, number)


async def _validated_items(
    conn: AsyncConnection, items: Sequence[AgendaItemInput]
) -> list[dict[str, Any]]:
    """The rows to store, or a 400 naming every offending item at once."""
    count = len(items)
    ranks = [item.rank if item.rank is not None else pos + 1 for pos, item in enumerate(items)]
    rank_uses = Counter(ranks)
    states = await repository.question_states(conn, {item.question_id for item in items})
    owners = {item.owner_group_id for item in items if item.owner_group_id is not None}
    known_groups = await existing_ids(conn, table_of(LearningGroup), owners)

    params: list[InvalidParam] = []
    first_seen: dict[uuid.UUID, int] = {}
    for pos, (item, rank) in enumerate(zip(items, ranks, strict=True)):
        at = f"items[{pos}]"
        qid = item.question_id
        state = states.get(qid)
        if state is None:
            params.append(
                InvalidParam(
                    f"{at}.questionId", f"No learning question has id {qid}.", "unknown_reference"
                )
            )
        elif state.status in UNUSABLE:
            hint = (
                f"; put {state.merged_into_id} on the agenda instead"
                if state.merged_into_id is not None
                else ""
            )
            params.append(
                InvalidParam(
                    f"{at}.questionId",
                    f"Question {qid} is {state.status} and cannot be on the agenda{hint}.",
                    f"question_{state.status}",
                )
            )
        if qid in first_seen:
            params.append(
                InvalidParam(
                    f"{at}.questionId",
                    f"Question {qid} is already on the agenda as items[{first_seen[qid]}].",
                    "duplicate_question",
                )
            )
        else:
            first_seen[qid] = pos
        if not 1 <= rank <= count:
            params.append(
                InvalidParam(
                    f"{at}.rank",
                    f"Ranks run from 1 to {count} (one per item, no gaps); {rank} is outside.",
                    "rank_out_of_range",
                )
            )
        elif rank_uses[rank] > 1:
            params.append(
                InvalidParam(
                    f"{at}.rank",
                    f"Rank {rank} is given to {rank_uses[rank]} items.",
                    "duplicate_rank",
                )
            )
        if item.owner_group_id is not None and item.owner_group_id not in known_groups:
            params.append(
                InvalidParam(
                    f"{at}.ownerGroupId",
                    f"No learning group has id {item.owner_group_id}.",
                    "unknown_reference",
                )
            )
    if params:
        raise InvalidInput(params)
    return [
        {
            "question_id": item.question_id,
            "rank": rank,
            "priority": item.priority,
            "owner_group_id": item.owner_group_id,
            "note": item.note,
        }
        for item, rank in zip(items, ranks, strict=True)
    ]


async def replace_items(
    conn: AsyncConnection,
    principal: Principal,
    number: int,
    items: Sequence[AgendaItemInput],
    expected_version: int | None,
) -> RevisionRead:
    ensure_admin(principal, "change agenda revisions")
    row = await repository.revision_by_number(conn, number)
    _ensure_draft(row)
    check_version(row.version, expected_version)
    rows = await _validated_items(conn, items)
    if not await repository.bump_draft(conn, row.id, row.version, {}):
        await _refuse_lost_race(conn, number)
    await repository.replace_items(conn, row.id, rows)
    await trail.record(
        conn, "agenda-revisions-items-update", OBJECT, number, detail={"itemCount": len(rows)}
    )
    return await get_revision(conn, number)


async def publish_revision(
    conn: AsyncConnection,
    principal: Principal,
    number: int,
    expected_version: int | None,
) -> RevisionRead:
    """A publication is dated by the server's clock."""
    ensure_admin(principal, "publish agenda revisions")
    row = await repository.revision_by_number(conn, number)
    if row.status != RevisionStatus.DRAFT.value:
        raise Conflict(
            f"Revision {number} was already published at {row.published_at.isoformat()}; "
            "a published revision never changes."
        )
    check_version(row.version, expected_version)
    unusable = await repository.unusable_items(conn, row.id)
    if unusable:
        listed = ", ".join(f"rank {u.rank} ({u.question_id}, {u.status})" for u in unusable)
        raise Conflict(
            f"Revision {number} holds questions that were merged or retired since: {listed}. "
            "Replace its items first.",
            extra={"unusableQuestionIds": [str(u.question_id) for u in unusable]},
        )
    published_at = utcnow()
    previous = await repository.latest_publication(conn)
    if previous is not None and published_at <= previous:
        # Clocks of different machines may disagree; as-of needs publications in order.
        published_at = previous + timedelta(microseconds=1)
    values = {
        "status": RevisionStatus.PUBLISHED.value,
        "published_at": published_at,
        "published_by": principal.name,
    }
    if not await repository.bump_draft(conn, row.id, row.version, values):
        await _refuse_lost_race(conn, number)
    await trail.record(conn, "agenda-revisions-publish", OBJECT, number)
    revision = await get_revision(conn, number)
    await notifications.notify(
        conn,
        NotificationKind.AGENDA_REVISION_PUBLISHED,
        repository.everyone(),
        subject_type=OBJECT,
        subject_id=number,
        href=f"/v1/agenda/revisions/{number}",
        payload={"number": number, "itemCount": len(revision["items"])},
    )
    # And whom it concerns more: the raisers and supporters of the questions it put on the
    # agenda or took off it (compared with the revision published before), one statement each.
    for kind, on in (
        (NotificationKind.QUESTION_ON_AGENDA, True),
        (NotificationKind.QUESTION_OFF_AGENDA, False),
    ):
        await notifications.notify_each(
            conn,
            kind,
            repository.agenda_moves(row.id, number, principal.member_id, on=on),
            subject_type=QUESTION,
            href_prefix="/v1/learning-questions/",
            fixed={"number": number},
        )
    return revision


async def delete_draft(
    conn: AsyncConnection, principal: Principal, number: int, expected_version: int | None
) -> None:
    ensure_admin(principal, "delete agenda drafts")
    row = await repository.revision_by_number(conn, number)
    _ensure_draft(row)
    check_version(row.version, expected_version)
    if not await repository.delete_revision(conn, row.id, row.version):
        await _refuse_lost_race(conn, number)
    await trail.record(conn, "agenda-revisions-delete", OBJECT, number)
