"""The audit trail is append-only for the API's own database role (issue 6, item 6): after
scripts/protect_audit.sql, a throwaway role with the usual application grants still reads and
appends audit events (the API, running as that role, records its writes) but cannot update,
delete or truncate them; other tables are untouched, and the script refuses an owner."""

from __future__ import annotations

import asyncio
import subprocess
import uuid

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import _pg_admin
from tests.reliability.conftest import ROOT, Databases, libpq_url, pg_url, run_cli

SCRIPT = ROOT / "scripts" / "protect_audit.sql"


def _protect(database: str, role: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["psql", "-X", "-q", "-v", f"app_role={role}", "-f", str(SCRIPT), libpq_url(database)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def _as(database: str, role: str) -> asyncpg.Connection:
    url = make_url(pg_url(database))
    return await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=role, database=database, timeout=10
    )


async def test_the_api_role_appends_audit_events_but_never_changes_them(
    live_databases: Databases,
):
    db = await live_databases.fresh("postgres")
    assert db.name is not None
    role = f"lg_app_{uuid.uuid4().hex[:8]}"
    await _pg_admin(f'CREATE ROLE "{role}" LOGIN')
    owner = await db.connect()
    try:
        # The grants an application role usually gets: everything on every table.
        await owner.execute(
            f'GRANT CONNECT ON DATABASE "{db.name}" TO "{role}"; '
            f'GRANT USAGE ON SCHEMA public TO "{role}"; '
            f'GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO "{role}"; '
            f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"'
        )
        assert await owner.fetchval(
            "SELECT has_table_privilege($1, 'audit_events', 'UPDATE')", role
        )

        protected = _protect(db.name, role)
        assert protected.returncode == 0, protected.stderr
        assert "append-only" in protected.stderr
        again = _protect(db.name, role)  # idempotent
        assert again.returncode == 0, again.stderr

        # The API, connected as that role, still records what it does.
        as_role = pg_url(db.name, user=role)
        await asyncio.to_thread(
            run_cli, as_role, "api-keys", "create", "--role", "reader", "--name", "na bescherming"
        )
        app = await _as(db.name, role)
        try:
            events = await app.fetchval(
                "SELECT count(*) FROM audit_events WHERE action = 'api-keys-create'"
            )
            assert events >= 2  # the template's admin key, and this one
            for statement in (
                "UPDATE audit_events SET action = 'verborgen'",
                "DELETE FROM audit_events",
                "TRUNCATE audit_events",
            ):
                with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
                    await app.execute(statement)
            assert (
                await app.fetchval(
                    "SELECT count(*) FROM audit_events WHERE action = 'api-keys-create'"
                )
                == events
            )
            # Only the audit trail is protected: the role still changes other tables.
            await app.execute("UPDATE departments SET name = name")
        finally:
            await app.close()
        assert (
            await owner.fetchval("SELECT count(*) FROM audit_events WHERE action = 'verborgen'")
            == 0
        )

        # An owner (here also a superuser) is refused: privileges would not bind it.
        refused = _protect(db.name, make_url(db.url).username or "postgres")
        assert refused.returncode != 0
        assert "superuser" in refused.stderr or "owns audit_events" in refused.stderr
    finally:
        await owner.execute(f'DROP OWNED BY "{role}"')
        await owner.close()
        await _pg_admin(f'DROP ROLE IF EXISTS "{role}"')


def test_the_script_names_what_it_needs():
    """Run without a role, it stops with a message instead of guessing one."""
    result = subprocess.run(
        ["psql", "-X", "-q", "-f", str(SCRIPT), libpq_url("postgres")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if "could not connect" in result.stderr:
        pytest.skip("no Postgres reachable")
    assert result.returncode != 0
    assert "app_role" in result.stderr
