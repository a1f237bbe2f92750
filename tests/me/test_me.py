"""GET and PATCH /v1/me, and the caller's own lists: for any credential bound to a member, a
404 problem for any other; the summary in three statements and every page in a constant number,
however much the member takes part in."""

from __future__ import annotations

import pytest

from app.core.context import Principal
from tests.core.support import assert_problem
from tests.factories import (
    add_membership,
    bearer,
    make_group,
    make_key,
    make_member,
    make_question,
    make_theme,
)
from tests.me.support import sign_up, workshop_in

ME_ROUTES = [
    ("GET", "/v1/me"),
    ("PATCH", "/v1/me"),
    ("GET", "/v1/me/learning-groups"),
    ("GET", "/v1/me/learning-questions"),
    ("GET", "/v1/me/workshops"),
]
PATCH_HEADERS = {"Content-Type": "application/merge-patch+json"}


def as_member(member_id) -> Principal:
    return Principal(key_id=None, role="member", name="test", member_id=member_id)


async def _request(client, method, path, key, body=None):
    headers = bearer(key)
    if method == "PATCH":
        headers.update(PATCH_HEADERS)
        return await client.patch(path, json=body or {}, headers=headers)
    return await client.get(path, headers=headers)


@pytest.mark.parametrize("role", ["admin", "reader", "sync"])
@pytest.mark.parametrize(("method", "path"), ME_ROUTES)
async def test_a_credential_bound_to_no_member_has_no_me(client, role, method, path):
    key = await make_key(role)
    body = assert_problem(await _request(client, method, path, key), 404)
    assert "acts for no member" in body["detail"]


@pytest.mark.parametrize("role", ["admin", "facilitator", "member", "reader", "sync"])
@pytest.mark.parametrize(("method", "path"), ME_ROUTES)
async def test_every_role_bound_to_a_member_has_a_me(client, role, method, path):
    member = await make_member()
    key = await make_key(role, member["id"])
    response = await _request(client, method, path, key)
    assert response.status_code == 200, response.text


async def test_me_is_the_member_with_what_they_take_part_in_now(client):
    member = await make_member(displayName="Fatima")
    key = await make_key("member", member["id"])
    ours = await make_group(name="Circulair inkopen")
    other = await make_group(name="Bouwstromen")
    left = await make_group(name="Verlaten groep")
    await add_membership(ours["id"], member["id"], role="lead")
    await add_membership(other["id"], member["id"])
    gone = await add_membership(left["id"], member["id"])
    await client.delete(
        f"/v1/learning-groups/{left['id']}/memberships/{gone['id']}", headers=bearer(key)
    )
    await make_group(name="Niet de mijne")
    soon = await workshop_in(3, title="Werkplaats 3")
    later = await workshop_in(40, title="Werkplaats 4")
    begun = await workshop_in(-30, title="Werkplaats 2")
    for workshop in (later, soon, begun):
        await sign_up(workshop["id"], member["id"])
    await workshop_in(5, title="Zonder mij")
    me = as_member(member["id"])
    await make_question(me, title="Open vraag")
    await make_question(me, title="Tweede open vraag")
    await make_question(status="answered", raisedByMemberId=str(member["id"]), title="Beantwoord")
    await make_question(title="Van iemand anders")

    response = await client.get("/v1/me", headers=bearer(key))
    assert response.status_code == 200, response.text
    body = response.json()
    assert response.headers["ETag"] == f'"{body["version"]}"'
    # The member exactly as GET /members/{id} shows it.
    shown = (await client.get(f"/v1/members/{member['id']}", headers=bearer(key))).json()
    assert {key: body[key] for key in shown} == shown
    assert [(g["name"], g["membership"]["role"]) for g in body["learningGroups"]] == [
        ("Bouwstromen", "member"),
        ("Circulair inkopen", "lead"),
    ]
    assert body["learningGroups"][1]["id"] == str(ours["id"])
    assert [w["title"] for w in body["upcomingWorkshops"]] == ["Werkplaats 3", "Werkplaats 4"]
    assert all(w["registeredAt"] for w in body["upcomingWorkshops"])
    # Three notifications: added to three groups by someone else (it left one itself).
    assert body["counts"] == {
        "openLearningQuestions": 2,
        "supportedLearningQuestions": 0,
        "unreadNotifications": 3,
    }
    # Nothing about support or notifications: others build those.
    assert set(body) - set(shown) == {"learningGroups", "upcomingWorkshops", "counts"}


async def test_each_group_of_mine_carries_its_theme(client, statements):
    """The theme as every reference to a theme shows it ({id, name, transitionRole}), as it
    is now, with no statement more."""
    member = await make_member()
    key = await make_key("member", member["id"])
    circular = await make_theme(name="De gemeente als organisatie", transitionRole="verbinder")
    market = await make_theme(name="Gemeente en markt", transitionRole="coalitiebouwer")
    for name, theme in (("Aanbesteden", market), ("Bouwstromen", circular), ("Circulair", market)):
        await add_membership(
            (await make_group(name=name, themeId=str(theme["id"])))["id"], member["id"]
        )
    renamed = await client.patch(
        f"/v1/themes/{market['id']}",
        json={"name": "De gemeente en marktpartijen"},
        headers={**bearer(await make_key()), **PATCH_HEADERS},
    )
    assert renamed.status_code == 200, renamed.text
    await client.get("/v1/me/workshops", headers=bearer(key))  # the key is verified
    statements.statements.clear()
    response = await client.get("/v1/me", headers=bearer(key))
    assert response.status_code == 200, response.text
    assert statements.count == 3
    shown = {}
    for theme in (circular, market):
        found = (await client.get(f"/v1/themes/{theme['id']}", headers=bearer(key))).json()
        shown[found["id"]] = {
            "id": found["id"],
            "name": found["name"],
            "transitionRole": found["transitionRole"],
        }
    groups = response.json()["learningGroups"]
    assert [(g["name"], g["theme"]) for g in groups] == [
        ("Aanbesteden", shown[str(market["id"])]),
        ("Bouwstromen", shown[str(circular["id"])]),
        ("Circulair", shown[str(market["id"])]),
    ]
    assert all(g["themeId"] == g["theme"]["id"] for g in groups)
    assert groups[0]["theme"]["name"] == "De gemeente en marktpartijen"


async def test_the_summary_takes_three_statements_however_much_is_in_it(client, statements):
    async def count(groups: int, workshops: int, questions: int) -> int:
        member = await make_member()
        key = await make_key("member", member["id"])
        for _ in range(groups):
            await add_membership((await make_group())["id"], member["id"])
        for _ in range(workshops):
            await sign_up((await workshop_in(10))["id"], member["id"])
        for _ in range(questions):
            await make_question(as_member(member["id"]))
        await client.get("/v1/me/workshops", headers=bearer(key))  # the key is verified
        statements.statements.clear()
        response = await client.get("/v1/me", headers=bearer(key))
        assert response.status_code == 200
        assert len(response.json()["learningGroups"]) == groups
        assert len(response.json()["upcomingWorkshops"]) == workshops
        assert response.json()["counts"]["openLearningQuestions"] == questions
        return statements.count

    assert await count(0, 0, 0) == await count(6, 5, 7) == 3


async def test_patch_me_follows_the_rules_of_patching_oneself(client):
    member = await make_member()
    key = await make_key("member", member["id"])
    first = await client.get("/v1/me", headers=bearer(key))
    etag = first.headers["ETag"]

    changed = await client.patch(
        "/v1/me",
        json={"displayName": "Jesse", "discipline": "Inkoop", "transitionRoles": ["verbinder"]},
        headers={**bearer(key), **PATCH_HEADERS, "If-Match": etag},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["displayName"], body["discipline"]) == ("Jesse", "Inkoop")
    assert body["version"] == member["version"] + 1
    assert changed.headers["ETag"] == f'"{body["version"]}"'
    assert "learningGroups" in body and "counts" in body

    stale = await client.patch(
        "/v1/me",
        json={"displayName": "Nog eens"},
        headers={**bearer(key), **PATCH_HEADERS, "If-Match": etag},
    )
    assert assert_problem(stale, 412)["currentVersion"] == body["version"]
    # Identity fields are an admin's (as through PATCH /members/{id}) ...
    personal = await client.patch(
        "/v1/me",
        json={"email": "ander@amsterdam.example"},
        headers={**bearer(key), **PATCH_HEADERS},
    )
    assert "Only an admin may change email" in assert_problem(personal, 403)["detail"]
    # ... and what GET /me adds is no field to write.
    unknown = await client.patch(
        "/v1/me", json={"counts": {}}, headers={**bearer(key), **PATCH_HEADERS}
    )
    assert [p["name"] for p in assert_problem(unknown, 400)["invalidParams"]] == ["counts"]
    empty = await client.patch(
        "/v1/me", json={"displayName": ""}, headers={**bearer(key), **PATCH_HEADERS}
    )
    assert_problem(empty, 400)
    nul = await client.patch(
        "/v1/me", json={"displayName": "a\u0000b"}, headers={**bearer(key), **PATCH_HEADERS}
    )
    assert_problem(nul, 400)
    after = await client.get(f"/v1/members/{member['id']}", headers=bearer(key))
    assert after.json()["displayName"] == "Jesse"


async def test_my_groups_are_keyset_pages_with_my_membership(client, statements):
    member = await make_member()
    key = await make_key("member", member["id"])
    names = [f"Groep {letter}" for letter in "EBDAC"]
    for index, name in enumerate(names):
        group = await make_group(name=name)
        await add_membership(group["id"], member["id"], role="lead" if index % 2 else "member")
    await make_group(name="Groep Z")  # not theirs

    async def walk(url: str) -> tuple[list[dict], list[int]]:
        items, counts = [], []
        while url:
            statements.statements.clear()
            response = await client.get(url, headers=bearer(key))
            assert response.status_code == 200, response.text
            counts.append(statements.count)
            items += response.json()["items"]
            url = response.json()["next"]
        return items, counts

    await client.get("/v1/me", headers=bearer(key))  # the key is verified
    items, counts = await walk("/v1/me/learning-groups?pageSize=2")
    assert [g["name"] for g in items] == sorted(names)
    assert len(set(counts)) == 1 and counts[0] == 1
    assert all(g["memberCount"] == 1 and g["membership"]["joinedAt"] for g in items)
    joined, _ = await walk("/v1/me/learning-groups?pageSize=2&sort=-joinedAt")
    assert [g["name"] for g in joined] == names[::-1]
    leads, _ = await walk("/v1/me/learning-groups?role=lead")
    assert {g["name"] for g in leads} == {"Groep B", "Groep A"}
    assert {g["membership"]["role"] for g in leads} == {"lead"}


async def test_my_questions_are_those_i_raised(client, statements):
    member = await make_member()
    key = await make_key("member", member["id"])
    me = as_member(member["id"])
    for n in range(5):
        await make_question(me, title=f"Vraag {n}")
    await make_question(status="retired", raisedByMemberId=str(member["id"]), title="Vraag 9")
    await make_question(title="Niet van mij")
    await client.get("/v1/me", headers=bearer(key))

    counts = []
    items: list[dict] = []
    url = "/v1/me/learning-questions?pageSize=2"
    while url:
        statements.statements.clear()
        response = await client.get(url, headers=bearer(key))
        assert response.status_code == 200, response.text
        counts.append(statements.count)
        items += response.json()["items"]
        url = response.json()["next"]
    assert [q["title"] for q in items] == [f"Vraag {n}" for n in (0, 1, 2, 3, 4, 9)]
    assert all(q["relations"] == ["raised"] for q in items)
    assert len(set(counts)) == 1 and counts[0] <= 2
    open_ = await client.get("/v1/me/learning-questions?open=true", headers=bearer(key))
    assert len(open_.json()["items"]) == 5
    closed = await client.get(
        "/v1/me/learning-questions?open=false&relation=raised", headers=bearer(key)
    )
    assert [q["title"] for q in closed.json()["items"]] == ["Vraag 9"]
    bad = await client.get("/v1/me/learning-questions?relation=followed", headers=bearer(key))
    assert [p["name"] for p in assert_problem(bad, 400)["invalidParams"]] == ["relation"]


async def test_my_questions_and_counts_include_those_i_support(client, statements):
    member = await make_member()
    key = await make_key("member", member["id"])
    mine = await make_question(as_member(member["id"]), title="Eigen vraag")
    theirs = [await make_question(title=f"Hun vraag {n}") for n in range(3)]
    for question in (mine, *theirs):
        supported = await client.put(
            f"/v1/learning-questions/{question['id']}/supporters/me", headers=bearer(key)
        )
        assert supported.status_code == 201, supported.text
    withdrawn = await client.delete(
        f"/v1/learning-questions/{theirs[2]['id']}/supporters/me", headers=bearer(key)
    )
    assert withdrawn.status_code == 204

    summary = (await client.get("/v1/me", headers=bearer(key))).json()
    assert summary["counts"] == {
        "openLearningQuestions": 1,
        "supportedLearningQuestions": 3,
        "unreadNotifications": 0,
    }

    counts = []
    items: list[dict] = []
    url = "/v1/me/learning-questions?pageSize=1"
    while url:
        statements.statements.clear()
        response = await client.get(url, headers=bearer(key))
        assert response.status_code == 200, response.text
        counts.append(statements.count)
        items += response.json()["items"]
        url = response.json()["next"]
    assert len(set(counts)) == 1
    relations = {q["title"]: q["relations"] for q in items}
    assert relations == {
        "Eigen vraag": ["raised", "supported"],
        "Hun vraag 0": ["supported"],
        "Hun vraag 1": ["supported"],
    }
    only = await client.get("/v1/me/learning-questions?relation=supported", headers=bearer(key))
    assert sorted(q["title"] for q in only.json()["items"]) == [
        "Eigen vraag",
        "Hun vraag 0",
        "Hun vraag 1",
    ]


async def test_my_workshops_with_a_filter_for_those_ahead(client, statements):
    member = await make_member()
    key = await make_key("member", member["id"])
    for days, title in ((-10, "Geweest"), (2, "Straks"), (20, "Later"), (9, "Volgende week")):
        await sign_up((await workshop_in(days, title=title))["id"], member["id"])
    await workshop_in(4, title="Niet voor mij")
    await client.get("/v1/me", headers=bearer(key))

    statements.statements.clear()
    every = await client.get("/v1/me/workshops?pageSize=3", headers=bearer(key))
    assert statements.count == 1
    first = [w["title"] for w in every.json()["items"]]
    rest = await client.get(every.json()["next"], headers=bearer(key))
    assert first + [w["title"] for w in rest.json()["items"]] == [
        "Geweest",
        "Straks",
        "Volgende week",
        "Later",
    ]
    ahead = await client.get("/v1/me/workshops?upcoming=true", headers=bearer(key))
    assert [w["title"] for w in ahead.json()["items"]] == ["Straks", "Volgende week", "Later"]
    assert all(w["registeredAt"] and w["attendeeCount"] == 1 for w in ahead.json()["items"])
    past = await client.get("/v1/me/workshops?upcoming=false", headers=bearer(key))
    assert [w["title"] for w in past.json()["items"]] == ["Geweest"]
    bad = await client.get("/v1/me/workshops?upcoming=soon", headers=bearer(key))
    assert_problem(bad, 400)
