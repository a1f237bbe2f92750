"""The demo community: the Leergemeenschap Amsterdam Circulair as the seed story tells it.

Every person and every partner except DRIFT is invented. The data is deterministic (string-seeded
random generators, uuid5 ids, fixed dates) and loading it is idempotent: whatever already exists
(by id, or by its natural key such as a department code or an e-mail address) is left alone, so
`seed-demo` twice changes nothing. Everything is written through the services, as SYSTEM, in one
transaction.

To tell more of the story, write another `async def seed_x(run: SeedRun) -> None` that plans its
data with `run.rng("x")` and `demo_id("x", key)`, records what it made in `run.created`, and add it
to STEPS after the steps whose ids it needs (`run.department_ids`, `run.organisation_ids`,
`run.member_ids`).
"""

from __future__ import annotations

import random
import unicodedata
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.context import SYSTEM, current_principal
from app.core.db import write_connection
from app.core.errors import Conflict
from app.core.repository import existing_ids
from app.departments import repository as department_repository
from app.departments.models import DepartmentKind
from app.departments.schemas import DepartmentCreate
from app.departments.service import create_department
from app.members import repository as member_repository
from app.members.models import Participation, TransitionRole
from app.members.schemas import MemberCreate
from app.members.service import create_member
from app.organisations import repository as organisation_repository
from app.organisations.models import OrganisationKind
from app.organisations.schemas import OrganisationCreate
from app.organisations.service import create_organisation

# Changing any of these changes every generated id, name or date: treat them as frozen.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "demo.leergemeenschap.example")
SEED = "leergemeenschap-amsterdam-circulair"
START = date(2024, 1, 15)  # the community's kick-off
EMAIL_DOMAIN = "amsterdam.example"

# Two seeders racing on Postgres queue on this lock instead of failing on unique keys;
# SQLite's BEGIN IMMEDIATE (a write transaction) serialises them already.
_PG_LOCK_KEY = 0x1EE76E3E


def demo_id(kind: str, key: str) -> uuid.UUID:
    """The stable id of one demo record, the same on every machine and every run."""
    return uuid.uuid5(NAMESPACE, f"{kind}:{key}")


# --- departments ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DepartmentSpec:
    code: str
    name: str
    kind: DepartmentKind
    parent: str | None
    weight: int  # relative number of civil servants from this unit in the community
    role: TransitionRole  # the transition role its people most often recognise in themselves
    disciplines: tuple[str, ...]


_V, _C, _G = TransitionRole.VERBINDER, TransitionRole.COALITIEBOUWER, TransitionRole.GEBIEDSMAKELAAR
_STADSDEEL_DISCIPLINES = (
    "Gebiedsgericht werken",
    "Participatie",
    "Openbare ruimte",
    "Vergunningverlening",
    "Economische zaken",
)
_STADSDELEN = (
    ("SD-C", "Stadsdeel Centrum", 3),
    ("SD-NW", "Stadsdeel Nieuw-West", 4),
    ("SD-N", "Stadsdeel Noord", 4),
    ("SD-O", "Stadsdeel Oost", 3),
    ("SD-W", "Stadsdeel West", 3),
    ("SD-Z", "Stadsdeel Zuid", 3),
    ("SD-ZO", "Stadsdeel Zuidoost", 3),
    ("SD-WP", "Stadsgebied Weesp", 1),
)

# Parents come before their children.
DEPARTMENTS: tuple[DepartmentSpec, ...] = (
    DepartmentSpec(
        "RD",
        "Ruimte en Duurzaamheid",
        DepartmentKind.DIRECTIE,
        None,
        8,
        _V,
        ("Ruimtelijke ordening", "Stedenbouw", "Programmamanagement", "Duurzaamheidsadvies"),
    ),
    DepartmentSpec(
        "RD-CE",
        "Circulaire Economie",
        DepartmentKind.TEAM,
        "RD",
        12,
        _V,
        ("Circulair beleid", "Programmamanagement", "Data en monitoring", "Communicatie"),
    ),
    DepartmentSpec(
        "AG",
        "Afval & Grondstoffen",
        DepartmentKind.DIRECTIE,
        None,
        7,
        _C,
        ("Afvalinzameling en logistiek", "Grondstoffenbeleid", "Inkoop en aanbesteding"),
    ),
    DepartmentSpec(
        "GO",
        "Green Office",
        DepartmentKind.AFDELING,
        None,
        3,
        _V,
        ("Duurzaamheidsadvies", "Gedragsverandering", "Communicatie"),
    ),
    DepartmentSpec(
        "SI",
        "Stedelijke Innovatie",
        DepartmentKind.AFDELING,
        None,
        5,
        _C,
        ("Innovatiemanagement", "Data en monitoring", "Programmamanagement"),
    ),
    DepartmentSpec(
        "GMV",
        "Gemeentelijk en Maatschappelijk Vastgoed",
        DepartmentKind.DIRECTIE,
        None,
        6,
        _C,
        ("Vastgoedbeheer", "Bouwkunde", "Facilitair management", "Inkoop en aanbesteding"),
    ),
    DepartmentSpec(
        "IB",
        "Ingenieursbureau",
        DepartmentKind.DIRECTIE,
        None,
        6,
        _C,
        ("Civiele techniek", "Ontwerp en architectuur", "Materialen en constructie"),
    ),
    DepartmentSpec(
        "PMB",
        "Project Management Bureau",
        DepartmentKind.DIRECTIE,
        None,
        5,
        _C,
        ("Projectmanagement", "Contractmanagement", "Inkoop en aanbesteding"),
    ),
    DepartmentSpec(
        "SB",
        "Sport en Bos",
        DepartmentKind.DIRECTIE,
        None,
        4,
        _G,
        ("Groenbeheer", "Sportaccommodaties", "Bosbeheer"),
    ),
    *(
        DepartmentSpec(
            code, name, DepartmentKind.STADSDEEL, None, weight, _G, _STADSDEEL_DISCIPLINES
        )
        for code, name, weight in _STADSDELEN
    ),
)
_DEPARTMENT_BY_CODE = {spec.code: spec for spec in DEPARTMENTS}


# --- organisations --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrganisationSpec:
    name: str
    kind: OrganisationKind
    website: str | None = None


DRIFT = "DRIFT"
ORGANISATIONS: tuple[OrganisationSpec, ...] = (
    OrganisationSpec(DRIFT, OrganisationKind.FACILITATOR, "https://drift.eur.nl"),
    OrganisationSpec("Kringbouw Amsterdam BV", OrganisationKind.MARKET_PARTY),
    OrganisationSpec("Materiaalhub IJhaven BV", OrganisationKind.MARKET_PARTY),
    OrganisationSpec("Retourlogistiek Westpoort BV", OrganisationKind.MARKET_PARTY),
    OrganisationSpec("Stichting Buurtwerkplaats Oost", OrganisationKind.SOCIETAL_INITIATIVE),
    OrganisationSpec("Coöperatie Deelschuur Noord", OrganisationKind.SOCIETAL_INITIATIVE),
    OrganisationSpec("Stichting Textielkring Zuidoost", OrganisationKind.SOCIETAL_INITIATIVE),
    OrganisationSpec("Kenniscentrum Circulaire Stad", OrganisationKind.KNOWLEDGE_INSTITUTE),
)


# --- members --------------------------------------------------------------------------------

PARTICIPANTS = 75  # the starting group, DRIFT's facilitators included
FOLLOWERS = 100  # who joined during the first year, to 175 in all
# New followers per month from February 2024 to January 2025: a slow start, a rise after the
# werkplaatsen and the summer. Sums to FOLLOWERS.
FOLLOWERS_PER_MONTH = (6, 7, 9, 8, 7, 5, 6, 8, 11, 12, 11, 10)

_DRIFT_FACILITATORS = (
    ("Noor", "Verbeek", "Transitieonderzoek"),
    ("Thijs", "van Gelder", "Procesbegeleiding"),
    ("Imane", "Bakkali", "Transitieonderzoek"),
    ("Jurre", "Hofstede", "Procesbegeleiding"),
)
_DRIFT_EMAIL_DOMAIN = "drift.example"

_GIVEN_NAMES = (
    "Sanne", "Daan", "Fleur", "Bram", "Lotte", "Jeroen", "Anouk", "Thijs", "Femke", "Ruben",
    "Iris", "Sem", "Eva", "Lars", "Noor", "Jesse", "Maartje", "Stijn", "Lieke", "Wouter",
    "Esther", "Joris", "Marloes", "Koen", "Ilse", "Pieter", "Floor", "Niels", "Merel", "Tim",
    "Yasmina", "Mohamed", "Fatima", "Youssef", "Samira", "Bilal", "Priya", "Rajesh", "Naomi",
    "Kofi", "Aylin", "Emre", "Sevda", "Mehmet", "Chantal", "Rocco", "Linh", "Wei", "Dewi",
    "Marieke", "Hanneke", "Gijs", "Sophie", "Julia", "Tom", "Jasper", "Roos", "Olivier",
    "Hamza", "Nadia",
)  # fmt: skip
_FAMILY_NAMES = (
    "de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder",
    "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer",
    "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer", "van der Linden", "Kok",
    "Jacobs", "de Haan", "Vermeulen", "van den Berg", "van Dijk", "Schouten", "Willems",
    "Hoekstra", "Koster", "Prins", "Huisman", "Kuipers", "van Wijk", "Postma", "Verhoeven",
    "Blom", "Kramer", "El Amrani", "Bouzid", "Yilmaz", "Kaya", "Öztürk", "Doğan", "Ramdin",
    "Sewnath", "Kartosen", "Mahabier", "Tjon", "Nguyen", "Boateng", "Mensah", "Chaara",
    "Ait Taleb", "Benali", "Ouali", "van Rijn", "Timmermans", "Molenaar", "Veenstra",
    "Wolters", "Zwart", "Bosman", "Rutten", "Scholten", "Groen", "Brink", "Lammers",
    "van Beek", "de Jong",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class MemberSpec:
    id: uuid.UUID
    given_name: str
    family_name: str
    email: str
    external_id: str | None
    department_code: str | None
    organisation: str | None
    participation: Participation
    joined_at: datetime
    transition_roles: tuple[TransitionRole, ...]
    discipline: str | None


def _email_part(name: str) -> str:
    """'van der Meer' → 'vandermeer', 'Öztürk' → 'ozturk'."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def _at(day: date, rng: random.Random) -> datetime:
    """A moment during office hours (UTC) on that day."""
    minutes = rng.randrange(8 * 60, 17 * 60)
    return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=UTC)


def _month_start(months_after: int) -> date:
    index = START.month - 1 + months_after
    return date(START.year + index // 12, index % 12 + 1, 1)


def _participant_joins(rng: random.Random, count: int) -> list[datetime]:
    """The starting group signed up in the week up to the kick-off."""
    return [_at(START - timedelta(days=rng.randrange(0, 8)), rng) for _ in range(count)]


def _follower_joins(rng: random.Random) -> list[datetime]:
    joins: list[datetime] = []
    for months_after, count in enumerate(FOLLOWERS_PER_MONTH, start=1):
        first = _month_start(months_after)
        # The year closes on the kick-off's anniversary; earlier months fill their first 28 days.
        last_day = START.day - 1 if months_after == len(FOLLOWERS_PER_MONTH) else 28
        joins.extend(_at(first.replace(day=rng.randint(1, last_day)), rng) for _ in range(count))
    return sorted(joins)


def _roles(rng: random.Random, spec: DepartmentSpec, share: float) -> tuple[TransitionRole, ...]:
    if rng.random() >= share:
        return ()
    others = [role for role in TransitionRole if role != spec.role]
    chosen = {spec.role if rng.random() < 0.65 else rng.choice(others)}
    if rng.random() < 0.2:
        chosen.add(rng.choice(list(TransitionRole)))
    return tuple(role for role in TransitionRole if role in chosen)


def _departments_for(rng: random.Random, count: int, *, cover_all: bool) -> list[str]:
    """Department codes for `count` people; with cover_all, every unit gets someone first."""
    codes = [spec.code for spec in DEPARTMENTS] if cover_all else []
    weights = [spec.weight for spec in DEPARTMENTS]
    codes += rng.choices([spec.code for spec in DEPARTMENTS], weights, k=count - len(codes))
    rng.shuffle(codes)
    return codes


def _drift_facilitators() -> list[MemberSpec]:
    """DRIFT's facilitators prepared the kick-off with the core team, a week ahead."""
    prepared = datetime.combine(START - timedelta(days=7), time(10, 0), tzinfo=UTC)
    facilitators = []
    for given, family, discipline in _DRIFT_FACILITATORS:
        email = f"{_email_part(given)}.{_email_part(family)}@{_DRIFT_EMAIL_DOMAIN}"
        facilitators.append(
            MemberSpec(
                id=demo_id("member", email),
                given_name=given,
                family_name=family,
                email=email,
                external_id=None,
                department_code=None,
                organisation=DRIFT,
                participation=Participation.PARTICIPANT,
                joined_at=prepared,
                transition_roles=(),
                discipline=discipline,
            )
        )
    return facilitators


def plan_members() -> list[MemberSpec]:
    """The 175 invented members: 75 participants from the start, 100 followers during the year."""
    rng = random.Random(f"{SEED}:members")  # noqa: S311 - demo data, not secrets
    drift = _drift_facilitators()
    civil_participants = PARTICIPANTS - len(drift)
    joins = _participant_joins(rng, civil_participants) + _follower_joins(rng)
    departments = _departments_for(rng, civil_participants, cover_all=True) + _departments_for(
        rng, FOLLOWERS, cover_all=False
    )
    hr_numbers = rng.sample(range(100_000, 1_000_000), len(joins))

    seen: set[str] = {spec.email for spec in drift}
    members = list(drift)
    for index, (joined_at, code) in enumerate(zip(joins, departments, strict=True)):
        participant = index < civil_participants
        while True:
            given, family = rng.choice(_GIVEN_NAMES), rng.choice(_FAMILY_NAMES)
            email = f"{_email_part(given)}.{_email_part(family)}@{EMAIL_DOMAIN}"
            if email not in seen:
                break
        seen.add(email)
        department = _DEPARTMENT_BY_CODE[code]
        members.append(
            MemberSpec(
                id=demo_id("member", email),
                given_name=given,
                family_name=family,
                email=email,
                external_id=f"AMS-{hr_numbers[index]}",
                department_code=code,
                organisation=None,
                participation=Participation.PARTICIPANT if participant else Participation.FOLLOWER,
                joined_at=joined_at,
                transition_roles=_roles(rng, department, 0.6 if participant else 0.2),
                discipline=rng.choice(department.disciplines) if rng.random() < 0.9 else None,
            )
        )
    return members


# --- the run ----------------------------------------------------------------------------------


@dataclass
class SeedRun:
    """What the steps share: the transaction, the ids they resolved, and what they created."""

    conn: AsyncConnection
    department_ids: dict[str, uuid.UUID] = field(default_factory=dict)  # by code
    organisation_ids: dict[str, uuid.UUID] = field(default_factory=dict)  # by name
    # Every demo person present, by their planned e-mail address.
    member_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    created: Counter[str] = field(default_factory=Counter)

    def rng(self, step: str) -> random.Random:
        """A generator of its own per step, so adding a step never shifts another's data."""
        return random.Random(f"{SEED}:{step}")  # noqa: S311 - demo data, not secrets


Step = Callable[[SeedRun], Awaitable[None]]


async def seed_departments(run: SeedRun) -> None:
    planned = {spec.code: demo_id("department", spec.code) for spec in DEPARTMENTS}
    present = await existing_ids(run.conn, department_repository.table, planned.values())
    for spec in DEPARTMENTS:
        department_id = planned[spec.code]
        if department_id in present:
            run.department_ids[spec.code] = department_id
            continue
        data = DepartmentCreate.model_validate(
            {
                "code": spec.code,
                "name": spec.name,
                "kind": spec.kind,
                "parentId": run.department_ids[spec.parent] if spec.parent else None,
            }
        )
        try:
            await create_department(run.conn, SYSTEM, data, department_id=department_id)
        except Conflict:
            # The intranet already knows this unit under its own id: the demo joins it.
            holder = await department_repository.id_for_code(run.conn, spec.code)
            assert holder is not None
            run.department_ids[spec.code] = holder
            continue
        run.department_ids[spec.code] = department_id
        run.created["departments"] += 1


async def seed_organisations(run: SeedRun) -> None:
    planned = {spec.name: demo_id("organisation", spec.name) for spec in ORGANISATIONS}
    present = await existing_ids(run.conn, organisation_repository.table, planned.values())
    for spec in ORGANISATIONS:
        organisation_id = planned[spec.name]
        if organisation_id in present:
            run.organisation_ids[spec.name] = organisation_id
            continue
        data = OrganisationCreate.model_validate(
            {"name": spec.name, "kind": spec.kind, "website": spec.website}
        )
        try:
            await create_organisation(run.conn, SYSTEM, data, organisation_id=organisation_id)
        except Conflict:
            # Already registered under its own id (by an admin, say): the demo uses that one.
            holder = await organisation_repository.id_for_name(run.conn, spec.name)
            assert holder is not None
            run.organisation_ids[spec.name] = holder
            continue
        run.organisation_ids[spec.name] = organisation_id
        run.created["organisations"] += 1


async def seed_members(run: SeedRun) -> None:
    plan = plan_members()
    present = await existing_ids(run.conn, member_repository.table, [spec.id for spec in plan])
    for spec in plan:
        if spec.id in present:
            run.member_ids[spec.email] = spec.id
            continue
        data = _member_create(run, spec)
        try:
            await create_member(run.conn, SYSTEM, data, member_id=spec.id)
        except Conflict:
            # This person is already here under their own id (synced, say): keep them as they are.
            holders = await member_repository.holders(
                run.conn, email=spec.email, external_id=spec.external_id
            )
            run.member_ids[spec.email] = holders[0].id
            continue
        run.member_ids[spec.email] = spec.id
        run.created["members"] += 1


def _member_create(run: SeedRun, spec: MemberSpec) -> MemberCreate:
    # Validated like an API request body, so the demo holds nothing the API would refuse.
    return MemberCreate.model_validate(
        {
            "externalId": spec.external_id,
            "email": spec.email,
            "givenName": spec.given_name,
            "familyName": spec.family_name,
            "departmentId": run.department_ids[spec.department_code]
            if spec.department_code
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


STEPS: Sequence[Step] = (seed_departments, seed_organisations, seed_members)


def _members(count: int) -> str:
    return f"{count} member{'' if count == 1 else 's'}"


def _summary(created: Counter[str], total_members: int) -> str:
    made = [f"{count} {what}" for what, count in created.items() if count]
    if not made:
        return f"Demo community already present; nothing added ({_members(total_members)})."
    return f"Demo community loaded: added {', '.join(made)}; it now has {_members(total_members)}."


async def seed_demo(if_empty: bool = False) -> str:
    """Load the demo community; with `if_empty`, only into a database without members."""
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
            run = SeedRun(conn)
            for step in STEPS:
                await step(run)
            return _summary(run.created, await member_repository.count(conn))
    finally:
        current_principal.reset(token)
