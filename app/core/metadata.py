"""The complete schema metadata: importing this registers every table with Alembic."""

from __future__ import annotations

from app.api_keys import models as api_keys_models
from app.audit import models as audit_models
from app.core import idempotency
from app.core.models import Base
from app.departments import models as departments_models
from app.members import models as members_models
from app.organisations import models as organisations_models

metadata = Base.metadata

__all__ = [
    "api_keys_models",
    "audit_models",
    "departments_models",
    "idempotency",
    "members_models",
    "metadata",
    "organisations_models",
]
