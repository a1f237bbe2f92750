"""Contract fuzzing: schemathesis (v4) against a live server, every operation of /v1, every check.

The fixture migrates a fresh database, loads the demo community so that reads find data,
issues an admin key and serves the API with uvicorn on a free loopback port. schemathesis then
runs as the `st` command, reading schemathesis.toml (answers that are right for requests no
JSON Schema can call invalid, and the soft deletes) and tests/fuzz/hooks.py from the
repository's root:

1. the coverage and fuzzing phases over every operation, `FUZZ_MAX_EXAMPLES` examples each;
2. the stateful phase over the whole API for `FUZZ_STATEFUL_SECONDS`, following the OpenAPI
   links the document declares (create → get → update → delete) and the ones schemathesis
   infers;
3. the stateful phase again on the resources whose POST needs references to other resources:
   schemathesis does not start chains at such a POST while a simpler entry point exists (and
   its dependency analysis does not connect `departmentId` to `DepartmentRead`), so without
   this run the members, departments, cases … chains would never be walked.

On SQLite all three run. On Postgres, to keep CI short, the coverage phase (the boundary
values: longest strings, largest numbers, odd characters, which is where the two databases
differ) and run 3 (the writes); `FUZZ_FULL=1` runs everything there too.

The seed is fixed (`FUZZ_SEED` changes it); a run passes when every `st` run exits 0 with no
failure, every check of schemathesis ran, and the server logged no unhandled error.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import _make_postgres, postgres_available
from tests.live import cli, served

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

SEED = int(os.environ.get("FUZZ_SEED", "20261128"))
FULL = os.environ.get("FUZZ_FULL") == "1"
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "10"))
STATEFUL_SECONDS = int(os.environ.get("FUZZ_STATEFUL_SECONDS", "20"))
# Hard bound on one `st` run, whatever the settings above, so that CI can never hang here.
RUN_TIMEOUT = int(os.environ.get("FUZZ_RUN_TIMEOUT", "600"))

# Every check schemathesis 4 has (`st run --help`); all run by default. `--checks all` is not
# passed, because on the command line it would also override schemathesis.toml's one
# per-operation exclusion (use_after_free on soft-deleted resources).
ALL_CHECKS = frozenset(
    {
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "positive_data_acceptance",
        "missing_required_header",
        "unsupported_method",
        "allow_header_conformance",
        "use_after_free",
        "ensure_resource_availability",
        "ignored_auth",
        "object_level_authorization",
    }
)

# Run 3: the tags whose POST takes references, without the operations that schemathesis would
# prefer as entry points (lists, actions on an existing resource, the agenda in force).
CHAINED_TAGS = (
    "members",
    "departments",
    "cases",
    "insights",
    "learning-groups",
    "learning-questions",
    "api-keys",
    "member-syncs",
    "agenda",
)
NOT_AN_ENTRY = r"(-(list|erase|publish|merge)|^agenda-get)$"


@dataclass
class LiveServer:
    base_url: str
    api_key: str
    log: Path
    work: Path
    backend: str


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if found is None:
        pytest.fail(f"`{name}` is not installed; run `pip install -e '.[dev]'`")
    return found


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def live_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    work = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    cleanup = None
    if request.param == "postgres":
        if not postgres_available():
            if os.environ.get("REQUIRE_POSTGRES") == "1":
                pytest.fail("REQUIRE_POSTGRES=1 but no Postgres is reachable")
            pytest.skip("no Postgres reachable; set TEST_DATABASE_URL or REQUIRE_POSTGRES=1")
        made = _make_postgres()
        url, cleanup = made.url, made.cleanup
    else:
        url = f"sqlite+aiosqlite:///{work / 'fuzz.db'}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        # One client sends thousands of requests without (or with broken) credentials on
        # purpose; the failed-authentication limit is tested in tests/core/test_ratelimit.py.
        "AUTH_FAILURE_LIMIT": "100000000",
    }
    try:
        cli(env, "migrate")
        cli(env, "seed-demo")
        key = cli(env, "api-keys", "create", "--role", "admin", "--name", "contract fuzzing")
        log = work / "server.log"
        with served(env, log) as url:
            key = key.strip().splitlines()[-1]
            yield LiveServer(f"{url}/v1", key, log, work, request.param)
    finally:
        if cleanup is not None:
            cleanup()


@dataclass
class RunResult:
    output: str
    checks: set[str]


def _summary(output: str) -> str:
    """schemathesis's summary, without its report paths and its closing rule (which would read
    like the test runner's own last line in a CI log)."""
    start = output.find("SUMMARY")
    text = output[output.find("\n", start) + 1 :] if start >= 0 else output[-3000:]
    kept = []
    for line in text.splitlines():
        if line.startswith("Reports:"):
            break
        kept.append(line)
    closing = [line.strip("= ") for line in text.splitlines() if line.startswith("=")]
    return "\n".join([*kept, *(f"Result: {line}" for line in closing[-1:])]).strip()


def _st(server: LiveServer, name: str, *args: str) -> RunResult:
    reports = server.work / f"report-{name}"
    command = [
        _tool("st"),
        "run",
        f"{server.base_url}/openapi.json",
        # The document names its deployment as https://{host}/v1; this one is here.
        "--url",
        server.base_url,
        "--header",
        f"Authorization: Bearer {server.api_key}",
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--no-color",
        "--request-timeout",
        "30",
        "--report",
        "ndjson",
        "--report-dir",
        str(reports),
        *args,
    ]
    try:
        done = subprocess.run(
            command,
            cwd=ROOT,  # schemathesis.toml and its hooks file are found from here
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"st run ({name}) took longer than {RUN_TIMEOUT} s:\n{exc.stdout!r}")
    output = done.stdout + done.stderr
    # The key is a secret even in a test log; schemathesis filters it in its own output.
    output = output.replace(server.api_key, "[key]")
    assert done.returncode == 0, f"schemathesis ({name}) failed, seed {SEED}:\n{output[-25000:]}"
    footer = [line for line in output.splitlines() if line.startswith("=") and " in " in line]
    assert footer, output[-5000:]
    assert "failure" not in footer[-1] and "error" not in footer[-1], output[-25000:]
    return RunResult(output, _checks_run(reports))


def _checks_run(reports: Path) -> set[str]:
    names: set[str] = set()
    for path in reports.glob("*.ndjson"):
        for line in path.read_text(encoding="utf-8").splitlines():
            event = json.loads(line)
            finished = event.get("ScenarioFinished")
            if not finished:
                continue
            for results in (finished.get("recorder", {}).get("checks") or {}).values():
                names.update(result["name"] for result in results)
    return names


def test_contract_fuzzing(live_server: LiveServer, capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    everything = FULL or live_server.backend == "sqlite"
    chained = [arg for tag in CHAINED_TAGS for arg in ("--include-tag", tag)]
    runs = {
        "coverage+fuzzing": _st(
            live_server,
            "coverage",
            "--phases",
            "examples,coverage,fuzzing" if everything else "examples,coverage",
            "--max-examples",
            str(MAX_EXAMPLES),
        ),
    }
    if everything:
        runs["stateful"] = _st(
            live_server, "stateful", "--phases", "stateful", "--max-time", str(STATEFUL_SECONDS)
        )
    runs["stateful, chained resources"] = _st(
        live_server,
        "chained",
        "--phases",
        "stateful",
        "--max-time",
        str(STATEFUL_SECONDS),
        *chained,
        "--exclude-operation-id-regex",
        NOT_AN_ENTRY,
    )
    with capsys.disabled():
        elapsed = time.monotonic() - started
        print(f"\ncontract fuzzing on {live_server.backend}, seed {SEED}, {elapsed:.0f} s")
        for name, run in runs.items():
            print(f"--- {name}\n{_summary(run.output)}")

    ran = set().union(*(run.checks for run in runs.values()))
    assert ran >= ALL_CHECKS, f"checks that never ran: {sorted(ALL_CHECKS - ran)}"
    # A 500 is already a failed check; this also catches errors behind a deliberate answer.
    log = live_server.log.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log, log[-8000:]
