"""What SCIM keeps about a member beyond the member itself: the identity provider's userName
(a UPN need not be the e-mail address), the enterprise attributes it sent, and whether the
provider deleted the user (the member stays, inactive; SCIM no longer shows it)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import Base, UTCDateTime


class ScimUser(Base):
    __tablename__ = "scim_users"

    member_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("members.id"), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(320), nullable=False)
    # Lower-cased: userName is unique regardless of case (RFC 7643 §4.1.1, caseExact false).
    user_name_key: Mapped[str] = mapped_column(String(320), nullable=False, unique=True)
    employee_number: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # The enterprise `department` exactly as sent; it names a department by code or name.
    department_label: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # How the address and the display name were sent, so they are answered as sent: the
    # member always has an address and a display name, SCIM may have given neither.
    email_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    email_primary: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    display_name_sent: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    deprovisioned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
