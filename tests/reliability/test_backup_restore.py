"""Backup and restore (issue 7, item 7): a `pg_dump -Fc` of a live database holding the demo
community, restored with `pg_restore` into a fresh database, answers every GET of the API as
the original does (status, body and ETag), and takes writes afterwards (its sequences came
along). The commands are the ones docs/operations.md gives for the restore drill."""

from __future__ import annotations

import asyncio
import re
import subprocess
import uuid
from pathlib import Path

import httpx
import orjson

from tests.conftest import _pg_admin
from tests.reliability.api import client, created
from tests.reliability.conftest import (
    Databases,
    LiveDatabase,
    LiveServer,
    Servers,
    libpq_url,
    pg_url,
    run_cli,
)

SKIPPED = ("/health", "/openapi.json")
# The instant an answer was made (a personal-data export, the statistics "now"): the one part
# of an answer that differs between two servers by design.
CLOCK_FIELDS = ("generatedAt", "asOf")
PER_LIST = 2  # items of each list whose own resources are compared too


def _run(*command: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"{' '.join(command)}: {result.stderr}"


async def _get(http: httpx.AsyncClient, url: str) -> httpx.Response:
    response = await http.get(url)
    assert response.status_code < 500, f"{url}: {response.status_code} {response.text[:300]}"
    return response


async def _urls(http: httpx.AsyncClient) -> list[str]:
    """Every GET of the API with its path parameters filled from the lists above it."""
    document = (await _get(http, "/v1/openapi.json")).json()
    templates = [p for p, ops in document["paths"].items() if "get" in ops]
    urls: list[str] = []
    for template in templates:
        if template.startswith(SKIPPED):
            continue
        concrete = ["/v1"]
        for part in template.strip("/").split("/"):
            name = re.fullmatch(r"\{(\w+)\}", part)
            if not name:
                concrete = [f"{url}/{part}" for url in concrete]
                continue
            filled = []
            for parent in concrete:
                items = (await _get(http, parent)).json().get("items", [])[:PER_LIST]
                for item in items:
                    value = item.get(name.group(1)) or item.get("id") or item.get("number")
                    if value is not None:
                        filled.append(f"{parent}/{value}")
            concrete = filled
        urls.extend(concrete)
    # The audit trail first: reading personal data is audited, so it grows as we compare.
    return sorted(urls, key=lambda url: not url.startswith("/v1/audit-events"))


async def _answers(server: LiveServer, urls: list[str]) -> dict[str, tuple[int, str, str | None]]:
    """url → (status, body, ETag) for every URL and every further page of each list."""
    answers: dict[str, tuple[int, str, str | None]] = {}
    async with client(server) as http:
        pending = list(urls)
        while pending:
            url = pending.pop(0)
            response = await _get(http, url)
            body = response.text.replace(server.base_url, "BASE")
            if response.headers.get("content-type", "").startswith("application/json"):
                data = response.json()
                if isinstance(data, dict):
                    for clock in CLOCK_FIELDS:
                        data.pop(clock, None)
                    following = data.get("next")
                    if isinstance(following, str):
                        pending.append(following.replace(server.base_url, ""))
                    body = orjson.dumps(data).decode().replace(server.base_url, "BASE")
            answers[url] = (response.status_code, body, response.headers.get("etag"))
    return answers


async def test_a_restored_backup_answers_as_the_original(
    live_databases: Databases, servers: Servers, tmp_path: Path
):
    original_db = await live_databases.fresh("postgres")
    await asyncio.to_thread(run_cli, original_db.url, "seed-demo")
    original = await servers.start(original_db, workers=1)

    # The backup is taken while the API serves (pg_dump reads one consistent snapshot).
    dump = tmp_path / "leergemeenschap.dump"
    assert original_db.name is not None
    _run("pg_dump", "--format=custom", f"--file={dump}", libpq_url(original_db.name))
    name = f"lg_restored_{uuid.uuid4().hex[:8]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    restored_db = LiveDatabase("postgres", pg_url(name), original_db.admin_key, name=name)
    live_databases.made.append(restored_db)  # dropped at the end of the session
    _run("pg_restore", "--no-owner", "--exit-on-error", f"--dbname={libpq_url(name)}", str(dump))
    restored = await servers.start(restored_db, workers=1)

    async with client(original) as http:
        urls = await _urls(http)
    before = await _answers(original, urls)
    after = await _answers(restored, urls)
    differing = [url for url in before if before[url] != after.get(url)]
    assert not differing, {url: (before[url][:2], after.get(url, ())[:2]) for url in differing[:3]}
    assert sum(1 for status, _, _ in before.values() if status == 200) > 50

    # The restored database takes writes: its identity sequences (audit events) came along.
    async with client(restored) as http:
        events = (await http.get("/v1/audit-events?pageSize=1")).json()["items"]
        department = created(
            await http.post(
                "/v1/departments", json={"code": "NA-HERSTEL", "name": "Na herstel", "kind": "team"}
            )
        )
        latest = (await http.get("/v1/audit-events?pageSize=1")).json()["items"]
    assert department["code"] == "NA-HERSTEL"
    assert latest and latest[0]["id"] != (events[0]["id"] if events else None)
    print(
        f"\n[backup] {len(before)} GET answers compared after pg_dump -Fc | pg_restore "
        f"({dump.stat().st_size} bytes): all equal"
    )
