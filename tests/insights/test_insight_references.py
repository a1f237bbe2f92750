"""An insight names what it refers to beside each id (its source case, group and question, and
who captured it), an erased author by their pseudonym; and a page of insights costs the same
number of statements with 2 items as with 20, every reference set."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from app.core.context import Principal
from app.insights.schemas import InsightRead
from tests.factories import (
    bearer,
    make_case,
    make_group,
    make_insight,
    make_key,
    make_member,
    make_question,
)

URL = "/v1/insights"


def _as_member(member: dict[str, Any]) -> Principal:
    return Principal(key_id=None, role="member", name="test", member_id=member["id"])


async def _get(client, key: str, path: str) -> dict[str, Any]:
    response = await client.get(path, headers=bearer(key))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _sourced(n: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """An insight captured by a member of its own, from a case, group and question of its own."""
    case = await make_case(title=f"Casus {n}")
    group = await make_group(name=f"Leergroep {n}")
    question = await make_question(title=f"Leervraag {n}")
    author = await make_member(displayName=f"Auteur {n}")
    insight = await make_insight(
        _as_member(author),
        title=f"Inzicht {n:02d}",
        sourceCaseId=str(case["id"]),
        sourceGroupId=str(group["id"]),
        sourceQuestionId=str(question["id"]),
    )
    return insight, {"case": case, "group": group, "question": question, "author": author}


async def test_an_insight_names_its_sources_and_author(client):
    key = await make_key("reader")
    insight, sources = await _sourced(1)
    expected = {
        "sourceCase": {"id": str(sources["case"]["id"]), "title": "Casus 1"},
        "sourceGroup": {"id": str(sources["group"]["id"]), "name": "Leergroep 1"},
        "sourceQuestion": {"id": str(sources["question"]["id"]), "title": "Leervraag 1"},
        "createdBy": {"id": str(sources["author"]["id"]), "displayName": "Auteur 1"},
    }
    detail = await _get(client, key, f"{URL}/{insight['id']}")
    listed = (await _get(client, key, URL))["items"]
    assert [item["id"] for item in listed] == [str(insight["id"])]
    for shown in (detail, listed[0]):
        TypeAdapter(InsightRead).validate_python(shown)
        assert {name: shown[name] for name in expected} == expected
        assert shown["createdByMemberId"] == expected["createdBy"]["id"]


async def test_an_insight_without_some_references_shows_them_null(client):
    key = await make_key("reader")
    group = await make_group(name="Alleen een groep")
    insight = await make_insight(sourceGroupId=str(group["id"]))  # by the system: no author
    shown = await _get(client, key, f"{URL}/{insight['id']}")
    assert shown["sourceGroup"] == {"id": str(group["id"]), "name": "Alleen een groep"}
    assert shown["sourceCaseId"] is None and shown["sourceCase"] is None
    assert shown["sourceQuestionId"] is None and shown["sourceQuestion"] is None
    assert shown["createdByMemberId"] is None and shown["createdBy"] is None


async def test_an_erased_author_is_named_by_their_pseudonym(client):
    admin = await make_key("admin")
    insight, sources = await _sourced(2)
    author = sources["author"]
    erased = await client.post(f"/v1/members/{author['id']}/_erase", headers=bearer(admin))
    assert erased.status_code == 200, erased.text
    pseudonym = erased.json()["pseudonym"]
    assert pseudonym != "Auteur 2"
    for shown in (
        await _get(client, admin, f"{URL}/{insight['id']}"),
        (await _get(client, admin, URL))["items"][0],
    ):
        assert shown["createdBy"] == {"id": str(author["id"]), "displayName": pseudonym}


async def test_a_page_costs_the_same_statements_for_2_and_20_insights(client, statements):
    key = await make_key("reader")
    for n in range(22):
        await _sourced(n)
    assert (await client.get(f"{URL}?pageSize=1", headers=bearer(key))).status_code == 200

    counts = {}
    for size in (2, 20):
        statements.statements.clear()
        items = (await _get(client, key, f"{URL}?pageSize={size}"))["items"]
        counts[size] = statements.count
        assert len(items) == size
        for item in items:
            n = int(item["title"].removeprefix("Inzicht "))
            assert item["sourceCase"]["title"] == f"Casus {n}"
            assert item["sourceGroup"]["name"] == f"Leergroep {n}"
            assert item["sourceQuestion"]["title"] == f"Leervraag {n}"
            assert item["createdBy"]["displayName"] == f"Auteur {n}"
    assert counts[2] == counts[20] <= 3, counts
