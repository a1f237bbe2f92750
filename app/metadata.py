"""The complete schema metadata: importing this registers every table with Alembic (and the
test suite). It sits above the domains, beside app/main.py."""

from __future__ import annotations

from app.agenda import models as agenda_models
from app.audit import models as audit_models
from app.auth import models as auth_models
from app.cases import models as cases_models
from app.comments import models as comments_models
from app.core import idempotency
from app.core.models import Base
from app.departments import models as departments_models
from app.insights import models as insights_models
from app.learning_groups import models as learning_groups_models
from app.learning_questions import models as learning_questions_models
from app.members import models as members_models
from app.notifications import models as notifications_models
from app.organisations import models as organisations_models
from app.scim import models as scim_models
from app.sync import models as sync_models
from app.themes import models as themes_models
from app.webhooks import models as webhooks_models
from app.workshops import models as workshops_models

metadata = Base.metadata

__all__ = [
    "agenda_models",
    "audit_models",
    "auth_models",
    "cases_models",
    "comments_models",
    "departments_models",
    "idempotency",
    "insights_models",
    "learning_groups_models",
    "learning_questions_models",
    "members_models",
    "metadata",
    "notifications_models",
    "organisations_models",
    "scim_models",
    "sync_models",
    "themes_models",
    "webhooks_models",
    "workshops_models",
]
