"""The rules about a member, each written once: every door that changes a member (the members
API, the intranet sync, SCIM provisioning, erasure) takes them from here."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pydantic.alias_generators import to_camel

from app.core.context import Principal
from app.core.errors import Conflict, Forbidden
from app.members.models import MemberSource, MemberStatus, Participation

# What a member may change about themself: their place in the community, not their identity.
COMMUNITY_FIELDS = frozenset({"display_name", "participation", "transition_roles", "discipline"})
# What an intranet sync or SCIM provisioning owns once it manages a member.
SYNCED_FIELDS = frozenset({"external_id", "email", "given_name", "family_name", "department_id"})
# Until someone says otherwise, a new member takes part actively.
DEFAULT_PARTICIPATION = Participation.PARTICIPANT


def email_key(email: str) -> str:
    """The address as the unique index holds it: addresses are unique regardless of case."""
    return email.lower()


def display_name_of(given_name: str, family_name: str, chosen: str | None = None) -> str:
    """The name a member is shown by: the one chosen, else given and family name."""
    return chosen or f"{given_name} {family_name}"


def activity(active: bool, now: datetime, deactivated_at: datetime | None = None) -> dict[str, Any]:
    """The status columns of a member made (or kept) active or inactive. Members are never
    deleted: an inactive one records since when (`deactivated_at`, kept when given)."""
    if active:
        return {"status": MemberStatus.ACTIVE, "deactivated_at": None}
    return {"status": MemberStatus.INACTIVE, "deactivated_at": deactivated_at or now}


def joining(source: MemberSource, joined_at: datetime, *, active: bool = True) -> dict[str, Any]:
    """The columns of a member who has just joined, before anyone placed them in the
    community: no organisation, transition roles or discipline yet."""
    return {
        "organisation_id": None,
        "transition_roles": [],
        "discipline": None,
        "source": source,
        "joined_at": joined_at,
        **activity(active, joined_at),
    }


def new_member(
    *,
    external_id: str | None,
    email: str,
    given_name: str,
    family_name: str,
    source: MemberSource,
    joined_at: datetime,
    display_name: str | None = None,
    department_id: uuid.UUID | None = None,
    organisation_id: uuid.UUID | None = None,
    participation: Participation | None = None,
    transition_roles: Iterable[str] = (),
    discipline: str | None = None,
    active: bool = True,
) -> dict[str, Any]:
    """The column values of a new member (all but id, version and timestamps)."""
    return {
        **joining(source, joined_at, active=active),
        "external_id": external_id,
        "email": email,
        "email_key": email_key(email),
        "given_name": given_name,
        "family_name": family_name,
        "display_name": display_name_of(given_name, family_name, display_name),
        "department_id": department_id,
        "organisation_id": organisation_id,
        "participation": participation or DEFAULT_PARTICIPATION,
        "transition_roles": list(transition_roles),
        "discipline": discipline,
    }


def adoptable(holder_external_id: str | None, external_id: str | None) -> bool:
    """Whether the member who already holds an address is the person a provider describes:
    yes, unless they hold another externalId."""
    return holder_external_id is None or holder_external_id == external_id


def clashing_fields(
    holders: Iterable[Any],
    *,
    email: str | None,
    external_id: str | None,
    own_id: uuid.UUID | None = None,
) -> list[str]:
    """Which of `email` and `externalId` other members already hold. `holders` are rows with
    `id`, `email_key` and `external_id` (members.repository.holders)."""
    clashes = []
    key = email_key(email) if email is not None else None
    for row in holders:
        if row.id == own_id:
            continue
        if key is not None and row.email_key == key:
            clashes.append("email")
        if external_id is not None and row.external_id == external_id:
            clashes.append("externalId")
    return clashes


def uniqueness_conflict(clashes: list[str]) -> Conflict:
    fields = " and ".join(sorted(set(clashes)))
    return Conflict(
        f"Another member already has this {fields}.", extra={"conflictingFields": clashes}
    )


def ensure_may_change(principal: Principal, member_id: uuid.UUID, fields: set[str]) -> None:
    """An admin changes anything; a member changes only their own community fields."""
    if principal.is_admin:
        return
    if principal.member_id != member_id:
        raise Forbidden("A member may only change their own profile.")
    personal = sorted(fields - COMMUNITY_FIELDS)
    if personal:
        names = ", ".join(to_camel(f) for f in personal)
        raise Forbidden(
            f"Only an admin may change {names}; members change their community fields "
            "(displayName, participation, transitionRoles, discipline)."
        )


def ensure_not_managed(current: Mapping[str, Any], changes: Mapping[str, Any]) -> None:
    """A member a sync or SCIM manages keeps its synced fields as the source sends them.
    `current` is the member as the API shows it, `changes` by column."""
    source = current["source"]
    if source == MemberSource.MANUAL:
        return
    owned = sorted(f for f in SYNCED_FIELDS & set(changes) if changes[f] != current[to_camel(f)])
    if owned:
        names = ", ".join(to_camel(f) for f in owned)
        owner = "the intranet sync" if source == MemberSource.SYNC else "SCIM"
        raise Conflict(
            f"{names} of this member are managed by {owner}; change them at the source.",
            extra={"managedBy": str(source), "managedFields": owned},
        )
