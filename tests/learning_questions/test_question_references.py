"""A learning question names what it refers to beside each id (its werkplaats, group and case of
origin, who raised it, what it was merged into and what was merged into it), an erased raiser
by their pseudonym, a support names its member; and a page of questions costs the same number
of statements with 2 items as with 20, every reference set."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from app.cases.schemas import CaseUpdate
from app.cases.service import update_case
from app.core.context import SYSTEM
from app.core.db import database
from app.learning_questions.schemas import QuestionRead, SupportRead
from app.learning_questions.service import merge_question
from tests.factories import (
    bearer,
    make_case,
    make_group,
    make_key,
    make_member,
    make_question,
    make_workshop,
)

URL = "/v1/learning-questions"


async def _get(client, key: str, path: str) -> dict[str, Any]:
    response = await client.get(path, headers=bearer(key))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _merge(merged_id: Any, into_id: Any) -> None:
    async with database.engine.begin() as conn:
        await merge_question(conn, SYSTEM, merged_id, into_id, None)


async def _origins(n: int) -> dict[str, Any]:
    """A werkplaats, a group, a case and a member of their own, named by `n`."""
    return {
        "workshop": await make_workshop(title=f"Werkplaats {n}"),
        "group": await make_group(name=f"Leergroep {n}"),
        "case": await make_case(title=f"Casus {n}"),
        "member": await make_member(displayName=f"Deelnemer {n}"),
    }


def _referring_to(origins: dict[str, Any]) -> dict[str, str]:
    return {
        "originWorkshopId": str(origins["workshop"]["id"]),
        "originGroupId": str(origins["group"]["id"]),
        "originCaseId": str(origins["case"]["id"]),
        "raisedByMemberId": str(origins["member"]["id"]),
    }


async def test_a_question_names_its_origins_raiser_and_lineage(client):
    key = await make_key("reader")
    origins = await _origins(1)
    survivor = await make_question(status="open", title="Wat blijft", **_referring_to(origins))
    first = await make_question(status="open", title="Eerst samengevoegd")
    second = await make_question(status="open", title="Daarna samengevoegd")
    await _merge(first["id"], survivor["id"])
    await _merge(second["id"], survivor["id"])
    workshop = await _get(client, key, f"/v1/workshops/{origins['workshop']['id']}")

    expected = {
        "originWorkshop": {
            "id": workshop["id"],
            "title": "Werkplaats 1",
            "startsAt": workshop["startsAt"],
        },
        "originGroup": {"id": str(origins["group"]["id"]), "name": "Leergroep 1"},
        "originCase": {"id": str(origins["case"]["id"]), "title": "Casus 1"},
        "raisedBy": {"id": str(origins["member"]["id"]), "displayName": "Deelnemer 1"},
        "mergedInto": None,
        "mergedQuestions": [
            {"id": str(first["id"]), "title": "Eerst samengevoegd"},
            {"id": str(second["id"]), "title": "Daarna samengevoegd"},
        ],
    }
    detail = await _get(client, key, f"{URL}/{survivor['id']}")
    listed = (await _get(client, key, f"{URL}?status=open"))["items"]
    assert [item["id"] for item in listed] == [str(survivor["id"])]
    for shown in (detail, listed[0]):
        TypeAdapter(QuestionRead).validate_python(shown)
        assert {name: shown[name] for name in expected} == expected
        # The list of references is in the order of its ids.
        assert [q["id"] for q in shown["mergedQuestions"]] == shown["mergedQuestionIds"]

    merged = await _get(client, key, f"{URL}/{first['id']}")
    assert merged["mergedInto"] == {"id": str(survivor["id"]), "title": "Wat blijft"}
    assert merged["mergedIntoId"] == str(survivor["id"])

    # A renamed reference shows its name now.
    async with database.engine.begin() as conn:
        await update_case(
            conn, SYSTEM, origins["case"]["id"], CaseUpdate.model_validate({"title": "Nieuw"}), None
        )
    assert (await _get(client, key, f"{URL}/{survivor['id']}"))["originCase"]["title"] == "Nieuw"


async def test_a_question_without_references_shows_them_null(client):
    key = await make_key("reader")
    plain = await make_question()
    for shown in (
        await _get(client, key, f"{URL}/{plain['id']}"),
        (await _get(client, key, URL))["items"][0],
    ):
        assert shown["originWorkshopId"] is None and shown["originWorkshop"] is None
        assert shown["originGroupId"] is None and shown["originGroup"] is None
        assert shown["originCaseId"] is None and shown["originCase"] is None
        assert shown["raisedByMemberId"] is None and shown["raisedBy"] is None
        assert shown["mergedIntoId"] is None and shown["mergedInto"] is None
        assert shown["mergedQuestionIds"] == [] and shown["mergedQuestions"] == []


async def test_an_erased_raiser_and_supporter_are_named_by_their_pseudonym(client):
    admin = await make_key("admin")
    person = await make_member(displayName="Fatima de Vries")
    own_key = await make_key("member", member_id=person["id"])
    question = await make_question(status="open", raisedByMemberId=str(person["id"]))
    before = await _get(client, admin, f"{URL}/{question['id']}")
    assert before["raisedBy"] == {"id": str(person["id"]), "displayName": "Fatima de Vries"}

    support = await client.put(f"{URL}/{question['id']}/supporters/me", headers=bearer(own_key))
    assert support.status_code == 201, support.text
    TypeAdapter(SupportRead).validate_python(support.json())
    assert support.json()["member"] == {
        "id": str(person["id"]),
        "displayName": "Fatima de Vries",
    }
    mine = await _get(client, own_key, f"{URL}/{question['id']}/supporters/me")
    assert mine["member"] == support.json()["member"]

    erased = await client.post(f"/v1/members/{person['id']}/_erase", headers=bearer(admin))
    assert erased.status_code == 200, erased.text
    pseudonym = erased.json()["pseudonym"]
    assert pseudonym != "Fatima de Vries"
    after = await _get(client, admin, f"{URL}/{question['id']}")
    assert after["raisedBy"] == {"id": str(person["id"]), "displayName": pseudonym}
    listed = (await _get(client, admin, f"{URL}?raisedByMemberId={person['id']}"))["items"]
    assert listed[0]["raisedBy"]["displayName"] == pseudonym


async def test_a_page_costs_the_same_statements_for_2_and_20_questions(client, statements):
    """Twelve survivors and twelve questions merged into them, each with its own werkplaats,
    group, case and raiser: a page of 2 and a page of 20 (half of them merged, half with merged
    questions) cost the same statements."""
    key = await make_key("reader")
    for n in range(12):
        origins = await _origins(n)
        refs = _referring_to(origins)
        owner = str(origins["group"]["id"])
        survivor = await make_question(
            status="open", title=f"Vraag {n:02d} a", ownerGroupId=owner, **refs
        )
        merged = await make_question(
            status="open", title=f"Vraag {n:02d} b", ownerGroupId=owner, **refs
        )
        await _merge(merged["id"], survivor["id"])
    assert (await client.get(f"{URL}?pageSize=1", headers=bearer(key))).status_code == 200

    counts = {}
    for size in (2, 20):
        statements.statements.clear()
        items = (await _get(client, key, f"{URL}?pageSize={size}"))["items"]
        counts[size] = statements.count
        assert len(items) == size
        for item in items:
            for name in ("originWorkshop", "originGroup", "originCase", "raisedBy", "ownerGroup"):
                assert item[name] is not None, name
            survivor = item["title"].endswith(" a")
            assert (item["mergedInto"] is None) is survivor
            assert len(item["mergedQuestions"]) == (1 if survivor else 0)
    assert counts[2] == counts[20] <= 3, counts
