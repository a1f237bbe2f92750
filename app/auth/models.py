"""The tables of authentication: API keys (only a hash of each key is stored), stream tickets
and calendar tickets (likewise) and failed attempts per client address."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import Base, IdMixin, UTCDateTime, str_enum, utcnow
from app.core.permissions import Role


class ApiKey(IdMixin, Base):
    __tablename__ = "api_keys"

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[Role] = mapped_column(str_enum(Role, "api_key_role"), nullable=False)
    member_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("members.id"), nullable=True, index=True
    )
    # sha256 of the whole key: keys carry 256 random bits, so a slow hash adds nothing.
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    # The first characters of the key, so people can tell their keys apart in a listing.
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class StreamTicket(IdMixin, Base):
    """A short-lived credential for one thing only: a browser's EventSource on the change feed,
    which cannot send an Authorization header. It acts as the caller that asked for it."""

    __tablename__ = "stream_tickets"

    # sha256 of the whole ticket (256 random bits, like a key's).
    ticket_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    # Who asked for it: the key (a revoked key's tickets stop working), or none (OIDC).
    key_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("api_keys.id"), nullable=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, "stream_ticket_role"), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    member_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("members.id"), nullable=True
    )
    # The resource types it is for, comma-separated (none: all the role reads).
    types: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)


class CalendarTicket(IdMixin, Base):
    """The secret in a member's calendar subscription URL: calendar programs (Outlook, Google
    Calendar, Apple Calendar) subscribe to a URL and can send no Authorization header. It opens
    that member's own werkplaatsen feed and nothing else, for as long as the member is active;
    a member has at most one, and renewing it ends the earlier one."""

    __tablename__ = "calendar_tickets"

    member_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("members.id"), nullable=False, unique=True
    )
    # sha256 of the whole ticket (256 random bits, like a key's).
    ticket_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class AuthFailure(Base):
    """Failed authentications per client address, counted in the database so the limit holds
    across workers and machines."""

    __tablename__ = "auth_failures"

    client: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    failures: Mapped[int] = mapped_column(Integer, nullable=False)
