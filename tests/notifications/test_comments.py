"""A comment or reply notifies those who take part in its thread, the writer excepted: whoever
wrote in it and the thread's own people (a question's raiser, a group's current members), in
one statement, within the comment's transaction."""

from __future__ import annotations

from app.core.context import Principal
from tests.factories import (
    add_membership,
    bearer,
    make_comment,
    make_group,
    make_key,
    make_member,
    make_question,
)


async def _inbox(client, member_id):
    key = await make_key("reader", member_id)
    return (await client.get("/v1/me/notifications", headers=bearer(key))).json()["items"]


async def test_a_comment_notifies_the_raiser_and_who_wrote_before_not_the_writer(
    client, statements
):
    raiser, first, second, bystander = [m async for m in _members(4)]
    as_raiser = Principal(key_id=None, role="member", name="t", member_id=raiser["id"])
    question = await make_question(as_raiser, title="Hoe delen we materialen?")

    await make_comment("learning-question", question["id"], first["id"])
    statements.statements.clear()
    comment = await make_comment("learning-question", question["id"], second["id"])
    assert len([s for s in statements.statements if "INSERT INTO notifications" in s]) == 1

    [note_of_raiser, _first_comment] = await _inbox(client, raiser["id"])
    assert note_of_raiser["kind"] == "comment-in-thread"
    assert note_of_raiser["subject"] == {
        "type": "comment",
        "id": str(comment["id"]),
        "href": f"/v1/comments/{comment['id']}",
    }
    assert note_of_raiser["detail"] == {
        "threadType": "learning-question",
        "threadId": str(question["id"]),
        "threadTitle": "Hoe delen we materialen?",
        "reply": False,
    }
    assert [n["subject"]["id"] for n in await _inbox(client, first["id"])] == [str(comment["id"])]
    assert await _inbox(client, second["id"]) == []
    assert await _inbox(client, bystander["id"]) == []


async def test_a_reply_in_a_group_thread_reaches_its_current_members(client):
    lead, member, left = [m async for m in _members(3)]
    group = await make_group(name="Circulair inkopen")
    await add_membership(group["id"], lead["id"], role="lead")
    await add_membership(group["id"], member["id"])
    top = await make_comment("learning-group", group["id"], lead["id"])
    await make_comment("learning-group", group["id"], member["id"], parentId=str(top["id"]))
    [note] = await _in_thread(client, lead["id"])
    assert note["detail"]["reply"] is True
    assert note["detail"]["threadTitle"] == "Circulair inkopen"
    assert len(await _in_thread(client, member["id"])) == 1  # the lead's comment
    assert await _in_thread(client, left["id"]) == []


async def _in_thread(client, member_id):
    return [n for n in await _inbox(client, member_id) if n["kind"] == "comment-in-thread"]


async def _members(count):
    for _ in range(count):
        yield await make_member()
