"""OIDC bearer tokens: accepted when properly signed and addressed; every forgery refused."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.auth import oidc
from app.auth.authentication import member_lookup
from app.core.db import database
from app.main import create_app
from tests.conftest import client_for
from tests.factories import make_member, make_workshop

ISSUER = "https://login.example.amsterdam/tenant"
AUDIENCE = "api://leergemeenschap"


def _b64(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _jwk(private: rsa.RSAPrivateKey, kid: str) -> dict[str, str]:
    numbers = private.public_key().public_numbers()
    return {
        "kty": "RSA",
        "kid": kid,
        "use": "sig",
        "alg": "RS256",
        "n": _b64(numbers.n),
        "e": _b64(numbers.e),
    }


class Jwks:
    """A local identity provider's key endpoint on loopback."""

    def __init__(self) -> None:
        self.keys: list[dict[str, str]] = []
        self.hits = 0
        self.up = True
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.hits += 1
                if not owner.up:
                    self.send_response(503)
                    self.end_headers()
                    return
                body = json.dumps({"keys": owner.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def provider() -> Iterator[tuple[Jwks, rsa.RSAPrivateKey]]:
    jwks = Jwks()
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwks.keys = [_jwk(private, "k1")]
    yield jwks, private
    jwks.server.shutdown()


@pytest.fixture
def oidc_on(provider, monkeypatch):
    jwks, _ = provider
    jwks.up = True
    settings = database.settings.model_copy(
        update={"oidc_issuer": ISSUER, "oidc_audience": AUDIENCE, "oidc_jwks_url": jwks.url}
    )
    oidc.jwks_cache.clear()
    member_lookup.clear()
    yield settings
    oidc.jwks_cache.clear()


@pytest.fixture
async def client(app, oidc_on):
    """A client on an app configured with the identity provider (the test's own database)."""
    async with client_for(create_app(oidc_on)) as c:
        yield c


def _token(
    private,
    claims: dict[str, Any] | None = None,
    drop: tuple[str, ...] = (),
    headers: dict[str, Any] | None = None,
    kid: str = "k1",
) -> str:
    now = int(time.time())
    body = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "HR-OIDC-1",
        "iat": now,
        "exp": now + 300,
        "roles": ["reader"],
        **(claims or {}),
    }
    for name in drop:
        body.pop(name, None)
    return jwt.encode(body, private, algorithm="RS256", headers={"kid": kid, **(headers or {})})


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_valid_token_reads(client, provider, oidc_on):
    _, private = provider
    response = await client.get("/v1/members", headers=_auth(_token(private)))
    assert response.status_code == 200, response.text


async def test_role_claim_decides_and_missing_role_is_forbidden(client, provider, oidc_on):
    _, private = provider
    denied = await client.post(
        "/v1/departments",
        json={"code": "X", "name": "X", "kind": "team"},
        headers=_auth(_token(private)),
    )
    assert denied.status_code == 403
    admin = await client.post(
        "/v1/departments",
        json={"code": "X", "name": "X", "kind": "team"},
        headers=_auth(_token(private, {"roles": ["admin"]})),
    )
    assert admin.status_code == 201
    none = await client.get("/v1/members", headers=_auth(_token(private, {"roles": ["guest"]})))
    assert none.status_code == 403


async def test_subject_is_matched_to_member_external_id(client, provider, oidc_on):
    _, private = provider
    member = await make_member(externalId="HR-OIDC-7")
    token = _token(private, {"sub": "HR-OIDC-7", "roles": ["member"]})
    own = await client.patch(
        f"/v1/members/{member['id']}",
        json={"discipline": "Inkoop"},
        headers={**_auth(token), "Content-Type": "application/merge-patch+json"},
    )
    assert own.status_code == 200, own.text
    assert own.json()["discipline"] == "Inkoop"


async def test_a_token_mapped_to_a_member_signs_up_and_reads_its_calendar(
    client, provider, oidc_on
):
    _, private = provider
    member = await make_member(externalId="HR-OIDC-8")
    ahead = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    workshop = await make_workshop(title="Werkplaats met token", startsAt=ahead)
    token = _auth(_token(private, {"sub": "HR-OIDC-8", "roles": ["member"]}))
    signed = await client.put(f"/v1/workshops/{workshop['id']}/attendees/me", headers=token)
    assert signed.status_code == 201, signed.text
    assert signed.json()["memberId"] == str(member["id"])
    feed = await client.get("/v1/me/calendars/workshops.ics", headers=token)
    assert feed.status_code == 200, feed.text
    assert f"UID:{workshop['id']}@leergemeenschap" in feed.text
    # A token whose subject is no member has no "me".
    stranger = _auth(_token(private, {"sub": "HR-NOBODY", "roles": ["member"]}))
    refused = await client.put(f"/v1/workshops/{workshop['id']}/attendees/me", headers=stranger)
    assert refused.status_code == 403, refused.text
    assert (await client.get("/v1/me/calendars/workshops.ics", headers=stranger)).status_code == 404


@pytest.mark.parametrize(
    "case",
    ["expired", "no_exp", "no_iat", "no_iss", "no_aud", "wrong_iss", "wrong_aud", "future_iat"],
)
async def test_claims_are_required_and_checked(client, provider, oidc_on, case):
    _, private = provider
    now = int(time.time())
    token = {
        "expired": lambda: _token(private, {"exp": now - 120, "iat": now - 600}),
        "no_exp": lambda: _token(private, drop=("exp",)),
        "no_iat": lambda: _token(private, drop=("iat",)),
        "no_iss": lambda: _token(private, drop=("iss",)),
        "no_aud": lambda: _token(private, drop=("aud",)),
        "wrong_iss": lambda: _token(private, {"iss": "https://evil.example"}),
        "wrong_aud": lambda: _token(private, {"aud": "api://other"}),
        "future_iat": lambda: _token(private, {"iat": now + 3600}),
    }[case]()
    response = await client.get("/v1/members", headers=_auth(token))
    assert response.status_code == 401, (case, response.text)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_alg_none_is_refused(client, provider, oidc_on):
    now = int(time.time())
    header = base64.urlsafe_b64encode(b'{"alg":"none","kid":"k1","typ":"JWT"}').rstrip(b"=")
    body = base64.urlsafe_b64encode(
        json.dumps(
            {
                "iss": ISSUER,
                "aud": AUDIENCE,
                "sub": "x",
                "iat": now,
                "exp": now + 60,
                "roles": ["admin"],
            }
        ).encode()
    ).rstrip(b"=")
    token = (header + b"." + body + b".").decode()
    response = await client.get("/v1/members", headers=_auth(token))
    assert response.status_code == 401


async def test_hs256_signed_with_the_public_key_is_refused(client, provider, oidc_on):
    _, private = provider
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "x",
        "iat": now,
        "exp": now + 60,
        "roles": ["admin"],
    }
    # PyJWT refuses to sign HMAC with a PEM key, so build the forgery by hand.
    import hashlib
    import hmac

    header = base64.urlsafe_b64encode(b'{"alg":"HS256","kid":"k1","typ":"JWT"}').rstrip(b"=")
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    signature = hmac.new(pem, header + b"." + body, hashlib.sha256).digest()
    token = b".".join([header, body, base64.urlsafe_b64encode(signature).rstrip(b"=")]).decode()
    response = await client.get("/v1/members", headers=_auth(token))
    assert response.status_code == 401


async def test_jku_and_x5u_are_ignored(client, provider, oidc_on):
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = _token(
        attacker,
        {"roles": ["admin"]},
        kid="attacker",
        headers={"jku": "http://127.0.0.1:1/evil.json", "x5u": "http://127.0.0.1:1/x"},
    )
    response = await client.get("/v1/members", headers=_auth(token))
    assert response.status_code == 401
    forged_with_known_kid = _token(
        attacker, {"roles": ["admin"]}, kid="k1", headers={"jku": "http://127.0.0.1:1/evil.json"}
    )
    response = await client.get("/v1/members", headers=_auth(forged_with_known_kid))
    assert response.status_code == 401


async def test_unknown_kid_refetches_at_most_once_a_minute(client, provider, oidc_on):
    jwks, private = provider
    await client.get("/v1/members", headers=_auth(_token(private)))
    hits = jwks.hits
    for _ in range(5):
        response = await client.get("/v1/members", headers=_auth(_token(private, kid="nope")))
        assert response.status_code == 401
    assert jwks.hits - hits <= 1


async def test_unreachable_jwks_uses_cached_keys_else_503(client, provider, oidc_on):
    jwks, private = provider
    assert (await client.get("/v1/members", headers=_auth(_token(private)))).status_code == 200
    jwks.up = False
    oidc.jwks_cache.attempted_at = 0.0
    assert (await client.get("/v1/members", headers=_auth(_token(private)))).status_code == 200
    oidc.jwks_cache.clear()
    response = await client.get("/v1/members", headers=_auth(_token(private)))
    assert response.status_code == 503
    assert "Retry-After" in response.headers


async def test_tokens_in_query_strings_are_refused(client, provider, oidc_on):
    _, private = provider
    response = await client.get(f"/v1/members?access_token={_token(private)}")
    assert response.status_code == 401
    response = await client.get(
        f"/v1/members?access_token={_token(private)}", headers=_auth(_token(private))
    )
    assert response.status_code == 401
