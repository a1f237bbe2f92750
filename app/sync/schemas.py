"""Request and response schemas of member syncs."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from pydantic import AfterValidator, EmailStr, Field, GetPydanticSchema, TypeAdapter
from typing_extensions import TypedDict

from app.core.enums import DescribedValues
from app.core.schemas import InputModel, ListPage
from app.departments.models import DepartmentKind
from app.departments.schemas import Code, Name
from app.members.models import Participation
from app.members.schemas import DisplayName, ExternalId, PersonName
from app.sync.models import SyncMode, SyncStatus

MAX_MEMBERS = 50_000

# The common shape of an address (ASCII dot-atom local part, LDH labels, alphabetic TLD).
# Every address it accepts, email-validator accepts too and normalises the same way (domain
# lower-cased); anything else goes to email-validator itself. Validating 20,000 addresses
# with email-validator alone takes about a second; this keeps the sync well under that.
_PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
)
_EMAIL_STR: TypeAdapter[str] = TypeAdapter(EmailStr)
# email-validator refuses special-use domains (RFC 6761) and everything under them.
_SPECIAL_TLDS = frozenset(name for name in SPECIAL_USE_DOMAIN_NAMES if "." not in name)
_SPECIAL_SUFFIXES = tuple("." + name for name in SPECIAL_USE_DOMAIN_NAMES if "." in name)


def normalise_email(value: str) -> str:
    """The address as `EmailStr` would give it back, or ValueError as it would raise."""
    match = _PLAIN_EMAIL.fullmatch(value)
    if match and len(value) <= 254 and value.index("@") <= 64:
        domain = match.group(1).lower()
        if domain[domain.rindex(".") + 1 :] not in _SPECIAL_TLDS and not (
            _SPECIAL_SUFFIXES and domain.endswith(_SPECIAL_SUFFIXES)
        ):
            return value[: match.start(1)] + domain
    return _EMAIL_STR.validate_python(value)


Email = Annotated[
    str,
    Field(min_length=3, max_length=320, json_schema_extra={"format": "email"}),
    AfterValidator(normalise_email),
]


class SyncScope(InputModel):
    department_codes: list[Code] = Field(
        min_length=1,
        max_length=1000,
        description="The departments this sync is the source of truth for.",
    )


class SyncDepartment(InputModel):
    code: Code = Field(description="Upserted by code; must be in the scope.")
    name: Name
    kind: DepartmentKind = DepartmentKind.AFDELING
    parent_code: Code | None = Field(
        default=None, description="Code of the parent unit (in this payload or existing)."
    )


class SyncMember(InputModel):
    external_id: ExternalId = Field(description="The HR / identity key members are matched by.")
    email: Email = Field(description="Unique regardless of case.")
    given_name: PersonName
    family_name: PersonName
    display_name: DisplayName | None = Field(
        default=None,
        description="Used when the member is created (default: given and family name); "
        "afterwards the member owns it.",
    )
    department_code: Code = Field(description="Must be one of the scope's departments.")
    participation: Participation | None = Field(
        default=None,
        description="Used when the member is created (default: participant); afterwards "
        "the member owns it.",
    )


class MemberSyncCreate(InputModel):
    scope: SyncScope
    mode: SyncMode = Field(
        default=SyncMode.ADDITIVE,
        description="`additive` creates, updates and reactivates; `strict` also deactivates "
        "the scope's active members who are absent from `members`.",
    )
    dry_run: bool = Field(
        default=False, description="Answer what would change; write only the run record."
    )
    allow_mass_deactivation: bool = Field(
        default=False,
        description="A strict run that would deactivate more than 25 % of the scope's active "
        "members is refused (409) unless this is true.",
    )
    departments: list[SyncDepartment] = Field(default_factory=list, max_length=1000)
    members: list[SyncMember] = Field(max_length=MAX_MEMBERS)


# One property's value before and after; `old` is null for what the run created.
class FieldChange(TypedDict):
    old: Any
    new: Any


MemberAction = Annotated[
    Literal["created", "updated", "reactivated", "deactivated"],
    DescribedValues(
        "What the run did to the member.",
        {
            "created": "Aangemaakt: a new member.",
            "updated": "Bijgewerkt: changed fields (`fields`).",
            "reactivated": "Geheractiveerd: an inactive member made active again.",
            "deactivated": "Gedeactiveerd: absent from a strict run's payload.",
        },
    ),
]
DepartmentAction = Annotated[
    Literal["created", "updated"],
    DescribedValues(
        "What the run did to the department.",
        {
            "created": "Aangemaakt: a new department.",
            "updated": "Bijgewerkt: changed fields (`fields`).",
        },
    ),
]


# What a run did to one member; app/sync/service.py plans it, the run record keeps it.
class MemberChange(TypedDict):
    externalId: str | None
    memberId: uuid.UUID
    action: MemberAction
    fields: Annotated[
        dict[str, FieldChange],
        Field(description="Each changed property (camelCase) with its old and new value."),
    ]


class DepartmentChange(TypedDict):
    code: str
    departmentId: uuid.UUID
    action: DepartmentAction
    fields: dict[str, FieldChange]


class SyncCounts(TypedDict):
    received: Annotated[int, Field(description="Members in the payload.")]
    created: int
    updated: int
    reactivated: int
    deactivated: int
    unchanged: int
    departmentsCreated: int
    departmentsUpdated: int


class SyncActor(TypedDict):
    keyId: uuid.UUID | None
    name: str
    role: str


# The run's scope as answers show it. The document describes it with the request's own
# `SyncScope` (one schema for both): Pydantic is handed that model's schema, mypy this key.
class ScopeRead(TypedDict):
    departmentCodes: list[str]


ShownScope = Annotated[ScopeRead, GetPydanticSchema(lambda _type, handler: handler(SyncScope))]


# A sync run as lists show it; `repository.to_summary` builds it.
class MemberSyncSummary(TypedDict):
    id: uuid.UUID
    createdAt: datetime
    actor: SyncActor
    mode: SyncMode
    dryRun: bool
    allowMassDeactivation: bool
    status: Annotated[
        SyncStatus,
        Field(
            description="`applied`: the changes were written; `previewed`: a dry run, nothing "
            "but this record was written."
        ),
    ]
    scope: ShownScope
    counts: SyncCounts
    durationMs: Annotated[int, Field(description="Time the run took inside the server.")]


# A sync run with its changes: what a run answers, and `repository.to_item` builds.
class MemberSyncRead(MemberSyncSummary):
    departmentChanges: list[DepartmentChange]
    changes: Annotated[
        list[MemberChange],
        Field(
            description="Every member created, updated, reactivated or deactivated; unchanged "
            "members are only counted."
        ),
    ]


class MemberSyncPage(ListPage):
    items: list[MemberSyncSummary]
