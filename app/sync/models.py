"""The member_syncs table: one row per sync run, with its counts and per-member changes."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, TypeDecorator, Uuid
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column

from app.core.enums import described
from app.core.models import Base, IdMixin, UTCDateTime, str_enum, utcnow


@described(
    "What a member sync does with the scope's members that the payload leaves out.",
    {
        "additive": "Aanvullend: creates, updates and reactivates; leaves the others alone.",
        "strict": "Strikt: also deactivates the scope's active members absent from the payload.",
    },
)
class SyncMode(enum.StrEnum):
    ADDITIVE = "additive"
    STRICT = "strict"


@described(
    "What became of a member sync run.",
    {
        "applied": "Doorgevoerd: the changes were written.",
        "previewed": "Voorbeeld: a `dryRun`; only the run record was written.",
    },
)
class SyncStatus(enum.StrEnum):
    APPLIED = "applied"
    PREVIEWED = "previewed"


class JsonDocument(TypeDecorator[Any]):
    """A JSON document kept as text and (de)serialised with orjson: a 10,000-member run's
    change list is several megabytes, and the stdlib encoder would dominate the sync."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return orjson.dumps(value, default=str).decode()

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else orjson.loads(value)


class MemberSync(IdMixin, Base):
    """A sync run is a record, never changed after it is written."""

    __tablename__ = "member_syncs"

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    actor_key_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    actor_name: Mapped[str] = mapped_column(String(200), nullable=False)
    actor_role: Mapped[str] = mapped_column(String(32), nullable=False)
    mode: Mapped[SyncMode] = mapped_column(str_enum(SyncMode, "member_sync_mode"), nullable=False)
    dry_run: Mapped[bool] = mapped_column(Boolean, nullable=False)
    allow_mass_deactivation: Mapped[bool] = mapped_column(Boolean, nullable=False)
    status: Mapped[SyncStatus] = mapped_column(
        str_enum(SyncStatus, "member_sync_status"), nullable=False
    )
    scope_codes: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    received: Mapped[int] = mapped_column(Integer, nullable=False)
    created: Mapped[int] = mapped_column(Integer, nullable=False)
    updated: Mapped[int] = mapped_column(Integer, nullable=False)
    reactivated: Mapped[int] = mapped_column(Integer, nullable=False)
    deactivated: Mapped[int] = mapped_column(Integer, nullable=False)
    unchanged: Mapped[int] = mapped_column(Integer, nullable=False)
    departments_created: Mapped[int] = mapped_column(Integer, nullable=False)
    departments_updated: Mapped[int] = mapped_column(Integer, nullable=False)
    duration_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    department_changes: Mapped[list[dict[str, Any]]] = mapped_column(JsonDocument, nullable=False)
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JsonDocument, nullable=False)

    __table_args__ = (Index("ix_member_syncs_created_at_id", "created_at", "id"),)
