"""The discussion with OIDC tokens: a token mapped to a member comments as that member, one
whose subject is no member reads but cannot write, a reader token reads."""

from __future__ import annotations

from tests.core.test_oidc import _auth, _token, client, oidc_on, provider
from tests.factories import make_member, make_question

__all__ = ["client", "oidc_on", "provider"]


async def test_tokens_comment_as_their_member_and_read(client, provider, oidc_on):
    _, private = provider
    member = await make_member(externalId="HR-OIDC-15", displayName="Sanne de Wit")
    url = f"/v1/learning-questions/{(await make_question())['id']}/comments"
    mine = _token(private, {"sub": "HR-OIDC-15", "roles": ["member"]})
    created = await client.post(url, json={"body": "Via het intranet"}, headers=_auth(mine))
    assert created.status_code == 201, created.text
    assert created.json()["author"] == {"id": str(member["id"]), "displayName": "Sanne de Wit"}

    nobody = _token(private, {"sub": "HR-NIEMAND", "roles": ["member"]})
    refused = await client.post(url, json={"body": "Van wie?"}, headers=_auth(nobody))
    assert refused.status_code == 403, refused.text
    assert "acts for no member" in refused.json()["detail"]

    reader = _token(private, {"roles": ["reader"]})
    page = await client.get(url, headers=_auth(reader))
    assert page.status_code == 200, page.text
    assert [item["body"] for item in page.json()["items"]] == ["Via het intranet"]
    facilitator = _token(private, {"sub": "HR-OIDC-15", "roles": ["facilitator"]})
    hidden = await client.post(
        f"/v1/comments/{created.json()['id']}/_hide",
        json={"reason": "Test van de moderatie"},
        headers=_auth(facilitator),
    )
    assert hidden.status_code == 200, hidden.text
    assert hidden.json()["hiddenBy"]["id"] == str(member["id"])
