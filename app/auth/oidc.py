"""OIDC bearer tokens from the municipality's identity provider (Entra ID, Keycloak): verified
against the configured JWKS with configured algorithms only; never trusting the token's header
for where keys come from (`jku`, `x5u`) or which algorithm applies."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx
import jwt
from jwt import PyJWK

from app.core.config import Settings
from app.core.errors import ServiceUnavailable, Unauthenticated

log = logging.getLogger("leergemeenschap.oidc")

# Only asymmetric algorithms: an HS* key would be the public key, which anyone can read.
ASYMMETRIC = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
REFETCH_INTERVAL = 60.0
# Roles in order of precedence when a token carries several.
ROLE_PRECEDENCE = ("admin", "facilitator", "member", "reader", "sync")


class JwksCache:
    """The identity provider's signing keys, refetched on an unknown `kid` at most once a minute;
    when the provider is unreachable the keys we have keep working."""

    def __init__(self) -> None:
        self.keys: dict[str, PyJWK] = {}
        self.fetched_at = 0.0
        self.attempted_at = 0.0
        self._lock = asyncio.Lock()

    async def _fetch(self, url: str) -> dict[str, PyJWK]:
        async with httpx.AsyncClient(timeout=5.0, follow_redirects=False) as client:
            response = await client.get(url)
            response.raise_for_status()
            document = response.json()
        keys: dict[str, PyJWK] = {}
        for entry in document.get("keys", []):
            if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
                continue
            try:
                key = PyJWK.from_dict(entry)
            except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
                continue
            keys[str(entry.get("kid", ""))] = key
        return keys

    async def key_for(self, kid: str, url: str) -> PyJWK:
        key = self.keys.get(kid)
        if key is not None:
            return key
        async with self._lock:
            key = self.keys.get(kid)
            if key is not None:
                return key
            now = time.monotonic()
            if now - self.attempted_at >= REFETCH_INTERVAL or not self.attempted_at:
                self.attempted_at = now
                try:
                    self.keys = await self._fetch(url)
                    self.fetched_at = now
                except (httpx.HTTPError, ValueError) as exc:
                    log.warning("JWKS at %s unreachable: %s", url, exc)
                    if not self.keys:
                        raise ServiceUnavailable(
                            "The identity provider's keys cannot be fetched; retry shortly.",
                            retry_after=30,
                        ) from exc
            key = self.keys.get(kid)
        if key is None:
            raise Unauthenticated("The token is signed with an unknown key.")
        return key

    def clear(self) -> None:
        self.keys = {}
        self.fetched_at = 0.0
        self.attempted_at = 0.0


jwks_cache = JwksCache()


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2


async def verify(token: str, settings: Settings) -> dict[str, Any]:
    """The token's claims, or Unauthenticated. Header fields other than `kid` are ignored."""
    algorithms = [a for a in settings.oidc_algorithms if a in ASYMMETRIC]
    if not algorithms:
        raise ServiceUnavailable("OIDC is configured without an asymmetric algorithm.")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise Unauthenticated("The token is not a well-formed JWT.") from exc
    if header.get("alg") not in algorithms:
        raise Unauthenticated("The token's algorithm is not accepted.")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise Unauthenticated("The token names no signing key (kid).")
    assert settings.oidc_jwks_url is not None
    key = await jwks_cache.key_for(kid, settings.oidc_jwks_url)
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key.key,
            algorithms=algorithms,
            audience=settings.oidc_audience,
            issuer=settings.oidc_issuer,
            leeway=settings.oidc_leeway_seconds,
            options={"require": ["exp", "iat", "iss", "aud"], "verify_signature": True},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("The token has expired.") from exc
    except jwt.PyJWTError as exc:
        raise Unauthenticated(f"The token is not valid: {exc}.") from exc
    return claims


def role_from_claims(claims: dict[str, Any], claim: str) -> str | None:
    value = claims.get(claim)
    roles = {value} if isinstance(value, str) else set(value) if isinstance(value, list) else set()
    for role in ROLE_PRECEDENCE:
        if role in roles:
            return role
    return None
