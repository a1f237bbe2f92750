"""GET /v1/stats/community on a small community whose numbers are known by hand: now and at an
earlier `asOf`, who may read it, bad input, and a fixed number of statements."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import TypeAdapter

from app.core.context import SYSTEM
from app.core.db import database
from app.core.models import utcnow
from app.learning_questions.schemas import QuestionUpdate
from app.learning_questions.service import merge_question, update_question
from app.members.service import deactivate_member
from app.stats.schemas import CommunityStats
from tests.core.support import assert_problem, invalid_params
from tests.factories import (
    bearer,
    make_department,
    make_group,
    make_insight,
    make_key,
    make_member,
    make_question,
    make_theme,
)

URL = "/v1/stats/community"


async def build_community() -> dict[str, Any]:
    """Three active departments (one without members) and an archived one; six members joined
    January to March 2025, one of them deactivated today; groups, questions and insights."""
    go = await make_department(code="GO", name="Green Office")
    sb = await make_department(code="SB", name="Sport en Bos")
    ib = await make_department(code="IB", name="Ingenieursbureau")
    old = await make_department(code="OUD", name="Opgeheven", active=False)

    def member(department: dict[str, Any] | None, joined: str, **extra: Any) -> Any:
        department_id = {"departmentId": str(department["id"])} if department else {}
        return make_member(joinedAt=f"{joined}T10:00:00+00:00", **department_id, **extra)

    await member(go, "2025-01-10", transitionRoles=["verbinder", "coalitiebouwer"])
    await member(go, "2025-01-20", transitionRoles=["verbinder"])
    await member(sb, "2025-02-05", participation="follower", transitionRoles=["gebiedsmakelaar"])
    await member(None, "2025-02-15")  # e.g. a facilitator of a partner: no department
    leaver = await member(go, "2025-03-01", participation="follower", transitionRoles=["verbinder"])
    await member(sb, "2025-03-20", participation="follower")
    async with database.engine.begin() as conn:
        await deactivate_member(conn, SYSTEM, leaver["id"], None)

    verbinder = await make_theme(name="De gemeente als organisatie", transitionRole="verbinder")
    markt = await make_theme(name="Gemeente en markt", transitionRole="coalitiebouwer")
    await make_group(themeId=str(verbinder["id"]))
    await make_group(themeId=str(verbinder["id"]), status="active")
    await make_group(themeId=str(verbinder["id"]), mode="facilitated")
    survivor = await make_group(themeId=str(markt["id"]), mode="facilitated")
    await make_group(themeId=str(markt["id"]), status="merged", mergedIntoId=survivor["id"])

    proposed = await make_question()
    exploring = await make_question(status="open")
    kept = await make_question(status="open")
    absorbed = await make_question(status="open")
    await asyncio.sleep(0.02)
    between = utcnow()
    await asyncio.sleep(0.02)
    async with database.engine.begin() as conn:
        change = QuestionUpdate.model_validate({"status": "exploring"})
        await update_question(conn, SYSTEM, exploring["id"], change, None)
        await merge_question(conn, SYSTEM, absorbed["id"], kept["id"], None)

    source = {"sourceQuestionId": str(proposed["id"])}
    for adoption in ("captured", "captured", "shared", "embedded"):
        await make_insight(adoption=adoption, **source)
    return {
        "go": go,
        "sb": sb,
        "ib": ib,
        "old": old,
        "between": between,
        "themes": (verbinder, markt),
    }


def roles(verbinder: int = 0, coalitiebouwer: int = 0, gebiedsmakelaar: int = 0) -> dict[str, int]:
    return {
        "verbinder": verbinder,
        "coalitiebouwer": coalitiebouwer,
        "gebiedsmakelaar": gebiedsmakelaar,
    }


async def test_the_community_now(client):
    key = await make_key("reader")
    known = await build_community()
    response = await client.get(URL, headers=bearer(key))
    assert response.status_code == 200, response.text
    stats = response.json()
    TypeAdapter(CommunityStats).validate_python(stats)

    assert stats["members"] == {
        "participants": 3,
        "followers": 2,
        "total": 5,
        "withoutDepartment": 1,
        "transitionRoles": roles(verbinder=2, coalitiebouwer=1, gebiedsmakelaar=1),
    }

    growth = {month["month"]: month for month in stats["growth"]}
    assert stats["growth"][0]["month"] == "2025-01"
    assert stats["growth"][-1]["month"] == f"{utcnow():%Y-%m}"
    assert growth["2025-01"] == {
        "month": "2025-01",
        "joined": 2,
        "left": 0,
        "participants": 2,
        "followers": 0,
        "total": 2,
    }
    assert (growth["2025-02"]["participants"], growth["2025-02"]["followers"]) == (3, 1)
    assert (growth["2025-03"]["total"], growth["2025-03"]["joined"]) == (6, 2)
    assert growth["2025-04"]["total"] == 6 and growth["2025-04"]["joined"] == 0  # gap filled
    assert stats["growth"][-1]["left"] == 1
    assert stats["growth"][-1]["total"] == stats["members"]["total"] == 5
    months = [m["month"] for m in stats["growth"]]
    assert months == sorted(months) and len(months) == len(set(months))

    departments = {d["code"]: d for d in stats["departments"]}
    assert set(departments) == {"GO", "SB", "IB", "OUD"}
    assert departments["GO"] | {"transitionRoles": None} == {
        "id": str(known["go"]["id"]),
        "code": "GO",
        "name": "Green Office",
        "active": True,
        "participants": 2,
        "followers": 0,  # the follower who left no longer counts
        "total": 2,
        "transitionRoles": None,
    }
    assert departments["GO"]["transitionRoles"] == roles(verbinder=2, coalitiebouwer=1)
    assert (departments["SB"]["followers"], departments["SB"]["total"]) == (2, 2)
    assert departments["SB"]["transitionRoles"] == roles(gebiedsmakelaar=1)
    assert departments["IB"]["total"] == 0
    assert departments["IB"]["transitionRoles"] == roles()
    assert departments["OUD"]["active"] is False

    coverage = stats["coverage"]
    assert coverage["activeDepartments"] == 3
    assert coverage["takingPart"] == 2
    assert coverage["share"] == pytest.approx(2 / 3, abs=1e-3)
    assert set(coverage["takingPartIds"]) == {str(known["go"]["id"]), str(known["sb"]["id"])}
    assert coverage["notTakingPartIds"] == [str(known["ib"]["id"])]
    # Beside the ids, the departments themselves, in the order of the ids.
    assert coverage["takingPartDepartments"] == [
        {"id": str(known["go"]["id"]), "code": "GO", "name": "Green Office"},
        {"id": str(known["sb"]["id"]), "code": "SB", "name": "Sport en Bos"},
    ]
    assert [d["id"] for d in coverage["takingPartDepartments"]] == coverage["takingPartIds"]
    assert coverage["notTakingPartDepartments"] == [
        {"id": str(known["ib"]["id"]), "code": "IB", "name": "Ingenieursbureau"}
    ]

    verbinder, markt = known["themes"]
    by_theme = {(g["themeId"], g["mode"]): g["count"] for g in stats["groups"]["byThemeAndMode"]}
    assert by_theme == {
        (str(verbinder["id"]), "self_directed"): 2,
        (str(verbinder["id"]), "facilitated"): 1,
        (str(markt["id"]), "self_directed"): 0,  # the merged group is not counted
        (str(markt["id"]), "facilitated"): 1,
    }
    assert stats["groups"]["total"] == 4
    themes = {g["themeId"]: g["theme"] for g in stats["groups"]["byThemeAndMode"]}
    assert themes == {
        str(verbinder["id"]): {
            "id": str(verbinder["id"]),
            "name": "De gemeente als organisatie",
            "transitionRole": "verbinder",
        },
        str(markt["id"]): {
            "id": str(markt["id"]),
            "name": "Gemeente en markt",
            "transitionRole": "coalitiebouwer",
        },
    }
    assert all(g["themeName"] == g["theme"]["name"] for g in stats["groups"]["byThemeAndMode"])

    assert stats["questions"] == {
        "total": 4,
        "byStatus": {
            "proposed": 1,
            "open": 1,
            "exploring": 1,
            "answered": 0,
            "parked": 0,
            "merged": 1,
            "retired": 0,
        },
    }
    assert stats["insights"] == {
        "total": 4,
        "byAdoption": {"captured": 2, "shared": 1, "piloted": 0, "embedded": 1},
    }
    assert datetime.fromisoformat(stats["asOf"]) <= utcnow()


async def test_the_community_as_of_an_earlier_moment(client):
    key = await make_key("member")
    known = await build_community()

    feb = await client.get(URL, params={"asOf": "2025-02-28T23:59:59Z"}, headers=bearer(key))
    assert feb.status_code == 200, feb.text
    stats = feb.json()
    assert datetime.fromisoformat(stats["asOf"]) == datetime(2025, 2, 28, 23, 59, 59, tzinfo=UTC)
    assert stats["members"]["participants"] == 3
    assert stats["members"]["followers"] == 1
    assert stats["members"]["transitionRoles"] == roles(
        verbinder=2, coalitiebouwer=1, gebiedsmakelaar=1
    )
    assert [m["month"] for m in stats["growth"]] == ["2025-01", "2025-02"]
    assert stats["growth"][-1]["total"] == 4
    departments = {d["code"]: d for d in stats["departments"]}
    assert departments["GO"]["participants"] == 2
    assert departments["SB"]["followers"] == 1
    assert stats["coverage"]["takingPart"] == 2
    # Groups, questions and insights did not exist yet in February 2025.
    assert stats["groups"]["total"] == 0
    assert stats["questions"]["total"] == 0
    assert stats["insights"]["total"] == 0

    # An offset is honoured: 2025-03-01 10:30 in Amsterdam is 09:30 UTC, before the 10:00 join.
    march = await client.get(URL, params={"asOf": "2025-03-01T10:30:00+01:00"}, headers=bearer(key))
    assert march.json()["members"]["total"] == 4
    later = await client.get(URL, params={"asOf": "2025-03-01T11:30:00+01:00"}, headers=bearer(key))
    assert later.json()["members"]["total"] == 5

    # Between the questions' creation and their later moves, the history tells how they stood.
    between = await client.get(
        URL, params={"asOf": known["between"].isoformat()}, headers=bearer(key)
    )
    by_status = between.json()["questions"]["byStatus"]
    assert (by_status["proposed"], by_status["open"], by_status["exploring"]) == (1, 3, 0)
    assert by_status["merged"] == 0

    before = await client.get(URL, params={"asOf": "2024-12-31T00:00:00Z"}, headers=bearer(key))
    empty = before.json()
    assert empty["members"]["total"] == 0
    assert empty["growth"] == []
    assert empty["coverage"]["takingPart"] == 0


@pytest.mark.parametrize("role", ["admin", "facilitator", "member", "reader"])
async def test_everyone_but_sync_reads_the_stats(client, role):
    key = await make_key(role)
    assert (await client.get(URL, headers=bearer(key))).status_code == 200


async def test_sync_keys_and_anonymous_callers_do_not(client):
    assert_problem(await client.get(URL, headers=bearer(await make_key("sync"))), 403)
    assert_problem(await client.get(URL), 401)


async def test_an_empty_community_has_zeros_not_errors(client):
    key = await make_key("reader")
    stats = (await client.get(URL, headers=bearer(key))).json()
    assert stats["members"]["total"] == 0
    assert stats["growth"] == [] and stats["departments"] == []
    assert stats["coverage"] == {
        "activeDepartments": 0,
        "takingPart": 0,
        "share": 0.0,
        "takingPartIds": [],
        "takingPartDepartments": [],
        "notTakingPartIds": [],
        "notTakingPartDepartments": [],
    }
    assert stats["groups"] == {"total": 0, "byThemeAndMode": []}
    assert set(stats["questions"]["byStatus"].values()) == {0}


@pytest.mark.parametrize("as_of", ["yesterday", "2025-02-30T00:00:00Z", "2025-13-01", "1741"])
async def test_a_bad_as_of_is_400(client, as_of):
    key = await make_key("reader")
    response = await client.get(URL, params={"asOf": as_of}, headers=bearer(key))
    assert ("query", "asOf") in invalid_params(assert_problem(response, 400))


@pytest.mark.parametrize(
    ("as_of", "moment"),
    [
        # A date is the end of that day in Amsterdam (winter: UTC+1, summer: UTC+2).
        ("2025-01-01", datetime(2025, 1, 1, 22, 59, 59, 999999, tzinfo=UTC)),
        ("2025-07-01", datetime(2025, 7, 1, 21, 59, 59, 999999, tzinfo=UTC)),
        # A date-time without an offset is UTC, as on the agenda.
        ("2025-01-01T00:00:00", datetime(2025, 1, 1, tzinfo=UTC)),
    ],
)
async def test_as_of_reads_a_date_and_a_naive_time_as_the_agenda_does(client, as_of, moment):
    key = await make_key("reader")
    response = await client.get(URL, params={"asOf": as_of}, headers=bearer(key))
    assert response.status_code == 200, response.text
    assert datetime.fromisoformat(response.json()["asOf"]) == moment


async def test_statements_do_not_grow_with_the_community(client, statements):
    key = await make_key("reader")
    await build_community()
    assert (await client.get(URL, headers=bearer(key))).status_code == 200  # caches the key

    counts = []
    for _ in range(2):
        for params in ({}, {"asOf": "2025-06-01T00:00:00Z"}):
            statements.statements.clear()
            response = await client.get(URL, params=params, headers=bearer(key))
            assert response.status_code == 200
            counts.append(statements.count)
        # Grow the community between rounds: more departments, members, groups and questions.
        departments = [await make_department() for _ in range(3)]
        for index in range(12):
            await make_member(
                departmentId=str(departments[index % 3]["id"]),
                joinedAt=f"2025-{index % 12 + 1:02d}-03T08:00:00+00:00",
                transitionRoles=["verbinder", "gebiedsmakelaar"],
            )
        for _ in range(3):
            await make_group()
            await make_question(status="open")
    assert counts[0] == counts[2] and counts[1] == counts[3], counts
    assert max(counts) <= 8, counts
