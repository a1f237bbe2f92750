"""The inbox: a publication reaches every active member in one INSERT, in the transaction of the
publication; GET /v1/me/notifications pages it newest first in a constant number of statements;
_read marks up to an id or all (another member's id is a 404); settings turn kinds off."""

from __future__ import annotations

import pytest

from tests.core.support import assert_problem
from tests.factories import bearer, make_key, make_member
from tests.notifications.support import many_members, publish_a_revision

ROUTES = [
    ("GET", "/v1/me/notifications", None),
    ("POST", "/v1/me/notifications/_read", {"all": True}),
    ("GET", "/v1/me/notification-settings", None),
    ("PUT", "/v1/me/notification-settings", {"kinds": []}),
]


async def _call(client, method, path, key, body):
    return await client.request(method, path, json=body, headers=bearer(key))


@pytest.mark.parametrize("role", ["admin", "reader", "sync"])
@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
async def test_a_credential_bound_to_no_member_has_no_inbox(client, role, method, path, body):
    key = await make_key(role)
    problem = assert_problem(await _call(client, method, path, key, body), 404)
    assert "acts for no member" in problem["detail"]


@pytest.mark.parametrize("role", ["admin", "facilitator", "member", "reader", "sync"])
@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
async def test_every_role_bound_to_a_member_has_an_inbox(client, role, method, path, body):
    member = await make_member()
    key = await make_key(role, member["id"])
    response = await _call(client, method, path, key, body)
    assert response.status_code == 200, response.text


async def test_a_publication_reaches_every_active_member(client):
    admin = await make_key("admin")
    fatima = await make_member(displayName="Fatima")
    gone = await make_member()
    key = await make_key("member", fatima["id"])
    gone_key = await make_key("reader", gone["id"])
    deactivated = await client.delete(f"/v1/members/{gone['id']}", headers=bearer(admin))
    assert deactivated.status_code == 200, deactivated.text
    number = await publish_a_revision(client, admin)

    page = (await client.get("/v1/me/notifications", headers=bearer(key))).json()
    assert page["next"] is None
    [note] = page["items"]
    assert note["kind"] == "agenda-revision-published"
    assert note["readAt"] is None
    assert note["subject"] == {
        "type": "agenda-revision",
        "id": str(number),
        "href": f"/v1/agenda/revisions/{number}",
    }
    assert note["detail"] == {"number": number, "itemCount": 1}

    gone_page = await client.get("/v1/me/notifications", headers=bearer(gone_key))
    # A key for an inactive member is refused before its inbox is read, or reads an empty one.
    assert gone_page.status_code != 200 or gone_page.json()["items"] == []


async def test_a_refused_publication_notifies_nobody(client):
    admin = await make_key("admin")
    member = await make_member()
    key = await make_key("member", member["id"])
    number = await publish_a_revision(client, admin)
    await client.post(f"/v1/agenda/revisions/{number}/_publish", headers=bearer(admin))
    page = (await client.get("/v1/me/notifications", headers=bearer(key))).json()
    assert len(page["items"]) == 1


async def test_publishing_to_ten_thousand_members_is_one_insert_per_kind(client, statements):
    admin = await make_key("admin")
    await many_members(10_000)
    statements.statements.clear()
    await publish_a_revision(client, admin)
    inserts = [s for s in statements.statements if "INSERT INTO notifications" in s]
    # One for everyone; one each for the questions that came on and went off the agenda.
    assert len(inserts) == 3
    from tests.conftest import raw_sql

    [(count,)] = await raw_sql("SELECT count(*) FROM notifications")
    assert count >= 10_000


async def test_pages_newest_first_in_constant_statements(client, statements):
    admin = await make_key("admin")
    member = await make_member()
    key = await make_key("member", member["id"])
    for _ in range(5):
        await publish_a_revision(client, admin)

    await client.get("/v1/me/notifications", headers=bearer(key))  # the key, known from now on
    counts = []
    seen = []
    url = "/v1/me/notifications?pageSize=2"
    while url:
        statements.statements.clear()
        page = (await client.get(url, headers=bearer(key))).json()
        counts.append(statements.count)
        seen += [item["id"] for item in page["items"]]
        url = page["next"]
    assert seen == sorted(seen, reverse=True) and len(seen) == 5
    assert len(set(counts)) == 1, counts


async def test_read_up_to_an_id_or_all(client):
    admin = await make_key("admin")
    member = await make_member()
    key = await make_key("member", member["id"])
    for _ in range(3):
        await publish_a_revision(client, admin)
    ids = [
        i["id"]
        for i in (await client.get("/v1/me/notifications", headers=bearer(key))).json()["items"]
    ]
    middle = ids[1]

    marked = await client.post(
        "/v1/me/notifications/_read", json={"upTo": middle}, headers=bearer(key)
    )
    assert marked.json() == {"marked": 2, "unread": 1}
    unread = (await client.get("/v1/me/notifications?unread=true", headers=bearer(key))).json()[
        "items"
    ]
    assert [i["id"] for i in unread] == [ids[0]]
    read = (await client.get("/v1/me/notifications?unread=false", headers=bearer(key))).json()
    assert all(i["readAt"] for i in read["items"]) and len(read["items"]) == 2

    marked = await client.post(
        "/v1/me/notifications/_read", json={"all": True}, headers=bearer(key)
    )
    assert marked.json() == {"marked": 1, "unread": 0}
    again = await client.post("/v1/me/notifications/_read", json={"all": True}, headers=bearer(key))
    assert again.json() == {"marked": 0, "unread": 0}


async def test_another_members_notification_is_not_found(client):
    admin = await make_key("admin")
    mine, theirs = await make_member(), await make_member()
    my_key = await make_key("member", mine["id"])
    their_key = await make_key("member", theirs["id"])
    await publish_a_revision(client, admin)
    [their_note] = (await client.get("/v1/me/notifications", headers=bearer(their_key))).json()[
        "items"
    ]

    problem = assert_problem(
        await client.post(
            "/v1/me/notifications/_read", json={"upTo": their_note["id"]}, headers=bearer(my_key)
        ),
        404,
    )
    assert str(their_note["id"]) in problem["detail"]
    still = (await client.get("/v1/me/notifications?unread=true", headers=bearer(their_key))).json()
    assert len(still["items"]) == 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"upTo": 1, "all": True},
        {"all": False},
        {"upTo": 0},
        {"upTo": 2**63},
        {"upTo": "1"},
        {"other": 1},
    ],
)
async def test_bad_read_marks(client, body):
    member = await make_member()
    key = await make_key("member", member["id"])
    response = await client.post("/v1/me/notifications/_read", json=body, headers=bearer(key))
    assert_problem(response, 400)


async def test_a_kind_turned_off_is_not_written(client):
    admin = await make_key("admin")
    member = await make_member()
    key = await make_key("member", member["id"])
    settings = (await client.get("/v1/me/notification-settings", headers=bearer(key))).json()
    assert {"kind": "agenda-revision-published", "enabled": True} in settings["kinds"]

    put = await client.put(
        "/v1/me/notification-settings",
        json={"kinds": [{"kind": "agenda-revision-published", "enabled": False}]},
        headers=bearer(key),
    )
    assert put.status_code == 200, put.text
    assert {"kind": "agenda-revision-published", "enabled": False} in put.json()["kinds"]
    await publish_a_revision(client, admin)
    assert (await client.get("/v1/me/notifications", headers=bearer(key))).json()["items"] == []

    await client.put("/v1/me/notification-settings", json={"kinds": []}, headers=bearer(key))
    await publish_a_revision(client, admin)
    assert len((await client.get("/v1/me/notifications", headers=bearer(key))).json()["items"]) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"kinds": [{"kind": "no-such-kind", "enabled": False}]},
        {"kinds": [{"kind": "agenda-revision-published", "enabled": "no"}]},
        {
            "kinds": [
                {"kind": "agenda-revision-published", "enabled": False},
                {"kind": "agenda-revision-published", "enabled": True},
            ]
        },
        {},
    ],
)
async def test_bad_settings(client, body):
    member = await make_member()
    key = await make_key("member", member["id"])
    response = await client.put("/v1/me/notification-settings", json=body, headers=bearer(key))
    assert_problem(response, 400)


async def test_me_counts_the_unread(client):
    admin = await make_key("admin")
    member = await make_member()
    key = await make_key("member", member["id"])
    await publish_a_revision(client, admin)
    await publish_a_revision(client, admin)
    me = (await client.get("/v1/me", headers=bearer(key))).json()
    assert me["counts"]["unreadNotifications"] == 2
    await client.post("/v1/me/notifications/_read", json={"all": True}, headers=bearer(key))
    me = (await client.get("/v1/me", headers=bearer(key))).json()
    assert me["counts"]["unreadNotifications"] == 0


async def test_reading_and_settings_stay_out_of_the_change_feed(client):
    from tests.conftest import raw_sql

    member = await make_member()
    key = await make_key("member", member["id"])
    await client.post("/v1/me/notifications/_read", json={"all": True}, headers=bearer(key))
    await client.put("/v1/me/notification-settings", json={"kinds": []}, headers=bearer(key))
    rows = await raw_sql(
        "SELECT action, change FROM audit_events WHERE action LIKE 'me-notification%'"
    )
    assert sorted(rows) == [
        ("me-notification-settings-update", None),
        ("me-notifications-read", None),
    ]


async def test_the_inbox_filters_and_sorts_and_lists_every_bad_parameter(client, statements):
    admin = await make_key("admin")
    member = await make_member()
    key = await make_key("member", member["id"])
    for _ in range(4):
        await publish_a_revision(client, admin)
    ids = [
        i["id"]
        for i in (await client.get("/v1/me/notifications", headers=bearer(key))).json()["items"]
    ]
    marked = await client.post(
        "/v1/me/notifications/_read", json={"upTo": ids[2]}, headers=bearer(key)
    )
    assert marked.status_code == 200, marked.text

    async def listed(query: str) -> list[int]:
        statements.statements.clear()
        response = await client.get(f"/v1/me/notifications?{query}", headers=bearer(key))
        assert response.status_code == 200, response.text
        assert statements.count == 1
        return [item["id"] for item in response.json()["items"]]

    assert await listed("unread=true") == ids[:2]
    assert await listed("unread=false&sort=id") == sorted(ids[2:])
    assert await listed("sort=id&pageSize=3") == sorted(ids)[:3]
    bad = await client.get(
        "/v1/me/notifications?unread=maybe&pageSize=0&sort=kind", headers=bearer(key)
    )
    problem = assert_problem(bad, 400)
    assert {p["name"] for p in problem["invalidParams"]} == {"unread", "pageSize", "sort"}
    unknown = await client.get("/v1/me/notifications?unRead=true", headers=bearer(key))
    assert "unRead" in str(assert_problem(unknown, 400))
