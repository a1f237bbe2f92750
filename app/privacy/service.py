"""What is held about a member (art. 15) and erasing it behind a pseudonym (art. 17).

Erasure keeps the member row, its id and everything that refers to it (memberships, questions,
insights, the audit trail), so contributions stay attributable, to the pseudonym only. The
audit trail never holds names or addresses (it names members by id), so it is never rewritten."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import trail
from app.auth.authentication import key_cache, member_lookup
from app.core.context import Principal
from app.core.errors import Forbidden
from app.core.http import check_version
from app.core.models import utcnow
from app.core.permissions import ensure_admin
from app.members import departure, rules
from app.members import repository as members
from app.privacy import repository
from app.privacy.schemas import Erasure, PersonalData

ERASED_DOMAIN = "erased.invalid"


def _ensure_self_or_admin(principal: Principal, member_id: uuid.UUID) -> None:
    if not principal.is_admin and principal.member_id != member_id:
        raise Forbidden("Only the member themself or an admin may see their personal data.")


async def personal_data(
    conn: AsyncConnection, principal: Principal, member_id: uuid.UUID
) -> PersonalData:
    _ensure_self_or_admin(principal, member_id)
    member = await members.get(conn, member_id)
    needles = _identifiers(member)
    runs = await repository.sync_runs_mentioning(conn, needles)
    export: PersonalData = {
        "generatedAt": utcnow(),
        "member": member,
        "apiKeys": await repository.api_keys(conn, member_id),
        "groupMemberships": await repository.group_memberships(conn, member_id),
        "workshopsAttended": await repository.workshops_attended(conn, member_id),
        "learningQuestionsRaised": await repository.questions_raised(conn, member_id),
        "learningQuestionsSupported": await repository.questions_supported(conn, member_id),
        "insightsCaptured": await repository.insights_captured(conn, member_id),
        "commentsWritten": await repository.comments_written(conn, member_id),
        "scimIdentity": await repository.scim_identity(conn, member_id),
        "syncChanges": [
            {"syncId": run_id, "createdAt": created_at, "change": change}
            for run_id, created_at, changes in runs
            for change in changes
            if _mentions(change, set(needles))
        ],
        "auditEvents": await repository.audit_events(conn, member_id),
    }
    # Reading someone's complete file is itself worth a trace.
    await trail.record(conn, "members-personal-data-get", "member", member_id)
    return export


def _identifiers(member: Mapping[str, Any]) -> list[str]:
    values = [member.get("externalId"), member.get("email")]
    return [v for v in values if isinstance(v, str) and v]


def _mentions(value: Any, needles: set[str]) -> bool:
    if isinstance(value, str):
        return value in needles or value.lower() in needles
    if isinstance(value, dict):
        return any(_mentions(v, needles) for v in value.values())
    if isinstance(value, list):
        return any(_mentions(v, needles) for v in value)
    return False


def _scrub(value: Any, personal: set[str], pseudonym: str) -> Any:
    """Replace every value that is one of the person's data, keeping the structure."""
    if isinstance(value, str):
        return pseudonym if value in personal or value.lower() in personal else value
    if isinstance(value, dict):
        return {k: _scrub(v, personal, pseudonym) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, personal, pseudonym) for v in value]
    return value


async def erase_member(
    conn: AsyncConnection,
    principal: Principal,
    member_id: uuid.UUID,
    expected_version: int | None,
) -> Erasure:
    ensure_admin(principal, "erase a member's personal data")
    current = await members.get(conn, member_id)
    check_version(current["version"], expected_version)
    erased_at = current["erasedAt"]
    if erased_at is not None:
        return {
            "memberId": member_id,
            "pseudonym": current["displayName"],
            "erasedAt": erased_at,
            "member": current,
        }

    token = secrets.token_hex(5)
    pseudonym = f"Deelnemer {token}"
    pseudo_email = f"erased-{token}@{ERASED_DOMAIN}"
    now = utcnow()
    identifiers = _identifiers(current)
    names = [current["givenName"], current["familyName"], current["displayName"]]
    personal = {v for v in [*identifiers, *names] if v}
    personal |= {v.lower() for v in personal}

    pseudonymous = {
        "external_id": None,
        "email": pseudo_email,
        "given_name": "Verwijderd",
        "family_name": pseudonym,
        "display_name": pseudonym,
        "discipline": None,
        "transition_roles": [],
        **rules.activity(False, now, current["deactivatedAt"]),
        "erased_at": now,
    }
    # The keys too: a search or sort key made of the former name would still give it away.
    await members.update(
        conn,
        member_id,
        current["version"],
        rules.with_keys(
            pseudonymous,
            given_name="Verwijderd",
            family_name=pseudonym,
            display_name=pseudonym,
            email=pseudo_email,
        ),
    )
    key_names = await repository.rename_and_revoke_keys(conn, member_id, f"{pseudonym} (key)", now)
    await repository.forget_stream_tickets(conn, member_id)
    await repository.pseudonymise_scim(conn, member_id, pseudo_email)
    for run_id, _created, changes in await repository.sync_runs_mentioning(conn, identifiers):
        await repository.replace_sync_changes(conn, run_id, _scrub(changes, personal, pseudonym))
    await repository.replace_published_by(conn, [*key_names, current["displayName"]], pseudonym)
    needles = [v.encode() for v in personal if len(v) >= 3]
    stale = [
        record_id
        for record_id, body in await repository.idempotency_bodies(conn)
        if body and any(needle in body for needle in needles)
    ]
    await repository.forget_idempotency(conn, stale)
    await trail.record(conn, "members-erase", "member", member_id)
    # What they took part in ends, whether or not they were still active (app/members/departure.py).
    await departure.depart(conn, [member_id], now, "erased")
    # This worker forgets the member's credentials at once; others within the cache window.
    key_cache.clear()
    member_lookup.clear()
    member = await members.get(conn, member_id)
    return {"memberId": member_id, "pseudonym": pseudonym, "erasedAt": now, "member": member}
