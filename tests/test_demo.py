"""The demo community: the seed story's shape, stable ids, and loading twice changes nothing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.agenda.schemas import RevisionCreate
from app.agenda.service import create_draft
from app.core.context import SYSTEM
from app.core.db import database
from app.demo.loader import (
    QUESTIONS,
    QuestionRecord,
    demo_id,
    plan_members,
    plan_story,
    seed_demo,
)
from app.organisations.models import OrganisationKind
from app.organisations.schemas import OrganisationCreate
from app.organisations.service import create_organisation
from tests.conftest import _truncate, raw_sql
from tests.factories import bearer, make_department, make_key, make_member, make_theme

ROOT = Path(__file__).resolve().parents[1]

# The units the seed story names; the stadsdelen are checked by kind.
SEED_UNITS = {
    "Ruimte en Duurzaamheid",
    "Afval & Grondstoffen",
    "Green Office",
    "Stedelijke Innovatie",
    "Gemeentelijk en Maatschappelijk Vastgoed",
    "Ingenieursbureau",
    "Project Management Bureau",
    "Sport en Bos",
}
STADSDELEN = ("Centrum", "Nieuw-West", "Noord", "Oost", "West", "Zuid", "Zuidoost", "Weesp")


def _hex(value: Any) -> str:
    """An id as SQLite stores it (32 hex digits) whatever the driver hands back."""
    return str(value).replace("-", "")


def _db_id(value: Any) -> str:
    """An id as a SQL literal on the backend under test."""
    return _hex(value) if database.sqlite else str(value)


def _order(row: tuple[Any, ...]) -> tuple[tuple[bool, str], ...]:
    """Rows sort whatever they hold, NULLs first in their column."""
    return tuple((value is not None, str(value)) for value in row)


async def _rows_of(table: str, columns: str) -> list[tuple[Any, ...]]:
    rows = [tuple(row) for row in await raw_sql(f"SELECT {columns} FROM {table}")]
    return sorted(rows, key=_order)


async def _snapshot() -> dict[str, Any]:
    """Every row's identity and content, and the audit trail's length."""
    return {
        "departments": await _rows_of(
            "departments", "id, code, name, kind, parent_id, version, updated_at"
        ),
        "organisations": await _rows_of("organisations", "id, name, kind, version, updated_at"),
        "members": await _rows_of(
            "members",
            "id, email, external_id, department_id, organisation_id, participation, "
            "joined_at, discipline, version, updated_at",
        ),
        "themes": await _rows_of("themes", "id, name, transition_role, version, updated_at"),
        "workshops": await _rows_of("workshops", "id, title, starts_at, version, updated_at"),
        "workshop_attendees": await _rows_of(
            "workshop_attendees", "workshop_id, member_id, registered_at"
        ),
        "learning_groups": await _rows_of(
            "learning_groups", "id, name, theme_id, mode, status, version, updated_at"
        ),
        "group_memberships": await _rows_of(
            "group_memberships", "id, group_id, member_id, role, joined_at, left_at"
        ),
        "cases": await _rows_of(
            "cases", "id, title, learning_group_id, status, outcome, version, updated_at"
        ),
        "case_partners": await _rows_of("case_partners", "case_id, organisation_id"),
        "learning_questions": await _rows_of(
            "learning_questions",
            "id, title, status, owner_group_id, merged_into_id, raised_by_member_id, version, "
            "updated_at",
        ),
        "question_status_changes": await _rows_of(
            "question_status_changes", "question_id, from_status, to_status, changed_at"
        ),
        "question_title_changes": await _rows_of(
            "question_title_changes", "question_id, title, changed_at"
        ),
        "insights": await _rows_of("insights", "id, title, adoption, version, updated_at"),
        "insight_adoptions": await _rows_of(
            "insight_adoptions", "insight_id, department_id, adopted_at"
        ),
        "agenda_revisions": await _rows_of(
            "agenda_revisions", "number, status, workshop_id, published_at, version, updated_at"
        ),
        "agenda_items": await _rows_of(
            "agenda_items i JOIN agenda_revisions r ON r.id = i.revision_id",
            "r.number, i.question_id, i.rank, i.priority, i.owner_group_id, i.note",
        ),
        "audit": (await raw_sql("SELECT count(*) FROM audit_events"))[0][0],
    }


async def _all_members(client: Any, key: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    url: str | None = "/v1/members?pageSize=100"
    while url:
        response = await client.get(url, headers=bearer(key))
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        url = response.json()["next"]
    return items


async def test_demo_tells_the_seed_story(client):
    summary = await seed_demo()
    assert "175 members" in summary

    departments = await raw_sql("SELECT id, code, name, kind, parent_id FROM departments")
    names = {row.name for row in departments}
    assert names >= SEED_UNITS
    stadsdelen = [row.name for row in departments if row.kind == "stadsdeel"]
    assert len(stadsdelen) == len(STADSDELEN)
    for place in STADSDELEN:
        assert any(name.endswith(f" {place}") for name in stadsdelen), place
    by_name = {row.name: row for row in departments}
    team = by_name["Circulaire Economie"]
    assert team.kind == "team"
    assert team.parent_id == by_name["Ruimte en Duurzaamheid"].id
    assert len({row.code for row in departments}) == len(departments)

    # Every department takes part.
    coverage = await raw_sql(
        "SELECT d.code, count(m.id) AS n FROM departments d "
        "LEFT JOIN members m ON m.department_id = d.id GROUP BY d.code"
    )
    assert coverage and all(row.n > 0 for row in coverage), coverage

    organisations = {row.name: row.kind for row in await raw_sql("SELECT * FROM organisations")}
    assert organisations["DRIFT"] == "facilitator"
    assert set(organisations.values()) == {
        "facilitator",
        "market_party",
        "societal_initiative",
        "knowledge_institute",
    }

    key = await make_key("admin")
    members = await _all_members(client, key)
    assert len(members) == 175
    participation = Counter(m["participation"] for m in members)
    assert participation == {"participant": 75, "follower": 100}
    assert all(m["status"] == "active" for m in members)
    assert all(m["email"].endswith(".example") for m in members)
    assert len({m["email"].lower() for m in members}) == 175

    drift = [m for m in members if m["organisation"] and m["organisation"]["name"] == "DRIFT"]
    assert 3 <= len(drift) <= 4
    assert all(m["departmentId"] is None and m["participation"] == "participant" for m in drift)
    civil = [m for m in members if m not in drift]
    assert all(m["department"] is not None and m["externalId"] for m in civil)

    with_roles = [m for m in members if m["transitionRoles"]]
    assert 0 < len(with_roles) < len(members)
    roles = Counter(role for m in with_roles for role in m["transitionRoles"])
    assert set(roles) == {"verbinder", "coalitiebouwer", "gebiedsmakelaar"}
    assert sum(1 for m in members if m["discipline"]) > 150


async def test_the_community_grows_from_75_to_175_in_a_year(client):
    await seed_demo()
    members = await _all_members(client, await make_key("admin"))
    joined_by_month = Counter(m["joinedAt"][:7] for m in members)
    months = sorted(joined_by_month)
    assert months[0] == "2024-01" and months[-1] == "2025-01"
    assert len(months) == 13  # new people every month of the year

    starters = [m for m in members if m["joinedAt"][:7] == "2024-01"]
    assert len(starters) == 75
    assert all(m["participation"] == "participant" for m in starters)
    later = [m for m in members if m["joinedAt"][:7] != "2024-01"]
    assert all(m["participation"] == "follower" for m in later)

    cumulative, total = [], 0
    for month in months:
        total += joined_by_month[month]
        cumulative.append(total)
    assert cumulative[0] == 75 and cumulative[-1] == 175
    assert cumulative == sorted(set(cumulative))  # strictly growing
    # Within a year of the kick-off on 2024-01-15.
    assert max(m["joinedAt"] for m in members) < "2025-01-15"


async def test_loading_twice_changes_nothing(client):
    await seed_demo()
    first = await _snapshot()
    summary = await seed_demo()
    assert "nothing added" in summary
    assert await _snapshot() == first
    assert {row[-2] for row in first["members"]} == {1}  # versions untouched
    assert len(first["learning_questions"]) == 30 and len(first["agenda_revisions"]) == 3


async def test_two_fresh_loads_give_the_same_ids(client):
    await seed_demo()
    first = await _snapshot()
    await _truncate()
    await seed_demo()
    second = await _snapshot()
    versioned = (
        "departments",
        "organisations",
        "members",
        "themes",
        "workshops",
        "learning_groups",
        "cases",
        "learning_questions",
        "insights",
    )
    for table in versioned:
        # Timestamps of the write differ; everything the demo decides does not.
        assert [row[:-2] for row in second[table]] == [row[:-2] for row in first[table]], table
    for table in (
        "workshop_attendees",
        "group_memberships",
        "case_partners",
        "question_status_changes",
        "question_title_changes",
        "insight_adoptions",
        "agenda_items",
    ):
        assert second[table] == first[table], table  # their dates are the story's, not the load's
    published = [row[:4] for row in first["agenda_revisions"] if row[1] == "published"]
    assert [row[:4] for row in second["agenda_revisions"] if row[1] == "published"] == published
    planned = {spec.id.hex for spec in plan_members()}
    assert {_hex(row[0]) for row in first["members"]} == planned


async def test_if_empty_loads_an_empty_database(client):
    summary = await seed_demo(if_empty=True)
    assert "175 members" in summary
    assert (await raw_sql("SELECT count(*) FROM members"))[0][0] == 175


async def test_if_empty_leaves_a_populated_database_alone(client):
    await make_member()
    summary = await seed_demo(if_empty=True)
    assert "already has 1 member." in summary
    assert (await raw_sql("SELECT count(*) FROM members"))[0][0] == 1
    assert (await raw_sql("SELECT count(*) FROM departments"))[0][0] == 0
    assert (await raw_sql("SELECT count(*) FROM organisations"))[0][0] == 0


async def test_records_that_already_exist_are_joined_not_duplicated(client):
    """An intranet sync may have created a unit or a person before the demo is loaded."""
    synced_unit = await make_department(code="RD", name="R&D (intranet)", kind="directie")
    taken = plan_members()[10]
    synced_person = await make_member(email=taken.email.upper())
    async with database.engine.begin() as conn:
        registered = await create_organisation(
            conn, SYSTEM, OrganisationCreate(name="DRIFT", kind=OrganisationKind.FACILITATOR)
        )
    own_theme = await make_theme(name="Interne organisatie", transitionRole="verbinder")

    await seed_demo()

    team = (await raw_sql("SELECT parent_id FROM departments WHERE code = 'RD-CE'"))[0]
    assert _hex(team.parent_id) == _hex(synced_unit["id"])
    unit = (await raw_sql("SELECT name, version FROM departments WHERE code = 'RD'"))[0]
    assert tuple(unit) == ("R&D (intranet)", 1)  # the demo does not overwrite it
    assert (await raw_sql("SELECT count(*) FROM members"))[0][0] == 175
    holders = await raw_sql(f"SELECT id FROM members WHERE email_key = '{taken.email.lower()}'")
    assert len(holders) == 1
    assert _hex(holders[0].id) == _hex(synced_person["id"])
    facilitators = await raw_sql(
        f"SELECT count(*) FROM members WHERE organisation_id = '{_db_id(registered['id'])}'"
    )
    assert facilitators[0][0] >= 3
    assert (await raw_sql("SELECT count(*) FROM organisations WHERE name = 'DRIFT'"))[0][0] == 1
    # The verbinder theme an admin set up carries the demo's groups of that theme.
    themes = await raw_sql("SELECT id, name, version FROM themes")
    assert len(themes) == 3
    assert ("Interne organisatie", 1) in {(row.name, row.version) for row in themes}
    groups = await raw_sql(
        f"SELECT count(*) FROM learning_groups WHERE theme_id = '{_db_id(own_theme['id'])}'"
    )
    assert groups[0][0] >= 3


def test_make_run_loads_the_demo_once_from_the_command_line(tmp_path):
    """`make run`'s steps, the seed twice, in fresh processes with different hash seeds."""
    database = tmp_path / "demo.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{database}"}

    def cli(*args: str, hash_seed: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            cwd=ROOT,
            env={**env, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout

    cli("migrate", hash_seed="1")
    assert "175 members" in cli("seed-demo", "--if-empty", hash_seed="1")
    assert "already has 175 members" in cli("seed-demo", "--if-empty", hash_seed="2")

    with sqlite3.connect(database) as conn:
        stored = {row[0] for row in conn.execute("SELECT id FROM members")}
        emails = {row[0] for row in conn.execute("SELECT email FROM members")}
        questions = {row[0] for row in conn.execute("SELECT id FROM learning_questions")}
        memberships = {row[0] for row in conn.execute("SELECT id FROM group_memberships")}
    # The ids another process chose are the ones this one plans: nothing hangs on hash order.
    planned = plan_members()
    assert {spec.email for spec in planned} == emails
    assert {spec.id.hex for spec in planned} == {_hex(value) for value in stored}
    assert {demo_id("learning-question", spec.key).hex for spec in QUESTIONS} == questions
    story = plan_story()
    assert {m.id.hex for plans in story.memberships.values() for m in plans} == memberships


# --- the learning work and the agenda ---------------------------------------------------------

FIRST_DAY, SECOND_DAY = "2024-03-14", "2024-10-10"


async def _all(client: Any, key: str, url: str) -> list[dict[str, Any]]:
    """Every item of a list endpoint, page after page."""
    items: list[dict[str, Any]] = []
    next_url: str | None = f"{url}{'&' if '?' in url else '?'}pageSize=100"
    while next_url:
        response = await client.get(next_url, headers=bearer(key))
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        next_url = response.json()["next"]
    return items


async def _get(client: Any, key: str, url: str) -> dict[str, Any]:
    response = await client.get(url, headers=bearer(key))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _workshops(client: Any, key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    workshops = sorted(await _all(client, key, "/v1/workshops"), key=lambda w: w["startsAt"])
    assert [w["startsAt"][:10] for w in workshops] == [FIRST_DAY, SECOND_DAY]
    return workshops[0], workshops[1]


async def test_the_first_werkplaats_forms_eight_groups_across_the_three_themes(client):
    await seed_demo()
    key = await make_key("admin")

    themes = await _all(client, key, "/v1/themes")
    assert {(t["name"], t["transitionRole"]) for t in themes} == {
        ("De gemeente als organisatie", "verbinder"),
        ("De gemeente en marktpartijen", "coalitiebouwer"),
        ("De gemeente en maatschappelijke initiatieven", "gebiedsmakelaar"),
    }
    assert all(t["description"] for t in themes)

    first, _ = await _workshops(client, key)
    members = {m["id"]: m for m in await _all_members(client, key)}
    attended = await _all(client, key, f"/v1/workshops/{first['id']}/attendees")
    assert first["attendeeCount"] == len(attended)
    # Most of the starting group came; nobody who joined later could.
    assert {members[a["memberId"]]["participation"] for a in attended} == {"participant"}
    assert len(attended) > 0.75 * 75

    groups = await _all(client, key, "/v1/learning-groups")
    at_first = [g for g in groups if g["formedAtWorkshopId"] == first["id"]]
    assert len(at_first) == 8
    assert {g["theme"]["transitionRole"] for g in at_first} == {
        "verbinder",
        "coalitiebouwer",
        "gebiedsmakelaar",
    }
    assert {g["mode"] for g in at_first} == {"self_directed", "facilitated"}
    drift = {m["id"] for m in members.values() if (m["organisation"] or {}).get("name") == "DRIFT"}
    attendee_ids = {a["memberId"] for a in attended}

    for group in at_first:
        detail = await _get(client, key, f"/v1/learning-groups/{group['id']}")
        roles = Counter(m["role"] for m in detail["members"])
        assert roles["lead"] >= 1 and roles["member"] >= 3, (group["name"], roles)
        facilitators = {m["memberId"] for m in detail["members"] if m["role"] == "facilitator"}
        cases = await _all(client, key, f"/v1/cases?learningGroupId={group['id']}")
        if group["mode"] == "facilitated":
            assert group["facilitatorOrganisation"]["name"] == "DRIFT"
            assert len(facilitators) == 1 and facilitators <= drift
            # DRIFT facilitates concrete cases, with partners and a department as context.
            assert cases, group["name"]
            assert all(c["departmentId"] and c["partnerOrganisationIds"] for c in cases)
        else:
            assert group["facilitatorOrganisation"] is None and not facilitators
        # The group formed at the werkplaats, among those who came.
        founders = [m for m in detail["members"] if m["joinedAt"][:10] == FIRST_DAY]
        assert {m["memberId"] for m in founders} <= attendee_ids

    # Between the werkplaatsen one member left a group; the membership stays as history.
    ended = []
    for group in at_first:
        history = await _all(client, key, f"/v1/learning-groups/{group['id']}/memberships")
        ended += [m for m in history if not m["current"]]
    assert len(ended) == 1
    assert FIRST_DAY < ended[0]["leftAt"][:10] < SECOND_DAY


async def test_the_second_werkplaats_presents_results_and_new_groups_emerge(client):
    await seed_demo()
    key = await make_key("admin")
    first, second = await _workshops(client, key)
    members = {m["id"]: m for m in await _all_members(client, key)}

    attended = await _all(client, key, f"/v1/workshops/{second['id']}/attendees")
    participation = Counter(members[a["memberId"]]["participation"] for a in attended)
    assert participation["follower"] > 0  # the community grew since the first
    assert all(members[a["memberId"]]["joinedAt"] < second["startsAt"] for a in attended)

    groups = await _all(client, key, "/v1/learning-groups")
    from_first = [g for g in groups if g["formedAtWorkshopId"] == first["id"]]
    statuses = Counter(g["status"] for g in from_first)
    assert statuses["concluded"] >= 1 and statuses["presented"] >= 1
    assert set(statuses) <= {"presented", "concluded"}
    new = [g for g in groups if g["formedAtWorkshopId"] == second["id"]]
    assert len(new) >= 1
    assert all(g["status"] in ("forming", "active") for g in new)
    for group in new:
        detail = await _get(client, key, f"/v1/learning-groups/{group['id']}")
        assert {m["joinedAt"][:10] for m in detail["members"]} == {SECOND_DAY}

    cases = await _all(client, key, "/v1/cases")
    presented = [c for c in cases if c["presentedAtWorkshopId"] == second["id"]]
    assert len(presented) >= 3
    assert all(c["status"] in ("presented", "closed") and c["outcome"] for c in presented)
    assert {c["status"] for c in cases} == {"proposed", "in_progress", "presented", "closed"}
    by_group = {g["id"]: g for g in groups}
    assert all(by_group[c["learningGroupId"]]["status"] != "forming" for c in presented)


async def test_about_thirty_learning_questions_in_every_state(client):
    await seed_demo()
    key = await make_key("admin")
    first, second = await _workshops(client, key)
    questions = await _all(client, key, "/v1/learning-questions")
    assert 25 <= len(questions) <= 35
    statuses = Counter(q["status"] for q in questions)
    assert set(statuses) == {
        "proposed",
        "open",
        "exploring",
        "answered",
        "parked",
        "merged",
        "retired",
    }
    assert statuses["open"] + statuses["exploring"] > len(questions) / 3

    by_id = {q["id"]: q for q in questions}
    merged = [q for q in questions if q["status"] == "merged"]
    for question in merged:
        survivor = by_id[question["mergedIntoId"]]
        assert survivor["status"] != "merged"
        assert question["id"] in survivor["mergedQuestionIds"]
    assert all(q["answer"] for q in questions if q["status"] == "answered")
    assert all(q["answer"] is None for q in questions if q["status"] != "answered")

    # Origins of every kind, owners, and who raised each one.
    assert {q["originWorkshopId"] for q in questions} >= {first["id"], second["id"]}
    assert any(q["originGroupId"] for q in questions)
    assert any(q["originCaseId"] for q in questions)
    assert all(q["raisedByMemberId"] for q in questions)
    assert sum(1 for q in questions if q["ownerGroupId"]) > len(questions) / 2
    assert {q["kind"] for q in questions} == {"strategic", "operational"}
    assert {q["theme"]["transitionRole"] for q in questions if q["theme"]} == {
        "verbinder",
        "coalitiebouwer",
        "gebiedsmakelaar",
    }


async def test_insights_at_every_adoption_stage(client):
    await seed_demo()
    key = await make_key("admin")
    insights = await _all(client, key, "/v1/insights")
    stages = Counter(i["adoption"] for i in insights)
    assert set(stages) == {"captured", "shared", "piloted", "embedded"}
    assert all(2 <= count <= 5 for count in stages.values()), stages
    for insight in insights:
        assert insight["sourceCaseId"] or insight["sourceGroupId"] or insight["sourceQuestionId"]
        if insight["adoption"] in ("piloted", "embedded"):
            assert insight["adoptedByDepartments"], insight["title"]
            assert all(
                d["adoptedAt"] > insight["createdAt"] for d in insight["adoptedByDepartments"]
            )
        else:
            assert insight["adoptedByDepartmentIds"] == []


async def test_the_agenda_was_revised_after_each_werkplaats(client):
    await seed_demo()
    key = await make_key("reader")
    first, second = await _workshops(client, key)

    revisions = await _all(client, key, "/v1/agenda/revisions")
    assert [(r["number"], r["status"]) for r in revisions] == [
        (1, "published"),
        (2, "published"),
        (3, "draft"),
    ]
    one, two, three = revisions
    assert (one["workshopId"], one["publishedAt"][:10]) == (first["id"], FIRST_DAY)
    assert (two["workshopId"], two["publishedAt"][:10]) == (second["id"], SECOND_DAY)
    assert one["publishedAt"] > first["startsAt"] and two["publishedAt"] > second["startsAt"]
    assert three["publishedAt"] is None and three["itemCount"] > 0

    questions = {q["id"]: q for q in await _all(client, key, "/v1/learning-questions")}
    diff = await _get(client, key, "/v1/agenda/revisions/2/diff?from=1")
    added = {item["questionId"] for item in diff["added"]}
    removed = {item["questionId"] for item in diff["removed"]}
    # New questions from the second werkplaats came on; answered, parked, merged and retired
    # ones went off; others were re-ranked, re-prioritised or handed to another group.
    assert any(questions[q]["originWorkshopId"] == second["id"] for q in added)
    assert {questions[q]["status"] for q in removed} >= {"answered", "merged", "retired"}
    changed = {field for item in diff["changed"] for field in item["changedFields"]}
    assert changed >= {"rank", "priority", "ownerGroupId"}
    assert any(s["new"] == "merged" for s in diff["statusChanges"])
    assert all(s["old"] == "open" for s in diff["statusChanges"])

    current = await _get(client, key, "/v1/agenda")
    assert current["number"] == 2
    assert [item["rank"] for item in current["items"]] == list(range(1, len(current["items"]) + 1))
    on_two = {item["questionId"] for item in current["items"]}
    assert not any(questions[q]["status"] in ("merged", "retired") for q in on_two)

    merged_away = next(q for q in removed if questions[q]["status"] == "merged")
    history = await _get(client, key, f"/v1/learning-questions/{merged_away}/agenda-history")
    assert [(h["number"], h["present"]) for h in history["items"]] == [(1, True), (2, False)]


async def test_the_agenda_as_of_a_moment_and_the_community_s_growth(client):
    await seed_demo()
    key = await make_key("reader")

    between = await client.get("/v1/agenda?asOf=2024-06-01T12:00:00Z", headers=bearer(key))
    assert between.status_code == 200, between.text
    assert between.json()["number"] == 1
    assert (await _get(client, key, "/v1/agenda?asOf=2024-12-01T12:00:00Z"))["number"] == 2
    before = await client.get("/v1/agenda?asOf=2024-03-01T12:00:00Z", headers=bearer(key))
    assert before.status_code == 404

    stats = await _get(client, key, "/v1/stats/community")
    growth = {month["month"]: month for month in stats["growth"]}
    assert growth["2024-01"]["total"] == growth["2024-01"]["participants"] == 75
    assert growth["2025-01"]["total"] == 175
    assert stats["members"]["total"] == 175
    assert stats["groups"]["total"] == 10
    assert stats["questions"]["total"] == 30
    assert all(stats["insights"]["byAdoption"].values())  # every stage counted

    # Between the werkplaatsen: the eight groups of the first, and no answers yet.
    then = await _get(client, key, "/v1/stats/community?asOf=2024-06-01T12:00:00Z")
    assert then["groups"]["total"] == 8
    assert then["questions"]["byStatus"]["answered"] == 0
    assert then["questions"]["byStatus"]["open"] + then["questions"]["byStatus"]["exploring"] > 0


def _as_told(spec: QuestionRecord, moment: datetime) -> tuple[str, str] | None:
    """A question's title and status at `moment` as the story tells it (None: not raised yet)."""
    if spec.raised_at > moment:
        return None
    title, status = spec.title, str(spec.status)
    for change in spec.changes:
        if change.at <= moment:
            title = change.title or title
            status = str(change.status or status)
    if spec.merged is not None and spec.merged.at <= moment:
        status = "merged"
    return title, status


async def test_the_first_werkplaats_s_agenda_as_it_was_that_evening(client):
    """Replayed: the agenda as of the evening of the first werkplaats, item by item, holds each
    question with the title and status the story gave it by then, though most have moved on
    since; so does the agenda at later moments, and the community statistics agree."""
    await seed_demo()
    key = await make_key("reader")
    story = plan_story()
    by_id = {demo_id("learning-question", q.key): q for q in story.questions}
    first = story.revisions[0]
    evening = datetime.fromisoformat(f"{FIRST_DAY}T18:00:00+00:00")
    assert first.published_at is not None and first.published_at < evening

    agenda = await _get(client, key, "/v1/agenda?asOf=2024-03-14T18:00:00Z")
    assert (agenda["number"], agenda["moment"]) == (first.number, "2024-03-14T18:00:00+00:00")
    shown = [
        (i["questionId"], i["question"]["title"], i["question"]["status"]) for i in agenda["items"]
    ]
    expected = []
    for told in first.items:
        spec = next(q for q in story.questions if q.key == told.question)
        state = _as_told(spec, evening)
        assert state is not None, spec.key
        expected.append((str(demo_id("learning-question", spec.key)), *state))
    assert shown == expected
    # That evening every question on it was open; today most are not (or are worded anew).
    assert {status for _, _, status in shown} == {"open"}
    now = await _get(client, key, f"/v1/agenda/revisions/{first.number}")
    questions = {q["id"]: q for q in await _all(client, key, "/v1/learning-questions")}
    today = {(questions[q]["title"], questions[q]["status"]) for q, _, _ in shown}
    assert today != {(title, status) for _, title, status in shown}
    # The published revision itself shows the same, at its publication.
    assert now["moment"] == first.published_at.isoformat()
    assert [(i["question"]["title"], i["question"]["status"]) for i in now["items"]] == [
        state[1:] for state in expected
    ]

    stats = await _get(client, key, "/v1/stats/community?asOf=2024-03-14T18:00:00Z")
    assert stats["questions"]["byStatus"]["open"] >= len(shown)

    # Later moments (a date is the end of that day in Amsterdam): the revision in force then,
    # with the questions as the story had them by then.
    for asked, moment in (
        ("2024-06-01T12:00:00Z", datetime(2024, 6, 1, 12, tzinfo=UTC)),
        (SECOND_DAY, datetime(2024, 10, 10, 21, 59, 59, 999999, tzinfo=UTC)),
    ):
        agenda = await _get(client, key, f"/v1/agenda?asOf={asked}")
        in_force = [r for r in story.revisions if r.published_at and r.published_at <= moment]
        assert agenda["number"] == in_force[-1].number
        assert agenda["moment"] == moment.isoformat()
        for item in agenda["items"]:
            question = item["question"]
            spec = by_id[uuid.UUID(item["questionId"])]
            assert (question["title"], question["status"]) == _as_told(spec, moment), spec.key


async def test_an_agenda_someone_already_started_is_left_alone(client):
    """The demo tells its agenda only into a database that has none."""
    async with database.engine.begin() as conn:
        await create_draft(conn, SYSTEM, RevisionCreate(title="Ons eigen concept"))

    summary = await seed_demo()

    assert "agenda revisions" not in summary
    revisions = await raw_sql("SELECT number, status, title FROM agenda_revisions")
    assert [tuple(row) for row in revisions] == [(1, "draft", "Ons eigen concept")]
    # The rest of the story is told all the same.
    assert (await raw_sql("SELECT count(*) FROM learning_questions"))[0][0] == 30


async def test_support_grew_for_the_questions_that_rose_on_revision_2(client):
    await seed_demo()
    key = bearer(await make_key("reader"))

    async def on(number: int) -> dict[str, tuple[int, int]]:
        revision = (await client.get(f"/v1/agenda/revisions/{number}", headers=key)).json()
        return {
            i["questionId"]: (i["rank"], i["question"]["supportCount"]) for i in revision["items"]
        }

    first, second = await on(1), await on(2)
    for question, before, after in (("kennisdeling", 1, 7), ("retourlogistiek", 0, 5)):
        qid = str(demo_id("learning-question", question))
        assert first[qid][1] == before and second[qid][1] == after, question
        assert second[qid][0] < first[qid][0], question  # ranked higher on revision 2
    norm = str(demo_id("learning-question", "norm"))
    # Two at the first werkplaats; four by the summer, but one withdrew before revision 2.
    assert first[norm][1] == 2 and second[norm][1] == 3
    now = (await client.get(f"/v1/learning-questions/{norm}", headers=key)).json()
    assert now["supportCount"] == 3
    ranked = await client.get(
        "/v1/learning-questions", params={"sort": "-supportCount", "pageSize": 2}, headers=key
    )
    assert [i["supportCount"] for i in ranked.json()["items"]] == [7, 5]


THREAD_ROUTES = {
    "learning-question": "/v1/learning-questions",
    "case": "/v1/cases",
    "insight": "/v1/insights",
    "learning-group": "/v1/learning-groups",
}


async def test_the_second_werkplaats_is_discussed_afterwards(client):
    """Comments and replies on what the second werkplaats raised, by members of the demo, in
    the weeks after it; a facilitator hid one, whose text only moderators read."""
    await seed_demo()
    story = plan_story()
    member_key = bearer(await make_key("member"))
    moderator_key = bearer(await make_key("facilitator"))
    second = next(w for w in story.workshops if w.key == "werkplaats-2")
    raised_there = {
        ("learning-question", q.key) for q in story.questions if q.origin_workshop == "werkplaats-2"
    }
    raised_there |= {
        ("case", c.key) for c in story.cases if c.presented_at_workshop == "werkplaats-2"
    }
    raised_there |= {
        ("learning-group", g.key) for g in story.groups if g.formed_at_workshop == "werkplaats-2"
    }
    raised_there |= {
        ("insight", i.key) for i in story.insights if i.captured_at >= second.starts_at
    }
    demo_members = {str(spec.id) for spec in plan_members()}

    threads = {(spec.thread_type.value, spec.thread) for spec in story.comments}
    assert len(threads) >= 8
    assert threads <= raised_there
    assert {kind for kind, _ in threads} == set(THREAD_ROUTES)
    seen, replies, hidden = 0, 0, []
    for kind, key in sorted(threads):
        thread_id = demo_id(kind, key)  # the demo's ids are named by the thread's type
        response = await client.get(
            f"{THREAD_ROUTES[kind]}/{thread_id}/comments", headers=member_key
        )
        assert response.status_code == 200, response.text
        comments = response.json()["items"]
        assert comments, (kind, key)
        for comment in comments:
            assert comment["parentId"] is None
            for written in (comment, *comment["replies"]):
                seen += 1
                assert written["author"]["id"] in demo_members
                assert written["createdAt"] > second.ends_at.isoformat().replace("+00:00", "Z")
                assert written["createdAt"] < "2024-12-01"  # the weeks after the werkplaats
                if written["hidden"]:
                    hidden.append(written)
                    assert written["body"] is None and written["hiddenReason"]
                else:
                    assert written["body"] and not written["deleted"]
            for reply in comment["replies"]:
                replies += 1
                assert reply["parentId"] == comment["id"]
                assert reply["createdAt"] > comment["createdAt"]
    assert seen == 24 and replies >= 10
    [concealed] = hidden
    as_moderator = await client.get(f"/v1/comments/{concealed['id']}", headers=moderator_key)
    assert as_moderator.status_code == 200, as_moderator.text
    assert "per vierkante meter" in as_moderator.json()["body"]  # kept for the moderators
    # Facilitators of DRIFT, who moderate, hid it.
    assert as_moderator.json()["hiddenBy"]["id"] == str(
        demo_id("member", "imane.bakkali@drift.example")
    )


async def _inbox(client: Any, member_id: uuid.UUID) -> tuple[list[dict[str, Any]], int]:
    key = await make_key("member", member_id)
    items = await _all(client, key, "/v1/me/notifications")
    me = await client.get("/v1/me", headers=bearer(key))
    assert me.status_code == 200, me.text
    return items, me.json()["counts"]["unreadNotifications"]


async def test_members_of_the_demo_have_a_believable_inbox(client):
    """What the story's writes told each member, through the services: dated in the story,
    newest first, some read (by members who opened their inbox), the rest unread."""
    await seed_demo()
    story = plan_story()

    eva = demo_id("member", "eva.ramdin@amsterdam.example")
    items, unread = await _inbox(client, eva)
    assert items
    kinds = Counter(item["kind"] for item in items)
    for kind in (
        "membership-added",
        "agenda-revision-published",
        "question-on-agenda",
        "comment-in-thread",
        "question-status-changed",
    ):
        assert kinds[kind] >= 1, kind
    # Newest first, by id and by the story's moments alike; none dated by the load.
    assert [i["id"] for i in items] == sorted((i["id"] for i in items), reverse=True)
    moments = [i["createdAt"] for i in items]
    assert moments == sorted(moments, reverse=True)
    assert moments[-1] >= "2024-03-14" and moments[0] < "2025-02"
    # She opened her inbox on 14 October: what came before is read, what came after is not.
    [opened] = [r.at for r in story.reads if r.member == "eva.ramdin@amsterdam.example"]
    cut = opened.isoformat().replace("+00:00", "Z")
    assert all((i["readAt"] is not None) == (i["createdAt"] <= cut) for i in items)
    assert 0 < unread == sum(i["readAt"] is None for i in items) < len(items)
    # The reply to her question, in her thread, tells where to look.
    [reply] = [
        i
        for i in items
        if i["kind"] == "comment-in-thread"
        and i["detail"]["reply"]
        and i["createdAt"].startswith("2024-10-14")
    ]
    assert reply["detail"]["threadId"] == str(demo_id("learning-question", "rollen-in-de-praktijk"))
    found = await client.get(reply["subject"]["href"], headers=bearer(await make_key("reader")))
    assert found.status_code == 200 and found.json()["body"]

    # A follower who never opened the app: the two publications, unread.
    follower = demo_id("member", "wei.devries@amsterdam.example")
    items, unread = await _inbox(client, follower)
    assert [i["kind"] for i in items] == ["agenda-revision-published"] * 2
    assert unread == 2

    # Across the community: everyone heard of the publications; who opened their inbox read.
    readers = {_db_id(demo_id("member", r.member)) for r in story.reads}
    rows = await raw_sql(
        "SELECT member_id, count(*), count(read_at) FROM notifications GROUP BY member_id"
    )
    assert len(rows) == 175
    for member_id, total, read in rows:
        assert total >= 2
        if _db_id(member_id) in readers:
            assert 0 < read <= total, member_id
        else:
            assert read == 0, member_id
    [(later,)] = await raw_sql("SELECT count(*) FROM notifications WHERE created_at > '2025-02-01'")
    assert later == 0
