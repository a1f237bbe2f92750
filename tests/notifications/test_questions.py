"""A question's status change or merge notifies its raiser and its supporters (a withdrawn
support no longer), never the member who made the change, in one statement."""

from __future__ import annotations

from app.core.context import Principal
from tests.factories import bearer, make_key, make_member, make_question


async def _inbox(client, member_id):
    key = await make_key("reader", member_id)
    return (await client.get("/v1/me/notifications", headers=bearer(key))).json()["items"]


async def _support(client, question_id, member_id):
    key = await make_key("member", member_id)
    response = await client.put(
        f"/v1/learning-questions/{question_id}/supporters/me", headers=bearer(key)
    )
    assert response.status_code == 201, response.text
    return key


async def test_a_status_change_reaches_raiser_and_supporters(client, statements):
    raiser, supporter, withdrawn, bystander = [await make_member() for _ in range(4)]
    as_raiser = Principal(key_id=None, role="member", name="t", member_id=raiser["id"])
    question = await make_question(as_raiser, title="Hoe meten we hergebruik?")
    await _support(client, question["id"], supporter["id"])
    gone = await _support(client, question["id"], withdrawn["id"])
    await client.delete(
        f"/v1/learning-questions/{question['id']}/supporters/me", headers=bearer(gone)
    )
    admin_member = await make_member()
    admin = await make_key("admin", admin_member["id"])
    statements.statements.clear()
    response = await client.patch(
        f"/v1/learning-questions/{question['id']}",
        json={"status": "open"},
        headers={
            **bearer(admin),
            "Content-Type": "application/merge-patch+json",
            "If-Match": f'"{question["version"]}"',
        },
    )
    assert response.status_code == 200, response.text
    assert len([s for s in statements.statements if "INSERT INTO notifications" in s]) == 1

    for member in (raiser, supporter):
        [note] = await _inbox(client, member["id"])
        assert note["kind"] == "question-status-changed"
        assert note["subject"]["href"] == f"/v1/learning-questions/{question['id']}"
        assert note["detail"] == {
            "title": "Hoe meten we hergebruik?",
            "from": "proposed",
            "to": "open",
        }
    for member in (withdrawn, bystander, admin_member):
        assert await _inbox(client, member["id"]) == []


async def test_a_merge_tells_who_raised_the_merged_question(client):
    raiser = await make_member()
    as_raiser = Principal(key_id=None, role="member", name="t", member_id=raiser["id"])
    merged = await make_question(as_raiser, title="Dubbele vraag")
    survivor = await make_question(title="De vraag die blijft")
    admin = await make_key("admin")
    response = await client.post(
        f"/v1/learning-questions/{merged['id']}/_merge",
        json={"intoId": str(survivor["id"])},
        headers={**bearer(admin), "If-Match": f'"{merged["version"]}"'},
    )
    assert response.status_code == 200, response.text
    [note] = await _inbox(client, raiser["id"])
    assert note["kind"] == "question-merged"
    assert note["detail"] == {
        "title": "Dubbele vraag",
        "from": "proposed",
        "intoId": str(survivor["id"]),
        "intoTitle": "De vraag die blijft",
    }
