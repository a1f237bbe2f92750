"""Publishing an agenda revision tells the raiser and the current supporters of each question
it put on the agenda (`question-on-agenda`) or took off it (`question-off-agenda`), compared
with the revision published before: once per member and question, never the publisher, an
inactive member or one who turned the kind off, in one statement per kind however many
questions and members."""

from __future__ import annotations

import uuid
from typing import Any

from app.core.context import Principal
from tests.agenda import api
from tests.factories import bearer, make_key, make_member, make_question

ON, OFF = "question-on-agenda", "question-off-agenda"


def _as(member: dict[str, Any]) -> Principal:
    return Principal(key_id=None, role="member", name="t", member_id=member["id"])


async def _raised_by(member: dict[str, Any], title: str) -> dict[str, Any]:
    return await make_question(_as(member), title=title)


async def _support(client, question_id, member) -> None:
    key = await make_key("member", member["id"])
    response = await client.put(
        f"/v1/learning-questions/{question_id}/supporters/me", headers=bearer(key)
    )
    assert response.status_code == 201, response.text


async def _publish(client, admin: str, question_ids: list[uuid.UUID]) -> int:
    items = [api.item(qid, rank=pos + 1) for pos, qid in enumerate(question_ids)]
    return int((await api.publish_agenda(client, admin, items))["number"])


async def _moves(client, member) -> list[dict[str, Any]]:
    """The member's notifications of these two kinds, oldest first."""
    key = await make_key("reader", member["id"])
    page = (await client.get("/v1/me/notifications", headers=bearer(key))).json()
    return [note for note in reversed(page["items"]) if note["kind"] in (ON, OFF)]


def _about(note: dict[str, Any]) -> tuple[str, str]:
    return note["kind"], note["subject"]["id"]


async def test_coming_on_the_agenda_tells_raiser_and_supporters(client):
    raiser, backer, withdrawn, bystander = [await make_member() for _ in range(4)]
    kept = await make_question(title="Hoe delen we materialen tussen projecten?")
    admin = await make_key("admin")
    first = await _publish(client, admin, [kept["id"]])
    question = await _raised_by(raiser, "Hoe kopen we circulair meubilair in?")
    await _support(client, question["id"], backer)
    await _support(client, question["id"], withdrawn)
    gone = await make_key("member", withdrawn["id"])
    await client.delete(
        f"/v1/learning-questions/{question['id']}/supporters/me", headers=bearer(gone)
    )

    number = await _publish(client, admin, [kept["id"], question["id"]])

    assert number == first + 1
    for member in (raiser, backer):
        [note] = await _moves(client, member)
        assert note["kind"] == ON
        assert note["readAt"] is None
        assert note["subject"] == {
            "type": "learning-question",
            "id": str(question["id"]),
            "href": f"/v1/learning-questions/{question['id']}",
        }
        assert note["detail"] == {
            "number": number,
            "title": "Hoe kopen we circulair meubilair in?",
            "rank": 2,
        }
        # The subject's path answers: the id is the question's as the API spells it.
        key = await make_key("reader", member["id"])
        found = await client.get(note["subject"]["href"], headers=bearer(key))
        assert found.status_code == 200 and found.json()["id"] == str(question["id"])
    # A withdrawn support, a bystander: nothing about the question (the publication itself,
    # yes, as to everyone).
    for member in (withdrawn, bystander):
        assert await _moves(client, member) == []


async def test_going_off_the_agenda_and_staying_on_it(client):
    raiser, backer = await make_member(), await make_member()
    stays = await _raised_by(raiser, "Welke grondstoffen gebruiken we het meest?")
    leaves = await _raised_by(raiser, "Hoe maken we een materialenpaspoort?")
    await _support(client, leaves["id"], backer)
    await _support(client, stays["id"], backer)
    admin = await make_key("admin")
    first = await _publish(client, admin, [stays["id"], leaves["id"]])
    second = await _publish(client, admin, [stays["id"]])

    both_on = {(ON, str(stays["id"])), (ON, str(leaves["id"]))}
    for member in (raiser, backer):
        notes = await _moves(client, member)
        # One statement wrote both of the first publication's: in no particular order.
        assert {_about(n) for n in notes[:2]} == both_on
        assert {n["detail"]["number"] for n in notes[:2]} == {first}
        [off] = notes[2:]
        assert _about(off) == (OFF, str(leaves["id"]))
        assert off["subject"]["href"] == f"/v1/learning-questions/{leaves['id']}"
        assert off["detail"] == {"number": second, "title": "Hoe maken we een materialenpaspoort?"}


async def test_a_raiser_who_also_supports_hears_once(client):
    both = await make_member()
    question = await _raised_by(both, "Hoe houden we hergebruik bij in de begroting?")
    await _support(client, question["id"], both)
    admin = await make_key("admin")
    await _publish(client, admin, [question["id"]])
    await _publish(client, admin, [])
    assert [_about(n) for n in await _moves(client, both)] == [
        (ON, str(question["id"])),
        (OFF, str(question["id"])),
    ]


async def test_a_kind_turned_off_the_publisher_and_the_inactive_hear_nothing(client):
    quiet, departed, loud = [await make_member() for _ in range(3)]
    publisher = await make_member()
    question = await _raised_by(publisher, "Wat kost circulair slopen?")
    for member in (quiet, departed, loud):
        await _support(client, question["id"], member)
    quiet_key = await make_key("member", quiet["id"])
    response = await client.put(
        "/v1/me/notification-settings",
        json={"kinds": [{"kind": ON, "enabled": False}]},
        headers=bearer(quiet_key),
    )
    assert response.status_code == 200, response.text
    admin = await make_key("admin")
    response = await client.delete(f"/v1/members/{departed['id']}", headers=bearer(admin))
    assert response.status_code == 200, response.text
    as_publisher = await make_key("admin", publisher["id"])

    await _publish(client, as_publisher, [question["id"]])
    await _publish(client, as_publisher, [])

    assert [n["kind"] for n in await _moves(client, loud)] == [ON, OFF]
    # Turned off: only that kind; the other still comes, and so does the publication.
    assert [n["kind"] for n in await _moves(client, quiet)] == [OFF]
    page = (await client.get("/v1/me/notifications", headers=bearer(quiet_key))).json()
    assert [n["kind"] for n in page["items"]].count("agenda-revision-published") == 2
    assert await _moves(client, publisher) == []
    from tests.conftest import raw_sql

    [(count,)] = await raw_sql(
        f"SELECT count(*) FROM notifications WHERE kind IN ('{ON}', '{OFF}') "
        f"AND subject_id = '{question['id']}'"
    )
    assert count == 3  # loud twice, quiet once; the departed member none


async def _publication_statements(client, statements, admin: str, ids: list[uuid.UUID]) -> int:
    created = (await api.create_draft(client, admin)).json()
    items = [api.item(qid, rank=pos + 1) for pos, qid in enumerate(ids)]
    filled = await api.put_items(client, admin, created["number"], items)
    statements.statements.clear()
    await api.publish(client, admin, created["number"], filled.headers["ETag"])
    inserts = [s for s in statements.statements if "INSERT INTO notifications" in s]
    assert len(inserts) == 3  # the publication, the questions on, the questions off
    return statements.count


async def test_one_statement_per_kind_however_many_questions_and_members(client, statements):
    admin = await make_key("admin")
    await _publication_statements(client, statements, admin, [])  # the key, known from now on
    few = [await make_question(title="Eén vraag")]
    await make_member()
    small = await _publication_statements(client, statements, admin, [q["id"] for q in few])

    many = []
    for n in range(12):
        raiser = await make_member()
        question = await _raised_by(raiser, f"Vraag over circulair bouwen {n}")
        for _ in range(3):
            await _support(client, question["id"], await make_member())
        many.append(question)
    # Twelve come on, one goes off: 48 members to tell, the same statements.
    large = await _publication_statements(client, statements, admin, [q["id"] for q in many])
    assert large == small
    from tests.conftest import raw_sql

    [(on,)] = await raw_sql(f"SELECT count(*) FROM notifications WHERE kind = '{ON}'")
    [(off,)] = await raw_sql(f"SELECT count(*) FROM notifications WHERE kind = '{OFF}'")
    assert (on, off) == (48, 0)  # the one that went off was raised by nobody, supported by none
