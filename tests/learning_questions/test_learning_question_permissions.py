"""Who may do what with learning questions, cell by cell: admins everything; members propose
and edit their own proposal while it is proposed; facilitators also manage the questions of
groups they facilitate; readers read; sync keys see nothing. Every refusal is audited."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from app.core.context import SYSTEM
from app.core.db import database
from app.core.models import utcnow
from app.learning_groups.schemas import MembershipUpdate
from app.learning_groups.service import change_membership
from tests.conftest import raw_sql
from tests.core.support import assert_problem
from tests.factories import (
    add_membership,
    bearer,
    make_group,
    make_key,
    make_member,
    make_question,
)

URL = "/v1/learning-questions"
MERGE_PATCH = "application/merge-patch+json"


async def patch(
    client: httpx.AsyncClient, question_id: Any, body: dict[str, Any], key: str
) -> httpx.Response:
    headers = {**bearer(key), "Content-Type": MERGE_PATCH}
    return await client.patch(f"{URL}/{question_id}", content=json.dumps(body), headers=headers)


async def merge(client: httpx.AsyncClient, question_id: Any, into_id: Any, key: str) -> Any:
    return await client.post(
        f"{URL}/{question_id}/_merge", json={"intoId": str(into_id)}, headers=bearer(key)
    )


@dataclass
class Actor:
    key: str
    member: dict[str, Any]


async def actor(role: str) -> Actor:
    member = await make_member()
    return Actor(await make_key(role, member["id"]), member)


async def denied_events() -> int:
    rows = await raw_sql("SELECT result FROM audit_events WHERE result = 'denied'")
    return len(rows)


# Reading


@pytest.mark.parametrize("role", ["admin", "facilitator", "member", "reader"])
async def test_every_community_role_reads(client, role):
    key = await make_key(role)
    question = await make_question()
    assert (await client.get(URL, headers=bearer(key))).status_code == 200
    assert (await client.get(f"{URL}/{question['id']}", headers=bearer(key))).status_code == 200


async def test_sync_keys_may_not_touch_questions(client):
    key = await make_key("sync")
    question = await make_question()
    assert_problem(await client.get(URL, headers=bearer(key)), 403)
    assert_problem(await client.get(f"{URL}/{question['id']}", headers=bearer(key)), 403)
    assert_problem(await client.post(URL, json={"title": "Vraag"}, headers=bearer(key)), 403)
    assert_problem(await patch(client, question["id"], {"title": "x"}, key), 403)
    other = await make_question()
    assert_problem(await merge(client, question["id"], other["id"], key), 403)


async def test_without_a_key_is_401(client):
    assert_problem(await client.get(URL), 401)
    assert_problem(await client.post(URL, json={"title": "Vraag"}), 401)


async def test_readers_write_nothing_and_refusals_are_audited(client):
    key = await make_key("reader")
    question = await make_question()
    other = await make_question()
    before = await denied_events()
    assert_problem(await client.post(URL, json={"title": "Vraag"}, headers=bearer(key)), 403)
    assert_problem(await patch(client, question["id"], {"title": "x"}, key), 403)
    assert_problem(await merge(client, question["id"], other["id"], key), 403)
    assert await denied_events() == before + 3
    listed = await client.get(URL, headers=bearer(key))
    assert len(listed.json()["items"]) == 2


# Members


async def test_a_member_proposes_as_themself(client):
    me = await actor("member")
    response = await client.post(URL, json={"title": "Mijn vraag"}, headers=bearer(me.key))
    assert response.status_code == 201, response.text
    assert response.json()["raisedByMemberId"] == str(me.member["id"])
    assert response.json()["status"] == "proposed"
    named = await client.post(
        URL,
        json={"title": "Ook mijn vraag", "raisedByMemberId": str(me.member["id"])},
        headers=bearer(me.key),
    )
    assert named.status_code == 201


async def test_a_member_may_not_propose_for_others_or_skip_proposed(client):
    me = await actor("member")
    someone = await make_member()
    for_other = await client.post(
        URL,
        json={"title": "Namens", "raisedByMemberId": str(someone["id"])},
        headers=bearer(me.key),
    )
    assert_problem(for_other, 403)
    opened = await client.post(
        URL, json={"title": "Open", "status": "open"}, headers=bearer(me.key)
    )
    assert_problem(opened, 403)


async def test_a_member_edits_their_own_proposal_while_it_is_proposed(client):
    me = await actor("member")
    admin = await make_key("admin")
    mine = (await client.post(URL, json={"title": "Eerste"}, headers=bearer(me.key))).json()

    edited = await patch(client, mine["id"], {"title": "Scherper", "kind": "strategic"}, me.key)
    assert edited.status_code == 200, edited.text
    assert_problem(await patch(client, mine["id"], {"status": "open"}, me.key), 403)
    assert_problem(await patch(client, mine["id"], {"status": "exploring"}, me.key), 403)
    someone = await make_member()
    moved = await patch(client, mine["id"], {"raisedByMemberId": str(someone["id"])}, me.key)
    assert_problem(moved, 403)

    assert (await patch(client, mine["id"], {"status": "open"}, admin)).status_code == 200
    assert_problem(await patch(client, mine["id"], {"title": "Nu niet meer"}, me.key), 403)


async def test_a_member_may_not_edit_someone_elses_question_or_merge(client):
    me = await actor("member")
    theirs = await make_question()
    other = await make_question()
    assert_problem(await patch(client, theirs["id"], {"title": "Van mij"}, me.key), 403)
    mine = (await client.post(URL, json={"title": "Dubbel"}, headers=bearer(me.key))).json()
    assert_problem(await merge(client, mine["id"], other["id"], me.key), 403)


# Facilitators


async def facilitated_group(facilitator: Actor) -> dict[str, Any]:
    group = await make_group(mode="facilitated")
    await add_membership(group["id"], facilitator.member["id"], role="facilitator")
    return group


async def test_a_facilitator_manages_questions_of_groups_they_facilitate(client):
    me = await actor("facilitator")
    mine = await facilitated_group(me)
    second = await facilitated_group(me)
    question = await make_question(ownerGroupId=str(mine["id"]))

    for status in ("open", "exploring", "answered"):
        response = await patch(client, question["id"], {"status": status}, me.key)
        assert response.status_code == 200, response.text
    answered = await patch(client, question["id"], {"answer": "Zo doen we het."}, me.key)
    assert answered.status_code == 200
    handed = await patch(client, question["id"], {"ownerGroupId": str(second["id"])}, me.key)
    assert handed.status_code == 200

    started = await client.post(
        URL,
        json={"title": "Meteen open", "status": "open", "ownerGroupId": str(mine["id"])},
        headers=bearer(me.key),
    )
    assert started.status_code == 201, started.text
    assert started.json()["raisedByMemberId"] == str(me.member["id"])
    duplicate = await make_question(ownerGroupId=str(mine["id"]))
    merged = await merge(client, duplicate["id"], started.json()["id"], me.key)
    assert merged.status_code == 200, merged.text


async def test_a_facilitator_may_not_manage_other_groups_questions(client):
    me = await actor("facilitator")
    mine = await facilitated_group(me)
    elsewhere = await make_group()
    # Being a plain member of a group is not facilitating it.
    await add_membership(elsewhere["id"], me.member["id"], role="member")
    theirs = await make_question(ownerGroupId=str(elsewhere["id"]), status="open")
    unowned = await make_question(status="open")
    target = await make_question(status="open")

    assert_problem(await patch(client, theirs["id"], {"status": "exploring"}, me.key), 403)
    assert_problem(await patch(client, unowned["id"], {"title": "x"}, me.key), 403)
    assert_problem(await merge(client, theirs["id"], target["id"], me.key), 403)
    started = await client.post(
        URL,
        json={"title": "Open", "status": "open", "ownerGroupId": str(elsewhere["id"])},
        headers=bearer(me.key),
    )
    assert_problem(started, 403)

    own_group_question = await make_question(ownerGroupId=str(mine["id"]))
    away = await patch(
        client, own_group_question["id"], {"ownerGroupId": str(elsewhere["id"])}, me.key
    )
    assert_problem(away, 403)
    orphaned = await patch(client, own_group_question["id"], {"ownerGroupId": None}, me.key)
    assert_problem(orphaned, 403)


async def test_a_facilitator_who_left_the_group_manages_it_no_more(client):
    me = await actor("facilitator")
    group = await make_group(mode="facilitated")
    membership = await add_membership(group["id"], me.member["id"], role="facilitator")
    question = await make_question(ownerGroupId=str(group["id"]))
    assert (await patch(client, question["id"], {"title": "Nog wel"}, me.key)).status_code == 200
    left = MembershipUpdate.model_validate({"leftAt": utcnow().isoformat()})
    async with database.engine.begin() as conn:
        await change_membership(conn, SYSTEM, group["id"], membership["id"], left)
    assert_problem(await patch(client, question["id"], {"title": "Niet meer"}, me.key), 403)


async def test_a_facilitator_also_proposes_like_a_member(client):
    me = await actor("facilitator")
    response = await client.post(URL, json={"title": "Gewoon een idee"}, headers=bearer(me.key))
    assert response.status_code == 201
    question = response.json()
    assert (await patch(client, question["id"], {"title": "Beter idee"}, me.key)).status_code == 200


# Admins


async def test_an_admin_does_everything(client):
    key = await make_key("admin")
    someone = await make_member()
    created = await client.post(
        URL,
        json={"title": "Namens", "raisedByMemberId": str(someone["id"]), "status": "parked"},
        headers=bearer(key),
    )
    assert created.status_code == 201
    question = created.json()
    other = await make_member()
    changed = await patch(client, question["id"], {"raisedByMemberId": str(other["id"])}, key)
    assert changed.status_code == 200
    survivor = await make_question()
    assert (await merge(client, question["id"], survivor["id"], key)).status_code == 200
