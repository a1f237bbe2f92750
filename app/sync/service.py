"""Rules of a member sync: the payload is the desired state of a scope of departments. Every
invalid entry is reported at once and nothing is written; a run compares before it writes, so
repeating it writes no member rows; strict runs deactivate the absent (never delete) and are
refused when they would deactivate more than a quarter of the scope at once.

Members are matched by `externalId`; a member without one who already holds the address is
adopted. Synced fields are external id, e-mail, given and family name and department; the
display name and participation are only set when the sync creates the member (afterwards the
member owns them, as the members API allows). These member rules come from
app/members/rules.py. Departments named in `departments` are upserted by code (name, kind,
parent; an archived one is made active again)."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import trail
from app.core.context import Principal
from app.core.errors import Conflict, InvalidInput, InvalidParam
from app.core.models import utcnow
from app.core.pagination import PageRequest
from app.core.permissions import ensure_role
from app.core.repository import list_page
from app.departments.service import OBJECT as DEPARTMENT
from app.members import departure, rules
from app.members.models import MemberSource, MemberStatus
from app.members.rules import email_key
from app.members.service import OBJECT as MEMBER
from app.sync import repository
from app.sync.models import SyncMode, SyncStatus
from app.sync.repository import DepartmentRow, MemberRow, MemberWrite
from app.sync.schemas import (
    DepartmentChange,
    FieldChange,
    MemberAction,
    MemberChange,
    MemberSyncCreate,
    MemberSyncRead,
)

OBJECT = "member-sync"
SYNC_ROLES = frozenset({"admin", "sync"})
MASS_DEACTIVATION_SHARE = 0.25
SORTING = repository.SORTING


async def list_sync_runs(
    conn: AsyncConnection,
    request: Request,
    page: PageRequest,
    *,
    mode: str | None,
    status: str | None,
) -> Response:
    """One page of sync runs (their counts, not their change lists), answered as the list
    route answers it."""
    query = repository.list_query(mode=mode, status=status)
    return await list_page(conn, request, query, page, SORTING, repository.to_summary)


async def get_sync_run(conn: AsyncConnection, run_id: uuid.UUID) -> MemberSyncRead:
    """A sync run with its changes."""
    return await repository.get(conn, run_id)


# --- the payload, as far as checking it needs ---------------------------------------------


@dataclass(slots=True)
class DepartmentEntry:
    index: int
    code: str | None
    parent_code: str | None


@dataclass(slots=True)
class MemberEntry:
    index: int
    external_id: str | None
    email_key: str | None
    department_code: str | None


@dataclass
class PayloadView:
    """What the checks read of a payload. Built from the validated model, or best-effort from
    a raw body that failed validation, so one answer can list every problem at once."""

    scope_codes: list[str | None]
    departments: list[DepartmentEntry]
    members: list[MemberEntry]

    @classmethod
    def of(cls, data: MemberSyncCreate) -> PayloadView:
        return cls(
            scope_codes=list(data.scope.department_codes),
            departments=[
                DepartmentEntry(i, dep.code, dep.parent_code)
                for i, dep in enumerate(data.departments)
            ],
            members=[
                MemberEntry(i, member.external_id, email_key(member.email), member.department_code)
                for i, member in enumerate(data.members)
            ],
        )

    @classmethod
    def of_raw(cls, body: Any) -> PayloadView:
        def text(value: Any) -> str | None:
            return value.strip() if isinstance(value, str) and value.strip() else None

        def items(value: Any) -> list[Any]:
            return value if isinstance(value, list) else []

        body = body if isinstance(body, dict) else {}
        scope = body.get("scope") if isinstance(body.get("scope"), dict) else {}
        return cls(
            scope_codes=[text(code) for code in items(scope.get("departmentCodes"))],
            departments=[
                DepartmentEntry(i, text(dep.get("code")), text(dep.get("parentCode")))
                for i, dep in enumerate(items(body.get("departments")))
                if isinstance(dep, dict)
            ],
            members=[
                MemberEntry(
                    i,
                    text(member.get("externalId")),
                    email_key(text(member.get("email")) or "") or None,
                    text(member.get("departmentCode")),
                )
                for i, member in enumerate(items(body.get("members")))
                if isinstance(member, dict)
            ],
        )


def _problem(name: str, reason: str, code: str) -> InvalidParam:
    return InvalidParam(name, reason, code=code)


def _payload_problems(view: PayloadView, known: Mapping[str, DepartmentRow]) -> list[InvalidParam]:
    """Problems visible in the payload and the department table alone."""
    problems: list[InvalidParam] = []
    declared = {dep.code for dep in view.departments if dep.code}
    scope: set[str] = set()
    for i, code in enumerate(view.scope_codes):
        if code is None:
            continue
        if code in scope:
            problems.append(
                _problem(f"scope.departmentCodes[{i}]", f"'{code}' is listed twice.", "duplicate")
            )
        elif code not in known and code not in declared:
            problems.append(
                _problem(
                    f"scope.departmentCodes[{i}]",
                    f"No department has code '{code}', and `departments` does not declare it.",
                    "unknown_department",
                )
            )
        scope.add(code)

    seen_departments: dict[str, int] = {}
    for dep in view.departments:
        if dep.code is None:
            continue
        name = f"departments[{dep.index}]"
        if dep.code in seen_departments:
            problems.append(
                _problem(
                    f"{name}.code",
                    f"'{dep.code}' is also declared at departments[{seen_departments[dep.code]}].",
                    "duplicate",
                )
            )
        else:
            seen_departments[dep.code] = dep.index
        if dep.code not in scope:
            problems.append(
                _problem(
                    f"{name}.code",
                    f"'{dep.code}' is not in scope.departmentCodes; a sync only changes its "
                    "own scope.",
                    "out_of_scope",
                )
            )
        parent = dep.parent_code
        if parent is not None and parent not in known and parent not in declared:
            problems.append(
                _problem(
                    f"{name}.parentCode",
                    f"No department has code '{parent}', and `departments` does not declare it.",
                    "unknown_department",
                )
            )
    problems.extend(_cycles(view, known))

    seen_ids: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for member in view.members:
        name = f"members[{member.index}]"
        code = member.department_code
        if code is not None and code not in scope:
            if code not in known and code not in declared:
                reason = f"No department has code '{code}', and `departments` does not declare it."
                problems.append(_problem(f"{name}.departmentCode", reason, "unknown_department"))
            else:
                problems.append(
                    _problem(
                        f"{name}.departmentCode",
                        f"'{code}' is not in scope.departmentCodes.",
                        "out_of_scope",
                    )
                )
        if member.external_id is not None:
            first = seen_ids.setdefault(member.external_id, member.index)
            if first != member.index:
                problems.append(
                    _problem(
                        f"{name}.externalId",
                        f"'{member.external_id}' is also at members[{first}].",
                        "duplicate",
                    )
                )
        if member.email_key is not None:
            first = seen_emails.setdefault(member.email_key, member.index)
            if first != member.index:
                problems.append(
                    _problem(
                        f"{name}.email",
                        f"This address is also at members[{first}] (addresses are unique "
                        "regardless of case).",
                        "duplicate",
                    )
                )
    return problems


def _cycles(view: PayloadView, known: Mapping[str, DepartmentRow]) -> list[InvalidParam]:
    """A parent chain that comes back to where it started, after the payload's changes."""
    by_id = {row.id: row.code for row in known.values()}
    parent_of: dict[str, str | None] = {
        code: by_id.get(row.parent_id) if row.parent_id else None for code, row in known.items()
    }
    for dep in view.departments:
        if dep.code is not None:
            parent_of[dep.code] = dep.parent_code
    problems = []
    for dep in view.departments:
        if dep.code is None or dep.parent_code is None:
            continue
        seen: set[str] = set()
        node: str | None = dep.parent_code
        while node is not None and node not in seen:
            if node == dep.code:
                problems.append(
                    _problem(
                        f"departments[{dep.index}].parentCode",
                        f"'{dep.code}' would end up under itself.",
                        "cycle",
                    )
                )
                break
            seen.add(node)
            node = parent_of.get(node)
    return problems


@dataclass
class Matching:
    """Which existing member each payload entry is, by index."""

    by_index: dict[int, MemberRow] = field(default_factory=dict)
    problems: list[InvalidParam] = field(default_factory=list)


def _match(view: PayloadView, existing: Iterable[MemberRow]) -> Matching:
    by_external: dict[str, MemberRow] = {}
    by_email: dict[str, MemberRow] = {}
    for row in existing:
        if row.external_id is not None:
            by_external[row.external_id] = row
        by_email[row.email_key] = row
    in_payload = {entry.external_id for entry in view.members if entry.external_id}
    matching = Matching()
    for entry in view.members:
        matched = by_external.get(entry.external_id) if entry.external_id else None
        holder = by_email.get(entry.email_key) if entry.email_key else None
        if holder is not None and holder is not matched:
            if matched is None and rules.adoptable(holder.external_id, entry.external_id):
                matched = holder  # adopt the member someone created by hand
            elif holder.external_id is None or holder.external_id not in in_payload:
                who = (
                    f"externalId '{holder.external_id}'" if holder.external_id else "no externalId"
                )
                matching.problems.append(
                    _problem(
                        f"members[{entry.index}].email",
                        f"This address belongs to another member (id {holder.id}, {who}) "
                        "whom this payload does not manage.",
                        "taken",
                    )
                )
            # else: the holder is in this payload under another address; the address moves.
        if matched is not None:
            matching.by_index[entry.index] = matched
    return matching


async def find_problems(conn: AsyncConnection, view: PayloadView) -> list[InvalidParam]:
    """Every problem of a payload that failed schema validation, for one complete answer."""
    known = {row.code: row for row in await repository.all_departments(conn)}
    problems = _payload_problems(view, known)
    existing = await repository.members_concerned(
        conn,
        [],
        [e.external_id for e in view.members if e.external_id],
        [e.email_key for e in view.members if e.email_key],
    )
    problems.extend(_match(view, existing).problems)
    return problems


async def raw_payload_problems(conn: AsyncConnection, body: Any) -> list[InvalidParam]:
    """What the run would refuse in a body that failed schema validation, read as far as it
    can be read."""
    return await find_problems(conn, PayloadView.of_raw(body))


# --- the run --------------------------------------------------------------------------------


def _change(old: Any, new: Any) -> FieldChange:
    return {"old": old, "new": new}


@dataclass
class Plan:
    department_inserts: list[dict[str, Any]] = field(default_factory=list)
    department_updates: list[dict[str, Any]] = field(default_factory=list)
    department_changes: list[DepartmentChange] = field(default_factory=list)
    inserts: list[dict[str, Any]] = field(default_factory=list)
    writes: list[MemberWrite] = field(default_factory=list)
    changes: list[MemberChange] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    moving_emails: list[uuid.UUID] = field(default_factory=list)


def _plan_departments(
    data: MemberSyncCreate, known: dict[str, DepartmentRow], plan: Plan
) -> dict[str, uuid.UUID]:
    """Upserts by code, new ones parents first; answers the id of every code in play."""
    ids = {code: row.id for code, row in known.items()}
    new = [dep for dep in data.departments if dep.code not in known]
    for dep in new:
        ids[dep.code] = uuid.uuid4()
    code_of = {row.id: code for code, row in known.items()}

    ordered: list[str] = []
    pending = {dep.code: dep for dep in new}

    def visit(code: str) -> None:
        dep = pending.pop(code, None)
        if dep is None:
            return
        if dep.parent_code in pending:
            visit(dep.parent_code)
        ordered.append(code)

    for dep in new:
        visit(dep.code)
    by_code = {dep.code: dep for dep in data.departments}
    for code in ordered:
        dep = by_code[code]
        parent_id = ids[dep.parent_code] if dep.parent_code else None
        plan.department_inserts.append(
            {
                "id": ids[code],
                "code": code,
                "name": dep.name,
                "kind": dep.kind.value,
                "parent_id": parent_id,
                "active": True,
            }
        )
        plan.department_changes.append(
            {
                "code": code,
                "departmentId": ids[code],
                "action": "created",
                "fields": {
                    "name": _change(None, dep.name),
                    "kind": _change(None, dep.kind.value),
                    "parentCode": _change(None, dep.parent_code),
                },
            }
        )

    for dep in data.departments:
        row = known.get(dep.code)
        if row is None:
            continue
        parent_id = ids[dep.parent_code] if dep.parent_code else None
        fields: dict[str, FieldChange] = {}
        if row.name != dep.name:
            fields["name"] = _change(row.name, dep.name)
        if row.kind != dep.kind.value:
            fields["kind"] = _change(row.kind, dep.kind.value)
        if row.parent_id != parent_id:
            old_parent = code_of.get(row.parent_id) if row.parent_id else None
            fields["parentCode"] = _change(old_parent, dep.parent_code)
        if not row.active:
            fields["active"] = _change(False, True)
        if fields:
            plan.department_updates.append(
                {
                    "id": row.id,
                    "version": row.version,
                    "name": dep.name,
                    "kind": dep.kind.value,
                    "parent_id": parent_id,
                    "active": True,
                }
            )
            plan.department_changes.append(
                {"code": dep.code, "departmentId": row.id, "action": "updated", "fields": fields}
            )
    return ids


def _new_ids(count: int) -> list[uuid.UUID]:
    """Random (version 4) ids from one read of the system's randomness, not one per member."""
    pool = os.urandom(16 * count)
    return [uuid.UUID(bytes=pool[i : i + 16], version=4) for i in range(0, 16 * count, 16)]


def _plan_members(
    data: MemberSyncCreate,
    view: PayloadView,
    ids: Mapping[str, uuid.UUID],
    code_of: Mapping[uuid.UUID, str],
    matching: Matching,
    existing: Sequence[MemberRow],
    plan: Plan,
) -> None:
    # Runs once per member of payloads up to 50,000: constants are hoisted and comparisons
    # written out, since this loop is a good part of a large sync's time.
    now = utcnow()
    active, active_since = _status(rules.activity(True, now))
    inactive, inactive_since = _status(rules.activity(False, now))
    sync = MemberSource.SYNC.value
    participant = rules.DEFAULT_PARTICIPATION.value
    counts = dict.fromkeys(("created", "updated", "reactivated", "deactivated", "unchanged"), 0)
    matched_ids: set[uuid.UUID] = set()
    fresh = iter(_new_ids(len(data.members) - len(matching.by_index)))
    inserts, writes, changes = plan.inserts, plan.writes, plan.changes
    by_index = matching.by_index
    # The view holds each member's e-mail key already.
    for member, entry in zip(data.members, view.members, strict=True):
        code = member.department_code
        department_id = ids[code]
        external_id, email = member.external_id, member.email
        given, family = member.given_name, member.family_name
        row = by_index.get(entry.index)
        if row is None:
            member_id = next(fresh)
            display_name = rules.display_name_of(given, family, member.display_name)
            participation = member.participation.value if member.participation else participant
            inserts.append(
                {
                    "id": member_id,
                    "external_id": external_id,
                    "email": email,
                    "given_name": given,
                    "family_name": family,
                    "display_name": display_name,
                    **rules.keys(
                        given_name=given,
                        family_name=family,
                        display_name=display_name,
                        email=email,
                    ),
                    "department_id": department_id,
                    "participation": participation,
                }
            )
            changes.append(
                {
                    "externalId": external_id,
                    "memberId": member_id,
                    "action": "created",
                    "fields": {
                        "externalId": {"old": None, "new": external_id},
                        "email": {"old": None, "new": email},
                        "givenName": {"old": None, "new": given},
                        "familyName": {"old": None, "new": family},
                        "displayName": {"old": None, "new": display_name},
                        "departmentCode": {"old": None, "new": code},
                        "participation": {"old": None, "new": participation},
                        "status": {"old": None, "new": active},
                    },
                }
            )
            counts["created"] += 1
            continue

        matched_ids.add(row.id)
        fields: dict[str, FieldChange] = {}
        if row.external_id != external_id:
            fields["externalId"] = _change(row.external_id, external_id)
        if row.email != email:
            fields["email"] = _change(row.email, email)
        if row.given_name != given:
            fields["givenName"] = _change(row.given_name, given)
        if row.family_name != family:
            fields["familyName"] = _change(row.family_name, family)
        if row.department_id != department_id:
            old_code = code_of.get(row.department_id) if row.department_id else None
            fields["departmentCode"] = _change(old_code, code)
        if row.source != sync:
            fields["source"] = _change(row.source, sync)
        reactivated = row.status != active
        if reactivated:
            fields["status"] = _change(row.status, active)
        if not fields:
            counts["unchanged"] += 1
            continue
        keys = rules.keys(
            given_name=given, family_name=family, display_name=row.display_name, email=email
        )
        if keys["email_key"] != row.email_key:
            plan.moving_emails.append(row.id)
        writes.append(
            MemberWrite(
                id=row.id,
                version=row.version,
                external_id=external_id,
                email=email,
                given_name=given,
                family_name=family,
                **keys,
                department_id=department_id,
                status=active,
                deactivated_at=active_since,
                source=sync,
            )
        )
        action: MemberAction = "reactivated" if reactivated else "updated"
        counts[action] += 1
        changes.append(
            {"externalId": external_id, "memberId": row.id, "action": action, "fields": fields}
        )

    if data.mode == SyncMode.STRICT:
        scope_ids = {ids[code] for code in data.scope.department_codes}
        for row in existing:
            if (
                row.department_id in scope_ids
                and row.status == active
                and row.id not in matched_ids
            ):
                plan.writes.append(
                    MemberWrite(
                        id=row.id,
                        version=row.version,
                        external_id=row.external_id,
                        email=row.email,
                        given_name=row.given_name,
                        family_name=row.family_name,
                        **rules.keys(
                            given_name=row.given_name,
                            family_name=row.family_name,
                            display_name=row.display_name,
                            email=row.email,
                        ),
                        department_id=row.department_id,
                        status=inactive,
                        deactivated_at=inactive_since,
                        source=row.source,
                    )
                )
                plan.changes.append(
                    {
                        "externalId": row.external_id,
                        "memberId": row.id,
                        "action": "deactivated",
                        "fields": {"status": _change(active, inactive)},
                    }
                )
                counts["deactivated"] += 1
    plan.counts = counts


def _status(values: Mapping[str, Any]) -> tuple[str, datetime | None]:
    """The status columns a member rule gives, as the sync compares and writes them."""
    return values["status"].value, values["deactivated_at"]


def _guard_mass_deactivation(
    data: MemberSyncCreate,
    scope_ids: set[uuid.UUID],
    existing: Sequence[MemberRow],
    deactivations: int,
) -> None:
    active = sum(
        1
        for row in existing
        if row.department_id in scope_ids and row.status == MemberStatus.ACTIVE.value
    )
    if (
        deactivations
        and deactivations > MASS_DEACTIVATION_SHARE * active
        and not data.allow_mass_deactivation
    ):
        share = round(100 * deactivations / active) if active else 100
        raise Conflict(
            f"This strict sync would deactivate {deactivations} of the scope's {active} active "
            f"members ({share} %), more than {round(100 * MASS_DEACTIVATION_SHARE)} %. Check "
            "the export; if it is right, send it again with allowMassDeactivation: true.",
            extra={
                "wouldDeactivate": deactivations,
                "activeInScope": active,
                "thresholdPercent": round(100 * MASS_DEACTIVATION_SHARE),
            },
        )


async def _record_changes(conn: AsyncConnection, principal: Principal, plan: Plan) -> None:
    """Every department and member the sync wrote, as changes for the feed: two statements
    however many (app/audit/trail.py)."""
    department_versions = {row["id"]: row["version"] + 1 for row in plan.department_updates}
    await trail.record_changes(
        conn,
        "member-syncs-create",
        DEPARTMENT,
        [
            (
                change["departmentId"],
                change["action"],
                department_versions.get(change["departmentId"], 1),
            )
            for change in plan.department_changes
        ],
        principal=principal,
    )
    member_versions = {write.id: write.version + 1 for write in plan.writes}
    await trail.record_changes(
        conn,
        "member-syncs-create",
        MEMBER,
        [
            (change["memberId"], change["action"], member_versions.get(change["memberId"], 1))
            for change in plan.changes
        ],
        principal=principal,
    )


async def run_sync(
    conn: AsyncConnection, principal: Principal, data: MemberSyncCreate
) -> MemberSyncRead:
    started = time.perf_counter()
    ensure_role(principal, SYNC_ROLES, "run member syncs")
    view = PayloadView.of(data)
    known = {row.code: row for row in await repository.all_departments(conn)}
    problems = _payload_problems(view, known)
    scope_ids = [known[c].id for c in data.scope.department_codes if c in known]
    existing = await repository.members_concerned(
        conn,
        scope_ids,
        [member.external_id for member in data.members],
        [entry.email_key for entry in view.members if entry.email_key],
    )
    matching = _match(view, existing)
    problems.extend(matching.problems)
    if problems:
        raise InvalidInput(
            problems,
            detail=f"The sync has {len(problems)} invalid entr{'y' if len(problems) == 1 else 'ies'}"
            "; nothing was written.",
        )

    plan = Plan()
    ids = _plan_departments(data, known, plan)
    code_of = {row.id: code for code, row in known.items()}
    _plan_members(data, view, ids, code_of, matching, existing, plan)
    _guard_mass_deactivation(data, set(scope_ids), existing, plan.counts["deactivated"])

    now = utcnow()
    if not data.dry_run:
        await repository.insert_departments(conn, plan.department_inserts, now)
        written = await repository.update_departments(conn, plan.department_updates, now)
        if written != len(plan.department_updates):
            raise _changed_meanwhile()
        if plan.moving_emails:
            current = {row.email_key for row in existing if row.id in set(plan.moving_emails)}
            if any(w.email_key in current for w in plan.writes):
                await repository.park_email_keys(conn, plan.moving_emails)
        joining = rules.joining(MemberSource.SYNC, now)
        await repository.insert_members(conn, plan.inserts, joining, now)
        written = await repository.update_members(conn, plan.writes, now)
        if written != len(plan.writes):
            raise _changed_meanwhile()
        await _record_changes(conn, principal, plan)
        # The members a strict run deactivated leave their groups and the werkplaatsen ahead:
        # a few statements more, however many they are (app/members/departure.py).
        departed = [c["memberId"] for c in plan.changes if c["action"] == "deactivated"]
        await departure.depart(conn, departed, now, "deactivated")

    counts = {
        "received": len(data.members),
        **plan.counts,
        "departments_created": len(plan.department_inserts),
        "departments_updated": len(plan.department_updates),
    }
    run_id = uuid.uuid4()
    status = SyncStatus.PREVIEWED if data.dry_run else SyncStatus.APPLIED
    duration_ms = round((time.perf_counter() - started) * 1000)
    await repository.insert_run(
        conn,
        {
            "id": run_id,
            "created_at": now,
            "actor_key_id": principal.key_id,
            "actor_name": principal.name,
            "actor_role": principal.role,
            "mode": data.mode,
            "dry_run": data.dry_run,
            "allow_mass_deactivation": data.allow_mass_deactivation,
            "status": status,
            "scope_codes": list(data.scope.department_codes),
            **counts,
            "duration_ms": duration_ms,
            "department_changes": plan.department_changes,
            "changes": plan.changes,
        },
    )
    await trail.record(
        conn,
        "member-syncs-create",
        OBJECT,
        run_id,
        detail={"status": status.value, "mode": data.mode.value, **counts},
    )
    return {
        "id": run_id,
        "createdAt": now,
        "actor": {"keyId": principal.key_id, "name": principal.name, "role": principal.role},
        "mode": data.mode,
        "dryRun": data.dry_run,
        "allowMassDeactivation": data.allow_mass_deactivation,
        "status": status,
        "scope": {"departmentCodes": list(data.scope.department_codes)},
        "counts": {
            "received": counts["received"],
            "created": counts["created"],
            "updated": counts["updated"],
            "reactivated": counts["reactivated"],
            "deactivated": counts["deactivated"],
            "unchanged": counts["unchanged"],
            "departmentsCreated": counts["departments_created"],
            "departmentsUpdated": counts["departments_updated"],
        },
        "durationMs": duration_ms,
        "departmentChanges": plan.department_changes,
        "changes": plan.changes,
    }


def _changed_meanwhile() -> Conflict:
    return Conflict(
        "Members or departments of this scope were changed by someone else while the sync "
        "ran; nothing was written. Send the sync again."
    )
