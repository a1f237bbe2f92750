"""The demo community: the Leergemeenschap Amsterdam Circulair as the seed story tells it.

Every person and every partner except DRIFT is invented. The data is deterministic (string-seeded
random generators, uuid5 ids, fixed dates) and loading it is idempotent: whatever already exists
(by id, or by its natural key such as a department code or an e-mail address) is left alone, so
`seed-demo` twice changes nothing. Everything is written through the services, as SYSTEM, in one
transaction.

The story: 175 members (75 from the start), the three themes, two werkplaatsen (eight learning
groups form at the first, results are presented and new groups form at the second), cases,
thirty learning questions, insights at every adoption stage, and the learning agenda revised
after each werkplaats (revisions 1 and 2 published, 3 an open draft). The past is replayed in
order with its own dates (question statuses, publications), so as-of queries and diffs read it
as it happened; what the story does not date (versions, updates) is dated by the load.

To tell more of the story, write another `async def seed_x(run: SeedRun) -> None` that plans its
data with `run.rng("x")` and `demo_id("x", key)`, records what it made in `run.created`, and add it
to STEPS after the steps whose ids it needs (`run.department_ids`, `run.organisation_ids`,
`run.member_ids`, `run.theme_ids`, `run.workshop_ids`, `run.group_ids`, `run.case_ids`,
`run.question_ids`).
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
from functools import partial
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.agenda import repository as agenda_repository
from app.agenda.models import Priority
from app.agenda.schemas import AgendaItemInput, RevisionCreate
from app.agenda.service import create_draft, publish_revision, replace_items
from app.cases.models import Case, CaseStatus
from app.cases.schemas import CaseCreate, CaseUpdate
from app.cases.service import create_case, update_case
from app.core.context import SYSTEM, current_principal
from app.core.db import write_connection
from app.core.errors import Conflict
from app.core.models import table_of
from app.core.repository import existing_ids
from app.departments import repository as department_repository
from app.departments.models import DepartmentKind
from app.departments.schemas import DepartmentCreate
from app.departments.service import create_department
from app.insights.models import Adoption, Insight
from app.insights.schemas import InsightCreate
from app.insights.service import create_insight
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
from app.learning_questions.service import create_question, merge_question, update_question
from app.members import repository as member_repository
from app.members.models import Participation, TransitionRole
from app.members.schemas import MemberCreate
from app.members.service import create_member
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


# --- the learning work: themes, werkplaatsen, groups and cases --------------------------------
#
# The story after the kick-off, replayed in the order it happened so that every write passes the
# same rules an API call would: the first werkplaats (groups form, questions are raised, agenda
# revision 1), the months of work in between, the second werkplaats (results presented, groups
# conclude, new questions and groups, revision 2), and what followed (an open draft 3).

FIRST_DAY = date(2024, 3, 14)  # CET: UTC+1
SECOND_DAY = date(2024, 10, 10)  # CEST: UTC+2
FIRST, SECOND = "werkplaats-1", "werkplaats-2"


def _utc(day: date, hhmm: str) -> datetime:
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=UTC)


def _first(hhmm: str) -> datetime:
    return _utc(FIRST_DAY, hhmm)


def _second(hhmm: str) -> datetime:
    return _utc(SECOND_DAY, hhmm)


@dataclass(frozen=True, slots=True)
class ThemeSpec:
    key: str
    name: str
    role: TransitionRole
    description: str


ORGANISATIE, MARKT, INITIATIEVEN = "organisatie", "markt", "initiatieven"
THEMES: tuple[ThemeSpec, ...] = (
    ThemeSpec(
        ORGANISATIE,
        "De gemeente als organisatie",
        TransitionRole.VERBINDER,
        "Hoe de gemeente zelf circulair gaat werken: in sturing, inkoop, beheer en in de "
        "samenwerking tussen afdelingen. De ambtenaar als verbinder brengt lessen uit projecten "
        "naar de lijn, zodat circulair werken de norm wordt en niet alleen per project gebeurt.",
    ),
    ThemeSpec(
        MARKT,
        "De gemeente en marktpartijen",
        TransitionRole.COALITIEBOUWER,
        "Hoe de gemeente als opdrachtgever, grondeigenaar en partner met bedrijven circulaire "
        "ketens opbouwt. De ambtenaar als coalitiebouwer zoekt gedeelde belangen, deelt risico's "
        "en brengt partijen samen die elkaar nodig hebben.",
    ),
    ThemeSpec(
        INITIATIEVEN,
        "De gemeente en maatschappelijke initiatieven",
        TransitionRole.GEBIEDSMAKELAAR,
        "Hoe de gemeente buurt- en bewonersinitiatieven ruimte en steun geeft. De ambtenaar als "
        "gebiedsmakelaar verbindt initiatieven in een gebied met mensen, plekken en middelen, en "
        "vertaalt wat zij nodig hebben naar de eigen organisatie.",
    ),
)


@dataclass(frozen=True, slots=True)
class WorkshopSpec:
    key: str
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str
    summary: str
    participants: int  # civil participants attending, besides DRIFT's facilitators
    followers: int


WORKSHOPS: tuple[WorkshopSpec, ...] = (
    WorkshopSpec(
        FIRST,
        "Eerste werkplaats: leergroepen vormen",
        _first("12:30"),
        _first("16:30"),
        "Zaal De Verbinding, Amsterdam",
        "De startgroep leert elkaar kennen en verkent de drie thema's. Acht leergroepen vormen "
        "zich: een deel gaat zelfstandig aan de slag, een deel werkt onder begeleiding van DRIFT "
        "aan concrete casussen. De eerste leeragenda wordt opgesteld.",
        participants=58,
        followers=0,
    ),
    WorkshopSpec(
        SECOND,
        "Tweede werkplaats: resultaten en nieuwe leervragen",
        _second("12:00"),
        _second("16:30"),
        "Zaal De Kringloop, Amsterdam",
        "De leergroepen presenteren hun resultaten en de uitkomsten van hun casussen; enkele "
        "groepen ronden af. Er ontstaan nieuwe leervragen en twee nieuwe leergroepen, en de "
        "leeragenda wordt bijgesteld.",
        participants=46,
        followers=28,
    ),
)


@dataclass(frozen=True, slots=True)
class GroupSpec:
    key: str
    name: str
    description: str
    theme: str
    facilitator: int | None  # index into DRIFT's facilitators; None: self-directed
    workshop: str  # where it formed
    size: int  # civil members at formation
    leads: int
    departments: tuple[str, ...]  # where its members mostly come from
    status: GroupStatus  # where its lifecycle stands now
    followers: int = 0  # of its members, how many are followers


_THEME_BY_KEY = {spec.key: spec for spec in THEMES}
_GROUP_PATH = (GroupStatus.ACTIVE, GroupStatus.PRESENTED, GroupStatus.CONCLUDED)

GROUPS: tuple[GroupSpec, ...] = (
    GroupSpec(
        "project-naar-praktijk",
        "Van project naar staande praktijk",
        "Hoe lessen uit circulaire projecten in de gewone werkwijze van afdelingen landen.",
        ORGANISATIE,
        None,
        FIRST,
        7,
        2,
        ("RD", "RD-CE", "GO"),
        GroupStatus.PRESENTED,
    ),
    GroupSpec(
        "sturen-op-doelen",
        "Sturen op circulaire doelen",
        "Hoe de doelen voor 2026 en 2030 doorwerken in begroting, planning en monitoring.",
        ORGANISATIE,
        None,
        FIRST,
        6,
        2,
        ("RD-CE", "RD", "SI"),
        GroupStatus.CONCLUDED,
    ),
    GroupSpec(
        "eigen-vastgoed",
        "Circulair beheer van eigen vastgoed",
        "Circulair renoveren en onderhouden van gemeentelijke panden, met een stadsdeelkantoor "
        "als casus.",
        ORGANISATIE,
        0,
        FIRST,
        7,
        1,
        ("GMV", "SB"),
        GroupStatus.PRESENTED,
    ),
    GroupSpec(
        "opdrachtgeverschap-openbare-ruimte",
        "Circulair opdrachtgeverschap in de openbare ruimte",
        "Hergebruik van materialen uitvragen in grond-, weg- en waterbouw, met de vernieuwing "
        "van kademuren als casus.",
        MARKT,
        1,
        FIRST,
        7,
        1,
        ("IB", "PMB"),
        GroupStatus.CONCLUDED,
    ),
    GroupSpec(
        "materiaalhubs",
        "Materiaalhubs en retourlogistiek",
        "Samen met logistieke partijen en een materiaalhub bouw- en sloopstromen rondmaken.",
        MARKT,
        2,
        FIRST,
        7,
        1,
        ("AG", "SI"),
        GroupStatus.PRESENTED,
    ),
    GroupSpec(
        "marktdialoog",
        "Marktdialoog en circulaire inkoopcriteria",
        "Hoe een vroege dialoog met de markt en werkbare criteria circulair inkopen verder helpen.",
        MARKT,
        None,
        FIRST,
        6,
        2,
        ("PMB", "AG", "GMV"),
        GroupStatus.CONCLUDED,
    ),
    GroupSpec(
        "buurtinitiatieven",
        "Buurtinitiatieven als circulaire partners",
        "Samenwerken met buurtwerkplaatsen en textielinitiatieven in Oost en Zuidoost.",
        INITIATIEVEN,
        3,
        FIRST,
        7,
        1,
        ("SD-O", "SD-ZO", "SD-NW"),
        GroupStatus.PRESENTED,
    ),
    GroupSpec(
        "ruimte-voor-initiatieven",
        "Ruimte voor initiatieven in de stadsdelen",
        "Leegstaande panden en restruimte beschikbaar maken voor deel- en reparatie-initiatieven.",
        INITIATIEVEN,
        None,
        FIRST,
        6,
        2,
        ("SD-N", "SD-W", "SD-Z", "SD-C", "SD-WP"),
        GroupStatus.PRESENTED,
    ),
    GroupSpec(
        "ambtelijke-rollen",
        "Ambtelijke rollen in de transitie",
        "Wat de rollen verbinder, coalitiebouwer en gebiedsmakelaar vragen van ambtenaren en hun "
        "leidinggevenden, in gesprek met het essay van DRIFT.",
        ORGANISATIE,
        0,
        SECOND,
        8,
        1,
        ("RD-CE", "GO", "SD-NW", "PMB"),
        GroupStatus.ACTIVE,
        followers=3,
    ),
    GroupSpec(
        "textielketen-zuidoost",
        "Textielketen Zuidoost",
        "Inzameling, sortering en hergebruik van textiel met initiatieven en de inzameldienst.",
        INITIATIEVEN,
        None,
        SECOND,
        5,
        2,
        ("SD-ZO", "AG"),
        GroupStatus.FORMING,
        followers=2,
    ),
)
_GROUP_BY_KEY = {spec.key: spec for spec in GROUPS}


@dataclass(frozen=True, slots=True)
class MembershipPlan:
    id: uuid.UUID
    group: str
    member: MemberSpec
    role: MembershipRole
    joined_at: datetime
    left_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoryPlan:
    """Who attended which werkplaats, and who was in which group: planned from the members."""

    attendees: dict[str, list[tuple[MemberSpec, datetime]]]
    memberships: dict[str, list[MembershipPlan]]

    def lead(self, group: str) -> MemberSpec:
        return next(m.member for m in self.memberships[group] if m.role == MembershipRole.LEAD)


def _formed_at(spec: GroupSpec) -> datetime:
    return _first("14:45") if spec.workshop == FIRST else _second("15:00")


def _pick_group(
    rng: random.Random, spec: GroupSpec, participants: list[MemberSpec], followers: list[MemberSpec]
) -> list[MemberSpec]:
    """Members mostly from the group's own departments; those who recognise themselves in the
    theme's transition role come first, so they lead."""
    wanted = spec.size - spec.followers
    local = [m for m in participants if m.department_code in spec.departments]
    rng.shuffle(local)
    chosen = local[: max(wanted - 2, 0)]
    rest = [m for m in participants if m not in chosen]
    chosen += rng.sample(rest, wanted - len(chosen))
    role = _THEME_BY_KEY[spec.theme].role
    chosen.sort(key=lambda m: role not in m.transition_roles)  # stable: keeps the draw's order
    return chosen + rng.sample(followers, spec.followers)


def _group_memberships(
    spec: GroupSpec, chosen: list[MemberSpec], drift: list[MemberSpec]
) -> list[MembershipPlan]:
    formed = _formed_at(spec)
    plans = []
    if spec.facilitator is not None:
        facilitator = drift[spec.facilitator]
        plans.append(
            MembershipPlan(
                demo_id("membership", f"{spec.key}:{facilitator.email}"),
                spec.key,
                facilitator,
                MembershipRole.FACILITATOR,
                formed,
            )
        )
    for index, member in enumerate(chosen):
        plans.append(
            MembershipPlan(
                demo_id("membership", f"{spec.key}:{member.email}"),
                spec.key,
                member,
                MembershipRole.LEAD if index < spec.leads else MembershipRole.MEMBER,
                formed + timedelta(minutes=5 + index),
            )
        )
    return plans


def plan_story() -> StoryPlan:
    """The werkplaatsen's attendees and the groups' members, the same on every run."""
    rng = random.Random(f"{SEED}:story")  # noqa: S311 - demo data, not secrets
    members = plan_members()
    order = {m.email: index for index, m in enumerate(members)}
    drift = [m for m in members if m.organisation == DRIFT]
    civil = [m for m in members if m.organisation is None]
    participants = [m for m in civil if m.participation == Participation.PARTICIPANT]
    followers = [m for m in civil if m.participation == Participation.FOLLOWER]

    attendees: dict[str, list[tuple[MemberSpec, datetime]]] = {}
    memberships: dict[str, list[MembershipPlan]] = {}

    def attend(workshop: WorkshopSpec, people: list[MemberSpec]) -> list[MemberSpec]:
        people = sorted(people, key=lambda m: order[m.email])
        checked_in = workshop.starts_at - timedelta(minutes=30)
        attendees[workshop.key] = [
            (m, checked_in + timedelta(minutes=rng.randrange(0, 30))) for m in drift + people
        ]
        return people

    first_workshop, second_workshop = WORKSHOPS
    # The first werkplaats: most of the starting group; every attendee joins at most one group.
    pool = attend(first_workshop, rng.sample(participants, first_workshop.participants))
    for spec in GROUPS:
        if spec.workshop != FIRST:
            continue
        chosen = _pick_group(rng, spec, pool, [])
        pool = [m for m in pool if m not in chosen]
        memberships[spec.key] = _group_memberships(spec, chosen, drift)

    # Between the werkplaatsen one member leaves a group and a follower joins another.
    leaver = memberships["materiaalhubs"][-1]
    memberships["materiaalhubs"][-1] = MembershipPlan(
        leaver.id,
        leaver.group,
        leaver.member,
        leaver.role,
        leaver.joined_at,
        left_at=_utc(date(2024, 6, 20), "09:00"),
    )
    joined_by_may = [m for m in followers if m.joined_at < _utc(date(2024, 5, 1), "00:00")]
    newcomer = rng.choice(joined_by_may)
    memberships["project-naar-praktijk"].append(
        MembershipPlan(
            demo_id("membership", f"project-naar-praktijk:{newcomer.email}"),
            "project-naar-praktijk",
            newcomer,
            MembershipRole.MEMBER,
            _utc(date(2024, 5, 16), "10:00"),
        )
    )

    # The second werkplaats: every lead presents; other participants and followers join them.
    leads = [
        m.member
        for plans in memberships.values()
        for m in plans
        if m.role == MembershipRole.LEAD and m.member.participation == Participation.PARTICIPANT
    ]
    others = [m for m in participants if m not in leads]
    present = leads + rng.sample(others, second_workshop.participants - len(leads))
    followers_by_then = [m for m in followers if m.joined_at < second_workshop.starts_at]
    present += rng.sample(followers_by_then, second_workshop.followers)
    second_pool = attend(second_workshop, present)
    taken: set[str] = set()
    for spec in GROUPS:
        if spec.workshop != SECOND:
            continue
        free = [m for m in second_pool if m.email not in taken]
        chosen = _pick_group(
            rng,
            spec,
            [m for m in free if m.participation == Participation.PARTICIPANT],
            [m for m in free if m.participation == Participation.FOLLOWER],
        )
        taken.update(m.email for m in chosen)
        memberships[spec.key] = _group_memberships(spec, chosen, drift)
    return StoryPlan(attendees, memberships)


@dataclass(frozen=True, slots=True)
class CaseSpec:
    key: str
    group: str
    title: str
    description: str
    department: str  # the context it lives in
    partners: tuple[str, ...]  # organisation names
    created_at: datetime
    path: tuple[CaseStatus, ...]  # the statuses it went through after `proposed`
    outcome: str | None = None  # presented at the second werkplaats when given


CASES: tuple[CaseSpec, ...] = (
    CaseSpec(
        "stadsdeelkantoor",
        "eigen-vastgoed",
        "Circulaire renovatie van een stadsdeelkantoor",
        "Een verouderd stadsdeelkantoor wordt gerenoveerd met zoveel mogelijk hergebruik van "
        "binnenwanden, plafonds en meubilair; de leergroep volgt het project van uitvraag tot "
        "oplevering.",
        "GMV",
        ("Kringbouw Amsterdam BV", "Kenniscentrum Circulaire Stad"),
        _first("15:30"),
        (CaseStatus.IN_PROGRESS, CaseStatus.PRESENTED),
        "Ruim zestig procent van de binnenwanden en het meubilair is hergebruikt. De grootste "
        "winst zat in de vroege inventarisatie; de grootste drempel in het onderhoudscontract, "
        "dat nieuw materiaal voorschreef.",
    ),
    CaseSpec(
        "kademuren",
        "opdrachtgeverschap-openbare-ruimte",
        "Hergebruik van natuursteen en brugdelen bij kademuurvernieuwing",
        "Bij de vernieuwing van kademuren komen natuursteen, gietijzeren leuningen en brugdelen "
        "vrij. De casus zoekt uit hoe die lokaal terugkomen in de openbare ruimte.",
        "IB",
        ("Materiaalhub IJhaven BV",),
        _first("15:30"),
        (CaseStatus.IN_PROGRESS, CaseStatus.PRESENTED, CaseStatus.CLOSED),
        "De natuursteen van twee kademuren is via de materiaalhub opnieuw gebruikt in een "
        "plein. Hergebruik moet al in de aanbesteding als functionele eis staan; achteraf "
        "regelen lukte niet.",
    ),
    CaseSpec(
        "hub-westpoort",
        "materiaalhubs",
        "Een materiaalhub voor bouw- en sloopstromen in Westpoort",
        "Met een logistieke partij en een materiaalhub onderzoekt de groep hoe vrijkomende "
        "bouwmaterialen van gemeentelijke projecten worden opgeslagen, gekeurd en opnieuw "
        "aangeboden.",
        "AG",
        ("Retourlogistiek Westpoort BV", "Materiaalhub IJhaven BV"),
        _first("15:30"),
        (CaseStatus.IN_PROGRESS, CaseStatus.PRESENTED),
        "Een proef met drie sloopprojecten leverde bruikbaar materiaal op, maar niemand bleek "
        "eigenaar van de opgeslagen materialen. Afspraken over eigendom en aansprakelijkheid "
        "zijn de volgende stap.",
    ),
    CaseSpec(
        "kantoormeubilair",
        "materiaalhubs",
        "Retourstroom van kantoormeubilair uit gemeentelijke panden",
        "Meubilair dat bij verhuizingen vrijkomt gaat via een retourstroom naar andere "
        "gemeentelijke locaties of naar de hub.",
        "GMV",
        ("Retourlogistiek Westpoort BV",),
        _second("15:20"),
        (),
    ),
    CaseSpec(
        "buurtwerkplaats-oost",
        "buurtinitiatieven",
        "Buurtwerkplaats Oost: van pilot naar structurele samenwerking",
        "Een buurtwerkplaats repareert en verkoopt tweedehands spullen. Hoe kan het stadsdeel "
        "de samenwerking na de pilot voortzetten zonder het initiatief over te nemen?",
        "SD-O",
        ("Stichting Buurtwerkplaats Oost",),
        _first("15:35"),
        (CaseStatus.IN_PROGRESS, CaseStatus.PRESENTED, CaseStatus.CLOSED),
        "Het stadsdeel en de stichting tekenden een samenwerkingsovereenkomst voor drie jaar, "
        "met een vaste contactpersoon in het gebiedsteam en ruimte in een buurthuis.",
    ),
    CaseSpec(
        "textiel-zuidoost",
        "buurtinitiatieven",
        "Textielinzameling met een initiatief in Zuidoost",
        "Een stichting zamelt textiel in bij buurtcentra. De casus zoekt een werkwijze die past "
        "naast de gemeentelijke inzameling.",
        "SD-ZO",
        ("Stichting Textielkring Zuidoost",),
        _first("15:35"),
        (CaseStatus.IN_PROGRESS,),
    ),
    CaseSpec(
        "deelschuur-noord",
        "ruimte-voor-initiatieven",
        "Een deelschuur in een leegstaand gemeentelijk pand in Noord",
        "Een coöperatie wil gereedschap en apparaten uitlenen vanuit een leegstaand pand. Welke "
        "voorwaarden stelt de gemeente, en wie betaalt het beheer?",
        "SD-N",
        ("Coöperatie Deelschuur Noord",),
        _first("15:40"),
        (CaseStatus.IN_PROGRESS, CaseStatus.PRESENTED),
        "Het pand is voor vijf jaar tegen een maatschappelijke huur beschikbaar. De "
        "vergunningverlening duurde het langst: er bleek geen passende bestemming te zijn.",
    ),
    CaseSpec(
        "materiaalstromen-in-beeld",
        "sturen-op-doelen",
        "Materiaalstromen van de gemeente in beeld",
        "Een overzicht van de materialen die de gemeente zelf inkoopt en afvoert, als basis "
        "voor sturing op de doelen voor 2030.",
        "RD-CE",
        ("Kenniscentrum Circulaire Stad",),
        _first("15:40"),
        (CaseStatus.CLOSED,),  # stopped before it began: the data were not there
    ),
)
_CASE_BY_KEY = {spec.key: spec for spec in CASES}


# --- learning questions, insights and the agenda -----------------------------------------------


@dataclass(frozen=True, slots=True)
class QuestionChange:
    at: datetime
    status: QuestionStatus | None = None
    owner: str | None = None  # a group key: the question changes hands
    answer: str | None = None


@dataclass(frozen=True, slots=True)
class QuestionSpec:
    key: str
    title: str
    theme: str | None
    kind: QuestionKind
    raised_at: datetime
    status: QuestionStatus  # the status it was raised in
    origin_workshop: str | None = None
    origin_group: str | None = None
    origin_case: str | None = None
    owner: str | None = None  # group key
    raised_by: str | None = None  # "lead:<group>" or "department:<code>"; else an attendee
    description: str | None = None
    changes: tuple[QuestionChange, ...] = ()
    merged_into: tuple[datetime, str] | None = None  # when, and into which question


_P, _O, _E, _A = (
    QuestionStatus.PROPOSED,
    QuestionStatus.OPEN,
    QuestionStatus.EXPLORING,
    QuestionStatus.ANSWERED,
)
_PARKED, _RETIRED = QuestionStatus.PARKED, QuestionStatus.RETIRED
_STRATEGIC, _OPERATIONAL = QuestionKind.STRATEGIC, QuestionKind.OPERATIONAL
# At the first werkplaats questions were written on cards during the afternoon and opened
# together in the closing plenary, before the first agenda was published.
_OPENED_AT_FIRST = QuestionChange(_first("16:10"), _O)


def _day(year: int, month: int, day: int, hhmm: str = "10:00") -> datetime:
    return _utc(date(year, month, day), hhmm)


QUESTIONS: tuple[QuestionSpec, ...] = (
    # Raised at the first werkplaats.
    QuestionSpec(
        "norm",
        "Hoe wordt circulair werken de norm in plaats van een keuze per project?",
        ORGANISATIE,
        _STRATEGIC,
        _first("15:15"),
        _P,
        origin_workshop=FIRST,
        owner="project-naar-praktijk",
        raised_by="lead:project-naar-praktijk",
        description="Individuele inzichten uit projecten vertalen naar de manier van werken.",
        changes=(_OPENED_AT_FIRST, QuestionChange(_day(2024, 5, 16), _E)),
    ),
    QuestionSpec(
        "rollen",
        "Welke ambtelijke rollen vraagt de circulaire transitie van ons?",
        ORGANISATIE,
        _STRATEGIC,
        _first("15:18"),
        _P,
        origin_workshop=FIRST,
        owner="project-naar-praktijk",
        raised_by="lead:project-naar-praktijk",
        changes=(
            _OPENED_AT_FIRST,
            QuestionChange(_day(2024, 6, 6), _E),
            QuestionChange(
                _second("14:30"),
                _A,
                answer="Drie rollen keren steeds terug: de verbinder binnen de eigen "
                "organisatie, de coalitiebouwer richting marktpartijen en de gebiedsmakelaar "
                "richting maatschappelijke initiatieven. Het essay van DRIFT werkt ze uit.",
            ),
        ),
    ),
    QuestionSpec(
        "kennisdeling",
        "Hoe delen we lessen uit projecten over afdelingen heen?",
        ORGANISATIE,
        _OPERATIONAL,
        _first("15:20"),
        _P,
        origin_workshop=FIRST,
        owner="project-naar-praktijk",
        changes=(_OPENED_AT_FIRST, QuestionChange(_day(2024, 9, 12), _E)),
    ),
    QuestionSpec(
        "begroting",
        "Hoe sturen we in de begroting op het halveren van het materiaalgebruik in 2030?",
        ORGANISATIE,
        _STRATEGIC,
        _first("15:22"),
        _P,
        origin_workshop=FIRST,
        owner="sturen-op-doelen",
        raised_by="lead:sturen-op-doelen",
        changes=(
            _OPENED_AT_FIRST,
            QuestionChange(_day(2024, 5, 2), _E),
            QuestionChange(_second("14:40"), _PARKED),  # waits for the new budget cycle
        ),
    ),
    QuestionSpec(
        "monitoring",
        "Hoe meten we of de gemeente in 2026 zelf circulair werkt?",
        ORGANISATIE,
        _STRATEGIC,
        _first("15:25"),
        _P,
        origin_workshop=FIRST,
        owner="sturen-op-doelen",
        changes=(
            _OPENED_AT_FIRST,
            QuestionChange(_day(2024, 4, 18), _E),
            QuestionChange(_second("15:10"), owner="ambtelijke-rollen"),
        ),
    ),
    QuestionSpec(
        "indicatoren",
        "Welke indicatoren gebruiken de stadsdelen voor circulaire voortgang?",
        ORGANISATIE,
        _OPERATIONAL,
        _first("15:27"),
        _P,
        origin_workshop=FIRST,
        owner="sturen-op-doelen",
        changes=(_OPENED_AT_FIRST,),
        merged_into=(_second("14:45"), "monitoring"),
    ),
    QuestionSpec(
        "vastgoed",
        "Hoe nemen we circulaire eisen op in beheer en onderhoud van eigen vastgoed?",
        ORGANISATIE,
        _OPERATIONAL,
        _first("15:45"),
        _P,
        origin_workshop=FIRST,
        origin_case="stadsdeelkantoor",
        owner="eigen-vastgoed",
        raised_by="lead:eigen-vastgoed",
        changes=(
            _OPENED_AT_FIRST,
            QuestionChange(_day(2024, 4, 11), _E),
            QuestionChange(
                _second("14:35"),
                _A,
                answer="Circulaire eisen horen in het meerjarenonderhoudsplan en het "
                "onderhoudscontract, niet alleen in de renovatie: anders vervangt het onderhoud "
                "hergebruikte onderdelen alsnog door nieuwe.",
            ),
        ),
    ),
    QuestionSpec(
        "gww-aanbesteding",
        "Hoe vragen we hergebruik van materialen uit in aanbestedingen voor de openbare ruimte?",
        MARKT,
        _OPERATIONAL,
        _first("15:30"),
        _P,
        origin_workshop=FIRST,
        origin_group="opdrachtgeverschap-openbare-ruimte",
        owner="opdrachtgeverschap-openbare-ruimte",
        raised_by="lead:opdrachtgeverschap-openbare-ruimte",
        changes=(
            _OPENED_AT_FIRST,
            QuestionChange(_day(2024, 4, 25), _E),
            QuestionChange(
                _second("14:32"),
                _A,
                answer="Als functionele eis met een gunningscriterium voor hergebruikt "
                "materiaal, en met een materiaalinventarisatie vóór de aanbesteding.",
            ),
        ),
    ),
    QuestionSpec(
        "kademuren",
        "Kunnen natuursteen en brugdelen uit de kademuurvernieuwing lokaal worden hergebruikt?",
        MARKT,
        _OPERATIONAL,
        _first("15:50"),
        _P,
        origin_workshop=FIRST,
        origin_case="kademuren",
        owner="opdrachtgeverschap-openbare-ruimte",
        changes=(
            _OPENED_AT_FIRST,
            QuestionChange(_day(2024, 5, 30), _E),
            QuestionChange(
                _second("14:33"),
                _A,
                answer="Ja: de natuursteen van twee kademuren ligt nu in een plein. Brugdelen "
                "vragen een keuring die nog niet bestaat.",
            ),
        ),
    ),
    QuestionSpec(
        "materiaalhub",
        "Wat is de rol van de gemeente in een materiaalhub voor bouw- en sloopstromen?",
        MARKT,
        _STRATEGIC,
        _first("15:32"),
        _P,
        origin_workshop=FIRST,
        owner="materiaalhubs",
        raised_by="lead:materiaalhubs",
        changes=(_OPENED_AT_FIRST, QuestionChange(_day(2024, 4, 4), _E)),
    ),
    QuestionSpec(
        "retourlogistiek",
        "Hoe organiseren we retourlogistiek voor gemeentelijke bouwmaterialen?",
        MARKT,
        _OPERATIONAL,
        _first("15:52"),
        _P,
        origin_workshop=FIRST,
        origin_case="hub-westpoort",
        owner="materiaalhubs",
        changes=(_OPENED_AT_FIRST, QuestionChange(_day(2024, 6, 27), _E)),
    ),
    QuestionSpec(
        "marktdialoog",
        "Hoe voeren we een marktdialoog zonder de aanbesteding te verstoren?",
        MARKT,
        _OPERATIONAL,
        _first("15:34"),
        _P,
        origin_workshop=FIRST,
        owner="marktdialoog",
        raised_by="lead:marktdialoog",
        changes=(
            _OPENED_AT_FIRST,
            QuestionChange(
                _second("14:38"),
                _A,
                answer="Door de dialoog vóór de aanbesteding te houden, alle gesprekken te "
                "verslaan en de verslagen met alle inschrijvers te delen.",
            ),
        ),
    ),
    QuestionSpec(
        "inkoopcriteria",
        "Welke circulaire inkoopcriteria werken in de praktijk?",
        MARKT,
        _OPERATIONAL,
        _first("15:36"),
        _P,
        origin_workshop=FIRST,
        owner="marktdialoog",
        changes=(_OPENED_AT_FIRST,),
        merged_into=(_day(2024, 9, 5), "gww-aanbesteding"),
    ),
    QuestionSpec(
        "risicodeling",
        "Hoe delen we risico's met marktpartijen bij circulaire innovaties?",
        MARKT,
        _STRATEGIC,
        _first("15:38"),
        _P,
        origin_workshop=FIRST,
        changes=(_OPENED_AT_FIRST, QuestionChange(_day(2024, 7, 4), _PARKED)),
    ),
    QuestionSpec(
        "buurtwerkplaatsen",
        "Hoe ondersteunen stadsdelen buurtwerkplaatsen structureel?",
        INITIATIEVEN,
        _OPERATIONAL,
        _first("15:55"),
        _P,
        origin_workshop=FIRST,
        origin_case="buurtwerkplaats-oost",
        owner="buurtinitiatieven",
        raised_by="lead:buurtinitiatieven",
        changes=(
            _OPENED_AT_FIRST,
            QuestionChange(_day(2024, 5, 23), _E),
            QuestionChange(
                _second("14:36"),
                _A,
                answer="Met een samenwerkingsovereenkomst voor meerdere jaren, een vaste "
                "contactpersoon in het gebiedsteam en ruimte in een eigen pand.",
            ),
        ),
    ),
    QuestionSpec(
        "textielinzameling",
        "Hoe werken we samen met textielinitiatieven naast de gemeentelijke inzameling?",
        INITIATIEVEN,
        _OPERATIONAL,
        _first("15:57"),
        _P,
        origin_workshop=FIRST,
        origin_case="textiel-zuidoost",
        owner="buurtinitiatieven",
        changes=(
            _OPENED_AT_FIRST,
            QuestionChange(_day(2024, 9, 19), _E),
            QuestionChange(_second("15:12"), owner="textielketen-zuidoost"),
        ),
    ),
    QuestionSpec(
        "leegstand",
        "Hoe geven we initiatieven ruimte in leegstaande gemeentelijke panden?",
        INITIATIEVEN,
        _OPERATIONAL,
        _first("15:40"),
        _P,
        origin_workshop=FIRST,
        origin_group="ruimte-voor-initiatieven",
        owner="ruimte-voor-initiatieven",
        raised_by="lead:ruimte-voor-initiatieven",
        changes=(_OPENED_AT_FIRST,),
    ),
    QuestionSpec(
        "gebiedsmakelaar",
        "Wat vraagt de rol van gebiedsmakelaar van een medewerker in het stadsdeel?",
        INITIATIEVEN,
        _STRATEGIC,
        _first("15:42"),
        _P,
        origin_workshop=FIRST,
        owner="ruimte-voor-initiatieven",
        changes=(_OPENED_AT_FIRST, QuestionChange(_day(2024, 6, 13), _E)),
    ),
    QuestionSpec(
        "subsidie-of-opdracht",
        "Past een subsidie of een opdracht beter bij maatschappelijke initiatieven?",
        INITIATIEVEN,
        _STRATEGIC,
        _first("15:44"),
        _P,
        origin_workshop=FIRST,
        # Retired at the second werkplaats: the new subsidy rules settled it.
        changes=(_OPENED_AT_FIRST, QuestionChange(_second("14:50"), _RETIRED)),
    ),
    # Proposed by members between the werkplaatsen.
    QuestionSpec(
        "sportaccommodaties",
        "Hoe renoveren we sportaccommodaties circulair?",
        None,
        _OPERATIONAL,
        _day(2024, 8, 22, "13:20"),
        _P,
        raised_by="department:SB",
    ),
    # Raised at the second werkplaats.
    QuestionSpec(
        "rollen-in-de-praktijk",
        "Hoe krijgen de rollen verbinder, coalitiebouwer en gebiedsmakelaar een plek in "
        "functieprofielen en teamplannen?",
        ORGANISATIE,
        _STRATEGIC,
        _second("14:55"),
        _O,
        origin_workshop=SECOND,
        owner="ambtelijke-rollen",
        raised_by="lead:ambtelijke-rollen",
        changes=(QuestionChange(_day(2025, 1, 9), _E),),
    ),
    QuestionSpec(
        "opschalen",
        "Hoe schalen we geslaagde casussen op naar andere stadsdelen?",
        ORGANISATIE,
        _STRATEGIC,
        _second("14:58"),
        _O,
        origin_workshop=SECOND,
        owner="ambtelijke-rollen",
        changes=(QuestionChange(_day(2024, 12, 5), _E),),
    ),
    QuestionSpec(
        "onderhoudsplan",
        "Hoe borgen we circulaire eisen in het meerjarenonderhoudsplan?",
        ORGANISATIE,
        _OPERATIONAL,
        _second("15:00"),
        _O,
        origin_workshop=SECOND,
        origin_case="stadsdeelkantoor",
        owner="eigen-vastgoed",
        raised_by="lead:eigen-vastgoed",
    ),
    QuestionSpec(
        "hub-contract",
        "Welke contractvorm past bij een gedeelde materiaalhub?",
        MARKT,
        _OPERATIONAL,
        _second("15:02"),
        _O,
        origin_workshop=SECOND,
        origin_case="hub-westpoort",
        owner="materiaalhubs",
        raised_by="lead:materiaalhubs",
    ),
    QuestionSpec(
        "materiaalgegevens",
        "Hoe delen marktpartijen en gemeente gegevens over materialen?",
        MARKT,
        _OPERATIONAL,
        _second("15:04"),
        _P,
        origin_workshop=SECOND,
    ),
    QuestionSpec(
        "materialenpaspoort",
        "Kunnen we bij elke aanbesteding een materialenpaspoort vragen?",
        MARKT,
        _OPERATIONAL,
        _second("15:06"),
        _P,
        origin_workshop=SECOND,
        merged_into=(_day(2024, 11, 14), "materiaalgegevens"),
    ),
    QuestionSpec(
        "buurtwerkplaats-financiering",
        "Hoe financieren stadsdelen buurtwerkplaatsen na de pilotfase?",
        INITIATIEVEN,
        _OPERATIONAL,
        _second("15:08"),
        _O,
        origin_workshop=SECOND,
        origin_case="buurtwerkplaats-oost",
        owner="buurtinitiatieven",
        raised_by="lead:buurtinitiatieven",
    ),
    QuestionSpec(
        "textielketen",
        "Welke afspraken maken we met de textielketen in Zuidoost?",
        INITIATIEVEN,
        _OPERATIONAL,
        _second("15:14"),
        _O,
        origin_workshop=SECOND,
        origin_group="textielketen-zuidoost",
        owner="textielketen-zuidoost",
        raised_by="lead:textielketen-zuidoost",
    ),
    QuestionSpec(
        "inwoners",
        "Hoe betrekken we inwoners bij circulaire gebiedsontwikkeling?",
        INITIATIEVEN,
        _STRATEGIC,
        _second("15:16"),
        _O,
        origin_workshop=SECOND,
    ),
    # Proposed after the second werkplaats.
    QuestionSpec(
        "bos-hout",
        "Kan hout uit het eigen bosbeheer terugkomen in de openbare ruimte?",
        MARKT,
        _OPERATIONAL,
        _day(2024, 11, 28, "11:05"),
        _P,
        raised_by="department:SB",
    ),
)
_QUESTION_BY_KEY = {spec.key: spec for spec in QUESTIONS}


@dataclass(frozen=True, slots=True)
class InsightSpec:
    key: str
    title: str
    body: str
    adoption: Adoption
    captured_at: datetime
    source_case: str | None = None
    source_group: str | None = None
    source_question: str | None = None
    adopted_by: tuple[str, ...] = ()  # department codes
    adopted_at: datetime | None = None


INSIGHTS: tuple[InsightSpec, ...] = (
    InsightSpec(
        "onderhoudsplan",
        "Circulaire eisen horen in het onderhoudsplan, niet alleen in de renovatie",
        "Hergebruikte onderdelen werden bij regulier onderhoud alsnog vervangen door nieuwe. "
        "Pas toen het onderhoudscontract meeveranderde, bleef de winst van de renovatie staan.",
        Adoption.EMBEDDED,
        _second("16:00"),
        source_case="stadsdeelkantoor",
        source_question="vastgoed",
        adopted_by=("GMV", "SB"),
        adopted_at=_day(2025, 1, 9),
    ),
    InsightSpec(
        "functioneel-uitvragen",
        "Vraag hergebruik functioneel uit en laat de markt de oplossing kiezen",
        "Een functionele eis met een gunningscriterium voor hergebruik leverde meer hergebruik "
        "op dan voorgeschreven materialen.",
        Adoption.EMBEDDED,
        _day(2024, 9, 26),
        source_case="kademuren",
        source_question="gww-aanbesteding",
        adopted_by=("IB", "PMB"),
        adopted_at=_day(2024, 12, 12),
    ),
    InsightSpec(
        "eigendom-materialen",
        "Een materiaalhub werkt pas met afspraken over eigendom van de materialen",
        "Zolang niet vastligt wie eigenaar is van opgeslagen materiaal, durft niemand het "
        "opnieuw aan te bieden.",
        Adoption.PILOTED,
        _second("16:05"),
        source_case="hub-westpoort",
        adopted_by=("AG",),
        adopted_at=_day(2024, 12, 19),
    ),
    InsightSpec(
        "vaste-contactpersoon",
        "Initiatieven hebben een vaste contactpersoon in het gebiedsteam nodig",
        "De buurtwerkplaats verloor veel tijd aan het zoeken naar de juiste ambtenaar; één vast "
        "aanspreekpunt loste dat op.",
        Adoption.PILOTED,
        _day(2024, 8, 29),
        source_case="buurtwerkplaats-oost",
        source_group="buurtinitiatieven",
        adopted_by=("SD-O", "SD-NW"),
        adopted_at=_day(2024, 11, 21),
    ),
    InsightSpec(
        "vroege-marktdialoog",
        "Een vroege marktdialoog verkleint risico's voor beide kanten",
        "Partijen die vóór de aanbesteding meedachten, schreven scherpere en goedkopere "
        "circulaire aanbiedingen in.",
        Adoption.SHARED,
        _second("15:45"),
        source_group="marktdialoog",
        source_question="marktdialoog",
    ),
    InsightSpec(
        "teamplannen",
        "Circulaire doelen landen pas in de lijn als ze in teamplannen staan",
        "Projectdoelen verdwenen na oplevering uit beeld; doelen in het teamplan bleven.",
        Adoption.SHARED,
        _second("15:50"),
        source_group="project-naar-praktijk",
        source_question="norm",
    ),
    InsightSpec(
        "drie-rollen",
        "Ambtenaren herkennen zich in de rollen verbinder, coalitiebouwer en gebiedsmakelaar",
        "Het benoemen van de rollen maakte zichtbaar welk werk in functieprofielen ontbreekt.",
        Adoption.SHARED,
        _second("15:55"),
        source_question="rollen",
    ),
    InsightSpec(
        "textiel-afstemming",
        "Textielinzameling door initiatieven vraagt afstemming met de inzameldienst",
        "Containers van de stichting en van de gemeente stonden in dezelfde straat.",
        Adoption.CAPTURED,
        _day(2024, 10, 24),
        source_case="textiel-zuidoost",
    ),
    InsightSpec(
        "gegevens-bij-oplevering",
        "Gegevens over materialen ontbreken vaak bij oplevering",
        "Zonder materiaalgegevens bij oplevering is latere sturing op hergebruik niet mogelijk.",
        Adoption.CAPTURED,
        _day(2024, 5, 30),
        source_case="materiaalstromen-in-beeld",
        source_group="sturen-op-doelen",
    ),
    InsightSpec(
        "ruimte-boven-subsidie",
        "Een deelschuur heeft meer aan ruimte dan aan subsidie",
        "Een pand tegen maatschappelijke huur hielp de coöperatie verder dan een eenmalige "
        "bijdrage.",
        Adoption.CAPTURED,
        _second("16:10"),
        source_case="deelschuur-noord",
    ),
)


@dataclass(frozen=True, slots=True)
class RevisionSpec:
    number: int
    title: str
    rationale: str
    workshop: str | None
    created_at: datetime | None  # None: now (a draft being worked on)
    published_at: datetime | None  # None: stays a draft
    # In rank order: question key, priority, owner group key, note.
    items: tuple[tuple[str, Priority, str | None, str | None], ...]


_HIGH, _MEDIUM, _LOW = Priority.HIGH, Priority.MEDIUM, Priority.LOW
REVISIONS: tuple[RevisionSpec, ...] = (
    RevisionSpec(
        1,
        "Leeragenda na de eerste werkplaats",
        "De eerste leeragenda: de vragen die de acht nieuwe leergroepen en de plenaire sessie "
        "van de eerste werkplaats opleverden.",
        FIRST,
        _first("16:20"),
        _first("17:30"),
        (
            ("norm", _HIGH, "project-naar-praktijk", None),
            ("rollen", _HIGH, "project-naar-praktijk", None),
            ("materiaalhub", _HIGH, "materiaalhubs", None),
            ("gww-aanbesteding", _HIGH, "opdrachtgeverschap-openbare-ruimte", None),
            ("vastgoed", _MEDIUM, "eigen-vastgoed", None),
            ("buurtwerkplaatsen", _MEDIUM, "buurtinitiatieven", None),
            ("monitoring", _MEDIUM, "sturen-op-doelen", None),
            ("begroting", _MEDIUM, "sturen-op-doelen", None),
            ("indicatoren", _MEDIUM, "sturen-op-doelen", None),
            ("inkoopcriteria", _MEDIUM, "marktdialoog", None),
            ("marktdialoog", _MEDIUM, "marktdialoog", None),
            ("kennisdeling", _LOW, "project-naar-praktijk", None),
            ("gebiedsmakelaar", _MEDIUM, "ruimte-voor-initiatieven", None),
            ("leegstand", _LOW, "ruimte-voor-initiatieven", None),
            ("risicodeling", _LOW, None, "Nog geen leergroep; eerst ervaring opdoen in casussen."),
            ("subsidie-of-opdracht", _LOW, None, None),
            ("retourlogistiek", _LOW, "materiaalhubs", None),
        ),
    ),
    RevisionSpec(
        2,
        "Leeragenda na de tweede werkplaats",
        "Beantwoorde vragen gaan van de agenda, net als de geparkeerde en de vervallen vraag; "
        "de vraag over indicatoren is opgegaan in die over monitoring. Nieuw zijn de vragen uit "
        "de presentaties van de casussen en de nieuwe leergroepen.",
        SECOND,
        _second("16:15"),
        _second("17:00"),
        (
            ("norm", _HIGH, "project-naar-praktijk", None),
            ("rollen-in-de-praktijk", _HIGH, "ambtelijke-rollen", None),
            (
                "monitoring",
                _HIGH,
                "ambtelijke-rollen",
                "Overgedragen nu Sturen op circulaire doelen is afgerond.",
            ),
            ("materiaalhub", _HIGH, "materiaalhubs", None),
            ("opschalen", _HIGH, "ambtelijke-rollen", None),
            ("kennisdeling", _MEDIUM, "project-naar-praktijk", None),
            ("retourlogistiek", _MEDIUM, "materiaalhubs", None),
            ("hub-contract", _MEDIUM, "materiaalhubs", None),
            ("gebiedsmakelaar", _MEDIUM, "ruimte-voor-initiatieven", None),
            ("textielinzameling", _MEDIUM, "textielketen-zuidoost", None),
            ("textielketen", _MEDIUM, "textielketen-zuidoost", None),
            ("buurtwerkplaats-financiering", _MEDIUM, "buurtinitiatieven", None),
            ("onderhoudsplan", _MEDIUM, "eigen-vastgoed", None),
            ("leegstand", _LOW, "ruimte-voor-initiatieven", None),
            (
                "vastgoed",
                _LOW,
                "eigen-vastgoed",
                "Beantwoord; de borging loopt via de vraag over het meerjarenonderhoudsplan.",
            ),
            ("inwoners", _LOW, None, None),
        ),
    ),
    RevisionSpec(
        3,
        "Voorstel voor de derde werkplaats",
        "Werkversie: de vraag over materiaalgegevens komt erbij nu de vraag over het "
        "materialenpaspoort erin is opgegaan; opschalen krijgt voorrang.",
        None,
        None,
        None,
        (
            ("norm", _HIGH, "project-naar-praktijk", None),
            ("opschalen", _HIGH, "ambtelijke-rollen", None),
            ("rollen-in-de-praktijk", _HIGH, "ambtelijke-rollen", None),
            ("monitoring", _HIGH, "ambtelijke-rollen", None),
            ("materiaalhub", _HIGH, "materiaalhubs", None),
            ("materiaalgegevens", _MEDIUM, None, None),
            ("kennisdeling", _MEDIUM, "project-naar-praktijk", None),
            ("retourlogistiek", _MEDIUM, "materiaalhubs", None),
            ("hub-contract", _MEDIUM, "materiaalhubs", None),
            ("gebiedsmakelaar", _MEDIUM, "ruimte-voor-initiatieven", None),
            ("textielinzameling", _MEDIUM, "textielketen-zuidoost", None),
            ("textielketen", _MEDIUM, "textielketen-zuidoost", None),
            ("buurtwerkplaats-financiering", _MEDIUM, "buurtinitiatieven", None),
            ("onderhoudsplan", _MEDIUM, "eigen-vastgoed", None),
            ("leegstand", _LOW, "ruimte-voor-initiatieven", None),
            ("inwoners", _LOW, None, None),
            ("bos-hout", _LOW, None, None),
        ),
    ),
)


# --- the run ----------------------------------------------------------------------------------


@dataclass
class SeedRun:
    """What the steps share: the transaction, the ids they resolved, and what they created."""

    conn: AsyncConnection
    department_ids: dict[str, uuid.UUID] = field(default_factory=dict)  # by code
    organisation_ids: dict[str, uuid.UUID] = field(default_factory=dict)  # by name
    # Every demo person present, by their planned e-mail address.
    member_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    # The learning work's ids, by the keys of THEMES, WORKSHOPS, GROUPS, CASES and QUESTIONS.
    theme_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    workshop_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    group_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    case_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    question_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    # Questions this run raised: only their history is replayed (others carry theirs already).
    new_questions: set[str] = field(default_factory=set)
    agenda_told: bool = False  # whether this run writes the demo agenda
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


async def seed_themes(run: SeedRun) -> None:
    planned = {spec.key: demo_id("theme", spec.key) for spec in THEMES}
    present = await existing_ids(run.conn, table_of(Theme), planned.values())
    for spec in THEMES:
        theme_id = planned[spec.key]
        if theme_id not in present:
            data = ThemeCreate.model_validate(
                {"name": spec.name, "description": spec.description, "transitionRole": spec.role}
            )
            try:
                await create_theme(run.conn, SYSTEM, data, theme_id=theme_id)
                run.created["themes"] += 1
            except Conflict:
                # An admin set this theme up already: its transition role (or name) says which.
                holders = await theme_repository.holders(
                    run.conn, name=spec.name, transition_role=spec.role
                )
                by_role = [row for row in holders if row.transition_role == spec.role]
                theme_id = (by_role or holders)[0].id
        run.theme_ids[spec.key] = theme_id


async def seed_workshops(run: SeedRun) -> None:
    story = plan_story()
    planned = {spec.key: demo_id("workshop", spec.key) for spec in WORKSHOPS}
    present = await existing_ids(run.conn, table_of(Workshop), planned.values())
    for spec in WORKSHOPS:
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
        await create_workshop(run.conn, SYSTEM, data, workshop_id=workshop_id)
        run.created["workshops"] += 1
        for member, registered_at in story.attendees[spec.key]:
            attendee = AttendeeCreate.model_validate(
                {"memberId": run.member_ids[member.email], "registeredAt": registered_at}
            )
            await add_attendee(run.conn, SYSTEM, workshop_id, attendee)
            run.created["workshop attendances"] += 1


def _status_path(final: GroupStatus) -> tuple[GroupStatus, ...]:
    """The statuses a group passed through after `forming` to reach `final`."""
    if final == GroupStatus.FORMING:
        return ()
    return _GROUP_PATH[: _GROUP_PATH.index(final) + 1]


async def seed_groups(run: SeedRun) -> None:
    story = plan_story()
    planned = {spec.key: demo_id("learning-group", spec.key) for spec in GROUPS}
    present = await existing_ids(run.conn, table_of(LearningGroup), planned.values())
    for spec in GROUPS:
        group_id = planned[spec.key]
        run.group_ids[spec.key] = group_id
        if group_id in present:
            continue  # its members and its course were recorded when it was made
        data = GroupCreate.model_validate(
            {
                "name": spec.name,
                "description": spec.description,
                "themeId": run.theme_ids[spec.theme],
                "mode": GroupMode.SELF_DIRECTED
                if spec.facilitator is None
                else GroupMode.FACILITATED,
                "facilitatorOrganisationId": None
                if spec.facilitator is None
                else run.organisation_ids[DRIFT],
                "formedAtWorkshopId": run.workshop_ids[spec.workshop],
            }
        )
        await create_group(run.conn, SYSTEM, data, group_id=group_id, created_at=_formed_at(spec))
        run.created["learning groups"] += 1
        for plan in story.memberships[spec.key]:
            await _seed_membership(run, group_id, plan)
        for status in _status_path(spec.status):
            patch = GroupUpdate.model_validate({"status": status})
            await update_group(run.conn, SYSTEM, group_id, patch, None)


async def _seed_membership(run: SeedRun, group_id: uuid.UUID, plan: MembershipPlan) -> None:
    data = MembershipCreate.model_validate(
        {
            "memberId": run.member_ids[plan.member.email],
            "role": plan.role,
            "joinedAt": plan.joined_at,
        }
    )
    try:
        await join_group(run.conn, SYSTEM, group_id, data, membership_id=plan.id)
    except Conflict:
        return  # someone synced in as inactive cannot join; the group goes on without them
    run.created["group memberships"] += 1
    if plan.left_at is not None:
        ended = MembershipUpdate.model_validate({"leftAt": plan.left_at})
        await change_membership(run.conn, SYSTEM, group_id, plan.id, ended)


async def seed_cases(run: SeedRun) -> None:
    planned = {spec.key: demo_id("case", spec.key) for spec in CASES}
    present = await existing_ids(run.conn, table_of(Case), planned.values())
    for spec in CASES:
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
        await create_case(run.conn, SYSTEM, data, case_id=case_id, created_at=spec.created_at)
        run.created["cases"] += 1
        for status in spec.path:
            changes: dict[str, Any] = {"status": status}
            if status == CaseStatus.PRESENTED:
                changes["presentedAtWorkshopId"] = run.workshop_ids[SECOND]
                changes["outcome"] = spec.outcome
            await update_case(run.conn, SYSTEM, case_id, CaseUpdate.model_validate(changes), None)


def _raiser(spec: QuestionSpec, story: StoryPlan) -> MemberSpec:
    """Who raised the question: a group's lead, someone from a department, or an attendee."""
    rng = random.Random(f"{SEED}:raiser:{spec.key}")  # noqa: S311 - demo data, not secrets
    if spec.raised_by is not None:
        kind, _, key = spec.raised_by.partition(":")
        if kind == "lead":
            return story.lead(key)
        joined = [
            m for m in plan_members() if m.department_code == key and m.joined_at < spec.raised_at
        ]
        return rng.choice(joined)
    attendees = story.attendees[spec.origin_workshop or FIRST]
    return rng.choice([m for m, _ in attendees if m.organisation is None])


async def _raise_question(
    run: SeedRun, spec: QuestionSpec, question_id: uuid.UUID, story: StoryPlan
) -> None:
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
            "raisedByMemberId": run.member_ids[_raiser(spec, story).email],
            "ownerGroupId": group(spec.owner),
            "status": spec.status,
        }
    )
    await create_question(
        run.conn, SYSTEM, data, question_id=question_id, created_at=spec.raised_at
    )
    run.created["learning questions"] += 1
    run.new_questions.add(spec.key)


async def _change_question(run: SeedRun, spec: QuestionSpec, change: QuestionChange) -> None:
    patch: dict[str, Any] = {}
    if change.status is not None:
        patch["status"] = change.status
    if change.owner is not None:
        patch["ownerGroupId"] = run.group_ids[change.owner]
    if change.answer is not None:
        patch["answer"] = change.answer
    await update_question(
        run.conn,
        SYSTEM,
        run.question_ids[spec.key],
        QuestionUpdate.model_validate(patch),
        None,
        changed_at=change.at,
    )


def _question_phase(name: str, after: datetime | None, until: datetime | None) -> Step:
    """A step that replays the questions' history in (after, until]: raising them and every
    change and merge, in the order they happened. Only questions this run raised are moved
    on; those already present carry their history already."""

    def within(moment: datetime) -> bool:
        return (after is None or moment > after) and (until is None or moment <= until)

    async def step(run: SeedRun) -> None:
        planned = {spec.key: demo_id("learning-question", spec.key) for spec in QUESTIONS}
        run.question_ids.update(planned)
        present = await existing_ids(
            run.conn, table_of(LearningQuestion), [planned[s.key] for s in QUESTIONS]
        )
        story = plan_story()
        events: list[tuple[datetime, int, Callable[[], Awaitable[None]]]] = []
        for spec in QUESTIONS:
            if within(spec.raised_at) and planned[spec.key] not in present:
                events.append((spec.raised_at, len(events), partial(_raise, run, spec, story)))
            for change in spec.changes:
                if within(change.at):
                    events.append((change.at, len(events), partial(_change, run, spec, change)))
            if spec.merged_into is not None and within(spec.merged_into[0]):
                events.append((spec.merged_into[0], len(events), partial(_merge, run, spec)))
        for _, _, apply in sorted(events, key=lambda event: event[:2]):
            await apply()

    async def _raise(run: SeedRun, spec: QuestionSpec, story: StoryPlan) -> None:
        await _raise_question(run, spec, run.question_ids[spec.key], story)

    async def _change(run: SeedRun, spec: QuestionSpec, change: QuestionChange) -> None:
        if spec.key in run.new_questions:
            await _change_question(run, spec, change)

    async def _merge(run: SeedRun, spec: QuestionSpec) -> None:
        assert spec.merged_into is not None
        at, into = spec.merged_into
        if spec.key in run.new_questions:
            await merge_question(
                run.conn,
                SYSTEM,
                run.question_ids[spec.key],
                run.question_ids[into],
                None,
                changed_at=at,
            )

    step.__name__ = f"seed_questions_{name}"
    return step


async def _tell_revision(run: SeedRun, spec: RevisionSpec) -> None:
    revision = RevisionCreate.model_validate(
        {
            "title": spec.title,
            "rationale": spec.rationale,
            "workshopId": run.workshop_ids[spec.workshop] if spec.workshop else None,
        }
    )
    created = await create_draft(run.conn, SYSTEM, revision, created_at=spec.created_at)
    assert created["number"] == spec.number
    items = [
        AgendaItemInput.model_validate(
            {
                "questionId": run.question_ids[key],
                "priority": priority,
                "ownerGroupId": run.group_ids[owner] if owner is not None else None,
                "note": note,
            }
        )
        for key, priority, owner, note in spec.items
    ]
    await replace_items(run.conn, SYSTEM, spec.number, items, None)
    if spec.published_at is not None:
        await publish_revision(run.conn, SYSTEM, spec.number, None, published_at=spec.published_at)
    run.created["agenda revisions"] += 1


def _agenda_revision(spec: RevisionSpec) -> Step:
    """A step that writes one revision of the demo agenda. The agenda is told only into a
    database without one, and only when this run replayed the questions it names (their
    statuses at each publication are part of the story)."""

    async def step(run: SeedRun) -> None:
        if spec.number == 1:
            on_it = {key for key, *_ in spec.items}
            run.agenda_told = (
                await agenda_repository.next_number(run.conn) == 1 and on_it <= run.new_questions
            )
        if run.agenda_told:
            await _tell_revision(run, spec)

    step.__name__ = f"seed_agenda_revision_{spec.number}"
    return step


async def seed_insights(run: SeedRun) -> None:
    planned = {spec.key: demo_id("insight", spec.key) for spec in INSIGHTS}
    present = await existing_ids(run.conn, table_of(Insight), planned.values())
    for spec in INSIGHTS:
        if planned[spec.key] in present:
            continue
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
                "adoptedByDepartmentIds": [run.department_ids[code] for code in spec.adopted_by],
            }
        )
        await create_insight(
            run.conn,
            SYSTEM,
            data,
            insight_id=planned[spec.key],
            created_at=spec.captured_at,
            adopted_at=spec.adopted_at,
        )
        run.created["insights"] += 1


_FIRST_REVISION, _SECOND_REVISION, _DRAFT_REVISION = REVISIONS

STEPS: Sequence[Step] = (
    seed_departments,
    seed_organisations,
    seed_members,
    seed_themes,
    seed_workshops,
    seed_groups,
    seed_cases,
    # The questions and the agenda are replayed in turn: each revision sees the questions as
    # they stood when it was published.
    _question_phase("until_first_agenda", None, _FIRST_REVISION.published_at),
    _agenda_revision(_FIRST_REVISION),
    _question_phase(
        "until_second_agenda", _FIRST_REVISION.published_at, _SECOND_REVISION.published_at
    ),
    _agenda_revision(_SECOND_REVISION),
    _question_phase("since_second_agenda", _SECOND_REVISION.published_at, None),
    _agenda_revision(_DRAFT_REVISION),
    seed_insights,
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
