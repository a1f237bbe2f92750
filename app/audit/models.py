"""The audit event table; rows are only ever inserted."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, FetchedValue, Index, Integer, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import Base, UTCDateTime, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    actor_key_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    actor_role: Mapped[str | None] = mapped_column(String(32), nullable=True)
    actor_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    actor_member_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    action: Mapped[str] = mapped_column(String(100), nullable=False)
    object_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    object_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    result: Mapped[str] = mapped_column(String(16), nullable=False)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    client_address: Mapped[str | None] = mapped_column(String(100), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(500), nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # The change feed (/v1/changes) is the events that changed a resource (`change` set):
    # what kind of change, the resource's version after it, and the id of the transaction
    # that wrote it (Postgres: pg_current_xact_id(), its column default; SQLite, with one
    # writer at a time, 0, so the feed's order is the id's).
    change: Mapped[str | None] = mapped_column(String(32), nullable=True)
    object_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    txid: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=FetchedValue())

    __table_args__ = (
        Index("ix_audit_events_occurred_at", "occurred_at"),
        Index("ix_audit_events_object", "object_type", "object_id"),
        Index("ix_audit_events_actor_key_id", "actor_key_id"),
        # The feed's keyset: its order (transaction, then id) among the changes alone.
        Index(
            "ix_audit_events_feed",
            "txid",
            "id",
            postgresql_where=text("change IS NOT NULL"),
            sqlite_where=text("change IS NOT NULL"),
        ),
    )
