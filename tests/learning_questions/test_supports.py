"""Support ("ik wil dit ook leren"): a member supports a question once (a second PUT changes
nothing and answers 200), withdraws it, and the question's `supportCount` follows; who may,
closed questions, the supporters list, `sort=-supportCount`, and the change feed."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select

from app.core.context import SYSTEM
from app.core.db import database
from app.core.models import table_of
from app.learning_questions.models import QuestionSupport
from app.learning_questions.service import merge_question
from tests.changes.conftest import settled
from tests.conftest import raw_sql
from tests.core.support import assert_problem
from tests.factories import bearer, make_key, make_member, make_question

URL = "/v1/learning-questions"
MERGE_PATCH = "application/merge-patch+json"


def me(question_id) -> str:
    return f"{URL}/{question_id}/supporters/me"


async def member_key(role: str = "member", **member: str) -> tuple[str, dict]:
    person = await make_member(**member)
    return await make_key(role, member_id=person["id"]), person


async def support_count(client, key: str, question_id) -> int:
    response = await client.get(f"{URL}/{question_id}", headers=bearer(key))
    assert response.status_code == 200, response.text
    count: int = response.json()["supportCount"]
    return count


async def stored_supports(question_id) -> tuple[int, int]:
    """(current support rows, all support rows) of a question, straight from the table (an
    assertion only)."""
    supports = table_of(QuestionSupport)
    query = select(supports.c.withdrawn_at).where(
        supports.c.question_id == uuid.UUID(str(question_id))
    )
    async with database.engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return sum(1 for (withdrawn_at,) in rows if withdrawn_at is None), len(rows)


async def test_support_once_withdraw_and_support_again(client):
    question = await make_question(status="open")
    qid = question["id"]
    assert question["supportCount"] == 0
    fatima, fatima_member = await member_key()
    bram, _ = await member_key("facilitator")

    first = await client.put(me(qid), headers=bearer(fatima))
    assert first.status_code == 201, first.text
    support = first.json()
    assert support["questionId"] == str(qid)
    assert support["memberId"] == str(fatima_member["id"])
    assert support["supportCount"] == 1

    # Idempotent: supporting again changes nothing and answers 200 with the same support.
    again = await client.put(me(qid), headers=bearer(fatima))
    assert again.status_code == 200, again.text
    assert again.json() == support
    assert await support_count(client, fatima, qid) == 1

    mine = await client.get(me(qid), headers=bearer(fatima))
    assert mine.status_code == 200 and mine.json() == support
    assert_problem(await client.get(me(qid), headers=bearer(bram)), 404)

    second = await client.put(me(qid), headers=bearer(bram))
    assert second.status_code == 201 and second.json()["supportCount"] == 2

    withdrawn = await client.delete(me(qid), headers=bearer(fatima))
    assert withdrawn.status_code == 204 and withdrawn.content == b""
    assert await support_count(client, fatima, qid) == 1
    # Withdrawing what is not there changes nothing either.
    assert (await client.delete(me(qid), headers=bearer(fatima))).status_code == 204
    assert await support_count(client, fatima, qid) == 1
    assert_problem(await client.get(me(qid), headers=bearer(fatima)), 404)

    back = await client.put(me(qid), headers=bearer(fatima))
    assert back.status_code == 201
    assert back.json()["supportedAt"] > support["supportedAt"]
    assert back.json()["supportCount"] == 2
    # The history keeps the withdrawn support; the count is the current ones.
    assert await stored_supports(qid) == (2, 3)

    # Support is not an edit: the question's version (its ETag) stays.
    got = await client.get(f"{URL}/{qid}", headers=bearer(fatima))
    assert got.headers["ETag"] == f'"{question["version"]}"'


async def test_racing_supports_of_one_member_count_once(client):
    question = await make_question(status="open")
    key, _ = await member_key()
    answers = await asyncio.gather(
        *(client.put(me(question["id"]), headers=bearer(key)) for _ in range(4))
    )
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 201]
    assert await support_count(client, key, question["id"]) == 1
    assert await stored_supports(question["id"]) == (1, 1)
    withdrawals = await asyncio.gather(
        *(client.delete(me(question["id"]), headers=bearer(key)) for _ in range(3))
    )
    assert {w.status_code for w in withdrawals} == {204}
    assert await support_count(client, key, question["id"]) == 0
    assert await stored_supports(question["id"]) == (0, 1)


@pytest.mark.parametrize("role", ["reader", "sync"])
async def test_roles_that_may_not_support(client, role):
    question = await make_question(status="open")
    key = await make_key(role)
    for method in ("PUT", "GET", "DELETE"):
        assert_problem(await client.request(method, me(question["id"]), headers=bearer(key)), 403)
    assert await stored_supports(question["id"]) == (0, 0)


async def test_only_a_credential_bound_to_a_member_supports(client):
    question = await make_question(status="open")
    bare_admin = await make_key("admin")
    for method in ("PUT", "GET", "DELETE"):
        refused = assert_problem(
            await client.request(method, me(question["id"]), headers=bearer(bare_admin)), 403
        )
        assert "member" in refused["detail"]
    admin_with_member, person = await member_key("admin")
    supported = await client.put(me(question["id"]), headers=bearer(admin_with_member))
    assert supported.status_code == 201, supported.text
    assert supported.json()["memberId"] == str(person["id"])


async def test_an_unknown_question_is_404_and_writes_nothing(client):
    key, _ = await member_key()
    unknown = uuid.uuid4()
    for method in ("PUT", "GET", "DELETE"):
        assert_problem(await client.request(method, me(unknown), headers=bearer(key)), 404)
    assert_problem(await client.get(f"{URL}/{unknown}/supporters", headers=bearer(key)), 404)
    assert (await raw_sql("SELECT count(*) FROM question_supports"))[0][0] == 0


async def test_a_body_naming_another_member_supports_only_the_caller(client):
    question = await make_question(status="open")
    key, person = await member_key()
    other = await make_member()
    # The route takes no body: whatever one says, the support is the caller's own member's.
    response = await client.put(
        me(question["id"]), json={"memberId": str(other["id"])}, headers=bearer(key)
    )
    assert response.status_code == 201, response.text
    assert response.json()["memberId"] == str(person["id"])
    assert await stored_supports(question["id"]) == (1, 1)


async def test_merged_and_retired_questions_take_no_new_support(client):
    admin = await make_key("admin")
    key, _ = await member_key()
    early, _ = await member_key()
    survivor = await make_question(status="open")
    merged = await make_question(status="open")
    retired = await make_question(status="open")
    assert (await client.put(me(retired["id"]), headers=bearer(early))).status_code == 201
    async with database.engine.begin() as conn:
        await merge_question(conn, SYSTEM, merged["id"], survivor["id"], None)
    patched = await client.patch(
        f"{URL}/{retired['id']}",
        json={"status": "retired"},
        headers={**bearer(admin), "Content-Type": MERGE_PATCH},
    )
    assert patched.status_code == 200, patched.text

    refused = assert_problem(await client.put(me(merged["id"]), headers=bearer(key)), 409)
    assert refused["currentStatus"] == "merged"
    assert refused["mergedIntoId"] == str(survivor["id"])
    assert str(survivor["id"]) in refused["detail"]
    refused = assert_problem(await client.put(me(retired["id"]), headers=bearer(key)), 409)
    assert refused["currentStatus"] == "retired" and "mergedIntoId" not in refused
    assert await stored_supports(merged["id"]) == (0, 0)
    assert await stored_supports(retired["id"]) == (1, 1)

    # Whoever supported before keeps their support (a PUT changes nothing) and may withdraw.
    kept = await client.put(me(retired["id"]), headers=bearer(early))
    assert kept.status_code == 200 and kept.json()["supportCount"] == 1
    assert (await client.delete(me(retired["id"]), headers=bearer(early))).status_code == 204
    assert await support_count(client, key, retired["id"]) == 0


async def test_supporters_list_pages_and_shows_the_pseudonym_of_an_erased_member(
    client, statements
):
    admin = await make_key("admin")
    reader = await make_key("reader")
    question = await make_question(status="open")
    names = ["Zeynep", "Anouk", "Mees", "Bram", "Ilse"]
    people = []
    for name in names:
        key, person = await member_key(displayName=name)
        assert (await client.put(me(question["id"]), headers=bearer(key))).status_code == 201
        people.append(person)
    # One withdraws: not listed.
    gone_key, gone = await member_key(displayName="Weg")
    await client.put(me(question["id"]), headers=bearer(gone_key))
    await client.delete(me(question["id"]), headers=bearer(gone_key))
    erased = await client.post(f"/v1/members/{people[2]['id']}/_erase", headers=bearer(admin))
    assert erased.status_code == 200, erased.text
    pseudonym = erased.json()["pseudonym"]
    assert pseudonym != "Mees"

    url = f"{URL}/{question['id']}/supporters"
    whole = await client.get(url, headers=bearer(reader))
    assert whole.status_code == 200, whole.text
    items = whole.json()["items"]
    assert [i["memberId"] for i in items] == [str(p["id"]) for p in people]
    assert [i["displayName"] for i in items] == ["Zeynep", "Anouk", pseudonym, "Bram", "Ilse"]
    assert "Mees" not in whole.text and str(gone["id"]) not in whole.text
    assert set(items[0]) == {"memberId", "displayName", "supportedAt"}

    for sort, expected in (
        ("supportedAt", [str(p["id"]) for p in people]),
        ("-supportedAt", [str(p["id"]) for p in reversed(people)]),
        (
            "displayName",
            [i["memberId"] for i in sorted(items, key=lambda i: i["displayName"].casefold())],
        ),
    ):
        seen, next_url, counts = [], f"{url}?pageSize=2&sort={sort}", []
        while next_url:
            statements.statements.clear()
            page = await client.get(next_url, headers=bearer(reader))
            counts.append(statements.count)
            assert page.status_code == 200, page.text
            seen += [i["memberId"] for i in page.json()["items"]]
            next_url = page.json()["next"]
        assert seen == expected, sort
        assert len(set(counts)) == 1 and counts[0] <= 3, counts


async def test_sort_by_support_count_pages_with_the_id_as_tie_breaker(client, statements):
    reader = await make_key("reader")
    keys = [(await member_key())[0] for _ in range(4)]
    questions = [await make_question(status="open") for _ in range(7)]
    wanted = [3, 1, 0, 1, 4, 1, 0]
    for question, count in zip(questions, wanted, strict=True):
        for key in keys[:count]:
            assert (await client.put(me(question["id"]), headers=bearer(key))).status_code == 201
    expected = [
        str(q["id"])
        for q, _ in sorted(
            zip(questions, wanted, strict=True), key=lambda p: (p[1], p[0]["id"]), reverse=True
        )
    ]
    warm = await client.get(f"{URL}?pageSize=1", headers=bearer(reader))
    assert warm.status_code == 200  # the key is cached now, as on a busy worker
    for size in (1, 2, 3, 7):
        seen, counts = [], []
        url: str | None = f"{URL}?sort=-supportCount&pageSize={size}"
        while url:
            statements.statements.clear()
            page = await client.get(url, headers=bearer(reader))
            counts.append(statements.count)
            assert page.status_code == 200, page.text
            seen += [(i["id"], i["supportCount"]) for i in page.json()["items"]]
            url = page.json()["next"]
        assert [qid for qid, _ in seen] == expected, size
        assert [n for _, n in seen] == sorted(wanted, reverse=True)
        assert len(set(counts)) == 1 and counts[0] <= 3, counts
    ascending = await client.get(f"{URL}?sort=supportCount&pageSize=100", headers=bearer(reader))
    assert [i["id"] for i in ascending.json()["items"]] == list(reversed(expected))


async def test_questions_a_member_supports(client):
    reader = await make_key("reader")
    key, person = await member_key()
    supported = await make_question(status="open")
    withdrawn = await make_question(status="open")
    await make_question(status="open")
    await client.put(me(supported["id"]), headers=bearer(key))
    await client.put(me(withdrawn["id"]), headers=bearer(key))
    await client.delete(me(withdrawn["id"]), headers=bearer(key))
    found = await client.get(
        URL, params={"supportedByMemberId": str(person["id"])}, headers=bearer(reader)
    )
    assert found.status_code == 200, found.text
    assert [i["id"] for i in found.json()["items"]] == [str(supported["id"])]


async def test_support_is_in_the_change_feed(client):
    key, person = await member_key()
    question = await make_question(status="open")
    qid = str(question["id"])
    await client.put(me(qid), headers=bearer(key))
    await client.put(me(qid), headers=bearer(key))  # nothing changes: no change either
    await client.delete(me(qid), headers=bearer(key))
    await client.delete(me(qid), headers=bearer(key))
    await settled()
    response = await client.get(
        "/v1/changes", params={"types": "learning-question", "pageSize": 100}, headers=bearer(key)
    )
    assert response.status_code == 200, response.text
    mine = [c for c in response.json()["items"] if c["resourceId"] == qid]
    assert [(c["change"], c["version"]) for c in mine] == [
        ("created", 1),
        ("supported", 1),
        ("support-withdrawn", 1),
    ]
    assert mine[1]["actor"] == {"role": "member", "memberId": str(person["id"])}
    assert mine[1]["href"] == f"/v1/learning-questions/{qid}"
