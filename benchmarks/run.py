"""`make bench`: the API on Postgres under wrk, measured against a bare FastAPI endpoint.

Creates a throw-away database, migrates it, loads members and departments, serves the API and
the bare app (2 uvicorn workers each, loopback only), drives every scenario with wrk and writes
benchmarks/results.json. Exit status: 0 when every scenario was measured (a missed target is
reported, not fatal), 1 when a scenario could not be measured, 2 when the harness could not run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from benchmarks import bare, ceiling, idiomatic

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
DEFAULT_OUTPUT = ROOT / "benchmarks" / "results.json"
HOST = "127.0.0.1"  # everything stays on loopback
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
WRK_MARK = "BENCH_JSON "


class HarnessError(Exception):
    """The harness itself could not do its work (as opposed to a slow endpoint)."""


def emit(result: dict[str, Any], output: Path | None) -> None:
    """A benchmark's result as JSON: printed, and written to `output` when one is given."""
    text = json.dumps(result, indent=2)
    print(text)
    if output is not None:
        output.write_text(text + "\n")


# --------------------------------------------------------------------------- scenarios


@dataclass
class Fixture:
    """What the benchmark database holds; scenarios build their request paths from it."""

    api_key: str
    department_ids: list[uuid.UUID]
    member_ids: list[uuid.UUID]
    # Scenarios that load their own data (a learning group, an agenda revision) keep ids here.
    extra: dict[str, Any] = field(default_factory=dict)


Check = Callable[[Any], str | None]
Prepare = Callable[[AsyncConnection, Fixture], Awaitable[None]]


@dataclass(frozen=True)
class Scenario:
    """One wrk run. `paths` gives one path, or several that wrk cycles through.

    `target` is the minimum share of the bare endpoint's requests/s; `check` looks at one
    decoded answer before the load starts and names what is wrong with it; `prepare` loads
    extra rows into the benchmark database (in the loading transaction) before any server
    starts."""

    name: str
    server: str  # "api", "bare", "ceiling" or "idiomatic"
    paths: Callable[[Fixture], list[str]]
    target: float | None = None
    check: Check | None = None
    prepare: Prepare | None = None
    description: str = ""
    calibration: bool = False  # runs only with --ceiling
    # The scenario of benchmarks/idiomatic.py doing the same work: the result also reports
    # `ratioToIdiomatic`, this scenario's requests/s over that one's (median of the rounds).
    idiomatic: str | None = None
    # The API key its requests carry, when not the admin key (a key bound to a member, for
    # the routes about oneself); `prepare` issues it and stores it in the fixture.
    key: Callable[[Fixture], str] | None = None


def _check_member_list(body: Any) -> str | None:
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or len(items) != 50:
        return "expected a page of 50 items"
    if any(not (item.get("department") or {}).get("code") for item in items):
        return "every item should embed its department's code and name"
    return None


def _check_member(body: Any) -> str | None:
    if not isinstance(body, dict) or "id" not in body or "version" not in body:
        return "expected a member with id and version"
    if not (body.get("department") or {}).get("name"):
        return "the member should embed its department"
    return None


async def _prepare_group(conn: AsyncConnection, fixture: Fixture) -> None:
    """A learning group of 40 current members, built through the services."""
    from app.core.context import SYSTEM
    from app.learning_groups.schemas import GroupCreate, MembershipCreate
    from app.learning_groups.service import create_group, join_group
    from app.themes.schemas import ThemeCreate
    from app.themes.service import create_theme

    theme = await create_theme(
        conn,
        SYSTEM,
        ThemeCreate.model_validate(
            {"name": "De gemeente als organisatie", "transitionRole": "verbinder"}
        ),
    )
    group = await create_group(
        conn,
        SYSTEM,
        GroupCreate.model_validate(
            {"name": "Circulair inkopen", "themeId": str(theme["id"]), "mode": "self_directed"}
        ),
    )
    from sqlalchemy import select

    from app.members.models import Member

    active = await conn.execute(
        select(Member.id).where(Member.status == "active").order_by(Member.id).limit(40)
    )
    for index, member_id in enumerate(row.id for row in active.all()):
        role = "lead" if index == 0 else "member"
        await join_group(
            conn,
            SYSTEM,
            group["id"],
            MembershipCreate.model_validate({"memberId": str(member_id), "role": role}),
        )
    fixture.extra["group_id"] = group["id"]
    fixture.extra["theme_id"] = theme["id"]


async def _prepare_agenda(conn: AsyncConnection, fixture: Fixture) -> None:
    """A published agenda revision of 60 learning questions."""
    from app.agenda.schemas import AgendaItemInput, RevisionCreate
    from app.agenda.service import create_draft, publish_revision, replace_items
    from app.core.context import SYSTEM
    from app.core.models import utcnow
    from app.learning_questions.schemas import QuestionCreate, QuestionUpdate
    from app.learning_questions.service import create_question, update_question

    if "theme_id" not in fixture.extra:
        await _prepare_group(conn, fixture)
    question_ids = []
    for index in range(60):
        question = await create_question(
            conn,
            SYSTEM,
            QuestionCreate.model_validate(
                {
                    "title": f"Leervraag {index + 1}: hoe maken we dit circulair?",
                    "themeId": str(fixture.extra["theme_id"]),
                    "ownerGroupId": str(fixture.extra["group_id"]),
                    "status": "open",
                }
            ),
        )
        question_ids.append(question["id"])
    draft = await create_draft(conn, SYSTEM, RevisionCreate.model_validate({"title": "Bench"}))
    items = [
        AgendaItemInput.model_validate(
            {
                "questionId": str(question_id),
                "rank": rank,
                "priority": ("high", "medium", "low")[rank % 3],
                "ownerGroupId": str(fixture.extra["group_id"]),
            }
        )
        for rank, question_id in enumerate(question_ids, start=1)
    ]
    await replace_items(conn, SYSTEM, draft["number"], items, None)
    await publish_revision(conn, SYSTEM, draft["number"], None)
    # The agenda as of a moment after publication, before a third of its questions moved on
    # and were renamed: `agenda-as-of` shows them as they were, from their histories.
    fixture.extra["agenda_as_of"] = utcnow().isoformat().replace("+00:00", "Z")
    for question_id in question_ids[::3]:
        await update_question(
            conn,
            SYSTEM,
            question_id,
            QuestionUpdate.model_validate({"status": "exploring", "title": "Hernoemd"}),
            None,
        )


async def _prepare_agenda_as_of(conn: AsyncConnection, fixture: Fixture) -> None:
    if "agenda_as_of" not in fixture.extra:
        await _prepare_agenda(conn, fixture)


CHANGES_BEFORE = 1_000  # the feed page starts after this many changes


async def _prepare_changes(conn: AsyncConnection, fixture: Fixture) -> None:
    """The change rows a sync of every member writes (one `created` per member, through the
    trail's own bulk writer, COPY on Postgres), beside a refused write now and then (an audit
    event that is no change, as a live trail holds); and the feed position after the first
    CHANGES_BEFORE changes, so each request reads a full page of 100 from the same place."""
    from sqlalchemy import select

    from app.audit import trail
    from app.audit.models import AuditEvent
    from app.changes.service import _position
    from app.core.context import SYSTEM
    from app.core.models import table_of

    events = table_of(AuditEvent)
    for start in range(0, len(fixture.member_ids), 500):
        chunk = fixture.member_ids[start : start + 500]
        await trail.record_changes(
            conn,
            "member-syncs-create",
            "member",
            [(member_id, "created", 1) for member_id in chunk],
            principal=SYSTEM,
        )
        # A refusal: an event of the trail that the feed skips.
        await trail.record(
            conn, "members-update", "member", chunk[0], result="denied", status_code=403
        )
    row = (
        await conn.execute(
            select(events.c.id, events.c.txid, events.c.occurred_at)
            .where(events.c.change.is_not(None))
            .order_by(events.c.txid, events.c.id)
            .offset(CHANGES_BEFORE - 1)
            .limit(1)
        )
    ).one()
    fixture.extra["changes_after"] = _position(row.txid, row.id, row.occurred_at)


def _check_changes(body: Any) -> str | None:
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or len(items) != 100:
        return "expected a full page of 100 changes"
    if any(item.get("type") != "member" or item.get("change") != "created" for item in items):
        return "expected the sync's member changes"
    if not body.get("next") or not body.get("resume"):
        return "a full page has a next page and a resume position"
    return None


THREAD_TOP_LEVEL = 20  # a thread of 50 comments: 20 top-level ones, 30 replies


async def _prepare_thread(conn: AsyncConnection, fixture: Fixture) -> None:
    """A learning question with a thread of 50 comments by 50 members, a minute apart: 20
    top-level comments, the first 10 with one reply and the others with two. Written through
    the repository (the service's rate limit reads the settings of a configured app)."""
    from datetime import timedelta

    from app.comments import repository as comments
    from app.comments.models import CommentFormat, ThreadType
    from app.core.context import SYSTEM
    from app.core.models import clock_at, utcnow
    from app.learning_questions.schemas import QuestionCreate
    from app.learning_questions.service import create_question

    question = await create_question(
        conn,
        SYSTEM,
        QuestionCreate.model_validate({"title": "Hoe maken we inkoop circulair?"}),
    )
    start = utcnow() - timedelta(days=1)
    authors = iter(fixture.member_ids[:50])
    minute = 0

    async def write(parent_id: uuid.UUID | None, text: str) -> uuid.UUID:
        nonlocal minute
        minute += 1
        with clock_at(start + timedelta(minutes=minute)):
            return await comments.create(
                conn,
                {
                    "thread_type": ThreadType.LEARNING_QUESTION,
                    "thread_id": question["id"],
                    "parent_id": parent_id,
                    "author_member_id": next(authors),
                    "body": text,
                    "format": CommentFormat.MARKDOWN if minute % 2 else CommentFormat.PLAIN,
                },
            )

    for index in range(THREAD_TOP_LEVEL):
        top = await write(None, f"Bijdrage {index + 1}: zo doen wij het bij ons stadsdeel.")
        for reply in range(1 if index < 10 else 2):
            await write(top, f"Reactie {reply + 1}: goed idee, wij proberen het ook.")
    fixture.extra["thread_question_id"] = question["id"]


def _check_thread(body: Any) -> str | None:
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or len(items) != THREAD_TOP_LEVEL:
        return f"expected the thread's {THREAD_TOP_LEVEL} top-level comments"
    if sum(1 + len(item.get("replies") or []) for item in items) != 50:
        return "expected 50 comments in all, replies embedded"
    if any(not (item.get("author") or {}).get("displayName") for item in items):
        return "every comment should embed its author's name"
    return None


ME_GROUPS = 3  # the member of `me`: in 3 groups, signed up for 2 werkplaatsen ahead (and 1
ME_AHEAD = 2  # past), raised 4 questions (3 open) and supports 2 others,
ME_NOTIFICATIONS = 60  # with 60 notifications of every kind, 7 of them unread.
ME_UNREAD = 7


async def _prepare_me(conn: AsyncConnection, fixture: Fixture) -> None:
    """One member as a member of the community would be, built through the services, with an
    API key bound to them: their groups (each with its theme), werkplaatsen, questions raised
    and supported, and an inbox of notifications (`notify`, the services' own fan-out, with a
    recipients query naming them), most of them read."""
    from sqlalchemy import select

    from app.auth.service import issue_key
    from app.core.context import SYSTEM, Principal
    from app.core.models import utcnow
    from app.core.permissions import Role
    from app.learning_groups.schemas import GroupCreate, MembershipCreate
    from app.learning_groups.service import create_group, join_group
    from app.learning_questions.schemas import QuestionCreate, QuestionUpdate
    from app.learning_questions.service import (
        create_question,
        support_question,
        update_question,
    )
    from app.members.models import Member
    from app.notifications import repository as inbox
    from app.notifications.models import NotificationKind
    from app.notifications.service import notify
    from app.themes.models import Theme
    from app.themes.schemas import ThemeCreate
    from app.themes.service import create_theme
    from app.workshops.schemas import AttendeeCreate, WorkshopCreate
    from app.workshops.service import add_attendee, create_workshop, sign_up

    member_id = (
        await conn.execute(
            select(Member.id).where(Member.status == "active").order_by(Member.id.desc()).limit(1)
        )
    ).scalar_one()
    me = Principal(key_id=None, role=Role.MEMBER.value, name="bench member", member_id=member_id)
    roles = ("verbinder", "coalitiebouwer", "gebiedsmakelaar")
    group_ids = []
    for index in range(ME_GROUPS):
        # One theme per transition role: the one an earlier scenario made, or a new one.
        theme_id = (
            await conn.execute(select(Theme.id).where(Theme.transition_role == roles[index]))
        ).scalar_one_or_none()
        if theme_id is None:
            theme = await create_theme(
                conn,
                SYSTEM,
                ThemeCreate.model_validate(
                    {"name": f"Thema {index + 1}", "transitionRole": roles[index]}
                ),
            )
            theme_id = theme["id"]
        group = await create_group(
            conn,
            SYSTEM,
            GroupCreate.model_validate(
                {
                    "name": f"Leergroep {index + 1}: circulair werken",
                    "themeId": str(theme_id),
                    "mode": "self_directed",
                }
            ),
        )
        await join_group(
            conn,
            SYSTEM,
            group["id"],
            MembershipCreate.model_validate(
                {"memberId": str(member_id), "role": "lead" if index == 0 else "member"}
            ),
        )
        group_ids.append(group["id"])
    now = utcnow()
    for days in (-30, *(14 * (n + 1) for n in range(ME_AHEAD))):
        workshop = await create_workshop(
            conn,
            SYSTEM,
            WorkshopCreate.model_validate(
                {
                    "title": f"Werkplaats over {days} dagen",
                    "startsAt": (now + timedelta(days=days)).isoformat(),
                    "location": "Stadhuis, Amstel 1",
                }
            ),
        )
        if days < 0:
            # One that has begun: they were there, and it is not among those ahead.
            await add_attendee(
                conn,
                SYSTEM,
                workshop["id"],
                AttendeeCreate.model_validate({"memberId": str(member_id)}),
            )
        else:
            await sign_up(conn, me, workshop["id"])
    raised = []
    for index in range(4):
        question = await create_question(
            conn,
            me,
            QuestionCreate.model_validate(
                {"title": f"Mijn vraag {index + 1}: hoe pakken we dit aan?"}
            ),
        )
        raised.append(question["id"])
    await update_question(
        conn, SYSTEM, raised[0], QuestionUpdate.model_validate({"status": "retired"}), None
    )
    for index in range(2):
        other = await create_question(
            conn, SYSTEM, QuestionCreate.model_validate({"title": f"Andermans vraag {index + 1}"})
        )
        await support_question(conn, me, other["id"])
    recipients = select(Member.id).where(Member.id == member_id)
    kinds = list(NotificationKind)
    for index in range(ME_NOTIFICATIONS):
        kind = kinds[index % len(kinds)]
        group_id = group_ids[index % ME_GROUPS]
        await notify(
            conn,
            kind,
            recipients,
            subject_type="learning-group",
            subject_id=group_id,
            href=f"/v1/learning-groups/{group_id}",
            payload={"name": f"Leergroep {index % ME_GROUPS + 1}: circulair werken"},
        )
    await inbox.mark_read(conn, member_id, None, utcnow())
    # The latest ME_UNREAD unread again, as if they came after the member last looked.
    await conn.execute(
        text(
            "UPDATE notifications SET read_at = NULL WHERE id IN (SELECT id FROM notifications "
            "WHERE member_id = :member ORDER BY id DESC LIMIT :n)"
        ),
        {"member": member_id, "n": ME_UNREAD},
    )
    key = await issue_key(
        conn, SYSTEM, name="benchmark member", role=Role.MEMBER, member_id=member_id
    )
    fixture.extra["me_key"] = str(key["key"])
    fixture.extra["me_id"] = str(member_id)


async def _prepare_inbox(conn: AsyncConnection, fixture: Fixture) -> None:
    if "me_key" not in fixture.extra:
        await _prepare_me(conn, fixture)


def _check_me(body: Any) -> str | None:
    if not isinstance(body, dict) or not body.get("id") or "version" not in body:
        return "expected the caller's member"
    groups = body.get("learningGroups") or []
    if len(groups) != ME_GROUPS or any(not (g.get("theme") or {}).get("name") for g in groups):
        return f"expected their {ME_GROUPS} groups, each with its theme's name"
    if len(body.get("upcomingWorkshops") or []) != ME_AHEAD:
        return f"expected the {ME_AHEAD} werkplaatsen ahead they signed up for"
    counts = body.get("counts") or {}
    expected = {"openLearningQuestions": 3, "supportedLearningQuestions": 2}
    expected["unreadNotifications"] = ME_UNREAD
    if any(counts.get(name) != value for name, value in expected.items()):
        return f"expected the counts {expected}, got {counts}"
    return None


def _check_notifications(body: Any) -> str | None:
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or len(items) != 50:
        return "expected a full page of 50 notifications"
    ids = [item.get("id") for item in items]
    if ids != sorted(ids, reverse=True) or not body.get("next"):
        return "expected the newest 50 first, and a next page"
    if sum(item.get("readAt") is None for item in items) != ME_UNREAD:
        return f"expected {ME_UNREAD} of them unread"
    return None


def _check_group(body: Any) -> str | None:
    if not isinstance(body, dict) or len(body.get("members") or []) != 40:
        return "expected a group embedding its 40 current members"
    return None


def _check_agenda(body: Any) -> str | None:
    if not isinstance(body, dict) or len(body.get("items") or []) != 60:
        return "expected the current agenda with 60 items"
    return None


def _check_agenda_as_of(body: Any) -> str | None:
    problem = _check_agenda(body)
    if problem is not None:
        return problem
    questions = [item.get("question") or {} for item in body["items"]]
    if any(q.get("title") == "Hernoemd" or q.get("status") != "open" for q in questions):
        return "expected every question as it was at asOf (open, its first title)"
    return None


def _check_bare(body: Any) -> str | None:
    return None if isinstance(body, dict) and body.get("status") == "ok" else "unexpected body"


# The bare scenario runs first: every other one is reported as a share of it.
SCENARIOS: list[Scenario] = [
    Scenario(
        name="bare",
        server="bare",
        paths=lambda fx: [bare.PATH],
        check=_check_bare,
        description="FastAPI endpoint returning a small fixed object",
    ),
    Scenario(
        name="members-list",
        server="api",
        paths=lambda fx: ["/v1/members?pageSize=50"],
        target=0.15,
        check=_check_member_list,
        description="GET /v1/members?pageSize=50",
        idiomatic="idiomatic-list",
    ),
    Scenario(
        name="members-get",
        server="api",
        # A thousand different members, so the answer is not one hot row.
        paths=lambda fx: [f"/v1/members/{member_id}" for member_id in fx.member_ids[:1000]],
        target=0.20,
        check=_check_member,
        description="GET /v1/members/{id}",
        idiomatic="idiomatic-get",
    ),
    Scenario(
        name="learning-group-get",
        server="api",
        paths=lambda fx: [f"/v1/learning-groups/{fx.extra['group_id']}"],
        target=0.10,
        check=_check_group,
        prepare=_prepare_group,
        description="GET /v1/learning-groups/{id}, a group of 40 members",
    ),
    Scenario(
        name="agenda-get",
        server="api",
        paths=lambda fx: ["/v1/agenda"],
        target=0.10,
        check=_check_agenda,
        prepare=_prepare_agenda,
        description="GET /v1/agenda, a revision of 60 items",
    ),
    Scenario(
        name="agenda-as-of",
        server="api",
        paths=lambda fx: [f"/v1/agenda?asOf={fx.extra['agenda_as_of']}"],
        target=0.08,
        check=_check_agenda_as_of,
        prepare=_prepare_agenda_as_of,
        description="GET /v1/agenda?asOf=…, the same revision with 20 questions as they were",
    ),
    Scenario(
        name="changes-page",
        server="api",
        paths=lambda fx: [f"/v1/changes?pageSize=100&after={fx.extra['changes_after']}"],
        target=0.12,
        check=_check_changes,
        prepare=_prepare_changes,
        description="GET /v1/changes?pageSize=100, a full page from a fixed position",
    ),
    Scenario(
        name="comments-thread",
        server="api",
        paths=lambda fx: [
            f"/v1/learning-questions/{fx.extra['thread_question_id']}/comments?pageSize=50"
        ],
        target=0.12,
        check=_check_thread,
        prepare=_prepare_thread,
        description="GET /v1/learning-questions/{id}/comments?pageSize=50, a thread of 50",
    ),
    Scenario(
        name="me",
        server="api",
        paths=lambda fx: ["/v1/me"],
        target=0.15,
        check=_check_me,
        prepare=_prepare_me,
        key=lambda fx: str(fx.extra["me_key"]),
        description="GET /v1/me: a member in 3 groups, 2 werkplaatsen ahead, 7 unread",
    ),
    Scenario(
        name="notifications-page",
        server="api",
        paths=lambda fx: ["/v1/me/notifications?pageSize=50"],
        target=0.12,
        check=_check_notifications,
        prepare=_prepare_inbox,
        key=lambda fx: str(fx.extra["me_key"]),
        description="GET /v1/me/notifications?pageSize=50, the newest 50 of 60",
    ),
    # The reference: the same two endpoints as a typical team writes them (ORM, eager loads,
    # Pydantic response models; benchmarks/idiomatic.py), same URLs, auth and JSON.
    Scenario(
        name="idiomatic-list",
        server="idiomatic",
        paths=lambda fx: [idiomatic.LIST_PATH + "?pageSize=50"],
        check=_check_member_list,
        description="idiomatic ORM + response_model, GET /v1/members?pageSize=50",
    ),
    Scenario(
        name="idiomatic-get",
        server="idiomatic",
        paths=lambda fx: [
            idiomatic.GET_PATH.format(memberId=member_id) for member_id in fx.member_ids[:1000]
        ],
        check=_check_member,
        description="idiomatic ORM + response_model, GET /v1/members/{id}",
    ),
    # Calibration: the same queries without the app around them (benchmarks/ceiling.py).
    Scenario(
        name="ceiling-list",
        server="ceiling",
        paths=lambda fx: [ceiling.LIST_PATH + "?pageSize=50"],
        check=_check_member_list,
        description="raw asyncpg on bare FastAPI, the members-list query",
        calibration=True,
    ),
    Scenario(
        name="ceiling-get",
        server="ceiling",
        paths=lambda fx: [
            ceiling.GET_PATH.format(member_id=member_id) for member_id in fx.member_ids[:1000]
        ],
        check=_check_member,
        description="raw asyncpg on bare FastAPI, the members-get query",
        calibration=True,
    ),
    Scenario(
        name="ceiling-me",
        server="ceiling",
        paths=lambda fx: [ceiling.ME_PATH.format(member_id=fx.extra["me_id"])],
        check=_check_me,  # its data comes with the `me` scenario's
        description="raw asyncpg on bare FastAPI, GET /v1/me's three statements",
        calibration=True,
    ),
    Scenario(
        name="ceiling-thread",
        server="ceiling",
        paths=lambda fx: [
            ceiling.THREAD_PATH.format(question_id=fx.extra["thread_question_id"]) + "?pageSize=50"
        ],
        check=_check_thread,  # its data comes with the `comments-thread` scenario's
        description="raw asyncpg on bare FastAPI, a thread of 50's two statements",
        calibration=True,
    ),
]


# --------------------------------------------------------------------------- database


def _admin_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL") or DEFAULT_ADMIN_URL


async def _admin_fetch(sql: str) -> list[Any]:
    import asyncpg

    url = make_url(_admin_url())
    conn = await asyncpg.connect(
        host=url.host or HOST,
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        database=url.database or "postgres",
        timeout=10,
    )
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


@contextlib.contextmanager
def bench_database(keep: bool) -> Iterator[str]:
    """A fresh database for this run, dropped afterwards (also after an error or Ctrl-C)."""
    name = f"lg_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        asyncio.run(_admin_fetch(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        raise HarnessError(f"cannot create a database at {_admin_url()}: {exc}") from exc
    url = make_url(_admin_url()).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        if keep:
            print(f"kept database {name}")
        else:
            with contextlib.suppress(Exception):
                asyncio.run(_admin_fetch(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


GIVEN = [
    "Anouk",
    "Bram",
    "Chantal",
    "Daan",
    "Esra",
    "Fleur",
    "Gijs",
    "Hamza",
    "Iris",
    "Jelle",
    "Kim",
    "Lotte",
    "Mees",
    "Noor",
    "Omar",
    "Pien",
    "Quinten",
    "Rosa",
    "Sem",
    "Tess",
    "Umut",
    "Vera",
    "Wouter",
    "Yara",
    "Zeynep",
]
FAMILY = [
    "de Vries",
    "Jansen",
    "van Dijk",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
    "de Wit",
    "Dijkstra",
    "Smits",
    "de Graaf",
    "van der Meer",
    "Kaya",
    "Yilmaz",
    "El Amrani",
    "Bouzid",
    "Koster",
    "Prins",
    "Huisman",
    "Kuipers",
]
UNITS = [
    "Ruimte en Duurzaamheid",
    "Grond en Ontwikkeling",
    "Economische Zaken",
    "Afval en Grondstoffen",
    "Verkeer en Openbare Ruimte",
    "Wonen",
    "Inkoop",
    "Sociaal Domein",
    "Onderwijs",
    "Informatievoorziening",
]


def bench_rows(members: int, departments: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The department and member rows of a benchmark database, by column: the same on every
    run (fixed seed) except the ids and timestamps."""
    from app.members import rules

    rng = random.Random(20261128)  # the same data every run
    now = datetime.now(UTC)
    department_ids = [uuid.uuid4() for _ in range(departments)]
    department_rows = [
        {
            "id": dept_id,
            "code": f"BENCH-{n + 1:02d}",
            "name": f"{UNITS[n % len(UNITS)]} {n // len(UNITS) + 1}",
            "kind": "afdeling",
            "parent_id": None,
            "active": True,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for n, dept_id in enumerate(department_ids)
    ]
    member_ids = [uuid.uuid4() for _ in range(members)]
    member_rows = []
    for n, member_id in enumerate(member_ids):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        email = f"{given}.{family.replace(' ', '')}.{n}@amsterdam.example".lower()
        joined = now - timedelta(days=rng.randrange(730), minutes=rng.randrange(1440))
        member_rows.append(
            {
                "id": member_id,
                "external_id": f"HR{n:06d}",
                "email": email,
                "email_key": email,
                "given_name": given,
                "family_name": family,
                "display_name": f"{given} {family}",
                **rules.keys(
                    given_name=given,
                    family_name=family,
                    display_name=f"{given} {family}",
                    email=email,
                ),
                "department_id": rng.choice(department_ids),
                "organisation_id": None,
                "participation": "participant" if rng.random() < 0.43 else "follower",
                "status": "active" if rng.random() < 0.97 else "inactive",
                "transition_roles": rng.sample(
                    ["verbinder", "coalitiebouwer", "gebiedsmakelaar"], rng.randrange(3)
                ),
                "discipline": None,
                "source": "manual",
                "joined_at": joined,
                "deactivated_at": None,
                "version": 1,
                "created_at": joined,
                "updated_at": joined,
            }
        )

    return department_rows, member_rows


async def load_data(url: str, members: int, departments: int) -> Fixture:
    """Departments and members by bulk Core inserts (seeding through the API would take
    minutes), an admin key through the service, then ANALYZE so plans match a live system."""
    from app.auth.service import issue_key
    from app.core.context import SYSTEM
    from app.core.models import table_of
    from app.core.permissions import Role
    from app.departments.models import Department
    from app.members.models import Member

    department_rows, member_rows = bench_rows(members, departments)
    department_ids = [row["id"] for row in department_rows]
    member_ids = [row["id"] for row in member_rows]
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(table_of(Department)), department_rows)
            await conn.execute(insert(table_of(Member)), member_rows)
            key = await issue_key(conn, SYSTEM, name="benchmark", role=Role.ADMIN)
            fixture = Fixture(
                api_key=str(key["key"]), department_ids=department_ids, member_ids=member_ids
            )
            for scenario in SCENARIOS:
                if scenario.prepare is not None:
                    await scenario.prepare(conn, fixture)
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()
    return fixture


async def _server_version(url: str) -> str | None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return str((await conn.execute(text("SHOW server_version"))).scalar_one())
    except Exception:
        return None
    finally:
        await engine.dispose()


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class Server:
    """A uvicorn process group on loopback; stopped (group-wide, by its own id) on exit."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        port: int,
        ready_path: str,
        logs: Path,
    ) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.port = port
        self.ready_path = ready_path
        self.log_path = logs / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> Server:
        log = self.log_path.open("wb")
        # A session of its own: the workers can be stopped together, and a Ctrl-C in the
        # terminal reaches only this harness, which then stops them in order.
        self.process = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise HarnessError(
                        f"{self.name} server exited with {self.process.returncode}:\n"
                        + self.log_tail()
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(self.base_url + self.ready_path).status_code == 200:
                        return
                time.sleep(0.2)
        raise HarnessError(
            f"{self.name} server not ready after {timeout:.0f} s:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, STOP_TIMEOUT_S), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            try:
                process.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        # Workers that outlived their parent still carry its group id.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def api_server(database_url: str, workers: int, logs: Path) -> Server:
    port = free_port()
    script = Path(sys.executable).parent / "leergemeenschap"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]
    argv = [
        *command,
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
    ]
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    return Server("api", argv, env, port, "/v1/health/ready", logs)


def ceiling_server(database_url: str, workers: int, logs: Path) -> Server:
    port = free_port()
    argv = [sys.executable, "-m", "benchmarks.ceiling", "--host", HOST, "--port", str(port)]
    argv += ["--workers", str(workers)]
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    env = {**os.environ, "CEILING_DSN": dsn, "PYTHONUNBUFFERED": "1"}
    return Server("ceiling", argv, env, port, ceiling.LIST_PATH + "?pageSize=1", logs)


def idiomatic_server(database_url: str, workers: int, logs: Path) -> Server:
    port = free_port()
    argv = [sys.executable, "-m", "benchmarks.idiomatic", "--host", HOST, "--port", str(port)]
    argv += ["--workers", str(workers)]
    env = {**os.environ, "IDIOMATIC_DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    return Server("idiomatic", argv, env, port, idiomatic.READY_PATH, logs)


def bare_server(workers: int, logs: Path) -> Server:
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "benchmarks.bare",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    return Server("bare", argv, {**os.environ, "PYTHONUNBUFFERED": "1"}, port, bare.PATH, logs)


# --------------------------------------------------------------------------- wrk


@dataclass
class Load:
    connections: int
    threads: int
    duration: float
    warmup: float


def _lua_string(value: str) -> str:
    # A JSON string of printable ASCII is also a valid Lua string literal.
    if not value.isascii() or not value.isprintable():
        raise HarnessError(f"cannot pass {value!r} to wrk")
    return json.dumps(value)


def wrk_script(paths: list[str], headers: dict[str, str]) -> str:
    """Headers, the paths to cycle through, and a `done` hook that prints exact figures
    (microseconds) as one JSON line, so nothing depends on wrk's rounded text output."""
    lines = [f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()]
    if len(paths) > 1:
        # Only define `request` when cycling: without it wrk reuses one prepared request.
        lines += [
            "local paths = {" + ", ".join(_lua_string(p) for p in paths) + "}",
            "local n = 0",
            "function init(args) n = math.random(#paths) end",
            "function request()",
            "  n = n % #paths + 1",
            "  return wrk.format(nil, paths[n])",
            "end",
        ]
    lines += [
        "function done(summary, latency, requests)",
        "  local e = summary.errors",
        "  io.write(string.format('" + WRK_MARK + '{"requests":%d,"durationUs":%d,'
        '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,'
        '"p50":%.1f,"p90":%.1f,"p99":%.1f,"max":%.1f,"mean":%.1f}\\n\',',
        "    summary.requests, summary.duration, e.connect, e.read, e.write, e.status,",
        "    e.timeout, latency:percentile(50), latency:percentile(90),",
        "    latency:percentile(99), latency.max, latency.mean))",
        "end",
    ]
    return "\n".join(lines) + "\n"


def _cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time of these processes (those gone meanwhile count as 0)."""
    ticks = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            # Fields after the parenthesised command name; utime and stime are 14 and 15.
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def group_pids(pgid: int) -> list[int]:
    """The processes of one process group: a server's supervisor and its workers."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == pgid:
                    pids.append(int(entry.name))
    return pids


def run_wrk(url: str, script: Path, load: Load, duration: float) -> dict[str, Any]:
    argv = [
        "wrk",
        f"--threads={load.threads}",
        f"--connections={load.connections}",
        f"--duration={max(1, round(duration))}s",
        "--timeout=5s",
        "--latency",
        f"--script={script}",
        url,
    ]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=duration + 30, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise HarnessError(f"wrk did not finish within {duration + 30:.0f} s") from exc
    figures = next(
        (line[len(WRK_MARK) :] for line in done.stdout.splitlines() if line.startswith(WRK_MARK)),
        None,
    )
    if done.returncode != 0 or figures is None:
        raise HarnessError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    result: dict[str, Any] = json.loads(figures)
    result["text"] = done.stdout.split(WRK_MARK)[0].rstrip()
    return result


# --------------------------------------------------------------------------- measuring


def _instants(value: Any) -> Any:
    """The answer with its date-times as instants: the API writes `+00:00` (orjson), Pydantic
    writes `Z`; both are the same instant and the same JSON type."""
    if isinstance(value, dict):
        return {key: _instants(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_instants(item) for item in value]
    if isinstance(value, str) and len(value) >= 20 and value[4:5] == "-" and value[10:11] == "T":
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(value)
    return value


def same_answers(api: Server, other: Server, fixture: Fixture) -> list[str]:
    """Raise unless `other` answers what the API answers: the first two pages of the member
    list (the second reached through each one's own `next` link) and a few members. Returns
    the requests compared."""
    headers = {"Authorization": f"Bearer {fixture.api_key}"}
    checked = []
    with httpx.Client(headers=headers, timeout=10.0) as client:
        ours = client.get(api.base_url + "/v1/members?pageSize=50").json()
        theirs = client.get(other.base_url + "/v1/members?pageSize=50").json()
        for page in (1, 2):
            if _instants(ours["items"]) != _instants(theirs["items"]):
                raise HarnessError(f"{other.name}: page {page} of the member list differs")
            if (ours["next"] is None) != (theirs["next"] is None):
                raise HarnessError(f"{other.name}: page {page} differs in having a next page")
            checked.append(f"GET /v1/members?pageSize=50 (page {page})")
            if ours["next"] is None:
                break
            ours, theirs = client.get(ours["next"]).json(), client.get(theirs["next"]).json()
        for member_id in fixture.member_ids[:5]:
            path = f"/v1/members/{member_id}"
            a, b = client.get(api.base_url + path), client.get(other.base_url + path)
            if _instants(a.json()) != _instants(b.json()) or a.headers.get("etag") != b.headers.get(
                "etag"
            ):
                raise HarnessError(f"{other.name}: GET {path} differs")
            checked.append(f"GET {path}")
    return checked


def verify(base_url: str, paths: list[str], headers: dict[str, str], check: Check | None) -> None:
    """A few requests by hand first: wrk counts non-2xx answers but never looks inside."""
    with httpx.Client(base_url=base_url, headers=headers, timeout=10.0) as client:
        for path in paths[:3]:
            response = client.get(path)
            if response.status_code != 200:
                raise HarnessError(
                    f"GET {path} answered {response.status_code}: {response.text[:300]}"
                )
            problem = check(response.json()) if check else None
            if problem:
                raise HarnessError(f"GET {path}: {problem}")


@dataclass
class Prepared:
    """A scenario ready for wrk: checked by hand, with its Lua script written."""

    scenario: Scenario
    server: Server
    url: str
    script: Path
    paths: list[str]


def prepare(scenario: Scenario, server: Server, fixture: Fixture, tmp: Path) -> Prepared:
    paths = scenario.paths(fixture)
    authenticated = scenario.server in ("api", "idiomatic")
    key = scenario.key(fixture) if scenario.key is not None else fixture.api_key
    headers = {"Authorization": f"Bearer {key}"} if authenticated else {}
    verify(server.base_url, paths, headers, scenario.check)
    script = tmp / f"{scenario.name}.lua"
    script.write_text(wrk_script(paths, headers))
    return Prepared(scenario, server, server.base_url + paths[0], script, paths)


def measure_once(
    prepared: Prepared, load: Load, backend_pids: Callable[[], list[int]]
) -> dict[str, Any]:
    """One wrk run; figures in milliseconds, plus CPU spent per request on the server side
    (steadier than requests/s when other work shares the machine)."""
    app_pids, db_pids = group_pids(prepared.server.pid), backend_pids()
    app_cpu, db_cpu = _cpu_seconds(app_pids), _cpu_seconds(db_pids)
    figures = run_wrk(prepared.url, prepared.script, load, load.duration)
    app_cpu, db_cpu = _cpu_seconds(app_pids) - app_cpu, _cpu_seconds(db_pids) - db_cpu
    requests = max(figures["requests"], 1)
    seconds = figures["durationUs"] / 1e6
    socket_errors = {k: figures[k] for k in ("connect", "read", "write", "timeout")}
    error = None
    if figures["status"]:
        error = f"{figures['status']} responses were not 2xx/3xx"
    elif any(socket_errors.values()) and not (
        # The reference's own slow tail (wrk gives up on a request after 5 s) is one of its
        # figures, kept in `socketErrors`; its requests/s still count. Any of ours is an error.
        prepared.scenario.server == "idiomatic"
        and not any(v for k, v in socket_errors.items() if k != "timeout")
    ):
        error = f"socket errors: {socket_errors}"
    return {
        "requests": figures["requests"],
        "seconds": round(seconds, 2),
        "requestsPerSecond": round(figures["requests"] / seconds, 1),
        "p50Ms": round(figures["p50"] / 1000, 2),
        "p90Ms": round(figures["p90"] / 1000, 2),
        "p99Ms": round(figures["p99"] / 1000, 2),
        "maxMs": round(figures["max"] / 1000, 2),
        "serverCpuMsPerRequest": round(app_cpu * 1000 / requests, 3),
        "postgresCpuMsPerRequest": round(db_cpu * 1000 / requests, 3) if db_pids else None,
        "non2xx": figures["status"],
        "socketErrors": socket_errors,
        "error": error,
        "wrk": figures["text"],
    }


SUMMARISED = (
    "requestsPerSecond",
    "p50Ms",
    "p90Ms",
    "p99Ms",
    "serverCpuMsPerRequest",
    "postgresCpuMsPerRequest",
)


def summarise(
    scenario: Scenario, request: str, rounds: list[dict[str, Any]], error: str | None
) -> dict[str, Any]:
    """One scenario over all rounds: the median of each figure, and every round kept."""
    result: dict[str, Any] = {
        "name": scenario.name,
        "kind": "http-load",
        "request": request,
        "target": scenario.target,
        "idiomatic": scenario.idiomatic,
    }
    errors = [r["error"] for r in rounds if r["error"]]
    if error or errors or not rounds:
        return {**result, "error": error or errors[0], "rounds": rounds}
    for key in SUMMARISED:
        values = [r[key] for r in rounds if r[key] is not None]
        result[key] = round(statistics.median(values), 3) if values else None
    result["requests"] = sum(r["requests"] for r in rounds)
    result["timeouts"] = sum(r["socketErrors"]["timeout"] for r in rounds)
    result["non2xx"] = sum(r["non2xx"] for r in rounds)
    result["error"] = None
    result["rounds"] = rounds
    return result


def judge(results: list[dict[str, Any]]) -> None:
    """Add each scenario's ratio to bare (the median of the per-round ratios, so a round
    is compared with the bare run of the same round) and whether it meets its target."""
    base = next((r for r in results if r["name"] == "bare" and not r.get("error")), None)
    for result in results:
        ratio = None
        if base is not None and not result.get("error"):
            pairs = zip(result["rounds"], base["rounds"], strict=True)
            ratio = statistics.median(
                r["requestsPerSecond"] / b["requestsPerSecond"] for r, b in pairs
            )
        result["ratioToBare"] = round(ratio, 4) if ratio is not None else None
        if result.get("error") or (result["target"] is not None and ratio is None):
            result["outcome"] = "error"
        elif result["target"] is None:
            result["outcome"] = "reference"
        else:
            assert ratio is not None
            result["outcome"] = "pass" if ratio >= result["target"] else "MISS"
        result["passed"] = result["outcome"] == "pass" if result["target"] is not None else None
    by_name = {r["name"]: r for r in results}
    for result in results:
        reference = by_name.get(result.get("idiomatic") or "")
        if reference is None or result.get("error") or reference.get("error") is not None:
            result["ratioToIdiomatic"] = None
            continue
        pairs = zip(result["rounds"], reference["rounds"], strict=True)
        ratios = [
            r["requestsPerSecond"] / i["requestsPerSecond"]
            for r, i in pairs
            if i["requestsPerSecond"] > 0
        ]
        if not ratios:
            result["ratioToIdiomatic"] = None
            continue
        ratio = statistics.median(ratios)
        result["ratioToIdiomatic"] = round(ratio, 4)
        # The same comparison in server CPU per request (the reference's over ours), which
        # moves less with the machine's load than requests/s.
        ours_cpu, their_cpu = result["serverCpuMsPerRequest"], reference["serverCpuMsPerRequest"]
        result["idiomaticCpuRatio"] = round(their_cpu / ours_cpu, 3) if ours_cpu else None


def machine_info() -> dict[str, Any]:
    cpu_model = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpuModel": cpu_model,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "wrk": next(iter((wrk_version.stdout or wrk_version.stderr).splitlines()), None),
        "gitCommit": commit.stdout.strip() or None,
        "loadAverageAtStart": [round(x, 2) for x in os.getloadavg()],
    }


def print_table(results: list[dict[str, Any]]) -> None:
    columns = (
        ("scenario", "<16"),
        ("req/s", ">9"),
        ("p50 ms", ">9"),
        ("p99 ms", ">9"),
        ("ratio", ">8"),
        ("target", ">8"),
        ("vs idiom", ">9"),
        ("cpu/req", ">9"),
        ("pg/req", ">8"),
    )

    def row(*cells: object) -> str:
        return "".join(f"{cell!s:{fmt}}" for cell, (_, fmt) in zip(cells, columns, strict=True))

    header = row(*(name for name, _ in columns)) + "  result"
    print()
    print(header)
    print("-" * len(header))
    for r in results:
        if r.get("requestsPerSecond") is None:
            print(row(r["name"], *["-"] * (len(columns) - 1)) + "  error")
            continue
        ratio = f"{r['ratioToBare']:.1%}" if r.get("ratioToBare") is not None else "-"
        target = f"{r['target']:.0%}" if r["target"] is not None else "-"
        vs = r.get("ratioToIdiomatic")
        pg = r["postgresCpuMsPerRequest"]
        outcome = r["outcome"] if r["outcome"] != "MISS" else "MISS  <-- below target"
        cells = (
            r["name"],
            f"{r['requestsPerSecond']:.0f}",
            f"{r['p50Ms']:.2f}",
            f"{r['p99Ms']:.2f}",
            ratio,
            target,
            f"{vs:.2f}x" if vs is not None else "-",
            f"{r['serverCpuMsPerRequest']:.3f}",
            f"{pg:.3f}" if pg is not None else "-",
        )
        print(row(*cells) + f"  {outcome}")
    print(
        "vs idiom: requests/s over the same endpoint's idiomatic reference (benchmarks/idiomatic.py).\n"
        "cpu/req, pg/req: CPU milliseconds per request spent by the server's processes and by\n"
        "the benchmark database's backends; steadier than req/s when other work shares the CPUs."
    )
    for r in results:
        if r.get("error"):
            print(f"\n{r['name']}: {r['error']}")
        elif r.get("timeouts"):
            print(f"\n{r['name']}: {r['timeouts']} requests took longer than wrk's 5 s timeout")
    print()


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per scenario")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds before measuring")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="measure every scenario this many times, interleaved (ratios are the median)",
    )
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers per server")
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--departments", type=int, default=60)
    parser.add_argument(
        "--scenario", action="append", default=[], help="run only these (bare always runs)"
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument(
        "--keep-database", action="store_true", help="do not drop the database (for profiling)"
    )
    parser.add_argument(
        "--ceiling",
        action="store_true",
        help="also measure the same queries on raw asyncpg without the app (calibration)",
    )
    parser.add_argument(
        "--hold",
        action="store_true",
        help="after measuring, keep the servers up until Ctrl-C (for profiling)",
    )
    return parser.parse_args(argv)


def _on_sigterm(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # unwinds through the same clean-up as Ctrl-C


def run(args: argparse.Namespace) -> int:
    if shutil.which("wrk") is None:
        raise HarnessError("wrk is not installed (`apt-get install wrk`, or use `make bench`)")
    known = {s.name for s in SCENARIOS}
    unknown = set(args.scenario) - known
    if unknown:
        raise HarnessError(f"unknown scenario(s) {sorted(unknown)}; known: {sorted(known)}")
    chosen = [
        s
        for s in SCENARIOS
        if (s.name == "bare" or not args.scenario or s.name in args.scenario)
        and (args.ceiling or not s.calibration)
    ]
    load = Load(args.connections, args.threads, args.duration, args.warmup)
    started = datetime.now(UTC)
    info = machine_info()

    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lg-bench-")))
        database_url = stack.enter_context(bench_database(args.keep_database))
        from app.cli import migrate

        print(f"migrating {make_url(database_url).database} …", flush=True)
        migrate(url=database_url)
        print(f"loading {args.members} members in {args.departments} departments …", flush=True)
        fixture = asyncio.run(load_data(database_url, args.members, args.departments))
        info["postgres"] = asyncio.run(_server_version(database_url))

        def backends() -> list[int]:
            """The Postgres backends serving the benchmark database (when on this host)."""
            name = make_url(database_url).database
            try:
                rows = asyncio.run(
                    _admin_fetch(f"SELECT pid FROM pg_stat_activity WHERE datname = '{name}'")
                )
            except Exception:
                return []
            return [row["pid"] for row in rows if Path(f"/proc/{row['pid']}").exists()]

        servers = {
            "api": stack.enter_context(api_server(database_url, args.workers, tmp)),
            "bare": stack.enter_context(bare_server(args.workers, tmp)),
        }
        if any(s.server == "ceiling" for s in chosen):
            servers["ceiling"] = stack.enter_context(
                ceiling_server(database_url, args.workers, tmp)
            )
        if any(s.server == "idiomatic" for s in chosen):
            servers["idiomatic"] = stack.enter_context(
                idiomatic_server(database_url, args.workers, tmp)
            )
        for server in servers.values():
            server.wait_ready()
        print(
            f"api on {servers['api'].base_url}, bare on {servers['bare'].base_url}; "
            f"{load.connections} connections, {load.threads} threads, "
            f"{load.warmup:.0f} s warm-up + {load.duration:.0f} s per scenario",
            flush=True,
        )

        # Rounds interleave the scenarios, so each is compared with a bare run made under
        # the same conditions; the first round starts each scenario with a warm-up.
        prepared: dict[str, Prepared] = {}
        failed: dict[str, str] = {}
        if "idiomatic" in servers:
            # The reference counts only if it answers what the API answers.
            try:
                info["idiomaticAnswersChecked"] = same_answers(
                    servers["api"], servers["idiomatic"], fixture
                )
            except HarnessError as exc:
                for scenario in chosen:
                    if scenario.server == "idiomatic":
                        failed[scenario.name] = str(exc)
        for scenario in chosen:
            try:
                prepared[scenario.name] = prepare(scenario, servers[scenario.server], fixture, tmp)
            except HarnessError as exc:
                failed[scenario.name] = str(exc)
        samples: dict[str, list[dict[str, Any]]] = {name: [] for name in prepared}
        for round_number in range(args.rounds):
            for name, ready in prepared.items():
                if name in failed:
                    continue
                print(f"  round {round_number + 1}/{args.rounds}: {name} …", flush=True)
                try:
                    if round_number == 0 and load.warmup > 0:
                        run_wrk(ready.url, ready.script, load, load.warmup)
                    samples[name].append(measure_once(ready, load, backends))
                except HarnessError as exc:
                    failed[name] = str(exc)
        results = [
            summarise(
                scenario,
                scenario.description or f"GET {scenario.name}",
                samples.get(scenario.name, []),
                failed.get(scenario.name),
            )
            for scenario in chosen
        ]
        info["loadAverageAtEnd"] = [round(x, 2) for x in os.getloadavg()]

        if args.hold:
            print(f"holding; api key: {fixture.api_key}\nCtrl-C to stop", flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                signal.pause()

    judge(results)
    document = {
        "timestamp": started.isoformat(timespec="seconds"),
        "machine": info,
        "settings": {
            "connections": load.connections,
            "wrkThreads": load.threads,
            "durationSeconds": load.duration,
            "rounds": args.rounds,
            "warmupSeconds": load.warmup,
            "uvicornWorkers": args.workers,
            "members": args.members,
            "departments": args.departments,
        },
        "scenarios": results,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print_table(results)
    print(f"wrote {args.output}")
    misses = [r["name"] for r in results if r["outcome"] == "MISS"]
    if misses:
        print(f"targets missed: {', '.join(misses)}")
    return 1 if any(r["outcome"] == "error" for r in results) else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return run(args)
    except HarnessError as exc:
        print(f"benchmark harness error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; servers stopped and database dropped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
