"""Runtime configuration, read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/leergemeenschap.db"


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw else default


def _list(name: str) -> tuple[str, ...]:
    raw = os.environ.get(name, "")
    return tuple(item.strip() for item in raw.split(",") if item.strip())


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    # How long a verified API key is trusted without asking the database again.
    # This bounds how late a revocation takes effect in every worker.
    api_key_cache_seconds: float = 5.0
    cors_origins: tuple[str, ...] = field(default_factory=tuple)
    # Request bodies: a general bound, and a larger one for bulk member syncs.
    max_body_bytes: int = 1_048_576
    max_sync_body_bytes: int = 16_777_216
    max_json_depth: int = 32
    db_pool_size: int = 10
    db_max_overflow: int = 10
    db_statement_timeout_ms: int = 15_000
    sqlite_busy_timeout_ms: int = 5_000
    idempotency_lock_seconds: int = 60
    auth_failure_limit: int = 20
    auth_failure_window_seconds: int = 300
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    oidc_roles_claim: str = "roles"
    oidc_member_claim: str = "sub"
    oidc_algorithms: tuple[str, ...] = ("RS256",)
    oidc_leeway_seconds: int = 30
    # FastAPI's native OpenTelemetry (traces, metrics, logs through the global providers).
    telemetry: bool = False

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_audience and self.oidc_jwks_url)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings(
        database_url=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        api_key_cache_seconds=_float("API_KEY_CACHE_SECONDS", 5.0),
        cors_origins=_list("CORS_ORIGINS"),
        max_body_bytes=_int("MAX_BODY_BYTES", 1_048_576),
        max_sync_body_bytes=_int("MAX_SYNC_BODY_BYTES", 16_777_216),
        max_json_depth=_int("MAX_JSON_DEPTH", 32),
        db_pool_size=_int("DB_POOL_SIZE", 10),
        db_max_overflow=_int("DB_MAX_OVERFLOW", 10),
        db_statement_timeout_ms=_int("DB_STATEMENT_TIMEOUT_MS", 15_000),
        sqlite_busy_timeout_ms=_int("SQLITE_BUSY_TIMEOUT_MS", 5_000),
        idempotency_lock_seconds=_int("IDEMPOTENCY_LOCK_SECONDS", 60),
        auth_failure_limit=_int("AUTH_FAILURE_LIMIT", 20),
        auth_failure_window_seconds=_int("AUTH_FAILURE_WINDOW_SECONDS", 300),
        oidc_issuer=os.environ.get("OIDC_ISSUER") or None,
        oidc_audience=os.environ.get("OIDC_AUDIENCE") or None,
        oidc_jwks_url=os.environ.get("OIDC_JWKS_URL") or None,
        oidc_roles_claim=os.environ.get("OIDC_ROLES_CLAIM") or "roles",
        oidc_member_claim=os.environ.get("OIDC_MEMBER_CLAIM") or "sub",
        oidc_algorithms=_list("OIDC_ALGORITHMS") or ("RS256",),
        # RFC 7519 leaves leeway to the verifier; more than a minute would hide clock faults.
        oidc_leeway_seconds=min(_int("OIDC_LEEWAY_SECONDS", 30), 60),
        telemetry=os.environ.get("OTEL_ENABLED", "").lower() in ("1", "true", "yes"),
    )
