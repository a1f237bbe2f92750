"""The agenda names what it refers to beside each id: a revision its werkplaats (in every read of
it: the revision, the list, the agenda now and as of a moment), a diff the owner groups of a
changed item and the questions of its status changes, a question's agenda history the owner
group of each entry and the question itself; the agenda read costs the statements it did."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from app.agenda.schemas import QuestionAgendaHistory, RevisionDiff, RevisionPage, RevisionRead
from tests.agenda import api
from tests.agenda.api import item
from tests.agenda.factories import (
    make_group,
    make_question,
    make_theme,
    make_workshop,
    set_question_status,
)
from tests.factories import bearer, make_key


def _workshop_ref(workshop: dict[str, Any]) -> dict[str, Any]:
    return {"id": workshop["id"], "title": workshop["title"], "startsAt": workshop["startsAt"]}


async def _get(client, key: str, path: str, **params: str) -> dict[str, Any]:
    response = await client.get(path, params=params, headers=bearer(key))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_revision_names_its_werkplaats_wherever_it_is_read(client, statements):
    admin = await make_key("admin")
    reader = await make_key("reader")
    theme = await make_theme()
    question = await make_question(theme["id"])
    workshop = await make_workshop(title="Tweede werkplaats")
    first = await api.publish_agenda(client, admin, [item(question["id"], 1)])
    assert first["workshopId"] is None and first["workshop"] is None
    draft = (await api.create_draft(client, admin, {"workshopId": workshop["id"]})).json()
    assert draft["workshop"] == _workshop_ref(workshop)
    published = (await api.publish(client, admin, 2, '"1"')).json()

    expected = _workshop_ref(workshop)
    TypeAdapter(RevisionRead).validate_python(published)
    assert published["workshop"] == expected
    assert (await api.get_revision(client, reader, 2))["workshop"] == expected
    page = await _get(client, reader, "/v1/agenda/revisions")
    TypeAdapter(RevisionPage).validate_python(page)
    listed = page["items"]
    assert [(r["number"], r["workshop"]) for r in listed] == [(1, None), (2, expected)]
    assert (await _get(client, reader, "/v1/agenda/revisions", status="draft"))["items"] == []

    # The agenda now and as of a moment: still the statements it took without a werkplaats
    # (the revision in force, then its items), now joined to its werkplaats.
    statements.statements.clear()
    now = await _get(client, reader, "/v1/agenda")
    assert now["workshop"] == expected
    assert statements.count == 2, statements.statements
    statements.statements.clear()
    at = await _get(client, reader, "/v1/agenda", asOf=published["publishedAt"])
    assert at["workshop"] == expected
    assert statements.count == 2, statements.statements
    before = await _get(client, reader, "/v1/agenda", asOf=first["publishedAt"])
    assert before["number"] == 1 and before["workshop"] is None

    # A werkplaats taken off a draft is null again.
    await api.create_draft(client, admin, {"workshopId": workshop["id"]})
    cleared = await api.patch_revision(client, admin, 3, {"workshopId": None}, '"1"')
    assert cleared.json()["workshopId"] is None and cleared.json()["workshop"] is None


async def test_a_diff_and_a_history_name_owner_groups_and_questions(client):
    admin = await make_key("admin")
    reader = await make_key("reader")
    theme = await make_theme()
    bouw = await make_group(theme["id"], name="Circulair bouwen")
    inkoop = await make_group(theme["id"], name="Circulair inkopen")
    moved = await make_question(theme["id"], title="Wie neemt dit op?")
    taken = await make_question(theme["id"], title="Wie pakt dit op?")
    await api.publish_agenda(
        client, admin, [item(moved["id"], 1, "high", bouw["id"]), item(taken["id"], 2, "low")]
    )
    await api.publish_agenda(
        client,
        admin,
        [item(moved["id"], 1, "high", inkoop["id"]), item(taken["id"], 2, "low", bouw["id"])],
    )
    bouw_ref = {"id": bouw["id"], "name": "Circulair bouwen"}
    inkoop_ref = {"id": inkoop["id"], "name": "Circulair inkopen"}

    diff = await _get(client, reader, "/v1/agenda/revisions/2/diff", **{"from": "1"})
    TypeAdapter(RevisionDiff).validate_python(diff)
    changed = {c["questionId"]: c for c in diff["changed"]}
    assert changed[moved["id"]]["ownerGroupId"] == {"old": bouw["id"], "new": inkoop["id"]}
    assert changed[moved["id"]]["ownerGroup"] == {"old": bouw_ref, "new": inkoop_ref}
    assert changed[taken["id"]]["ownerGroup"] == {"old": None, "new": bouw_ref}

    history = await _get(client, reader, f"/v1/learning-questions/{moved['id']}/agenda-history")
    TypeAdapter(QuestionAgendaHistory).validate_python(history)
    assert history["question"] == {"id": moved["id"], "title": "Wie neemt dit op?"}
    assert [(e["ownerGroupId"], e["ownerGroup"]) for e in history["items"]] == [
        (bouw["id"], bouw_ref),
        (inkoop["id"], inkoop_ref),
    ]
    taken_history = await _get(
        client, reader, f"/v1/learning-questions/{taken['id']}/agenda-history"
    )
    assert [e["ownerGroup"] for e in taken_history["items"]] == [None, bouw_ref]


async def test_a_status_change_names_its_question(client):
    admin = await make_key("admin")
    reader = await make_key("reader")
    question = await make_question(None, title="Wat leren we ervan?")
    await api.publish_agenda(client, admin, [item(question["id"], 1)])
    draft = (await api.create_draft(client, admin)).json()
    assert draft["workshop"] is None
    await set_question_status(question["id"], "exploring")
    diff = await _get(client, reader, "/v1/agenda/revisions/2/diff", **{"from": "1"})
    assert diff["statusChanges"] == [
        {
            "questionId": question["id"],
            "question": {"id": question["id"], "title": "Wat leren we ervan?"},
            "title": "Wat leren we ervan?",
            "old": "open",
            "new": "exploring",
        }
    ]
