"""The rules about a member, each written once: every door that changes a member (the members
API, the intranet sync, SCIM provisioning, erasure) takes them from here."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TypedDict

from pydantic.alias_generators import to_camel

from app.core.context import Principal
from app.core.errors import Conflict, Forbidden
from app.core.text import escape_like, fold
from app.members.models import NAME_KEY_LENGTH, MemberSource, MemberStatus, Participation

# What a member may change about themself: their place in the community, not their identity.
COMMUNITY_FIELDS = frozenset({"display_name", "participation", "transition_roles", "discipline"})
# What an intranet sync or SCIM provisioning owns once it manages a member.
SYNCED_FIELDS = frozenset({"external_id", "email", "given_name", "family_name", "department_id"})
# Until someone says otherwise, a new member takes part actively.
DEFAULT_PARTICIPATION = Participation.PARTICIPANT


def email_key(email: str) -> str:
    """The address as the unique index holds it: addresses are unique regardless of case."""
    return email.lower()


# --- names as they are searched and sorted --------------------------------------------------
#
# A member's names are searched and sorted through keys stored beside them (`*_key`,
# `search_key`), computed here and nowhere else, so that SQLite and Postgres agree: both
# compare the keys byte for byte (Postgres through the "C" collation of the key columns). The
# stored keys hold what these functions answer: a change to them needs a migration that
# computes the keys of every member again.

# What a sort key keeps of a name: a prefix of it, always within the key column and the
# byte limit of a Postgres index entry.
KEY_LENGTH = NAME_KEY_LENGTH
# Between the family name and its tussenvoegsels in the sort key: lower than any character
# a name holds, so "Berg" and "van den Berg" come before "Berg-Jansen" and "Bergen".
_PREFIX_MARK = "\x01"
# Between the names in the search key: a term never matches across two of them.
_FIELD_MARK = "\x1f"
# The words of Dutch tussenvoegsels (van, van den, de, ter, 't, in 't, op de, uit den, …, and
# the German and French ones common in Dutch registers). Leading words from this set are not
# sorted on. The Arabic article of names such as El Amrani is part of the name itself, as
# registers write it, and so is not in the set.
TUSSENVOEGSELS = frozenset(
    {
        "'s",
        "'t",
        "aan",
        "bij",
        "d'",
        "de",
        "den",
        "der",
        "des",
        "du",
        "het",
        "in",
        "l'",
        "la",
        "le",
        "onder",
        "op",
        "over",
        "s",
        "t",
        "te",
        "ten",
        "ter",
        "tot",
        "uijt",
        "uit",
        "van",
        "ver",
        "vom",
        "von",
        "voor",
        "zu",
        "zum",
        "zur",
    }
)


def name_key(name: str) -> str:
    """The sort key of a given or display name."""
    return fold(name)[:KEY_LENGTH]


def family_name_key(family_name: str) -> str:
    """The sort key of a family name, the Dutch way: the name after its tussenvoegsels, then
    the tussenvoegsels ("van den Berg" is sorted as "Berg, van den", under B)."""
    return _family_key(fold(family_name))


def _family_key(folded: str) -> str:
    words = folded.split(" ")
    start = 0
    # At least one word stays, so a name that is all tussenvoegsel ("Van") is sorted as is.
    while start < len(words) - 1 and words[start] in TUSSENVOEGSELS:
        start += 1
    if not start:
        return folded[:KEY_LENGTH]
    return (" ".join(words[start:]) + _PREFIX_MARK + " ".join(words[:start]))[:KEY_LENGTH]


def search_key(given_name: str, family_name: str, display_name: str, email: str) -> str:
    """What a search term (`q`, folded) is looked up in: every name and the address."""
    return _FIELD_MARK.join(map(fold, (display_name, given_name, family_name, email)))


def search_pattern(term: str) -> str:
    """The folded search term as a LIKE pattern (escaped by \\) that finds it anywhere."""
    return f"%{escape_like(fold(term))}%"


# The columns the keys are made from, and the key columns.
NAME_FIELDS = frozenset({"given_name", "family_name", "display_name", "email"})


class Keys(TypedDict):
    """The key columns of a member (KEY_FIELDS)."""

    email_key: str
    given_name_key: str
    family_name_key: str
    display_name_key: str
    search_key: str


def keys(*, given_name: str, family_name: str, display_name: str, email: str) -> Keys:
    """The key columns of a member with these names and address."""
    # Each text folded once: the sync computes these for every member it creates.
    given, family, shown = fold(given_name), fold(family_name), fold(display_name)
    return {
        "email_key": email_key(email),
        "given_name_key": given[:KEY_LENGTH],
        "family_name_key": _family_key(family),
        "display_name_key": shown[:KEY_LENGTH],
        "search_key": _FIELD_MARK.join((shown, given, family, fold(email))),
    }


KEY_FIELDS = frozenset(Keys.__annotations__)


def with_keys(
    changes: Mapping[str, Any],
    *,
    given_name: str,
    family_name: str,
    display_name: str,
    email: str,
) -> dict[str, Any]:
    """`changes` (by column) to a member who has these names and address, with the key
    columns made again when the changes replace a name or the address. Every write of a name
    goes through here (or `new_member`), so no key describes a former name."""
    if NAME_FIELDS.isdisjoint(changes):
        return dict(changes)
    now = {
        "given_name": given_name,
        "family_name": family_name,
        "display_name": display_name,
        "email": email,
        **{field: changes[field] for field in NAME_FIELDS & set(changes)},
    }
    return {**changes, **keys(**now)}


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
    shown = display_name_of(given_name, family_name, display_name)
    return {
        **joining(source, joined_at, active=active),
        "external_id": external_id,
        "email": email,
        "given_name": given_name,
        "family_name": family_name,
        "display_name": shown,
        **keys(given_name=given_name, family_name=family_name, display_name=shown, email=email),
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
