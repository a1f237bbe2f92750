"""Rules of SCIM provisioning: Users are members, Groups are departments.

- A user's `userName` is kept as sent (a UPN need not be an address); the member's e-mail is
  the primary (else work, else first) of `emails`, else the userName when it is an address.
  A member SCIM has never named answers to its e-mail address as userName, so a provider that
  matches on userName finds members the intranet sync or an admin created.
- `externalId` is the member's externalId; the enterprise `employeeNumber` is kept as sent
  (it is the provider's HR number; the intranet sync matches on externalId instead).
- The enterprise `department` places the member in the department with that code, else that
  name (any case); a label that names none is kept and returned, and the member stays where
  group membership put them.
- `active: false`, PATCH or PUT, deactivates; DELETE deactivates too and hides the user from
  SCIM (404 afterwards, as RFC 7644 §3.6 asks), but the member and their history stay. A later
  POST with the same userName brings the same member back.
- A user's `active` and a group's `externalId` are required (app/scim/schemas.py says why and
  /Schemas says so): scim2-models refuses a PATCH that removes them; left out of a POST, the
  service assigns them (true; a code made from the group's name), left out of a PUT they stay
  as they were.
- Every SCIM write makes the member `source: scim`: its synced fields are then read-only in
  PATCH /v1/members.
- A group's members are the department's members; adding a user to a group moves the member
  there (a member is in one department), removing it leaves the member in none. DELETE of a
  group archives the department."""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any

import scim2_models as sm
from pydantic import ValidationError
from scim2_models.path import FilterNode
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import trail
from app.core.context import Principal
from app.core.models import utcnow
from app.core.permissions import ensure_role
from app.departments import repository as departments
from app.departments.models import DepartmentKind
from app.members import departure, rules
from app.members import repository as members
from app.members.models import MemberSource, MemberStatus
from app.members.service import clashes
from app.scim import repository
from app.scim.repository import NO_EMAIL_DOMAIN
from app.scim.schemas import (
    CODE_LENGTH,
    CODE_PATTERN,
    DEFAULT_COUNT,
    GROUP_LIMITS,
    MAX_RESULTS,
    POLICY,
    USER_LIMITS,
    EnterpriseUser,
    Group,
    GroupMember,
    UserResource,
)
from app.scim.schemas import Email as ScimEmail
from app.scim.schemas import Name as ScimName
from app.sync.schemas import normalise_email

SCIM_ROLES = frozenset({"admin", "sync"})
_CODE = re.compile(CODE_PATTERN)


def authorise(principal: Principal) -> None:
    ensure_role(principal, SCIM_ROLES, "provision through SCIM")


def parse(model: Any, body: Any, context: sm.Context) -> Any:
    """Validate a SCIM payload; a refusal carries the scimType scim2-models assigns."""
    if not isinstance(body, dict):
        raise sm.InvalidSyntaxException(detail="The body must be a JSON object.")
    try:
        return model.model_validate(body, scim_ctx=context, scim_policy=POLICY)
    except ValidationError as exc:
        errors = sm.Error.from_validation_errors(exc)
        first = errors[0]
        detail = "; ".join(e.detail or "" for e in errors)
        raise sm.SCIMException.from_error(
            sm.Error(status=first.status or 400, scim_type=first.scim_type, detail=detail)
        ) from None


def _sent(body: Any, attribute: str) -> Any:
    """What a payload gives a top-level attribute (names are case-insensitive, RFC 7643 §2.1);
    None when it gives nothing (null or blank)."""
    if not isinstance(body, dict):
        return None
    wanted = attribute.lower()
    value = next((item for key, item in body.items() if str(key).lower() == wanted), None)
    return None if isinstance(value, str) and not value.strip() else value


def _with_default(body: Any, attribute: str, value: Any) -> Any:
    """The payload with `value` for a required attribute it gives nothing: the service assigns
    it, as RFC 7644 §3.5.1 allows and the attribute's description says."""
    if not isinstance(body, dict) or value is None or _sent(body, attribute) is not None:
        return body
    wanted = attribute.lower()
    kept = {key: item for key, item in body.items() if str(key).lower() != wanted}
    return {**kept, attribute: value}


@dataclass(frozen=True)
class Listing:
    """One page of resources as a ListResponse tells it."""

    total: int
    start: int
    resources: list[Any]


def _window(params: Any) -> tuple[int, int]:
    """The page a SearchRequest asks for: its 1-based start and its size (bounded)."""
    start = params.start_index or 1
    count = min(DEFAULT_COUNT if params.count is None else params.count, MAX_RESULTS)
    return start, count


def _where(params: Any) -> FilterNode | None:
    return params.filter.ast if params.filter is not None else None


# --- users ----------------------------------------------------------------------------------


def has_email(row: Row[Any]) -> bool:
    return not str(row.email).endswith("@" + NO_EMAIL_DOMAIN)


def user_resource(row: Row[Any], base_url: str) -> Any:
    name = None
    if row.given_name or row.family_name:
        name = ScimName(given_name=row.given_name or None, family_name=row.family_name or None)
    email = None
    if has_email(row):
        email = ScimEmail(
            value=row.email,
            type=row.email_type or "work",
            primary=True if row.email_primary is None else row.email_primary,
        )
    show_display_name = row.scim_member_id is None or row.display_name_sent
    user = UserResource(
        id=str(row.id),
        external_id=row.external_id,
        user_name=row.user_name or row.email,
        name=name,
        display_name=row.display_name if show_display_name else None,
        active=row.status == MemberStatus.ACTIVE.value,
        emails=[email] if email else None,
        meta=sm.Meta(
            resource_type="User",
            created=row.created_at,
            last_modified=row.updated_at,
            location=f"{base_url}/Users/{row.id}",
            version=f'W/"{row.version}"',
        ),
    )
    department = row.department_label or row.department_name
    if row.employee_number or department:
        user[EnterpriseUser] = EnterpriseUser(
            employee_number=row.employee_number, department=department
        )
    return user


@dataclass
class UserState:
    """What a SCIM user resource means for the member and its SCIM record."""

    user_name: str
    email: str | None
    email_type: str | None
    email_primary: bool | None
    given_name: str
    family_name: str
    display_name: str
    external_id: str | None
    active: bool | None
    employee_number: str | None
    department_label: str | None
    display_name_sent: bool


def _text(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def _state(resource: Any) -> UserState:
    user_name = _text(resource.user_name)
    if user_name is None:
        raise sm.InvalidValueException(detail="userName is required.")
    emails = [e for e in resource.emails or [] if _text(e.value)]
    chosen = (
        next((e for e in emails if e.primary), None)
        or next((e for e in emails if (e.type or "").lower() == "work"), None)
        or (emails[0] if emails else None)
    )
    email: str | None = None
    if chosen is not None:
        try:
            email = normalise_email(str(chosen.value).strip())
        except ValueError:
            raise sm.InvalidValueException(
                detail=f"emails: '{chosen.value}' is not an e-mail address."
            ) from None
    elif "@" in user_name:
        try:
            email = normalise_email(user_name)
        except ValueError:
            email = None
    name = resource.name
    given = _text(name.given_name) if name else None
    family = _text(name.family_name) if name else None
    enterprise = resource[EnterpriseUser]
    display_name = _text(resource.display_name)
    state = UserState(
        user_name=user_name,
        email=email,
        email_type=_text(chosen.type) if chosen is not None else None,
        email_primary=chosen.primary if chosen is not None else None,
        given_name=given or "",
        family_name=family or "",
        # The member needs a name to be shown by; SCIM answers only the one it was sent.
        display_name=rules.display_name_of(given or "", family or "", display_name).strip()
        or user_name,
        external_id=_text(resource.external_id),
        active=resource.active,
        employee_number=_text(enterprise.employee_number) if enterprise else None,
        department_label=_text(enterprise.department) if enterprise else None,
        display_name_sent=display_name is not None,
    )
    for attribute, value in (
        ("userName", state.user_name),
        ("externalId", state.external_id),
        ("name.givenName", state.given_name),
        ("name.familyName", state.family_name),
        ("displayName", state.display_name),
        ("employeeNumber", state.employee_number),
        ("department", state.department_label),
        ("emails.type", state.email_type),
    ):
        if value is not None and len(value) > USER_LIMITS[attribute]:
            raise sm.InvalidValueException(
                detail=f"{attribute} is longer than {USER_LIMITS[attribute]} characters."
            )
    return state


async def _ensure_unique(
    conn: AsyncConnection, state: UserState, member_id: uuid.UUID | None
) -> None:
    for holder in await repository.user_name_holders(conn, state.user_name):
        if holder.id != member_id:
            raise sm.UniquenessException(detail=f"userName '{state.user_name}' is taken.")
    # The members' own uniqueness rule, told in SCIM's words.
    taken = await clashes(conn, email=state.email, external_id=state.external_id, own_id=member_id)
    if "email" in taken:
        raise sm.UniquenessException(
            detail=f"Another member already has the address '{state.email}'."
        )
    if "externalId" in taken:
        raise sm.UniquenessException(
            detail=f"Another member already has externalId '{state.external_id}'."
        )


async def _department_for(
    conn: AsyncConnection, label: str | None, current: uuid.UUID | None
) -> uuid.UUID | None:
    if label is None:
        return current
    found = await repository.department_for_label(conn, label)
    return found if found is not None else current


def _member_values(
    state: UserState, member_id: uuid.UUID, department_id: uuid.UUID | None
) -> dict[str, Any]:
    email = state.email or f"{member_id}@{NO_EMAIL_DOMAIN}"
    return {
        "external_id": state.external_id,
        "email": email,
        "given_name": state.given_name,
        "family_name": state.family_name,
        "display_name": state.display_name,
        "department_id": department_id,
        "source": MemberSource.SCIM,
    }


def _scim_values(state: UserState) -> dict[str, Any]:
    return {
        "user_name": state.user_name,
        "user_name_key": state.user_name.lower(),
        "employee_number": state.employee_number,
        "department_label": state.department_label,
        "email_type": state.email_type,
        "email_primary": state.email_primary,
        "display_name_sent": state.display_name_sent,
        "deprovisioned_at": None,
    }


async def _adoptable(conn: AsyncConnection, state: UserState) -> Row[Any] | None:
    """An existing member a new SCIM user is: one SCIM deleted under this userName, or one no
    provider manages yet that holds the address (and no other externalId)."""
    holders = await repository.user_name_holders(conn, state.user_name)
    visible = [h for h in holders if h.deprovisioned_at is None]
    if visible:
        raise sm.UniquenessException(detail=f"userName '{state.user_name}' is taken.")
    if holders:
        found: Row[Any] = holders[0]
        return found
    if state.email is None:
        return None
    holder_id = await repository.email_holder(conn, state.email)
    if holder_id is None:
        return None
    rows = await repository.user_including_deleted_by_id(conn, holder_id)
    row = rows[0]
    never_provisioned = row.scim_member_id is None or row.deprovisioned_at is not None
    if never_provisioned and rules.adoptable(row.external_id, state.external_id):
        return row
    return None


async def create_user(conn: AsyncConnection, principal: Principal, body: Any, base: str) -> Any:
    """Provision a user (or bring back the member it already is); the user as it now is."""
    member_id = await _create_user(conn, principal, body)
    return await get_user(conn, member_id, base)


async def _create_user(conn: AsyncConnection, principal: Principal, body: Any) -> uuid.UUID:
    authorise(principal)
    body = _with_default(body, "active", True)
    resource = parse(UserResource, body, sm.Context.RESOURCE_CREATION_REQUEST)
    state = _state(resource)
    existing = await _adoptable(conn, state)
    if existing is not None:
        await _write_user(conn, existing, state, action="scim-users-create")
        return uuid.UUID(str(existing.id))
    await _ensure_unique(conn, state, None)
    member_id = uuid.uuid4()
    department_id = await _department_for(conn, state.department_label, None)
    now = utcnow()
    values = rules.new_member(
        **_member_values(state, member_id, department_id),
        joined_at=now,
        active=state.active is not False,
    )
    await members.create(conn, {**values, "created_at": now, "updated_at": now}, member_id)
    await repository.save_scim_user(conn, member_id, _scim_values(state))
    await trail.record(conn, "scim-users-create", "member", member_id)
    return member_id


async def _write_user(
    conn: AsyncConnection,
    current: Row[Any],
    state: UserState,
    *,
    action: str,
    revive: bool = True,
) -> None:
    """Bring the member and its SCIM record to `state`, writing only what differs."""
    member_id = uuid.UUID(str(current.id))
    await _ensure_unique(conn, state, member_id)
    department_id = await _department_for(conn, state.department_label, current.department_id)
    wanted = _member_values(state, member_id, department_id)
    if current.email.endswith("@" + NO_EMAIL_DOMAIN) and state.email is None:
        wanted["email"] = current.email  # keep the placeholder it already has
    changes = {
        column: value for column, value in wanted.items() if value != getattr(current, column)
    }
    active = current.status == MemberStatus.ACTIVE.value
    deprovisioned = current.deprovisioned_at is not None
    want_active = state.active if state.active is not None else (active or deprovisioned)
    if revive and deprovisioned:
        want_active = state.active is not False
    now = utcnow()
    if want_active != active:
        changes.update(rules.activity(want_active, now))
    if changes:
        written = rules.with_keys(
            changes,
            given_name=current.given_name,
            family_name=current.family_name,
            display_name=current.display_name,
            email=current.email,
        )
        await members.update(conn, member_id, current.version, written)
    await repository.save_scim_user(conn, member_id, _scim_values(state))
    await trail.record(
        conn, action, "member", member_id, detail={"fields": sorted(changes)} if changes else None
    )
    if active and not want_active:
        await departure.depart(conn, [member_id], now, "deactivated")


async def load_user(conn: AsyncConnection, member_id: uuid.UUID) -> Row[Any]:
    row = await repository.user(conn, member_id)
    if row is None:
        raise sm.NotFoundException(detail=f"No user has id {member_id}.")
    return row


async def get_user(conn: AsyncConnection, member_id: uuid.UUID, base_url: str) -> Any:
    return user_resource(await load_user(conn, member_id), base_url)


async def list_users(conn: AsyncConnection, params: Any, base_url: str) -> Listing:
    """One page of the users a SearchRequest asks for."""
    start, count = _window(params)
    total, rows = await repository.users_page(conn, _where(params), start, count)
    return Listing(total, start, [user_resource(row, base_url) for row in rows])


async def replace_user(
    conn: AsyncConnection, principal: Principal, member_id: uuid.UUID, body: Any, base: str
) -> Any:
    authorise(principal)
    current = await load_user(conn, member_id)
    body = _with_default(body, "active", current.status == MemberStatus.ACTIVE.value)
    resource = parse(UserResource, body, sm.Context.RESOURCE_REPLACEMENT_REQUEST)
    if resource.id is not None and resource.id != str(member_id):
        raise sm.MutabilityException(detail="id cannot change.")
    await _write_user(conn, current, _state(resource), action="scim-users-replace")
    return await get_user(conn, member_id, base)


async def patch_user(
    conn: AsyncConnection, principal: Principal, member_id: uuid.UUID, body: Any, base: str
) -> Any:
    authorise(principal)
    current = await load_user(conn, member_id)
    patch = parse(sm.PatchOp[UserResource], body, sm.Context.RESOURCE_PATCH_REQUEST)
    resource = user_resource(current, base)
    with POLICY:
        changed = patch.patch(resource, POLICY)
    if changed or current.scim_member_id is None:
        await _write_user(conn, current, _state(resource), action="scim-users-patch")
    return await get_user(conn, member_id, base)


async def delete_user(conn: AsyncConnection, principal: Principal, member_id: uuid.UUID) -> None:
    authorise(principal)
    current = await load_user(conn, member_id)
    now = utcnow()
    leaves = current.status == MemberStatus.ACTIVE.value
    if leaves:
        await members.update(conn, member_id, current.version, rules.activity(False, now))
    user_name = current.user_name or current.email
    await repository.save_scim_user(
        conn,
        member_id,
        {
            "user_name": user_name,
            "user_name_key": user_name.lower(),
            "employee_number": current.employee_number,
            "department_label": current.department_label,
            "email_type": current.email_type,
            "email_primary": current.email_primary,
            "display_name_sent": current.scim_member_id is None or current.display_name_sent,
            "deprovisioned_at": now,
        },
    )
    await trail.record(conn, "scim-users-delete", "member", member_id)
    if leaves:
        await departure.depart(conn, [member_id], now, "deactivated")


# --- groups ---------------------------------------------------------------------------------


def group_resource(row: Row[Any], members_of: list[Row[Any]] | None, base_url: str) -> Any:
    group = Group(
        id=str(row.id),
        external_id=row.code,
        display_name=row.name,
        members=[
            GroupMember(
                value=str(member.id),
                ref=f"{base_url}/Users/{member.id}",
                type="User",
            )
            for member in members_of
        ]
        if members_of
        else None,
        meta=sm.Meta(
            resource_type="Group",
            created=row.created_at,
            last_modified=row.updated_at,
            location=f"{base_url}/Groups/{row.id}",
            version=f'W/"{row.version}"',
        ),
    )
    return group


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").upper()
    return slug[:CODE_LENGTH] or "GROUP"


async def _free_code(conn: AsyncConnection, wanted: str) -> str:
    code = wanted
    suffix = 1
    while await repository.department_by_code(conn, code) is not None:
        suffix += 1
        code = f"{wanted[: 60 - len(str(suffix))]}-{suffix}"
    return code


@dataclass
class GroupState:
    name: str
    code: str | None
    member_ids: list[uuid.UUID] | None


def _group_state(resource: Any) -> GroupState:
    name = _text(resource.display_name)
    if name is None:
        raise sm.InvalidValueException(detail="displayName is required.")
    if len(name) > GROUP_LIMITS["displayName"]:
        raise sm.InvalidValueException(
            detail=f"displayName is longer than {GROUP_LIMITS['displayName']} characters."
        )
    code = _text(resource.external_id)
    if code is not None and not _CODE.match(code):
        code = _slug(code)
    member_ids: list[uuid.UUID] | None = None
    if resource.members is not None:
        member_ids = []
        for member in resource.members:
            try:
                member_ids.append(uuid.UUID(str(member.value)))
            except ValueError:
                raise sm.InvalidValueException(
                    detail=f"members: '{member.value}' is not a user id."
                ) from None
    return GroupState(name, code, member_ids)


async def _check_members(conn: AsyncConnection, member_ids: list[uuid.UUID]) -> None:
    found = await repository.existing_member_ids(conn, member_ids)
    missing = [str(mid) for mid in member_ids if mid not in found]
    if missing:
        raise sm.InvalidValueException(detail=f"members: no user has id {', '.join(missing)}.")


async def create_group(conn: AsyncConnection, principal: Principal, body: Any, base: str) -> Any:
    """Create a group (or bring back the archived department it names); the group as it now
    is."""
    department_id = await _create_group(conn, principal, body)
    return await get_group(conn, department_id, base)


async def _create_group(conn: AsyncConnection, principal: Principal, body: Any) -> uuid.UUID:
    authorise(principal)
    name = _sent(body, "displayName")
    if _sent(body, "externalId") is None and isinstance(name, str):
        body = _with_default(body, "externalId", await _free_code(conn, _slug(name.strip())))
    resource = parse(Group, body, sm.Context.RESOURCE_CREATION_REQUEST)
    state = _group_state(resource)
    now = utcnow()
    department_id: uuid.UUID
    existing = await repository.department_by_code(conn, state.code) if state.code else None
    if existing is not None and existing.active:
        raise sm.UniquenessException(detail=f"A group with externalId '{state.code}' exists.")
    if existing is not None:
        department_id = existing.id  # an archived department comes back
        await departments.update(
            conn, department_id, existing.version, {"name": state.name, "active": True}
        )
    else:
        code = state.code or await _free_code(conn, _slug(state.name))
        department_id = await departments.create(
            conn,
            {
                "code": code,
                "name": state.name,
                "kind": DepartmentKind.AFDELING,
                "parent_id": None,
                "active": True,
                "created_at": now,
                "updated_at": now,
            },
        )
    if state.member_ids:
        await _check_members(conn, state.member_ids)
        await repository.move_members(conn, state.member_ids, department_id, now)
    await trail.record(conn, "scim-groups-create", "department", department_id)
    return department_id


async def load_group(conn: AsyncConnection, department_id: uuid.UUID) -> Row[Any]:
    row = await repository.group(conn, department_id)
    if row is None:
        raise sm.NotFoundException(detail=f"No group has id {department_id}.")
    return row


def wants_members(params: Any) -> bool:
    """Whether the asked attributes include a group's members (one statement more)."""
    if params.attributes:
        return any(str(a).lower().split(":")[-1].startswith("members") for a in params.attributes)
    if params.excluded_attributes:
        return not any(
            str(a).lower().split(":")[-1] == "members" for a in params.excluded_attributes
        )
    return True


async def get_group(
    conn: AsyncConnection, department_id: uuid.UUID, base_url: str, params: Any = None
) -> Any:
    """The group; its members unless `params` (attributes asked for) leave them out."""
    row = await load_group(conn, department_id)
    members_of = None
    if params is None or wants_members(params):
        members_of = (await repository.group_members(conn, [department_id]))[department_id]
    return group_resource(row, members_of, base_url)


async def list_groups(conn: AsyncConnection, params: Any, base_url: str) -> Listing:
    """One page of the groups a SearchRequest asks for."""
    start, count = _window(params)
    total, rows = await repository.groups_page(conn, _where(params), start, count)
    members_of = (
        await repository.group_members(conn, [row.id for row in rows])
        if wants_members(params)
        else {}
    )
    resources = [group_resource(row, members_of.get(row.id), base_url) for row in rows]
    return Listing(total, start, resources)


async def _write_group(
    conn: AsyncConnection, current: Row[Any], state: GroupState, action: str
) -> None:
    department_id = uuid.UUID(str(current.id))
    now = utcnow()
    changes: dict[str, Any] = {}
    if state.name != current.name:
        changes["name"] = state.name
    if state.code is not None and state.code != current.code:
        holder = await repository.department_by_code(conn, state.code)
        if holder is not None and holder.id != department_id:
            raise sm.UniquenessException(detail=f"externalId '{state.code}' is taken.")
        changes["code"] = state.code
    moved: list[str] = []
    if state.member_ids is not None:
        before = {
            row.id for row in (await repository.group_members(conn, [department_id]))[department_id]
        }
        after = set(state.member_ids)
        added = sorted(after - before)
        removed = sorted(before - after)
        if added:
            await _check_members(conn, added)
            await repository.move_members(conn, added, department_id, now)
        if removed:
            await repository.move_members(conn, removed, None, now, from_department=department_id)
        moved = [f"+{mid}" for mid in added] + [f"-{mid}" for mid in removed]
    if changes or moved:
        # Membership is part of the group: its version moves when its members do.
        await departments.update(conn, department_id, current.version, changes)
        await trail.record(
            conn,
            action,
            "department",
            department_id,
            detail={"fields": sorted(changes), "members": len(moved)},
        )


async def replace_group(
    conn: AsyncConnection, principal: Principal, department_id: uuid.UUID, body: Any, base: str
) -> Any:
    authorise(principal)
    current = await load_group(conn, department_id)
    body = _with_default(body, "externalId", current.code)
    resource = parse(Group, body, sm.Context.RESOURCE_REPLACEMENT_REQUEST)
    state = _group_state(resource)
    if state.member_ids is None:
        state.member_ids = []  # PUT replaces: no members listed means none
    await _write_group(conn, current, state, "scim-groups-replace")
    return await get_group(conn, department_id, base)


async def patch_group(
    conn: AsyncConnection, principal: Principal, department_id: uuid.UUID, body: Any, base: str
) -> Any:
    authorise(principal)
    current = await load_group(conn, department_id)
    patch = parse(sm.PatchOp[Group], body, sm.Context.RESOURCE_PATCH_REQUEST)
    members_of = (await repository.group_members(conn, [department_id]))[department_id]
    resource = group_resource(current, members_of, base)
    with POLICY:
        changed = patch.patch(resource, POLICY)
    if changed:
        state = _group_state(resource)
        if state.member_ids is None:
            state.member_ids = []
        await _write_group(conn, current, state, "scim-groups-patch")
    return await get_group(conn, department_id, base)


async def delete_group(
    conn: AsyncConnection, principal: Principal, department_id: uuid.UUID
) -> None:
    authorise(principal)
    current = await load_group(conn, department_id)
    await departments.update(conn, department_id, current.version, {"active": False})
    await trail.record(conn, "scim-groups-delete", "department", department_id)


# --- search across resource types (RFC 7644 §3.4.3) -----------------------------------------


async def search_resources(conn: AsyncConnection, params: Any, base_url: str) -> Listing:
    """One page of a search across users and groups (users first)."""
    start, count = _window(params)
    found = await repository.users_then_groups_page(conn, _where(params), start, count)
    members_of = await repository.group_members(conn, [row.id for row in found.groups])
    resources = [user_resource(row, base_url) for row in found.users] + [
        group_resource(row, members_of.get(row.id), base_url) for row in found.groups
    ]
    return Listing(found.user_total + found.group_total, start, resources)
