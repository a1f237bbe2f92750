"""Runtime configuration: one `Settings`, read from the environment (and a `.env` file, if
present) by pydantic-settings, built once by the entry point and passed to `create_app` and
`database.configure`. Every setting's default is written here, once."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Annotated

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/leergemeenschap.db"

# A list in one variable, comma-separated: CORS_ORIGINS=https://a.example,https://b.example
CommaList = Annotated[tuple[str, ...], NoDecode]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_ignore_empty=True, extra="ignore", frozen=True
    )

    database_url: str = DEFAULT_DATABASE_URL
    # How long a verified API key is trusted without asking the database again.
    # This bounds how late a revocation takes effect in every worker.
    api_key_cache_seconds: float = 5.0
    cors_origins: CommaList = ()
    # Request bodies: a general bound, and a larger one for bulk member syncs.
    max_body_bytes: int = 1_048_576
    max_sync_body_bytes: int = 16_777_216
    max_json_depth: int = 32
    db_pool_size: int = 10
    db_max_overflow: int = 10
    db_statement_timeout_ms: int = 15_000
    sqlite_busy_timeout_ms: int = 5_000
    idempotency_lock_seconds: int = 60
    # How long the change feed (/v1/changes) keeps a change; an older cursor is a 410.
    change_retention_days: int = Field(90, ge=1)
    # Webhooks: where deliveries run (a `leergemeenschap worker` process, and/or each API
    # process), how many receivers are called at once, how long one may take, the waits
    # between attempts (seconds; after the last the subscription is disabled), how long a
    # rotated secret keeps signing, and the networks a receiver may be in besides public ones.
    webhook_worker_in_process: bool = True
    webhook_concurrency: int = Field(8, ge=1, le=100)
    webhook_timeout_seconds: float = Field(5.0, gt=0, le=30)
    webhook_retry_seconds: CommaList = (
        "5",
        "30",
        "120",
        "600",
        "1800",
        "3600",
        "7200",
        "14400",
        "28800",
        "28800",
    )
    webhook_secret_overlap_hours: float = Field(24, ge=0, le=720)
    webhook_allowed_networks: CommaList = ()
    # How long one event stream of the change feed stays open; then the client resumes it
    # (EventSource does, with Last-Event-ID).
    change_stream_seconds: float = Field(1800, gt=0)
    # How long a stream ticket (a browser's EventSource credential) may open streams.
    stream_ticket_seconds: int = Field(300, ge=10, le=3600)
    # Comments and replies one member may write per minute (counted in the database, so
    # across workers); beyond it, 429.
    comment_rate_limit: int = Field(10, ge=1, le=10_000)
    auth_failure_limit: int = 20
    auth_failure_window_seconds: int = 300
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    oidc_roles_claim: str = "roles"
    oidc_member_claim: str = "sub"
    oidc_algorithms: CommaList = ("RS256",)
    # RFC 7519 leaves leeway to the verifier; more than a minute would hide clock faults.
    oidc_leeway_seconds: int = 30
    # FastAPI's native OpenTelemetry (traces, metrics, logs through the global providers).
    telemetry: bool = Field(False, validation_alias=AliasChoices("OTEL_ENABLED", "telemetry"))

    @field_validator(
        "cors_origins",
        "oidc_algorithms",
        "webhook_retry_seconds",
        "webhook_allowed_networks",
        mode="before",
    )
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(item.strip() for item in value.split(",") if item.strip())
        return value

    @field_validator("oidc_leeway_seconds")
    @classmethod
    def _at_most_a_minute(cls, value: int) -> int:
        return min(value, 60)

    @field_validator("webhook_retry_seconds")
    @classmethod
    def _seconds(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value or not all(item.isdigit() for item in value):
            raise ValueError("a comma-separated list of whole seconds, at least one")
        return value

    @field_validator("webhook_allowed_networks")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            ipaddress.ip_network(item, strict=False)  # a ValueError names the bad one
        return value

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_audience and self.oidc_jwks_url)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, from its environment (for the entry points only)."""
    return Settings()
