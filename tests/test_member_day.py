"""A member's whole day, replayed through the API with the credentials people really hold: API
keys bound to members and OIDC tokens mapped to them (member, facilitator and reader), and an
admin's key for the agenda. Fatima looks at her "me", signs up for a werkplaats, supports and
discusses a question, sees what that brings into her inbox (a reply in her thread, a published
agenda revision, the question coming on the agenda) and marks it read; along the way every
object-level refusal the README's role matrix promises is probed."""

from __future__ import annotations

from typing import Any

from app.core.context import Principal
from tests.agenda import api
from tests.core.support import assert_problem
from tests.core.test_oidc import _auth, _token, client, oidc_on, provider
from tests.factories import bearer, make_key, make_member, make_question
from tests.me.support import workshop_in

__all__ = ["client", "oidc_on", "provider"]  # the identity provider's fixtures

MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}


async def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json() if response.content else {}


async def _inbox(client, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    page = await _ok(await client.get("/v1/me/notifications", params=params, headers=headers))
    assert page["next"] is None
    return page["items"]


def _as(member: dict[str, Any]) -> Principal:
    return Principal(key_id=None, role="member", name="t", member_id=member["id"])


async def test_a_members_day(client, provider, oidc_on):
    _, private = provider
    admin = await make_key("admin")

    # The people: Fatima (a member, on her laptop with a token, in a script with a key), Koen
    # who raised a question, Noor who facilitates (a token), Wei who only reads (key and token).
    fatima = await make_member(externalId="HR-DAG-FATIMA", displayName="Fatima de Wit")
    koen = await make_member(displayName="Koen Smit")
    noor = await make_member(externalId="HR-DAG-NOOR", displayName="Noor Verbeek")
    wei = await make_member(externalId="HR-DAG-WEI", displayName="Wei de Vries")
    fatima_token = _auth(_token(private, {"sub": "HR-DAG-FATIMA", "roles": ["member"]}))
    fatima_key = bearer(await make_key("member", fatima["id"]))
    koen_key = bearer(await make_key("member", koen["id"]))
    noor_token = _auth(_token(private, {"sub": "HR-DAG-NOOR", "roles": ["facilitator"]}))
    wei_key = bearer(await make_key("reader", wei["id"]))
    wei_token = _auth(_token(private, {"sub": "HR-DAG-WEI", "roles": ["reader"]}))

    # Before the day: an agenda in force, Koen's question not yet on it, a werkplaats ahead.
    standing = await make_question(title="Hoe wordt circulair werken de norm?")
    first = await api.publish_agenda(client, admin, [api.item(standing["id"], rank=1)])
    question = await make_question(_as(koen), title="Welke contractvorm past bij een materiaalhub?")
    workshop = await workshop_in(7, title="Derde werkplaats: opschalen")

    # Morning: "me", with either credential.
    me = await _ok(await client.get("/v1/me", headers=fatima_token))
    assert me["id"] == str(fatima["id"])
    assert me["counts"]["unreadNotifications"] == 1  # the agenda in force, published earlier
    assert me["upcomingWorkshops"] == []
    assert (await _ok(await client.get("/v1/me", headers=fatima_key)))["id"] == me["id"]
    [published] = await _inbox(client, fatima_token)
    assert published["kind"] == "agenda-revision-published"
    assert published["detail"]["number"] == first["number"]

    # She signs up for the werkplaats (with her key, as her calendar script does).
    signed = await client.put(f"/v1/workshops/{workshop['id']}/attendees/me", headers=fatima_key)
    assert signed.status_code == 201, signed.text
    me = await _ok(await client.get("/v1/me", headers=fatima_token))
    assert [w["id"] for w in me["upcomingWorkshops"]] == [str(workshop["id"])]
    mine = await _ok(await client.get("/v1/me/workshops", headers=fatima_token))
    assert [w["id"] for w in mine["items"]] == [str(workshop["id"])]

    # She wants to learn Koen's question too, and says so in its thread.
    supports = f"/v1/learning-questions/{question['id']}/supporters/me"
    await _ok(await client.put(supports, headers=fatima_token), 201)
    thread = f"/v1/learning-questions/{question['id']}/comments"
    comment = await _ok(
        await client.post(
            thread,
            json={"body": "Wij lopen hier in Westpoort ook tegenaan. Wie heeft een voorbeeld?"},
            headers=fatima_token,
        ),
        201,
    )
    assert comment["author"]["id"] == str(fatima["id"])
    edited = await _ok(
        await client.patch(
            f"/v1/comments/{comment['id']}",
            json={"body": "Wij lopen hier in Westpoort ook tegenaan. Heeft iemand een voorbeeld?"},
            headers={**fatima_key, **MERGE_PATCH, "If-Match": f'"{comment["version"]}"'},
        )
    )
    assert edited["editedAt"] is not None
    me = await _ok(await client.get("/v1/me", headers=fatima_key))
    assert me["counts"]["supportedLearningQuestions"] == 1

    # Koen hears of it, and replies in her thread.
    heard, publication = await _inbox(client, koen_key, unread="true")
    assert publication["kind"] == "agenda-revision-published"
    assert heard["kind"] == "comment-in-thread"
    assert heard["subject"]["href"] == f"/v1/comments/{comment['id']}"
    reply = await _ok(
        await client.post(
            thread,
            json={
                "body": "Ja: het contract van de hub in Noord. Ik stuur het je.",
                "parentId": comment["id"],
            },
            headers=koen_key,
        ),
        201,
    )
    # Noor, who facilitates, joins in with her token.
    noted = await client.post(
        thread, json={"body": "Mooi, neem het mee naar de werkplaats."}, headers=noor_token
    )
    assert noted.status_code == 201, noted.text

    # Afternoon: the admin publishes the next revision, with Koen's question on it.
    second = await api.publish_agenda(
        client,
        admin,
        [api.item(standing["id"], rank=1), api.item(question["id"], rank=2)],
    )

    # What arrived since the morning, newest first: the question on the agenda and the revision
    # (one moment), Noor's comment, Koen's reply (in her thread, so a reply to her); and still
    # the publication she saw this morning but did not mark read.
    unread = await _inbox(client, fatima_token, unread="true")
    kinds = [n["kind"] for n in unread]
    assert sorted(kinds[:2]) == ["agenda-revision-published", "question-on-agenda"]
    assert kinds[2:] == ["comment-in-thread", "comment-in-thread", "agenda-revision-published"]
    assert unread[-1]["id"] == published["id"]
    on_agenda = next(n for n in unread if n["kind"] == "question-on-agenda")
    assert on_agenda["subject"]["href"] == f"/v1/learning-questions/{question['id']}"
    assert on_agenda["detail"] == {
        "number": second["number"],
        "title": "Welke contractvorm past bij een materiaalhub?",
        "rank": 2,
    }
    noors, replied = unread[2], unread[3]
    assert noors["detail"]["reply"] is False
    assert noors["subject"]["href"] == f"/v1/comments/{noted.json()['id']}"
    assert replied["detail"]["reply"] is True
    assert replied["subject"]["href"] == f"/v1/comments/{reply['id']}"
    me = await _ok(await client.get("/v1/me", headers=fatima_token))
    assert me["counts"]["unreadNotifications"] == len(unread) == 5
    # Koen hears of his own question too, as its raiser (not the publication only).
    koens = [n["kind"] for n in await _inbox(client, koen_key)]
    assert "question-on-agenda" in koens

    # She reads them: up to the newest, with her key this time.
    marked = await _ok(
        await client.post(
            "/v1/me/notifications/_read", json={"upTo": unread[0]["id"]}, headers=fatima_key
        )
    )
    assert marked == {"marked": 5, "unread": 0}
    assert await _inbox(client, fatima_token, unread="true") == []
    me = await _ok(await client.get("/v1/me", headers=fatima_token))
    assert me["counts"]["unreadNotifications"] == 0

    # --- what nobody may do to another's things -----------------------------------------
    # Koen may not edit or delete Fatima's comment; Noor, who moderates, neither (she hides).
    for headers in (koen_key, noor_token):
        assert_problem(
            await client.patch(
                f"/v1/comments/{comment['id']}",
                json={"body": "Overschreven"},
                headers={**headers, **MERGE_PATCH},
            ),
            403,
        )
        assert_problem(await client.delete(f"/v1/comments/{comment['id']}", headers=headers), 403)
    # Fatima may not mark Koen's notifications read: to her they do not exist.
    [koens_newest, *_] = await _inbox(client, koen_key)
    assert_problem(
        await client.post(
            "/v1/me/notifications/_read", json={"upTo": koens_newest["id"]}, headers=fatima_token
        ),
        404,
    )
    assert koens_newest["readAt"] is None
    assert (await _inbox(client, koen_key))[0]["readAt"] is None
    # Koen may not hide a comment; Noor may, and then only moderators read its text.
    assert_problem(
        await client.post(
            f"/v1/comments/{reply['id']}/_hide", json={"reason": "Test"}, headers=koen_key
        ),
        403,
    )
    hidden = await _ok(
        await client.post(
            f"/v1/comments/{reply['id']}/_hide",
            json={"reason": "Bevat een contract dat niet openbaar is."},
            headers=noor_token,
        )
    )
    assert hidden["hidden"] is True and hidden["body"]
    assert hidden["hiddenBy"]["id"] == str(noor["id"])
    as_fatima = await _ok(await client.get(f"/v1/comments/{reply['id']}", headers=fatima_token))
    assert as_fatima["hidden"] is True and as_fatima["body"] is None

    # Wei reads (the thread, his own inbox) but writes nothing, with his key or his token.
    for headers in (wei_key, wei_token):
        page = await _ok(await client.get(thread, headers=headers))
        top = [c["id"] for c in page["items"]]
        assert top == [comment["id"], noted.json()["id"]]
        assert [r["id"] for r in page["items"][0]["replies"]] == [reply["id"]]
        assert [n["kind"] for n in await _inbox(client, headers)].count(
            "agenda-revision-published"
        ) == 2
        assert_problem(await client.post(thread, json={"body": "Ik ook"}, headers=headers), 403)
        other = f"/v1/learning-questions/{standing['id']}/supporters/me"
        assert_problem(await client.put(other, headers=headers), 403)
        assert_problem(
            await client.put(f"/v1/workshops/{workshop['id']}/attendees/me", headers=headers), 403
        )
        assert_problem(
            await client.patch(
                f"/v1/comments/{comment['id']}",
                json={"body": "Overschreven"},
                headers={**headers, **MERGE_PATCH},
            ),
            403,
        )
    # Nothing of theirs changed Fatima's: her comment and her sign-up stand.
    final = await _ok(await client.get(f"/v1/comments/{comment['id']}", headers=wei_key))
    assert final["body"] == edited["body"] and final["author"]["id"] == str(fatima["id"])
    mine = await _ok(await client.get("/v1/me/workshops", headers=fatima_key))
    assert [w["id"] for w in mine["items"]] == [str(workshop["id"])]
    workshop_now = await _ok(await client.get(f"/v1/workshops/{workshop['id']}", headers=wei_key))
    assert workshop_now["attendeeCount"] == 1
