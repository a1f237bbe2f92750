"""A member's calendar subscription URL: the personal werkplaatsen feed with a calendar ticket
in its query string, for calendar programs that can send no Authorization header. The ticket
opens that feed and nothing else, one per member, ended by renewing, withdrawing or leaving."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import ics

from tests.core.support import assert_problem
from tests.factories import bearer, make_key, make_member, make_workshop

SUBSCRIPTION = "/v1/me/calendar-subscription"
RENEW = f"{SUBSCRIPTION}/_renew"
MINE = "/v1/me/calendars/workshops.ics"


def _ahead(days: int = 30) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).isoformat()


def _ticket(href: str) -> str:
    return href.split("ticket=", 1)[1]


async def test_the_url_opens_the_personal_feed_without_a_header(client):
    member = await make_member()
    key = await make_key("member", member["id"])
    workshop = await make_workshop(title="Werkplaats circulair inkopen", startsAt=_ahead())
    assert_problem(await client.get(SUBSCRIPTION, headers=bearer(key)), 404)

    issued = await client.post(RENEW, headers=bearer(key))
    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert body["ticket"].startswith("lgc_")
    assert body["href"] == f"{MINE}?ticket={body['ticket']}"
    assert body["url"] == str(client.base_url).rstrip("/") + body["href"]

    # What a calendar program does: a plain GET of the URL, no Authorization header.
    empty = await client.get(body["href"])
    assert empty.status_code == 200, empty.text
    assert empty.headers["content-type"].startswith("text/calendar")
    assert ics.Calendar(empty.text).events == set()

    signed = await client.put(f"/v1/workshops/{workshop['id']}/attendees/me", headers=bearer(key))
    assert signed.status_code == 201
    feed = await client.get(body["href"], headers={"Accept": "text/calendar"})
    assert [event.name for event in ics.Calendar(feed.text).events] == [
        "Werkplaats circulair inkopen"
    ]
    # The same as the feed read with the member's own key.
    assert feed.content == (await client.get(MINE, headers=bearer(key))).content

    since = await client.get(SUBSCRIPTION, headers=bearer(key))
    assert since.status_code == 200
    assert since.json() == {"createdAt": body["createdAt"]}


async def test_the_ticket_opens_nothing_else(client):
    key = await make_key("member")
    ticket = _ticket((await client.post(RENEW, headers=bearer(key))).json()["href"])
    assert (await client.get(MINE, params={"ticket": ticket})).status_code == 200
    # Not as a bearer token, not beside one, not for another method or another path.
    assert_problem(await client.get(MINE, headers=bearer(ticket)), 401)
    both = await client.get(MINE, params={"ticket": ticket}, headers=bearer(key))
    assert "not both" in assert_problem(both, 401)["detail"]
    # (The feed has no POST at all: that is a 405 whoever asks.)
    assert_problem(await client.post(MINE, params={"ticket": ticket}), 405)
    assert_problem(await client.post(MINE, params={"ticket": ticket}, headers=bearer(key)), 405)
    for path in ("/v1/me", "/v1/calendars/workshops.ics", "/v1/me/notifications", SUBSCRIPTION):
        assert_problem(await client.get(path, params={"ticket": ticket}), 401)
    assert_problem(await client.post(RENEW, params={"ticket": ticket}), 401)
    # A made-up ticket is refused like any unknown credential.
    assert_problem(await client.get(MINE, params={"ticket": "lgc_" + "x" * 43}), 401)


async def test_renewing_ends_the_earlier_url_and_delete_ends_the_last(client):
    key = await make_key("member")
    first = (await client.post(RENEW, headers=bearer(key))).json()["href"]
    second = (await client.post(RENEW, headers=bearer(key))).json()["href"]
    assert first != second
    assert "renewed" in assert_problem(await client.get(first), 401)["detail"]
    assert (await client.get(second)).status_code == 200

    assert (await client.delete(SUBSCRIPTION, headers=bearer(key))).status_code == 204
    assert_problem(await client.get(second), 401)
    assert_problem(await client.delete(SUBSCRIPTION, headers=bearer(key)), 404)
    assert_problem(await client.get(SUBSCRIPTION, headers=bearer(key)), 404)


async def test_a_member_who_leaves_loses_the_feed(client):
    member = await make_member()
    key = await make_key("member", member["id"])
    href = (await client.post(RENEW, headers=bearer(key))).json()["href"]
    admin = await make_key("admin")
    left = await client.delete(f"/v1/members/{member['id']}", headers=bearer(admin))
    assert left.status_code == 200, left.text
    assert_problem(await client.get(href), 401)


async def test_only_credentials_bound_to_a_member_have_a_url(client):
    member = await make_member()
    admin = await make_key("admin")
    for method, path in (("GET", SUBSCRIPTION), ("POST", RENEW), ("DELETE", SUBSCRIPTION)):
        problem = assert_problem(await client.request(method, path, headers=bearer(admin)), 404)
        assert "acts for no member" in problem["detail"]
        sync = await make_key("sync", member["id"])
        assert_problem(await client.request(method, path, headers=bearer(sync)), 403)
    # An admin or reader key that acts for a member has one, for that member.
    reader = await make_key("reader", member["id"])
    href = (await client.post(RENEW, headers=bearer(reader))).json()["href"]
    assert (await client.get(href)).status_code == 200


async def test_a_retried_renewal_does_not_show_the_ticket_again(client):
    key = await make_key("member")
    headers = {**bearer(key), "Idempotency-Key": "kalender-1"}
    first = await client.post(RENEW, headers=headers)
    again = await client.post(RENEW, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["ticket"] == first.json()["ticket"][:8] + "…"
    assert again.json()["url"] == "…"
    # The retry issued nothing: the first URL still works.
    assert (await client.get(first.json()["href"])).status_code == 200
