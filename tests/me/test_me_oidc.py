"""An OIDC token has a "me" when its subject is a member's externalId, whatever its role; a
token whose subject is no member has none (404)."""

from __future__ import annotations

from tests.core.support import assert_problem
from tests.core.test_oidc import _auth, _token, client, oidc_on, provider
from tests.factories import add_membership, make_group, make_member

__all__ = ["client", "oidc_on", "provider"]  # the identity provider's fixtures


async def test_a_token_mapped_to_a_member_has_a_me(client, provider, oidc_on):
    _, private = provider
    member = await make_member(externalId="HR-OIDC-ME")
    await add_membership((await make_group(name="Circulaire gebieden"))["id"], member["id"])
    for role in ("member", "reader"):
        token = _token(private, {"sub": "HR-OIDC-ME", "roles": [role]})
        me = await client.get("/v1/me", headers=_auth(token))
        assert me.status_code == 200, me.text
        assert me.json()["id"] == str(member["id"])
        assert [g["name"] for g in me.json()["learningGroups"]] == ["Circulaire gebieden"]
    changed = await client.patch(
        "/v1/me",
        json={"discipline": "Inkoop"},
        headers={**_auth(token), "Content-Type": "application/merge-patch+json"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["discipline"] == "Inkoop"


async def test_a_token_of_no_member_has_no_me(client, provider, oidc_on):
    _, private = provider
    token = _token(private, {"sub": "HR-NIEMAND", "roles": ["member"]})
    assert_problem(await client.get("/v1/me", headers=_auth(token)), 404)
    assert_problem(await client.get("/v1/me/workshops", headers=_auth(token)), 404)
