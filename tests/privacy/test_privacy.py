"""Personal data: the member themself or an admin sees all of it; erasure leaves a pseudonym
and no trace of name, e-mail address or external id anywhere in the database."""

from __future__ import annotations

import asyncio
import shutil

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.core.db import database
from app.metadata import metadata
from tests.factories import bearer, make_department, make_group, make_key, make_member

PERSON = {
    "givenName": "Zwaantje",
    "familyName": "Quaadvliet",
    "email": "Zwaantje.Quaadvliet@amsterdam.example",
    "externalId": "HR-ZQ-90210",
}


async def _person(client, admin):
    department = await make_department()
    member = await make_member(**PERSON, departmentId=str(department["id"]))
    group = await make_group(status="active")
    key = await make_key("member", member_id=member["id"])
    joined = await client.post(
        f"/v1/learning-groups/{group['id']}/memberships",
        json={"memberId": str(member["id"]), "role": "member"},
        headers=bearer(key),
    )
    assert joined.status_code == 201, joined.text
    question = await client.post(
        "/v1/learning-questions",
        json={"title": "Hoe borgen we circulair inkopen?"},
        headers={**bearer(key), "Idempotency-Key": "q-1"},
    )
    assert question.status_code == 201, question.text
    supporters = f"/v1/learning-questions/{question.json()['id']}/supporters/me"
    for method in ("PUT", "DELETE", "PUT"):  # supported, withdrew, supported again
        assert (await client.request(method, supporters, headers=bearer(key))).status_code < 300
    return member, key, group, question.json()


async def test_the_member_and_an_admin_see_everything_held(client):
    admin = bearer(await make_key("admin"))
    member, key, group, question = await _person(client, admin)
    for headers in (bearer(key), admin):
        response = await client.get(f"/v1/members/{member['id']}/personal-data", headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["member"]["email"] == PERSON["email"]
        assert [m["groupId"] for m in body["groupMemberships"]] == [str(group["id"])]
        assert [q["id"] for q in body["learningQuestionsRaised"]] == [question["id"]]
        supported = body["learningQuestionsSupported"]
        assert [s["questionId"] for s in supported] == [question["id"]] * 2
        assert supported[0]["withdrawnAt"] is not None and supported[1]["withdrawnAt"] is None
        assert len(body["apiKeys"]) == 1 and "key" not in body["apiKeys"][0]
        assert any(e["action"] == "members-create" for e in body["auditEvents"])


@pytest.mark.parametrize("role", ["reader", "facilitator", "member", "sync"])
async def test_nobody_else_sees_it(client, role):
    admin = bearer(await make_key("admin"))
    member, *_ = await _person(client, admin)
    other = bearer(await make_key(role))
    response = await client.get(f"/v1/members/{member['id']}/personal-data", headers=other)
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["reader", "facilitator", "member", "sync"])
async def test_only_an_admin_erases(client, role):
    admin = bearer(await make_key("admin"))
    member, *_ = await _person(client, admin)
    response = await client.post(
        f"/v1/members/{member['id']}/_erase", headers=bearer(await make_key(role))
    )
    assert response.status_code == 403
    still = await client.get(f"/v1/members/{member['id']}", headers=admin)
    assert still.json()["email"] == PERSON["email"]


async def _dump(backend) -> str:
    """Every row of every table as text; on Postgres also what pg_dump writes."""
    parts = []
    async with database.engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows = await conn.execute(text(f'SELECT * FROM "{table.name}"'))
            parts.extend(repr(tuple(row)) for row in rows)
    if backend.name == "postgres" and shutil.which("pg_dump"):
        url = make_url(backend.url)
        process = await asyncio.create_subprocess_exec(
            "pg_dump",
            "-h",
            url.host or "127.0.0.1",
            "-p",
            str(url.port or 5432),
            "-U",
            url.username or "postgres",
            "--data-only",
            url.database or "",
            stdout=asyncio.subprocess.PIPE,
        )
        stdout, _ = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 0
        parts.append(stdout.decode("utf-8", "replace"))
    return "\n".join(parts)


async def test_erasure_leaves_a_pseudonym_and_no_personal_data(client, backend):
    admin = bearer(await make_key("admin"))
    member, key, group, question = await _person(client, admin)
    before = await _dump(backend)
    assert PERSON["familyName"] in before  # the check below can fail

    erased = await client.post(f"/v1/members/{member['id']}/_erase", headers=admin)
    assert erased.status_code == 200, erased.text
    body = erased.json()
    pseudonym = body["pseudonym"]
    assert body["member"]["displayName"] == pseudonym
    assert body["member"]["status"] == "inactive"
    assert body["member"]["externalId"] is None

    dump = await _dump(backend)
    for value in (*PERSON.values(), PERSON["email"].lower()):
        assert value not in dump, value
    # Contributions stay, attributable to the pseudonym.
    kept = await client.get(f"/v1/learning-questions/{question['id']}", headers=admin)
    assert kept.json()["raisedByMemberId"] == str(member["id"])
    history = await client.get(f"/v1/learning-groups/{group['id']}/memberships", headers=admin)
    assert [m["memberId"] for m in history.json()["items"]] == [str(member["id"])]
    # The member's key no longer works; the erasure itself is audited.
    assert (await client.get("/v1/members", headers=bearer(key))).status_code == 401
    events = await client.get("/v1/audit-events", params={"action": "members-erase"}, headers=admin)
    assert [e["objectId"] for e in events.json()["items"]] == [str(member["id"])]
    # Erasing again changes nothing; the pseudonym cannot be edited.
    again = await client.post(f"/v1/members/{member['id']}/_erase", headers=admin)
    assert again.status_code == 200 and again.json()["pseudonym"] == pseudonym
    edit = await client.patch(
        f"/v1/members/{member['id']}",
        json={"givenName": "Terug"},
        headers={**admin, "Content-Type": "application/merge-patch+json"},
    )
    assert edit.status_code == 409
