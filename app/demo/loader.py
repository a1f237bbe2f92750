"""The demo community's loader: reads the story in the YAML files beside it and writes it through
the services, as SYSTEM, in one transaction, the way API calls would (so the demo holds nothing
the API would refuse).

The story is data: every person and every partner except DRIFT is invented, with fixed dates.
The files refer to one another by natural keys (a department's code, an organisation's name, a
member's e-mail address, the `key` of a theme, werkplaats, group, case, question or insight).
Two things make a load repeatable without the services taking anything the API does not:

- ids: each record is created at a stable id, `demo_id(kind, natural key)`, the same on every
  machine and every run; the loader hands it to the service's id source (`planned_ids`) for that
  one call, and keeps a map from key to id for the records that refer to it;
- time: the past is replayed in order, each dated write inside `clock_at(moment)`, so that the
  service stamps it (a group's formation, a question's status changes, a publication…) at the
  story's moment. What the story does not date is dated by the load.

Loading is idempotent: whatever already exists (by id, or by its natural key such as a
department code or an e-mail address) is left alone, so `seed-demo` twice changes nothing.

- order: the dated writes (groups, memberships, cases, questions, supports, the agenda, insights,
  comments, members reading their inbox) go on one timeline (`SeedRun.later`) and are replayed in
  the story's order (`replay`), so that what they notify comes in that order too.

To tell more of the story, add its records to a YAML file (or a new file with an entry model and
a step below), and add the step to STEPS after the steps whose ids it needs (before `replay`).
"""

from __future__ import annotations

import heapq
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, partial
from importlib.resources import files
from typing import Any, NamedTuple, TypeVar

import yaml
from pydantic import AwareDatetime, BaseModel, ConfigDict, TypeAdapter
from pydantic.alias_generators import to_camel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.agenda import repository as agenda_repository
from app.agenda.models import Priority
from app.agenda.schemas import AgendaItemInput, RevisionCreate
from app.agenda.service import create_draft, publish_revision, replace_items
from app.cases.models import Case, CaseStatus
from app.cases.schemas import CaseCreate, CaseUpdate
from app.cases.service import create_case, update_case
from app.comments import repository as comments_repository
from app.comments.models import ThreadType
from app.comments.schemas import CommentCreate
from app.comments.service import create_comment, hide_comment
from app.core.context import SYSTEM, Principal, current_principal
from app.core.db import write_connection
from app.core.errors import Conflict
from app.core.models import clock_at, planned_ids, table_of
from app.core.repository import existing_ids
from app.departments import repository as department_repository
from app.departments.models import DepartmentKind
from app.departments.schemas import DepartmentCreate
from app.departments.service import create_department
from app.insights.models import Adoption, Insight
from app.insights.schemas import InsightCreate, InsightUpdate
from app.insights.service import create_insight, update_insight
from app.learning_groups.models import GroupMode, GroupStatus, LearningGroup, MembershipRole
from app.learning_groups.schemas import (
    GroupCreate,
    GroupUpdate,
    MembershipCreate,
    MembershipUpdate,
)
from app.learning_groups.service import change_membership, create_group, join_group, update_group
from app.learning_questions.models import LearningQuestion, QuestionKind, QuestionStatus
from app.learning_questions.schemas import QuestionCreate, QuestionUpdate
from app.learning_questions.service import (
    create_question,
    merge_question,
    support_question,
    update_question,
    withdraw_support,
)
from app.members import repository as member_repository
from app.members.models import Participation, TransitionRole
from app.members.schemas import MemberCreate
from app.members.service import create_member
from app.notifications.service import read_what_was_there
from app.organisations import repository as organisation_repository
from app.organisations.models import OrganisationKind
from app.organisations.schemas import OrganisationCreate
from app.organisations.service import create_organisation
from app.themes import repository as theme_repository
from app.themes.models import Theme
from app.themes.schemas import ThemeCreate
from app.themes.service import create_theme
from app.workshops.models import Workshop
from app.workshops.schemas import AttendeeCreate, WorkshopCreate
from app.workshops.service import add_attendee, create_workshop

try:
    from yaml import CSafeLoader as _YamlLoader
except ImportError:  # a PyYAML built without libyaml
    from yaml import SafeLoader as _YamlLoader  # type: ignore[assignment]

# Changing this changes every id: treat it as frozen.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "demo.leergemeenschap.example")

# Two seeders racing on Postgres queue on this lock instead of failing on unique keys;
# SQLite's BEGIN IMMEDIATE (a write transaction) serialises them already.
_PG_LOCK_KEY = 0x1EE76E3E


def demo_id(kind: str, key: str) -> uuid.UUID:
    """The stable id of one demo record, the same on every machine and every run."""
    return uuid.uuid5(NAMESPACE, f"{kind}:{key}")


# --- the story's records, as the YAML files hold them (camelCase, like the API) ----------------


class _Record(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class DepartmentRecord(_Record):
    code: str
    name: str
    kind: DepartmentKind
    parent: str | None = None  # a code, of a unit listed earlier


class OrganisationRecord(_Record):
    name: str
    kind: OrganisationKind
    website: str | None = None


class MemberRecord(_Record):
    email: str
    external_id: str | None = None
    given_name: str
    family_name: str
    department: str | None = None  # a code
    organisation: str | None = None  # a name
    participation: Participation
    joined_at: AwareDatetime
    transition_roles: tuple[TransitionRole, ...] = ()
    discipline: str | None = None

    @property
    def id(self) -> uuid.UUID:
        return demo_id("member", self.email)


class ThemeRecord(_Record):
    key: str
    name: str
    transition_role: TransitionRole
    description: str


class AttendeeRecord(_Record):
    member: str  # an e-mail address
    registered_at: AwareDatetime


class WorkshopRecord(_Record):
    key: str
    title: str
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    location: str
    summary: str
    attendees: tuple[AttendeeRecord, ...] = ()


class MembershipRecord(_Record):
    member: str  # an e-mail address
    role: MembershipRole
    joined_at: AwareDatetime
    left_at: AwareDatetime | None = None


class GroupStep(_Record):
    status: GroupStatus
    at: AwareDatetime


class GroupRecord(_Record):
    key: str
    name: str
    description: str
    theme: str  # a theme key
    mode: GroupMode
    facilitator_organisation: str | None = None  # a name
    formed_at_workshop: str  # a werkplaats key
    formed_at: AwareDatetime
    statuses: tuple[GroupStep, ...] = ()  # what it went through after `forming`, and when
    memberships: tuple[MembershipRecord, ...] = ()


class CaseRecord(_Record):
    key: str
    group: str  # a group key
    title: str
    description: str
    department: str  # a code: the context it lives in
    partners: tuple[str, ...] = ()  # organisation names
    created_at: AwareDatetime
    statuses: tuple[CaseStatus, ...] = ()  # what it went through after `proposed`
    presented_at_workshop: str | None = None  # a werkplaats key: where it was presented
    outcome: str | None = None


class QuestionChange(_Record):
    at: AwareDatetime
    status: QuestionStatus | None = None
    owner: str | None = None  # a group key: the question changes hands
    answer: str | None = None
    title: str | None = None  # the question is reworded


class QuestionMerge(_Record):
    at: AwareDatetime
    into: str  # a question key


class SupportRecord(_Record):
    by: str  # an e-mail address: the member who wants to learn this too
    at: AwareDatetime
    withdrawn_at: AwareDatetime | None = None


class QuestionRecord(_Record):
    key: str
    title: str
    description: str | None = None
    theme: str | None = None  # a theme key
    kind: QuestionKind
    raised_at: AwareDatetime
    raised_by: str  # an e-mail address
    status: QuestionStatus  # the status it was raised in
    origin_workshop: str | None = None
    origin_group: str | None = None
    origin_case: str | None = None
    owner: str | None = None  # a group key
    changes: tuple[QuestionChange, ...] = ()
    merged: QuestionMerge | None = None
    supports: tuple[SupportRecord, ...] = ()  # "ik wil dit ook leren", in time order


class InsightRecord(_Record):
    key: str
    title: str
    body: str
    adoption: Adoption
    captured_at: AwareDatetime
    source_case: str | None = None
    source_group: str | None = None
    source_question: str | None = None
    adopted_by: tuple[str, ...] = ()  # department codes
    adopted_at: AwareDatetime | None = None


class AgendaItemRecord(_Record):
    question: str  # a question key
    priority: Priority
    owner: str | None = None  # a group key
    note: str | None = None


class RevisionRecord(_Record):
    number: int
    title: str
    rationale: str
    workshop: str | None = None
    created_at: AwareDatetime | None = None  # None: when the demo is loaded
    published_at: AwareDatetime | None = None  # None: stays a draft
    items: tuple[AgendaItemRecord, ...] = ()  # in rank order


class HidingRecord(_Record):
    by: str  # the e-mail address of a facilitator (of DRIFT) who moderates
    at: AwareDatetime
    reason: str


class ReplyRecord(_Record):
    by: str  # an e-mail address
    at: AwareDatetime
    body: str


class CommentRecord(_Record):
    key: str
    thread_type: ThreadType
    thread: str  # the key of the question, case, insight or group
    by: str  # an e-mail address
    at: AwareDatetime
    body: str
    replies: tuple[ReplyRecord, ...] = ()  # in time order, each after the comment
    hidden: HidingRecord | None = None


class InboxRead(_Record):
    member: str  # an e-mail address
    at: AwareDatetime  # they read every notification written up to then


class PlannedMembership(NamedTuple):
    id: uuid.UUID
    record: MembershipRecord


R = TypeVar("R", bound=_Record)


def _read(name: str, root: str, record: type[R]) -> tuple[R, ...]:
    source = files("app.demo").joinpath(name).read_text(encoding="utf-8")
    data = yaml.load(source, _YamlLoader)  # a safe loader (libyaml's when present)
    return TypeAdapter(tuple[record, ...]).validate_python(data[root])  # type: ignore[valid-type]


@dataclass(frozen=True)
class Story:
    """The whole story, read once from the YAML files."""

    departments: tuple[DepartmentRecord, ...]
    organisations: tuple[OrganisationRecord, ...]
    members: tuple[MemberRecord, ...]
    themes: tuple[ThemeRecord, ...]
    workshops: tuple[WorkshopRecord, ...]
    groups: tuple[GroupRecord, ...]
    cases: tuple[CaseRecord, ...]
    questions: tuple[QuestionRecord, ...]
    insights: tuple[InsightRecord, ...]
    revisions: tuple[RevisionRecord, ...]
    comments: tuple[CommentRecord, ...]
    reads: tuple[InboxRead, ...]

    @property
    def memberships(self) -> dict[str, list[PlannedMembership]]:
        """Each group's memberships, by group key, with their stable ids."""
        return {
            group.key: [
                PlannedMembership(demo_id("membership", f"{group.key}:{m.member}"), m)
                for m in group.memberships
            ]
            for group in self.groups
        }


@cache
def load_story() -> Story:
    return Story(
        departments=_read("departments.yaml", "departments", DepartmentRecord),
        organisations=_read("organisations.yaml", "organisations", OrganisationRecord),
        members=_read("members.yaml", "members", MemberRecord),
        themes=_read("themes.yaml", "themes", ThemeRecord),
        workshops=_read("workshops.yaml", "workshops", WorkshopRecord),
        groups=_read("groups.yaml", "learningGroups", GroupRecord),
        cases=_read("cases.yaml", "cases", CaseRecord),
        questions=_read("questions.yaml", "learningQuestions", QuestionRecord),
        insights=_read("insights.yaml", "insights", InsightRecord),
        revisions=_read("agenda.yaml", "revisions", RevisionRecord),
        comments=_read("comments.yaml", "comments", CommentRecord),
        reads=_read("inboxes.yaml", "reads", InboxRead),
    )


def plan_members() -> list[MemberRecord]:
    """The members the story plans, in the order they are loaded."""
    return list(load_story().members)


def plan_story() -> Story:
    return load_story()


QUESTIONS: tuple[QuestionRecord, ...] = load_story().questions


# --- the run ----------------------------------------------------------------------------------


class _Event(NamedTuple):
    at: datetime
    last: bool  # after every other event of the same moment (an agenda revision)
    order: int  # the files' order among events of the same moment
    apply: Callable[[], Awaitable[None]]


# Where the story's undated events go: after everything dated (the open draft of the agenda).
AT_THE_END = datetime.max.replace(tzinfo=UTC)


@dataclass
class SeedRun:
    """What the steps share: the transaction, the ids they resolved, and what they created."""

    conn: AsyncConnection
    story: Story
    department_ids: dict[str, uuid.UUID] = field(default_factory=dict)  # by code
    organisation_ids: dict[str, uuid.UUID] = field(default_factory=dict)  # by name
    member_ids: dict[str, uuid.UUID] = field(default_factory=dict)  # by e-mail address
    # The learning work's ids, by their records' keys.
    theme_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    workshop_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    group_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    case_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    question_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    insight_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    # Questions this run raised: only their history is replayed (others carry theirs already).
    new_questions: set[str] = field(default_factory=set)
    agenda_told: bool = False  # whether this run writes the demo agenda
    created: Counter[str] = field(default_factory=Counter)
    order: int = 0  # how many writes were put on the timeline
    timeline: list[_Event] = field(default_factory=list)  # a heap: the writes still to replay

    def later(
        self, at: datetime | None, apply: Callable[[], Awaitable[None]], *, last: bool = False
    ) -> None:
        """A write of the story, to be replayed at its moment (None: at the end)."""
        moment = at if at is not None else AT_THE_END
        self.order += 1
        heapq.heappush(self.timeline, _Event(moment, last, self.order, apply))


Step = Callable[[SeedRun], Awaitable[None]]


@contextmanager
def _at(moment: datetime | None) -> Iterator[None]:
    """The services' clock at the story's moment; None: the load's own time."""
    with clock_at(moment) if moment is not None else nullcontext():
        yield


async def _create(
    planned: uuid.UUID, moment: datetime | None, write: Awaitable[Mapping[str, Any]]
) -> None:
    """Awaits one service call that creates a record: at the planned id, and at the story's
    moment when it has one."""
    with planned_ids(planned), _at(moment):
        made = await write
    if made["id"] != planned:
        raise RuntimeError(f"the demo planned id {planned}, the service made {made['id']}")


async def seed_departments(run: SeedRun) -> None:
    planned = {spec.code: demo_id("department", spec.code) for spec in run.story.departments}
    present = await existing_ids(run.conn, department_repository.table, planned.values())
    for spec in run.story.departments:
        department_id = planned[spec.code]
        if department_id not in present:
            data = DepartmentCreate.model_validate(
                {
                    "code": spec.code,
                    "name": spec.name,
                    "kind": spec.kind,
                    "parentId": run.department_ids[spec.parent] if spec.parent else None,
                }
            )
            try:
                await _create(department_id, None, create_department(run.conn, SYSTEM, data))
                run.created["departments"] += 1
            except Conflict:
                # The intranet already knows this unit under its own id: the demo joins it.
                holder = await department_repository.id_for_code(run.conn, spec.code)
                assert holder is not None
                department_id = holder
        run.department_ids[spec.code] = department_id


async def seed_organisations(run: SeedRun) -> None:
    planned = {spec.name: demo_id("organisation", spec.name) for spec in run.story.organisations}
    present = await existing_ids(run.conn, organisation_repository.table, planned.values())
    for spec in run.story.organisations:
        organisation_id = planned[spec.name]
        if organisation_id not in present:
            data = OrganisationCreate.model_validate(
                {"name": spec.name, "kind": spec.kind, "website": spec.website}
            )
            try:
                await _create(organisation_id, None, create_organisation(run.conn, SYSTEM, data))
                run.created["organisations"] += 1
            except Conflict:
                # Already registered under its own id (by an admin, say): the demo uses that one.
                holder = await organisation_repository.id_for_name(run.conn, spec.name)
                assert holder is not None
                organisation_id = holder
        run.organisation_ids[spec.name] = organisation_id


async def seed_members(run: SeedRun) -> None:
    members = run.story.members
    present = await existing_ids(run.conn, member_repository.table, [m.id for m in members])
    for spec in members:
        member_id = spec.id
        if member_id not in present:
            # Validated like an API request body, so the demo holds nothing the API would refuse.
            data = MemberCreate.model_validate(
                {
                    "externalId": spec.external_id,
                    "email": spec.email,
                    "givenName": spec.given_name,
                    "familyName": spec.family_name,
                    "departmentId": run.department_ids[spec.department]
                    if spec.department
                    else None,
                    "organisationId": run.organisation_ids[spec.organisation]
                    if spec.organisation
                    else None,
                    "participation": spec.participation,
                    "transitionRoles": list(spec.transition_roles),
                    "discipline": spec.discipline,
                    "joinedAt": spec.joined_at,
                }
            )
            try:
                await _create(member_id, None, create_member(run.conn, SYSTEM, data))
                run.created["members"] += 1
            except Conflict:
                # This person is already here under their own id (synced, say): keep them as is.
                holders = await member_repository.holders(
                    run.conn, email=spec.email, external_id=spec.external_id
                )
                member_id = holders[0].id
        run.member_ids[spec.email] = member_id


async def seed_themes(run: SeedRun) -> None:
    planned = {spec.key: demo_id("theme", spec.key) for spec in run.story.themes}
    present = await existing_ids(run.conn, table_of(Theme), planned.values())
    for spec in run.story.themes:
        theme_id = planned[spec.key]
        if theme_id not in present:
            data = ThemeCreate.model_validate(
                {
                    "name": spec.name,
                    "description": spec.description,
                    "transitionRole": spec.transition_role,
                }
            )
            try:
                await _create(theme_id, None, create_theme(run.conn, SYSTEM, data))
                run.created["themes"] += 1
            except Conflict:
                # An admin set this theme up already: its transition role (or name) says which.
                holders = await theme_repository.holders(
                    run.conn, name=spec.name, transition_role=spec.transition_role
                )
                by_role = [row for row in holders if row.transition_role == spec.transition_role]
                theme_id = (by_role or holders)[0].id
        run.theme_ids[spec.key] = theme_id


async def seed_workshops(run: SeedRun) -> None:
    planned = {spec.key: demo_id("workshop", spec.key) for spec in run.story.workshops}
    present = await existing_ids(run.conn, table_of(Workshop), planned.values())
    for spec in run.story.workshops:
        workshop_id = planned[spec.key]
        run.workshop_ids[spec.key] = workshop_id
        if workshop_id in present:
            continue  # with the attendees recorded when it was made
        data = WorkshopCreate.model_validate(
            {
                "title": spec.title,
                "startsAt": spec.starts_at,
                "endsAt": spec.ends_at,
                "location": spec.location,
                "summary": spec.summary,
            }
        )
        await _create(workshop_id, None, create_workshop(run.conn, SYSTEM, data))
        run.created["workshops"] += 1
        for attendee in spec.attendees:
            attended = AttendeeCreate.model_validate(
                {
                    "memberId": run.member_ids[attendee.member],
                    "registeredAt": attendee.registered_at,
                }
            )
            await add_attendee(run.conn, SYSTEM, workshop_id, attended)
            run.created["workshop attendances"] += 1


async def seed_groups(run: SeedRun) -> None:
    planned = {spec.key: demo_id("learning-group", spec.key) for spec in run.story.groups}
    present = await existing_ids(run.conn, table_of(LearningGroup), planned.values())
    memberships = run.story.memberships
    for spec in run.story.groups:
        group_id = planned[spec.key]
        run.group_ids[spec.key] = group_id
        if group_id in present:
            continue  # its members and its course were recorded when it was made
        facilitator = spec.facilitator_organisation
        data = GroupCreate.model_validate(
            {
                "name": spec.name,
                "description": spec.description,
                "themeId": run.theme_ids[spec.theme],
                "mode": spec.mode,
                "facilitatorOrganisationId": run.organisation_ids[facilitator]
                if facilitator
                else None,
                "formedAtWorkshopId": run.workshop_ids[spec.formed_at_workshop],
            }
        )
        run.later(spec.formed_at, partial(_form_group, run, group_id, spec.formed_at, data))
        for membership in memberships[spec.key]:
            run.later(
                membership.record.joined_at, partial(_seed_membership, run, group_id, membership)
            )
        for step in spec.statuses:
            run.later(step.at, partial(_group_step, run, group_id, step))


async def _form_group(
    run: SeedRun, group_id: uuid.UUID, formed_at: datetime, data: GroupCreate
) -> None:
    await _create(group_id, formed_at, create_group(run.conn, SYSTEM, data))
    run.created["learning groups"] += 1


async def _group_step(run: SeedRun, group_id: uuid.UUID, step: GroupStep) -> None:
    patch = GroupUpdate.model_validate({"status": step.status})
    with clock_at(step.at):
        await update_group(run.conn, SYSTEM, group_id, patch, None)


async def _seed_membership(run: SeedRun, group_id: uuid.UUID, planned: PlannedMembership) -> None:
    spec = planned.record
    data = MembershipCreate.model_validate(
        {"memberId": run.member_ids[spec.member], "role": spec.role, "joinedAt": spec.joined_at}
    )
    try:
        await _create(planned.id, spec.joined_at, join_group(run.conn, SYSTEM, group_id, data))
    except Conflict:
        return  # someone synced in as inactive cannot join; the group goes on without them
    run.created["group memberships"] += 1
    if spec.left_at is not None:
        run.later(spec.left_at, partial(_leave_group, run, group_id, planned.id, spec.left_at))


async def _leave_group(
    run: SeedRun, group_id: uuid.UUID, membership_id: uuid.UUID, left_at: datetime
) -> None:
    ended = MembershipUpdate.model_validate({"leftAt": left_at})
    with clock_at(left_at):
        await change_membership(run.conn, SYSTEM, group_id, membership_id, ended)


async def seed_cases(run: SeedRun) -> None:
    planned = {spec.key: demo_id("case", spec.key) for spec in run.story.cases}
    present = await existing_ids(run.conn, table_of(Case), planned.values())
    for spec in run.story.cases:
        case_id = planned[spec.key]
        run.case_ids[spec.key] = case_id
        if case_id in present:
            continue
        data = CaseCreate.model_validate(
            {
                "title": spec.title,
                "description": spec.description,
                "learningGroupId": run.group_ids[spec.group],
                "departmentId": run.department_ids[spec.department],
                "partnerOrganisationIds": [run.organisation_ids[name] for name in spec.partners],
            }
        )
        run.later(spec.created_at, partial(_open_case, run, case_id, spec, data))


async def _open_case(run: SeedRun, case_id: uuid.UUID, spec: CaseRecord, data: CaseCreate) -> None:
    """The case, and the course it took (undated in the story: at once)."""
    await _create(case_id, spec.created_at, create_case(run.conn, SYSTEM, data))
    run.created["cases"] += 1
    for status in spec.statuses:
        changes: dict[str, Any] = {"status": status}
        if status == CaseStatus.PRESENTED:
            assert spec.presented_at_workshop is not None, spec.key
            changes["presentedAtWorkshopId"] = run.workshop_ids[spec.presented_at_workshop]
            changes["outcome"] = spec.outcome
        await update_case(run.conn, SYSTEM, case_id, CaseUpdate.model_validate(changes), None)


# The questions, the agenda, the insights, the discussions and the inboxes are replayed together
# in the order they happened (`SeedRun.later`, then `replay`): each revision is written after
# every event up to its publication, so it sees the questions as they stood then (a revision that
# holds a merged or retired question cannot be published), and the notifications these writes
# cause come in the order of the story (an inbox pages newest first by id).


async def seed_questions_and_agenda(run: SeedRun) -> None:
    questions = run.story.questions
    run.question_ids.update({q.key: demo_id("learning-question", q.key) for q in questions})
    present = await existing_ids(run.conn, table_of(LearningQuestion), run.question_ids.values())
    add = run.later
    for spec in questions:
        if run.question_ids[spec.key] not in present:
            add(spec.raised_at, partial(_raise_question, run, spec))
        for change in spec.changes:
            add(change.at, partial(_change_question, run, spec, change))
        if spec.merged is not None:
            add(spec.merged.at, partial(_merge_question, run, spec, spec.merged))
        for support in spec.supports:
            add(support.at, partial(_support_question, run, spec, support, withdraw=False))
            if support.withdrawn_at is not None:
                add(
                    support.withdrawn_at,
                    partial(_support_question, run, spec, support, withdraw=True),
                )
    for revision in run.story.revisions:
        add(revision.published_at, partial(_agenda_revision, run, revision), last=True)


async def replay(run: SeedRun) -> None:
    """Every write the steps before put on the timeline, in the story's order (and those the
    writes put on it as they go: a member who joined a group leaves it later)."""
    while run.timeline:
        await heapq.heappop(run.timeline).apply()


async def _raise_question(run: SeedRun, spec: QuestionRecord) -> None:
    def group(key: str | None) -> uuid.UUID | None:
        return run.group_ids[key] if key is not None else None

    data = QuestionCreate.model_validate(
        {
            "title": spec.title,
            "description": spec.description,
            "themeId": run.theme_ids[spec.theme] if spec.theme is not None else None,
            "kind": spec.kind,
            "originWorkshopId": run.workshop_ids[spec.origin_workshop]
            if spec.origin_workshop is not None
            else None,
            "originGroupId": group(spec.origin_group),
            "originCaseId": run.case_ids[spec.origin_case]
            if spec.origin_case is not None
            else None,
            "raisedByMemberId": run.member_ids[spec.raised_by],
            "ownerGroupId": group(spec.owner),
            "status": spec.status,
        }
    )
    question_id = run.question_ids[spec.key]
    await _create(question_id, spec.raised_at, create_question(run.conn, SYSTEM, data))
    run.created["learning questions"] += 1
    run.new_questions.add(spec.key)


async def _change_question(run: SeedRun, spec: QuestionRecord, change: QuestionChange) -> None:
    if spec.key not in run.new_questions:
        return  # a question already present carries its history already
    patch: dict[str, Any] = {}
    if change.status is not None:
        patch["status"] = change.status
    if change.owner is not None:
        patch["ownerGroupId"] = run.group_ids[change.owner]
    if change.answer is not None:
        patch["answer"] = change.answer
    if change.title is not None:
        patch["title"] = change.title
    with clock_at(change.at):
        await update_question(
            run.conn,
            SYSTEM,
            run.question_ids[spec.key],
            QuestionUpdate.model_validate(patch),
            None,
        )


async def _merge_question(run: SeedRun, spec: QuestionRecord, merge: QuestionMerge) -> None:
    if spec.key not in run.new_questions:
        return
    with clock_at(merge.at):
        await merge_question(
            run.conn, SYSTEM, run.question_ids[spec.key], run.question_ids[merge.into], None
        )


async def _support_question(
    run: SeedRun, spec: QuestionRecord, support: SupportRecord, *, withdraw: bool
) -> None:
    """A member supports the question (or withdraws), as their own key would."""
    if spec.key not in run.new_questions:
        return
    member = Principal(None, "member", "demo", member_id=run.member_ids[support.by])
    question_id = run.question_ids[spec.key]
    if withdraw:
        assert support.withdrawn_at is not None
        with clock_at(support.withdrawn_at):
            await withdraw_support(run.conn, member, question_id)
        return
    with clock_at(support.at):
        await support_question(run.conn, member, question_id)
    run.created["supports"] += 1


async def _agenda_revision(run: SeedRun, spec: RevisionRecord) -> None:
    """One revision of the demo agenda. The agenda is told only into a database without one,
    and only when this run replayed the questions its first revision names (their statuses at
    each publication are part of the story)."""
    if spec is run.story.revisions[0]:
        on_it = {item.question for item in spec.items}
        run.agenda_told = (
            await agenda_repository.next_number(run.conn) == 1 and on_it <= run.new_questions
        )
    if not run.agenda_told:
        return
    revision = RevisionCreate.model_validate(
        {
            "title": spec.title,
            "rationale": spec.rationale,
            "workshopId": run.workshop_ids[spec.workshop] if spec.workshop else None,
        }
    )
    with _at(spec.created_at):
        created = await create_draft(run.conn, SYSTEM, revision)
    assert created["number"] == spec.number
    items = [
        AgendaItemInput.model_validate(
            {
                "questionId": run.question_ids[item.question],
                "priority": item.priority,
                "ownerGroupId": run.group_ids[item.owner] if item.owner is not None else None,
                "note": item.note,
            }
        )
        for item in spec.items
    ]
    await replace_items(run.conn, SYSTEM, spec.number, items, None)
    if spec.published_at is not None:
        with clock_at(spec.published_at):
            await publish_revision(run.conn, SYSTEM, spec.number, None)
    run.created["agenda revisions"] += 1


async def seed_insights(run: SeedRun) -> None:
    """Each insight captured at its moment, and adopted at its moment, on the timeline."""
    planned = {spec.key: demo_id("insight", spec.key) for spec in run.story.insights}
    present = await existing_ids(run.conn, table_of(Insight), planned.values())
    for spec in run.story.insights:
        insight_id = planned[spec.key]
        run.insight_ids[spec.key] = insight_id
        if insight_id in present:
            continue
        run.later(spec.captured_at, partial(_capture_insight, run, spec, insight_id))
        if spec.adopted_by:
            # The departments adopted it later than it was captured.
            run.later(spec.adopted_at, partial(_adopt_insight, run, spec, insight_id))


async def _capture_insight(run: SeedRun, spec: InsightRecord, insight_id: uuid.UUID) -> None:
    data = InsightCreate.model_validate(
        {
            "title": spec.title,
            "body": spec.body,
            "sourceCaseId": run.case_ids[spec.source_case] if spec.source_case else None,
            "sourceGroupId": run.group_ids[spec.source_group] if spec.source_group else None,
            "sourceQuestionId": run.question_ids[spec.source_question]
            if spec.source_question
            else None,
            "adoption": spec.adoption,
        }
    )
    await _create(insight_id, spec.captured_at, create_insight(run.conn, SYSTEM, data))
    run.created["insights"] += 1


async def _adopt_insight(run: SeedRun, spec: InsightRecord, insight_id: uuid.UUID) -> None:
    adopters = [run.department_ids[code] for code in spec.adopted_by]
    patch = InsightUpdate.model_validate({"adoptedByDepartmentIds": adopters})
    with _at(spec.adopted_at):
        await update_insight(run.conn, SYSTEM, insight_id, patch, None)


def _as_member(run: SeedRun, email: str, role: str = "member") -> Principal:
    return Principal(None, role, "demo", member_id=run.member_ids[email])


class _Writing(NamedTuple):
    at: datetime
    id: uuid.UUID
    spec: CommentRecord
    reply: ReplyRecord | None  # None: the comment itself


async def seed_comments(run: SeedRun) -> None:
    """The discussions, on the timeline: each comment and reply written at its moment by its
    member as their key would (so it notifies the thread's people then), a hidden one hidden by
    a facilitator. A reply's id is its comment's key and its place among the replies."""
    writings: list[_Writing] = []
    for spec in run.story.comments:
        writings.append(_Writing(spec.at, demo_id("comment", spec.key), spec, None))
        for n, answer in enumerate(spec.replies, start=1):
            writings.append(
                _Writing(answer.at, demo_id("comment", f"{spec.key}:{n}"), spec, answer)
            )
    present = await existing_ids(run.conn, comments_repository.table, [w.id for w in writings])
    for writing in writings:
        if writing.id in present:
            continue
        run.later(writing.at, partial(_write_comment, run, writing))
        hidden = writing.spec.hidden
        if writing.reply is None and hidden is not None:
            run.later(hidden.at, partial(_hide_comment, run, writing.id, hidden))


async def _write_comment(run: SeedRun, writing: _Writing) -> None:
    spec, reply = writing.spec, writing.reply
    data = CommentCreate.model_validate(
        {
            "body": spec.body if reply is None else reply.body,
            "parentId": None if reply is None else demo_id("comment", spec.key),
        }
    )
    threads = {
        ThreadType.LEARNING_QUESTION: run.question_ids,
        ThreadType.CASE: run.case_ids,
        ThreadType.INSIGHT: run.insight_ids,
        ThreadType.LEARNING_GROUP: run.group_ids,
    }
    thread_id = threads[spec.thread_type][spec.thread]
    author = _as_member(run, spec.by if reply is None else reply.by)
    write = create_comment(run.conn, author, spec.thread_type, thread_id, data)
    await _create(writing.id, writing.at, write)
    run.created["comments"] += 1


async def _hide_comment(run: SeedRun, comment_id: uuid.UUID, hidden: HidingRecord) -> None:
    moderator = _as_member(run, hidden.by, "facilitator")
    with clock_at(hidden.at):
        await hide_comment(run.conn, moderator, comment_id, hidden.reason, None)


async def seed_reads(run: SeedRun) -> None:
    """The members who opened their inbox, on the timeline: what was in it then is read (the
    rest unread). A second load finds nothing unread by then, and changes nothing."""
    for read in run.story.reads:
        run.later(read.at, partial(_read_inbox, run, read))


async def _read_inbox(run: SeedRun, read: InboxRead) -> None:
    with clock_at(read.at):
        if await read_what_was_there(run.conn, _as_member(run, read.member), read.at):
            run.created["inboxes read"] += 1


STEPS: Sequence[Step] = (
    seed_departments,
    seed_organisations,
    seed_members,
    seed_themes,
    seed_workshops,
    seed_groups,
    seed_cases,
    seed_questions_and_agenda,
    seed_insights,
    seed_comments,
    seed_reads,
    replay,
)


def _members(count: int) -> str:
    return f"{count} member{'' if count == 1 else 's'}"


def _summary(created: Counter[str], total_members: int) -> str:
    made = [f"{count} {what}" for what, count in created.items() if count]
    if not made:
        return f"Demo community already present; nothing added ({_members(total_members)})."
    return f"Demo community loaded: added {', '.join(made)}; it now has {_members(total_members)}."


async def seed_demo(if_empty: bool = False) -> str:
    """Load the demo community; with `if_empty`, only into a database without members."""
    story = load_story()
    token = current_principal.set(SYSTEM)  # audit events name the system as the actor
    try:
        async with asynccontextmanager(write_connection)() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY}
                )
            if if_empty:
                existing = await member_repository.count(conn)
                if existing:
                    return (
                        f"Demo community not loaded: the database already has {_members(existing)}."
                    )
            run = SeedRun(conn, story)
            for step in STEPS:
                await step(run)
            return _summary(run.created, await member_repository.count(conn))
    finally:
        current_principal.reset(token)
