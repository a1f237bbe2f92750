"""`allowedTransitions` offers only what the caller may do: on learning questions, cases,
learning groups and insights, for every role, on a single read and on a list page, and every
transition offered is one the caller's PATCH then makes (never a 403). A member withdraws their
own proposed question (to `retired`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from tests.core.support import assert_problem
from tests.factories import (
    add_membership,
    bearer,
    make_case,
    make_group,
    make_key,
    make_member,
    make_question,
)

MERGE_PATCH = "application/merge-patch+json"


@dataclass
class Caller:
    name: str
    key: str
    member_id: Any


async def callers(group_id: Any) -> dict[str, Caller]:
    """Everyone who might look: an admin, the group's facilitator, a facilitator of another
    group, a member, a reader and the proposer of a question (a member)."""
    found: dict[str, Caller] = {}
    for name, role in (
        ("admin", "admin"),
        ("facilitator", "facilitator"),
        ("other facilitator", "facilitator"),
        ("member", "member"),
        ("reader", "reader"),
        ("proposer", "member"),
    ):
        member = await make_member()
        found[name] = Caller(name, await make_key(role, member["id"]), member["id"])
    await add_membership(group_id, found["facilitator"].member_id, "facilitator")
    other = await make_group()
    await add_membership(other["id"], found["other facilitator"].member_id, "facilitator")
    return found


async def offered(client: httpx.AsyncClient, url: str, key: str) -> list[str]:
    response = await client.get(url, headers=bearer(key))
    assert response.status_code == 200, response.text
    return list(response.json()["allowedTransitions"])


async def listed(client: httpx.AsyncClient, url: str, item_id: Any, key: str) -> list[str]:
    response = await client.get(url, headers=bearer(key))
    assert response.status_code == 200, response.text
    (item,) = [i for i in response.json()["items"] if i["id"] == str(item_id)]
    return list(item["allowedTransitions"])


async def patch(client: httpx.AsyncClient, url: str, body: dict[str, Any], key: str) -> Any:
    headers = {**bearer(key), "Content-Type": MERGE_PATCH}
    return await client.patch(url, content=json.dumps(body), headers=headers)


async def test_learning_questions_offer_per_caller(client):
    group = await make_group("active")
    who = await callers(group["id"])
    owned = await make_question(title="Van de groep", status="open", ownerGroupId=str(group["id"]))
    proposed = await make_question(
        title="Voorgesteld", raisedByMemberId=str(who["proposer"].member_id)
    )
    expected_owned = {
        "admin": ["answered", "exploring", "parked", "retired"],
        "facilitator": ["answered", "exploring", "parked", "retired"],
        "other facilitator": [],
        "member": [],
        "reader": [],
        "proposer": [],
    }
    expected_proposed = {
        "admin": ["open", "retired"],
        "facilitator": [],
        "other facilitator": [],
        "member": [],
        "reader": [],
        "proposer": ["retired"],
    }
    for name, caller in who.items():
        url = f"/v1/learning-questions/{owned['id']}"
        assert await offered(client, url, caller.key) == expected_owned[name], name
        url = f"/v1/learning-questions/{proposed['id']}"
        assert await offered(client, url, caller.key) == expected_proposed[name], name
        page = "/v1/learning-questions?pageSize=100"
        assert await listed(client, page, owned["id"], caller.key) == expected_owned[name], name
        assert await listed(client, page, proposed["id"], caller.key) == expected_proposed[name]


async def test_a_member_withdraws_their_own_proposed_question(client):
    member = await make_member()
    key = await make_key("member", member["id"])
    mine = (
        await client.post(
            "/v1/learning-questions", json={"title": "Mijn vraag"}, headers=bearer(key)
        )
    ).json()
    assert mine["allowedTransitions"] == ["retired"]
    url = f"/v1/learning-questions/{mine['id']}"
    withdrawn = await patch(client, url, {"status": "retired"}, key)
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "retired"
    assert withdrawn.json()["allowedTransitions"] == []
    # Final now, and no longer theirs to edit.
    assert_problem(await patch(client, url, {"title": "Toch wel"}, key), 403)

    # Only the proposer, and only while it is proposed.
    theirs = await make_question(title="Van een ander")
    assert_problem(
        await patch(client, f"/v1/learning-questions/{theirs['id']}", {"status": "retired"}, key),
        403,
    )
    opened = await make_question(title="Al open", status="open", raisedByMemberId=str(member["id"]))
    assert (await offered(client, f"/v1/learning-questions/{opened['id']}", key)) == []
    assert_problem(
        await patch(client, f"/v1/learning-questions/{opened['id']}", {"status": "retired"}, key),
        403,
    )
    reader = await make_key("reader", member["id"])
    again = await make_question(title="Nog een", raisedByMemberId=str(member["id"]))
    assert await offered(client, f"/v1/learning-questions/{again['id']}", reader) == []


async def test_cases_and_groups_offer_per_caller(client):
    group = await make_group("active")
    who = await callers(group["id"])
    case = await make_case(learningGroupId=str(group["id"]))
    managers = {"admin", "facilitator"}
    for name, caller in who.items():
        case_url = f"/v1/cases/{case['id']}"
        group_url = f"/v1/learning-groups/{group['id']}"
        want_case = ["closed", "in_progress"] if name in managers else []
        want_group = ["merged", "presented"] if name in managers else []
        assert await offered(client, case_url, caller.key) == want_case, name
        assert await listed(client, "/v1/cases?pageSize=100", case["id"], caller.key) == want_case
        assert await offered(client, group_url, caller.key) == want_group, name
        listed_groups = await listed(
            client, "/v1/learning-groups?pageSize=100", group["id"], caller.key
        )
        assert listed_groups == want_group, name


async def test_insights_offer_adoption_to_admins_only(client):
    question = await make_question()
    admin = await make_key("admin")
    created = await client.post(
        "/v1/insights",
        json={
            "title": "Inzicht",
            "body": "Wat we leerden.",
            "sourceQuestionId": str(question["id"]),
        },
        headers=bearer(admin),
    )
    assert created.status_code == 201, created.text
    url = created.headers["Location"]
    assert await offered(client, url, admin) == ["shared"]
    for role in ("facilitator", "member", "reader"):
        assert await offered(client, url, await make_key(role)) == [], role


async def test_every_offered_transition_is_allowed(client):
    """Whatever a caller is offered, its PATCH succeeds; whatever it is not, is refused."""
    group = await make_group("active")
    who = await callers(group["id"])
    for name, caller in who.items():
        question = await make_question(
            title=f"Vraag voor {name}",
            ownerGroupId=str(group["id"]),
            raisedByMemberId=str(who["proposer"].member_id),
        )
        case = await make_case(learningGroupId=str(group["id"]))
        for url in (f"/v1/learning-questions/{question['id']}", f"/v1/cases/{case['id']}"):
            current = (await client.get(url, headers=bearer(caller.key))).json()
            for status in current["allowedTransitions"]:
                fresh = (await client.get(url, headers=bearer(caller.key))).json()
                if status not in fresh["allowedTransitions"]:
                    continue  # an earlier move made it final
                moved = await patch(client, url, {"status": status}, caller.key)
                assert moved.status_code == 200, (name, url, status, moved.text)
                break
            else:
                if current["status"] == "proposed" and caller.name in ("member", "reader"):
                    refused = await patch(client, url, {"status": "retired"}, caller.key)
                    assert refused.status_code == 403, (name, url, refused.text)
