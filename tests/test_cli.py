"""The `leergemeenschap` command, run as a user runs it: in a subprocess, configured by
DATABASE_URL, against a temporary SQLite database."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.cli import main

ROOT = Path(__file__).resolve().parent.parent


def command() -> list[str]:
    script = Path(sys.executable).with_name("leergemeenschap")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]


def run(db: Path | None, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ}
    if db is not None:
        env["DATABASE_URL"] = f"sqlite+aiosqlite:///{db}"
    return subprocess.run(
        [*command(), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("cli") / "cli.db"
    migrated = run(db, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "applied" in migrated.stdout and "0001 " in migrated.stdout, migrated.stdout
    return db


def test_migrate_says_what_it_did(database):
    """An empty database listed each migration applied (the fixture checks); run again, it
    says there was nothing to do."""
    again = run(database, "migrate")
    assert again.returncode == 0, again.stderr
    assert "already up to date" in again.stdout
    assert "applied" not in again.stdout


def stored_keys(db: Path) -> list[tuple[str, str, str, str | None]]:
    """For assertions only: what the command left in the database."""
    with sqlite3.connect(db) as conn:
        return list(conn.execute("SELECT key_hash, role, name, member_id FROM api_keys"))


def test_api_keys_create_prints_the_key_alone_on_the_last_line(database):
    result = run(database, "api-keys", "create", "--role", "admin", "--name", "x")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.rstrip("\n").split("\n")
    key = lines[-1]
    assert key.startswith("lgk_")
    assert key == key.strip() and " " not in key
    assert len(key) >= 4 + 43  # 32 random bytes, base64url
    assert key not in "\n".join(lines[:-1])
    assert key not in result.stderr

    stored = {row[0]: row for row in stored_keys(database)}
    digest = hashlib.sha256(key.encode()).hexdigest()
    assert digest in stored
    assert stored[digest][1:3] == ("admin", "x")
    # Only the hash is stored: the secret appears nowhere on disk (WAL file included).
    for path in database.parent.glob(database.name + "*"):
        assert key.encode() not in path.read_bytes()


def test_api_keys_create_with_member_and_expiry(database):
    before = len(stored_keys(database))
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    result = run(
        database, "api-keys", "create", "--role", "reader", "--name", "rapportage",
        "--expires-at", expires,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip("\n").split("\n")[-1].startswith("lgk_")
    assert len(stored_keys(database)) == before + 1


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--role", "root", "--name", "x"], "--role"),
        (["--role", "admin", "--name", ""], "--name"),
        (["--role", "member", "--name", "x", "--member-id", "nope"], "--member-id"),
        (["--role", "admin", "--name", "x", "--expires-at", "2030-01-01T00:00:00"], "--expires-at"),
        (["--role", "admin", "--name", "x", "--expires-at", "morgen"], "--expires-at"),
    ],
)
def test_api_keys_create_checks_its_options_before_touching_the_database(args, option, capsys):
    # In-process is safe here: validation fails before any database is opened.
    assert main(["api-keys", "create", *args]) == 2
    out = capsys.readouterr()
    assert option in out.err
    assert "lgk_" not in out.out


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--role", "member", "--name", "x", "--member-id", str(uuid.uuid4())], "--member-id"),
        (
            ["--role", "admin", "--name", "x", "--expires-at", "2020-01-01T00:00:00Z"],
            "--expires-at",
        ),
    ],
)
def test_api_keys_create_refuses_what_the_service_refuses_without_a_traceback(
    database, args, option
):
    before = len(stored_keys(database))
    result = run(database, "api-keys", "create", *args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert option in result.stderr
    assert "lgk_" not in result.stdout
    assert len(stored_keys(database)) == before


def test_openapi_check(tmp_path):
    document = tmp_path / "openapi.json"
    missing = run(None, "openapi", "--check", "--output", str(document))
    assert missing.returncode == 1

    written = run(None, "openapi", "--output", str(document))
    assert written.returncode == 0, written.stderr
    assert document.read_text(encoding="utf-8").startswith("{")

    same = run(None, "openapi", "--check", "--output", str(document))
    assert same.returncode == 0, same.stderr

    document.write_text(document.read_text(encoding="utf-8").replace("members", "leden", 1))
    differs = run(None, "openapi", "--check", "--output", str(document))
    assert differs.returncode == 1
    assert "differs" in differs.stderr
