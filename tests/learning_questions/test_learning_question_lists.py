"""Lists of learning questions: every filter, `q`, sort, keyset pages, and a number of SQL
statements that does not depend on the page size or on how many questions were merged."""

from __future__ import annotations

import uuid

from app.core.context import SYSTEM
from app.core.db import database
from app.learning_questions.service import merge_question
from tests.core.support import assert_problem, invalid_params
from tests.factories import (
    bearer,
    make_case,
    make_group,
    make_key,
    make_member,
    make_question,
    make_theme,
    make_workshop,
)

URL = "/v1/learning-questions"


def ids(response) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


async def test_filters_each_narrow_the_list(client):
    key = await make_key("reader")
    theme_a = await make_theme(transitionRole="verbinder")
    theme_b = await make_theme(transitionRole="gebiedsmakelaar")
    group = await make_group(themeId=str(theme_a["id"]))
    workshop = await make_workshop()
    case = await make_case(learningGroupId=str(group["id"]))
    raiser = await make_member()
    strategic = await make_question(
        title="Circulair inkopen", kind="strategic", themeId=str(theme_a["id"]), status="open"
    )
    owned = await make_question(
        title="Materialenpaspoort",
        description="Hoe registreren we hergebruik?",
        ownerGroupId=str(group["id"]),
        originWorkshopId=str(workshop["id"]),
        raisedByMemberId=str(raiser["id"]),
    )
    from_case = await make_question(
        title="Buurtinitiatieven", themeId=str(theme_b["id"]), originCaseId=str(case["id"])
    )
    from_group = await make_question(title="Rollen", originGroupId=str(group["id"]))
    everything = {str(q["id"]) for q in (strategic, owned, from_case, from_group)}

    def get(**params):
        return client.get(URL, params=params, headers=bearer(key))

    assert ids(await get()) == everything
    assert ids(await get(themeId=str(theme_a["id"]))) == {str(strategic["id"])}
    assert ids(await get(status="open")) == {str(strategic["id"])}
    assert ids(await get(status="proposed")) == everything - {str(strategic["id"])}
    assert ids(await get(ownerGroupId=str(group["id"]))) == {str(owned["id"])}
    assert ids(await get(kind="strategic")) == {str(strategic["id"])}
    assert ids(await get(kind="operational")) == everything - {str(strategic["id"])}
    assert ids(await get(raisedByMemberId=str(raiser["id"]))) == {str(owned["id"])}
    assert ids(await get(originWorkshopId=str(workshop["id"]))) == {str(owned["id"])}
    assert ids(await get(originCaseId=str(case["id"]))) == {str(from_case["id"])}
    assert ids(await get(originGroupId=str(group["id"]))) == {str(from_group["id"])}
    assert ids(await get(q="HERGEBRUIK")) == {str(owned["id"])}  # description, any case
    assert ids(await get(q="inkopen")) == {str(strategic["id"])}
    assert ids(await get(q="100%_")) == set()  # LIKE wildcards are taken literally
    assert ids(await get(themeId=str(theme_a["id"]), status="proposed")) == set()
    assert ids(await get(themeId=str(uuid.uuid4()))) == set()


async def test_bad_filters_are_400_all_at_once(client):
    key = await make_key("reader")
    response = await client.get(
        URL,
        params={"status": "done", "kind": "x", "themeId": "nope", "sort": "rank"},
        headers=bearer(key),
    )
    names = {name for _, name in invalid_params(assert_problem(response, 400))}
    assert {"status", "kind", "themeId"} <= names
    bad_sort = await client.get(URL, params={"sort": "rank"}, headers=bearer(key))
    assert ("query", "sort") in invalid_params(assert_problem(bad_sort, 400))


async def test_sort_and_keyset_pages_cover_every_question_once(client):
    key = await make_key("reader")
    titles = [f"Vraag {letter}" for letter in "DBEACFG"]
    for title in titles:
        await make_question(title=title)

    seen: list[str] = []
    url: str | None = f"{URL}?pageSize=3&sort=-title"
    while url:
        response = await client.get(url, headers=bearer(key))
        assert response.status_code == 200
        body = response.json()
        seen.extend(item["title"] for item in body["items"])
        url = body["next"]
        if url:
            assert response.headers["Link"] == f'<{url}>; rel="next"'
    assert seen == sorted(titles, reverse=True)

    oldest_first = await client.get(URL, params={"sort": "createdAt"}, headers=bearer(key))
    assert [i["title"] for i in oldest_first.json()["items"]] == titles


async def test_list_statements_do_not_grow_with_page_size_or_merges(client, statements):
    key = await make_key("reader")
    theme = await make_theme()
    group = await make_group(themeId=str(theme["id"]))
    survivors = [
        await make_question(themeId=str(theme["id"]), ownerGroupId=str(group["id"]), status="open")
        for _ in range(12)
    ]
    # Every survivor gets two merged questions: the lineage comes in one statement per page.
    merged = [await make_question(status="parked") for _ in range(2 * len(survivors))]
    async with database.engine.begin() as conn:
        for index, question in enumerate(merged):
            survivor = survivors[index // 2]
            await merge_question(conn, SYSTEM, question["id"], survivor["id"], None)
    warm = await client.get(f"{URL}?pageSize=1", headers=bearer(key))
    assert warm.status_code == 200  # the key is cached now, as on a busy worker

    counts = {}
    for size in (2, 10, 30):
        statements.statements.clear()
        response = await client.get(
            URL, params={"pageSize": size, "status": "open"}, headers=bearer(key)
        )
        assert response.status_code == 200
        items = response.json()["items"]
        assert len(items) == min(size, 12)
        assert all(len(item["mergedQuestionIds"]) == 2 for item in items)
        assert all(item["theme"]["id"] == str(theme["id"]) for item in items)
        counts[size] = statements.count
    assert counts[2] == counts[10] == counts[30] <= 3, counts

    detail_counts = []
    for question in (survivors[0], survivors[5]):
        statements.statements.clear()
        response = await client.get(f"{URL}/{question['id']}", headers=bearer(key))
        assert len(response.json()["mergedQuestionIds"]) == 2
        detail_counts.append(statements.count)
    assert detail_counts[0] == detail_counts[1] <= 3, detail_counts
