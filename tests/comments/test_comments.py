"""The discussion: threads on learning questions, cases, insights and learning groups, replies
one level deep, authors' own edits and soft deletes, moderation per role, 404 for threads
nobody may know about, the rate limit, bad input, erased authors, the change feed and the
statements a page takes."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from app.core.db import database
from app.core.models import utcnow
from tests.changes.conftest import settled
from tests.conftest import raw_sql
from tests.core.support import assert_problem, invalid_params, row_counts
from tests.factories import (
    bearer,
    make_case,
    make_group,
    make_insight,
    make_key,
    make_member,
    make_question,
)

MERGE_PATCH = "application/merge-patch+json"


@pytest.fixture(autouse=True)
def generous_rate_limit(app, monkeypatch):
    """These tests write many comments in a minute; the rate limit's own test sets it low."""
    monkeypatch.setattr(
        database, "_settings", database.settings.model_copy(update={"comment_rate_limit": 1000})
    )


async def _insight() -> dict[str, Any]:
    return await make_insight(sourceQuestionId=str((await make_question())["id"]))


# Each kind of thread: the resource's collection, and how a test makes one.
KINDS: dict[str, tuple[str, Callable[[], Awaitable[dict[str, Any]]]]] = {
    "learning-question": ("/v1/learning-questions", make_question),
    "case": ("/v1/cases", make_case),
    "insight": ("/v1/insights", _insight),
    "learning-group": ("/v1/learning-groups", make_group),
}


async def thread(kind: str = "learning-question") -> str:
    """A new resource of that kind; its thread's URL."""
    collection, make = KINDS[kind]
    return f"{collection}/{(await make())['id']}/comments"


async def member_key(**overrides: Any) -> tuple[str, dict[str, Any]]:
    member = await make_member(**overrides)
    return await make_key("member", member_id=member["id"]), member


async def post(
    client: httpx.AsyncClient, url: str, key: str, body: Any, **headers: str
) -> httpx.Response:
    return await client.post(url, json=body, headers={**bearer(key), **headers})


async def comment(client: httpx.AsyncClient, url: str, key: str, text: str, **extra: Any) -> Any:
    response = await post(client, url, key, {"body": text, **extra})
    assert response.status_code == 201, response.text
    return response.json()


async def patch(
    client: httpx.AsyncClient, comment_id: Any, key: str, body: Any, if_match: str | None = None
) -> httpx.Response:
    headers = {**bearer(key), "Content-Type": MERGE_PATCH}
    if if_match is not None:
        headers["If-Match"] = if_match
    return await client.patch(
        f"/v1/comments/{comment_id}", content=json.dumps(body), headers=headers
    )


async def listed(client: httpx.AsyncClient, url: str, key: str, **params: Any) -> Any:
    response = await client.get(url, params=params, headers=bearer(key))
    assert response.status_code == 200, response.text
    return response.json()


async def one(client: httpx.AsyncClient, comment_id: Any, key: str) -> Any:
    response = await client.get(f"/v1/comments/{comment_id}", headers=bearer(key))
    assert response.status_code == 200, response.text
    return response.json()


# --- threads and replies -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
async def test_a_member_comments_and_replies_on_every_kind_of_thread(client, kind):
    url = await thread(kind)
    key, member = await member_key(displayName="Fatima El Amrani")
    other_key, other = await member_key()
    created = await post(client, url, key, {"body": "Wie heeft hier ervaring mee?"})
    assert created.status_code == 201, created.text
    top = created.json()
    assert top["threadType"] == kind
    assert top["threadId"] == url.split("/")[-2]
    assert top["parentId"] is None
    assert top["author"] == {"id": str(member["id"]), "displayName": "Fatima El Amrani"}
    assert top["body"] == "Wie heeft hier ervaring mee?"
    assert top["format"] == "plain"
    assert (top["deleted"], top["hidden"], top["editedAt"], top["replies"]) == (
        False,
        False,
        None,
        [],
    )
    assert top["version"] == 1 and created.headers["ETag"] == '"1"'
    assert created.headers["Location"].endswith(f"/v1/comments/{top['id']}")

    reply = await comment(
        client, url, other_key, "Wij, bij *Zuid*.", parentId=top["id"], format="markdown"
    )
    assert reply["parentId"] == top["id"] and reply["format"] == "markdown"
    assert reply["author"]["id"] == str(other["id"])

    reader = await make_key("reader")
    page = await listed(client, url, reader)
    assert page["next"] is None
    assert [item["id"] for item in page["items"]] == [top["id"]]
    assert [r["id"] for r in page["items"][0]["replies"]] == [reply["id"]]
    assert page["items"][0]["replies"][0]["body"] == "Wij, bij *Zuid*."
    fetched = await client.get(created.headers["Location"], headers=bearer(reader))
    assert fetched.status_code == 200 and fetched.headers["ETag"] == '"1"'
    assert fetched.json() == page["items"][0]
    assert (await one(client, reply["id"], reader))["replies"] == []


async def test_replies_go_one_level_deep_in_their_own_thread(client):
    url, elsewhere = await thread(), await thread("case")
    key, _ = await member_key()
    top = await comment(client, url, key, "Eerste")
    reply = await comment(client, url, key, "Antwoord", parentId=top["id"])
    other = await comment(client, elsewhere, key, "In een andere draad")
    before = await row_counts()
    for parent, code in (
        (reply["id"], "reply_depth"),
        (other["id"], "other_thread"),
        (str(uuid.uuid4()), "unknown_reference"),
    ):
        response = await post(client, url, key, {"body": "Nog dieper", "parentId": parent})
        problem = assert_problem(response, 400)
        assert [(p["name"], p["code"]) for p in problem["invalidParams"]] == [("parentId", code)]
    assert await row_counts() == before


async def test_a_thread_pages_by_its_top_level_comments_in_either_order(client):
    url = await thread("learning-group")
    key, _ = await member_key()
    tops = []
    for n in range(5):
        tops.append(await comment(client, url, key, f"Bijdrage {n}"))
        await comment(client, url, key, f"Reactie op {n}", parentId=tops[-1]["id"])
    reader = await make_key("reader")
    seen: list[str] = []
    response = await client.get(url, params={"pageSize": 2}, headers=bearer(reader))
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= 2
        for item in body["items"]:
            assert [r["body"] for r in item["replies"]] == [
                "Reactie op " + item["body"].removeprefix("Bijdrage ")
            ]
        seen += [item["id"] for item in body["items"]]
        if body["next"] is None:
            assert "Link" not in response.headers
            break
        assert response.headers["Link"] == f'<{body["next"]}>; rel="next"'
        response = await client.get(body["next"], headers=bearer(reader))
    assert seen == [t["id"] for t in tops]
    newest = await listed(client, url, reader, sort="-createdAt", pageSize=100)
    assert [item["id"] for item in newest["items"]] == [t["id"] for t in reversed(tops)]
    bad = await client.get(url, params={"sort": "body"}, headers=bearer(reader))
    assert ("query", "sort") in invalid_params(assert_problem(bad, 400))


async def test_updated_since_shows_comments_that_changed_or_got_a_reply(client):
    url = await thread()
    key, _ = await member_key()
    quiet = await comment(client, url, key, "Stil")
    answered = await comment(client, url, key, "Beantwoord")
    edited = await comment(client, url, key, "Bewerkt")
    mark = utcnow().isoformat()
    await comment(client, url, key, "Ja", parentId=answered["id"])
    assert (await patch(client, edited["id"], key, {"body": "Bewerkt, echt"})).status_code == 200
    reader = await make_key("reader")
    changed = await listed(client, url, reader, updatedSince=mark)
    assert [item["id"] for item in changed["items"]] == [answered["id"], edited["id"]]
    assert quiet["id"] not in {item["id"] for item in changed["items"]}
    # Each with every reply, not only the ones that changed.
    assert [r["body"] for r in changed["items"][0]["replies"]] == ["Ja"]


# --- who may read and write -------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
async def test_a_thread_nobody_may_know_about_is_a_404(client, kind):
    collection, _ = KINDS[kind]
    url = f"{collection}/{uuid.uuid4()}/comments"
    key, _ = await member_key()
    for role_key in (key, await make_key("reader"), await make_key("admin")):
        assert_problem(await client.get(url, headers=bearer(role_key)), 404)
    before = await row_counts()
    refused = assert_problem(await post(client, url, key, {"body": "Hallo?"}), 404)
    assert "has that id" in refused["detail"]
    assert await row_counts() == before
    assert_problem(await client.get(f"/v1/comments/{uuid.uuid4()}", headers=bearer(key)), 404)


async def test_only_a_credential_that_acts_for_a_member_writes(client):
    url = await thread()
    for role in ("reader", "sync"):
        refused = await post(client, url, await make_key(role), {"body": "Mag ik?"})
        assert_problem(refused, 403)
    admin = await make_key("admin")  # acts for no member
    refused = assert_problem(await post(client, url, admin, {"body": "Namens niemand"}), 403)
    assert "acts for no member" in refused["detail"]
    admin_member = await make_member()
    bound_admin = await make_key("admin", member_id=admin_member["id"])
    assert (await comment(client, url, bound_admin, "Als beheerder"))["author"]["id"] == str(
        admin_member["id"]
    )
    facilitator = await make_key("facilitator")
    await comment(client, url, facilitator, "Als begeleider")
    assert_problem(await client.get(url, headers=bearer(await make_key("sync"))), 403)


async def test_authors_edit_and_delete_only_their_own(client):
    url = await thread("insight")
    key, _ = await member_key()
    mine = await comment(client, url, key, "Mijn tekst")
    other_member = await make_key("member")
    facilitator = await make_key("facilitator")
    admin = await make_key("admin", member_id=(await make_member())["id"])
    for stranger in (other_member, facilitator, admin):
        refused = assert_problem(
            await patch(client, mine["id"], stranger, {"body": "Van mij"}), 403
        )
        assert "Only its author" in refused["detail"]
        deleted = await client.delete(f"/v1/comments/{mine['id']}", headers=bearer(stranger))
        assert_problem(deleted, 403)
    assert_problem(await patch(client, mine["id"], await make_key("reader"), {"body": "x"}), 403)
    assert (await one(client, mine["id"], key))["body"] == "Mijn tekst"

    assert_problem(await patch(client, mine["id"], key, {"body": "Nieuw"}, if_match='"7"'), 412)
    edited = await patch(client, mine["id"], key, {"body": "Nieuw", "format": "markdown"}, '"1"')
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert (body["body"], body["format"], body["version"]) == ("Nieuw", "markdown", 2)
    assert body["editedAt"] is not None and edited.headers["ETag"] == '"2"'
    null = await patch(client, mine["id"], key, {"body": None})
    assert ("body", "body") in invalid_params(assert_problem(null, 400))


async def test_a_delete_is_soft_and_keeps_the_thread_s_shape(client):
    url = await thread("case")
    key, member = await member_key()
    other, _ = await member_key()
    top = await comment(client, url, key, "Vraag aan iedereen")
    first = await comment(client, url, other, "Eerste reactie", parentId=top["id"])
    second = await comment(client, url, key, "Tweede reactie", parentId=top["id"])

    deleted = await client.delete(
        f"/v1/comments/{top['id']}", headers={**bearer(key), "If-Match": '"1"'}
    )
    assert deleted.status_code == 200, deleted.text
    gone = deleted.json()
    assert (gone["deleted"], gone["body"], gone["version"]) == (True, None, 2)
    assert gone["deletedAt"] is not None
    assert gone["author"]["id"] == str(member["id"])
    assert [r["id"] for r in gone["replies"]] == [first["id"], second["id"]]
    assert await client.delete(f"/v1/comments/{second['id']}", headers=bearer(key))

    for viewer in (await make_key("reader"), await make_key("admin")):
        page = await listed(client, url, viewer)
        (item,) = page["items"]
        assert (item["id"], item["deleted"], item["body"]) == (top["id"], True, None)
        replies = [(r["id"], r["deleted"], r["body"]) for r in item["replies"]]
        assert replies == [(first["id"], False, "Eerste reactie"), (second["id"], True, None)]
    # The text is gone from the database, not only from the answers.
    stored = await raw_sql(f"SELECT body FROM comments WHERE id = '{_db_id(top['id'])}'")
    assert stored == [(None,)]

    again = await client.delete(f"/v1/comments/{top['id']}", headers=bearer(key))
    assert again.status_code == 200 and again.json()["version"] == 2
    assert_problem(await patch(client, top["id"], key, {"body": "Terug"}), 409)
    refused = await post(client, url, other, {"body": "Nog een", "parentId": top["id"]})
    assert_problem(refused, 409)


def _db_id(comment_id: str) -> str:
    """An id as the column holds it: SQLite stores UUIDs as 32 hex digits."""
    return comment_id.replace("-", "") if database.sqlite else comment_id


# --- moderation --------------------------------------------------------------------------------


async def test_moderators_hide_with_a_reason_and_only_they_see_the_text(client):
    url = await thread()
    key, member = await member_key()
    top = await comment(client, url, key, "Jan de Vries van Inkoop snapt er niets van.")
    reader = await make_key("reader")
    other_member = await make_key("member")
    facilitator_member = await make_member(displayName="Noor Verbeek")
    facilitator = await make_key("facilitator", member_id=facilitator_member["id"])
    admin = await make_key("admin")
    hide_url = f"/v1/comments/{top['id']}/_hide"
    for role_key in (key, other_member, reader, await make_key("sync")):
        assert_problem(await post(client, hide_url, role_key, {"reason": "Persoonlijk"}), 403)
    assert ("body", "reason") in invalid_params(
        assert_problem(await post(client, hide_url, facilitator, {}), 400)
    )
    assert_problem(await post(client, hide_url, facilitator, {"reason": ""}), 400)

    reason = "Noemt een collega bij naam."
    hidden = await post(client, hide_url, facilitator, {"reason": reason}, **{"If-Match": '"1"'})
    assert hidden.status_code == 200, hidden.text
    shown = hidden.json()
    assert (shown["hidden"], shown["hiddenReason"], shown["version"]) == (True, reason, 2)
    assert shown["body"] == top["body"]  # the moderator sees it
    assert shown["hiddenBy"] == {"id": str(facilitator_member["id"]), "displayName": "Noor Verbeek"}

    for viewer in (key, other_member, reader):  # the author too
        for item in (
            (await listed(client, url, viewer))["items"][0],
            await one(client, top["id"], viewer),
        ):
            assert (item["hidden"], item["body"], item["hiddenReason"]) == (True, None, reason)
            assert item["hiddenBy"] is None and item["hiddenAt"] is not None
            assert item["author"]["id"] == str(member["id"])
    for moderator in (facilitator, admin):
        item = (await listed(client, url, moderator))["items"][0]
        assert (item["body"], item["hiddenBy"]["id"]) == (
            top["body"],
            str(facilitator_member["id"]),
        )

    assert_problem(await patch(client, top["id"], key, {"body": "Sorry"}), 409)
    assert_problem(
        await post(client, url, other_member, {"body": "Hè?", "parentId": top["id"]}), 409
    )
    assert_problem(await post(client, hide_url, admin, {"reason": "Nog eens"}), 409)

    unhide_url = f"/v1/comments/{top['id']}/_unhide"
    assert_problem(await client.post(unhide_url, headers=bearer(other_member)), 403)
    assert_problem(await client.post(unhide_url, headers={**bearer(admin), "If-Match": '"1"'}), 412)
    back = await client.post(unhide_url, headers=bearer(admin))
    assert back.status_code == 200, back.text
    assert (back.json()["hidden"], back.json()["hiddenReason"], back.json()["version"]) == (
        False,
        None,
        3,
    )
    assert (await one(client, top["id"], reader))["body"] == top["body"]
    assert_problem(await client.post(unhide_url, headers=bearer(admin)), 409)


async def test_a_hidden_comment_its_author_deletes_keeps_its_text_for_the_moderators(client):
    url = await thread()
    key, _ = await member_key()
    top = await comment(client, url, key, "Iets ongepasts")
    admin = await make_key("admin")
    hidden = await post(client, f"/v1/comments/{top['id']}/_hide", admin, {"reason": "Ongepast"})
    assert hidden.status_code == 200, hidden.text
    deleted = await client.delete(f"/v1/comments/{top['id']}", headers=bearer(key))
    assert deleted.status_code == 200
    assert (deleted.json()["deleted"], deleted.json()["body"]) == (True, None)
    assert (await one(client, top["id"], admin))["body"] == "Iets ongepasts"
    # Hiding a deleted comment is pointless; showing it again removes the kept text.
    again = await post(client, f"/v1/comments/{top['id']}/_hide", admin, {"reason": "x"})
    assert_problem(again, 409)
    shown = await client.post(f"/v1/comments/{top['id']}/_unhide", headers=bearer(admin))
    assert shown.status_code == 200, shown.text
    assert (shown.json()["deleted"], shown.json()["body"], shown.json()["hidden"]) == (
        True,
        None,
        False,
    )
    # A comment that was never there cannot be hidden either.
    missing = await post(client, f"/v1/comments/{uuid.uuid4()}/_hide", admin, {"reason": "x"})
    assert_problem(missing, 404)


# --- bad input, the rate limit -----------------------------------------------------------------


async def test_bad_comments_are_refused_and_write_nothing(client):
    url = await thread()
    key, _ = await member_key()
    before = await row_counts()
    cases: list[tuple[Any, str]] = [
        ({"body": ""}, "body"),
        ({"body": "  \n\t "}, "body"),
        ({"body": "x" * 5_001}, "body"),
        ({}, "body"),
        ({"body": 7}, "body"),
        ({"body": "Goed", "format": "html"}, "format"),
        ({"body": "Goed", "author": "iemand"}, "author"),
        ({"body": "Goed", "parentId": "not-an-id"}, "parentId"),
    ]
    for body, name in cases:
        problem = assert_problem(await post(client, url, key, body), 400)
        assert ("body", name) in invalid_params(problem), (body, problem)
    codes = {
        p["code"]
        for body in ({"body": ""}, {"body": " "}, {"body": "x" * 5_001})
        for p in assert_problem(await post(client, url, key, body), 400)["invalidParams"]
    }
    assert codes == {"string_too_short", "blank", "string_too_long"}
    nul = await client.post(
        url,
        content=b'{"body": "een \\u0000 teken"}',
        headers={**bearer(key), "Content-Type": "application/json"},
    )
    assert_problem(nul, 400)
    assert await row_counts() == before
    top = await comment(client, url, key, "Goed")
    edit = await patch(client, top["id"], key, {"body": "y" * 5_001})
    assert ("body", "body") in invalid_params(assert_problem(edit, 400))


async def test_text_is_stored_and_returned_exactly_as_written(client):
    url = await thread()
    key, _ = await member_key()
    text = '  <script>alert("x")</script> **vet** & [link](javascript:alert(1))\n\n    code\n'
    created = await comment(client, url, key, text, format="markdown")
    assert created["body"] == text
    assert (await listed(client, url, await make_key("reader")))["items"][0]["body"] == text
    longest = await comment(client, url, key, "é" * 5_000)
    assert len(longest["body"]) == 5_000


async def test_a_member_writes_at_most_the_rate_limit_a_minute(client, monkeypatch):
    monkeypatch.setattr(
        database, "_settings", database.settings.model_copy(update={"comment_rate_limit": 3})
    )
    url = await thread()
    key, _ = await member_key()
    first = await comment(client, url, key, "Een")
    await comment(client, url, key, "Twee", parentId=first["id"])
    await comment(client, url, key, "Drie")
    before = await row_counts()
    refused = await post(client, url, key, {"body": "Vier"})
    problem = assert_problem(refused, 429)
    assert "3 comments a minute" in problem["detail"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert await row_counts() == before
    # Edits are not new comments, and other members have limits of their own.
    assert (await patch(client, first["id"], key, {"body": "Een!"})).status_code == 200
    other, _ = await member_key()
    await comment(client, url, other, "Ik mag nog")
    admin = await make_key("admin")
    events = await client.get(
        "/v1/audit-events",
        params={"result": "denied", "objectType": "comment"},
        headers=bearer(admin),
    )
    assert [e["statusCode"] for e in events.json()["items"]] == [429]


async def test_the_rate_limit_holds_for_requests_at_the_same_time(client, monkeypatch):
    """Six comments of one member at once, a limit of three: the member's row is taken for
    each write, so exactly three get through, whichever they are."""
    monkeypatch.setattr(
        database, "_settings", database.settings.model_copy(update={"comment_rate_limit": 3})
    )
    url = await thread()
    key, _ = await member_key()
    answers = await asyncio.gather(
        *(post(client, url, key, {"body": f"Tegelijk {n}"}) for n in range(6))
    )
    assert sorted(a.status_code for a in answers) == [201, 201, 201, 429, 429, 429]
    rows = await raw_sql("SELECT count(*) FROM comments")
    assert rows == [(3,)]


# --- people, the feed, the audit trail, idempotency ------------------------------------------


async def test_an_erased_member_s_comments_stay_under_the_pseudonym(client):
    url = await thread()
    key, member = await member_key(givenName="Zwaantje", familyName="Quaadvliet")
    top = await comment(client, url, key, "Mijn bijdrage")
    admin = await make_key("admin")
    export = await client.get(f"/v1/members/{member['id']}/personal-data", headers=bearer(admin))
    assert [c["id"] for c in export.json()["commentsWritten"]] == [top["id"]]
    assert export.json()["commentsWritten"][0]["body"] == "Mijn bijdrage"
    erased = await client.post(f"/v1/members/{member['id']}/_erase", headers=bearer(admin))
    assert erased.status_code == 200, erased.text
    pseudonym = erased.json()["pseudonym"]
    item = (await listed(client, url, await make_key("reader")))["items"][0]
    assert item["author"] == {"id": str(member["id"]), "displayName": pseudonym}
    assert item["body"] == "Mijn bijdrage"
    assert "Quaadvliet" not in json.dumps(item)


async def test_comments_are_in_the_change_feed_and_the_audit_trail(client):
    url = await thread()
    key, member = await member_key()
    top = await comment(client, url, key, "Voor de feed")
    assert (await patch(client, top["id"], key, {"body": "Bewerkt"})).status_code == 200
    admin = await make_key("admin")
    assert (
        await post(client, f"/v1/comments/{top['id']}/_hide", admin, {"reason": "Even niet"})
    ).status_code == 200
    assert (
        await client.post(f"/v1/comments/{top['id']}/_unhide", headers=bearer(admin))
    ).status_code == 200
    assert (
        await client.delete(f"/v1/comments/{top['id']}", headers=bearer(key))
    ).status_code == 200
    await settled()
    reader = await make_key("reader")
    feed = await client.get("/v1/changes", params={"types": "comment"}, headers=bearer(reader))
    assert feed.status_code == 200, feed.text
    changes = feed.json()["items"]
    assert [(c["change"], c["version"]) for c in changes] == [
        ("created", 1),
        ("updated", 2),
        ("hidden", 3),
        ("unhidden", 4),
        ("deleted", 5),
    ]
    assert {c["href"] for c in changes} == {f"/v1/comments/{top['id']}"}
    assert changes[0]["actor"]["memberId"] == str(member["id"])
    events = await client.get(
        "/v1/audit-events", params={"objectId": top["id"]}, headers=bearer(admin)
    )
    assert [e["action"] for e in reversed(events.json()["items"])] == [
        "comments-create",
        "comments-update",
        "comments-hide",
        "comments-unhide",
        "comments-delete",
    ]
    # The audit trail holds no text of the discussion.
    assert "Voor de feed" not in events.text and "Even niet" not in events.text


async def test_an_idempotency_key_makes_a_retried_comment_safe(client):
    url = await thread()
    key, _ = await member_key()
    first = await post(client, url, key, {"body": "Eén keer"}, **{"Idempotency-Key": "c-1"})
    again = await post(client, url, key, {"body": "Eén keer"}, **{"Idempotency-Key": "c-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert len((await listed(client, url, key))["items"]) == 1


# --- statements per page -----------------------------------------------------------------------


async def test_a_thread_page_takes_the_same_statements_whatever_its_size(client, statements):
    reader = await make_key("reader")
    key, _ = await member_key()
    moderator = await make_key("facilitator")
    small, large, empty = await thread(), await thread(), await thread()
    for n in range(2):
        top = await comment(client, small, key, f"Klein {n}")
        await comment(client, small, key, "Reactie", parentId=top["id"])
    # 50 comments in all: 20 top-level ones, 30 replies.
    for n in range(20):
        top = await comment(client, large, moderator, f"Groot {n}")
        for _ in range(1 if n < 10 else 2):
            await comment(client, large, key, "Reactie", parentId=top["id"])
    for viewer in (reader, moderator):  # their keys are looked up once, then cached
        await listed(client, empty, viewer)
    counts = {}
    for name, url, size in (
        ("small", small, 50),
        ("large", large, 50),
        ("large, a page of 5", large, 5),
        ("empty", empty, 50),
    ):
        for viewer in ("reader", "moderator"):
            statements.statements.clear()
            body = await listed(
                client, url, reader if viewer == "reader" else moderator, pageSize=size
            )
            counts[name, viewer] = statements.count
            if name == "large" and size == 50:
                assert sum(1 + len(item["replies"]) for item in body["items"]) == 50
    assert set(counts.values()) == {2}, counts
