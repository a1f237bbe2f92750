"""Live servers for the reliability tests: a fresh database (a Postgres database or an SQLite
file) migrated and given an admin key by the `leergemeenschap` command itself, served by real
uvicorn workers (`leergemeenschap serve --workers N`) on a free loopback port.

Faults are provoked for real (SIGKILL, SIGTERM, terminated Postgres backends), so every
process started here runs in a session of its own and is stopped, by its id, at teardown.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import _admin_url, _pg_admin, postgres_available

CLI = Path(sys.executable).with_name("leergemeenschap")
ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
# Small pools, so that two workers of every test server stay far below the shared Postgres's
# max_connections while other suites run beside this one.
SERVER_ENV = {"DB_POOL_SIZE": "3", "DB_MAX_OVERFLOW": "3", "PYTHONUNBUFFERED": "1"}


def run_cli(database_url: str, *args: str, timeout: float = 120) -> str:
    """Run the `leergemeenschap` command against `database_url`; its stdout, or a failure."""
    result = subprocess.run(
        [str(CLI), *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"leergemeenschap {' '.join(args)}: {result.stderr}"
    return result.stdout


def issue_key(database_url: str, role: str = "admin", name: str = "reliability") -> str:
    """A key issued by `leergemeenschap api-keys create`, which prints it on its last line."""
    return run_cli(database_url, "api-keys", "create", "--role", role, "--name", name).split()[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_postgres() -> None:
    if not postgres_available():
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("REQUIRE_POSTGRES=1 but no Postgres is reachable at " + _admin_url())
        pytest.skip("no Postgres reachable; set TEST_DATABASE_URL or REQUIRE_POSTGRES=1")


def pg_url(name: str, user: str | None = None) -> str:
    url = make_url(_admin_url()).set(database=name)
    if user is not None:
        url = url.set(username=user, password=None)
    return url.render_as_string(hide_password=False)


def libpq_url(name: str, user: str | None = None) -> str:
    """The same database as a URL psql, pg_dump and pg_restore understand."""
    return pg_url(name, user).replace("postgresql+asyncpg://", "postgresql://", 1)


@dataclass
class LiveDatabase:
    """A database of one test, and direct access to it for assertions (never to build data)."""

    backend: str
    url: str
    admin_key: str
    name: str | None = None
    path: Path | None = None

    async def rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        if self.backend == "postgres":
            conn = await self.connect()
            try:
                return [tuple(r) for r in await conn.fetch(sql, *args)]
            finally:
                await conn.close()

        def read() -> list[tuple[Any, ...]]:
            with sqlite3.connect(str(self.path), timeout=10) as conn:
                return list(conn.execute(sql.replace("$1", "?"), args))

        return await asyncio.to_thread(read)

    async def scalar(self, sql: str, *args: Any) -> Any:
        rows = await self.rows(sql, *args)
        return rows[0][0] if rows else None

    def id(self, value: str) -> Any:
        """An id as a query parameter: a UUID for Postgres, 32 hex digits as SQLite stores it."""
        return uuid.UUID(value) if self.backend == "postgres" else uuid.UUID(value).hex

    async def connect(self) -> asyncpg.Connection:
        """A Postgres connection of the test itself (application_name tells it apart)."""
        url = make_url(self.url)
        return await asyncpg.connect(
            host=url.host or "127.0.0.1",
            port=url.port or 5432,
            user=url.username or "postgres",
            password=url.password,
            database=url.database,
            server_settings={"application_name": "reliability-test"},
            timeout=10,
        )

    async def api_backends(self) -> list[tuple[Any, ...]]:
        """pid, state, backend_xid, client_port, query of the API's Postgres connections (its
        one pool, `leergemeenschap`, which the fast read path borrows from too)."""
        return await self.rows(
            "SELECT pid, state, backend_xid::text, client_port, query FROM pg_stat_activity "
            "WHERE datname = $1 AND application_name LIKE 'leergemeenschap%'",
            self.name,
        )


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(int(target[8:-1]))
    except OSError:
        pass
    return inodes


def _tcp_inodes(local_port: int, remote_port: int) -> set[int]:
    """Inodes of the loopback TCP sockets from `local_port` to `remote_port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local, remote, inode = parts[1], parts[2], int(parts[9])
            if int(local.rsplit(":", 1)[1], 16) == local_port and (
                int(remote.rsplit(":", 1)[1], 16) == remote_port
            ):
                found.add(inode)
    return found


@dataclass
class LiveServer:
    """`leergemeenschap serve` in a session of its own, logging to a file."""

    db: LiveDatabase
    port: int
    workers: int
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def worker_pids(self) -> list[int]:
        """The uvicorn workers (children of the supervisor, not multiprocessing's helper)."""
        if self.workers == 1:
            return [self.process.pid]
        children = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.process.pid and b"resource_tracker" not in cmdline:
                children.append(int(entry))
        return sorted(children)

    def _owner_of(self, inodes: set[int]) -> int | None:
        for pid in self.worker_pids():
            if inodes & _socket_inodes(pid):
                return pid
        return None

    def worker_serving(self, client_port: int) -> int | None:
        """The worker holding the HTTP connection that a client opened from `client_port`."""
        return self._owner_of(_tcp_inodes(self.port, client_port))

    def worker_of_backend(self, client_port: int) -> int | None:
        """The worker holding the Postgres connection seen by the server from `client_port`."""
        url = make_url(self.db.url)
        return self._owner_of(_tcp_inodes(client_port, url.port or 5432))

    async def wait_ready(self, workers: int | None = None) -> None:
        """Until /v1/health/ready answers 200 and `workers` workers finished their startup."""
        expected = self.workers if workers is None else workers
        deadline = time.monotonic() + READY_TIMEOUT
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise AssertionError(f"the server exited early:\n{self.log()}")
                try:
                    ready = (await client.get("/v1/health/ready")).status_code == 200
                except httpx.TransportError:
                    ready = False
                if ready and self.log().count("Application startup complete.") >= expected:
                    return
                await asyncio.sleep(0.1)
        raise AssertionError(f"the server was not ready in {READY_TIMEOUT} s:\n{self.log()}")

    def signal(self, sig: int) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, sig)

    async def wait_exit(self, limit: float = STOP_TIMEOUT) -> int:
        deadline = time.monotonic() + limit
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"the server did not exit in {limit} s:\n{self.log()}")
            await asyncio.sleep(0.05)
        return int(self.process.returncode)

    def kill_everything(self) -> None:
        """Teardown: SIGTERM the supervisor; SIGKILL it and its workers, by pid, if they linger."""
        workers = self.worker_pids() if self.process.poll() is None else []
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        for pid in workers:
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue  # gone, as it should be
            if int(stat.rsplit(")", 1)[1].split()[3]) == self.process.pid:  # still our session
                os.kill(pid, signal.SIGKILL)


class Databases:
    """Fresh databases cloned from one migrated template per backend (per test session)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.templates: dict[str, LiveDatabase] = {}
        self.made: list[LiveDatabase] = []

    def _template(self, backend: str) -> LiveDatabase:
        if backend not in self.templates:
            if backend == "postgres":
                require_postgres()
                name = f"lg_rel_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
                asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
                url = pg_url(name)
                template = LiveDatabase("postgres", url, "", name=name)
            else:
                path = self.workdir / "template.db"
                url = f"sqlite+aiosqlite:///{path}"
                template = LiveDatabase("sqlite", url, "", path=path)
            self.templates[backend] = template
            run_cli(url, "migrate")
            template.admin_key = issue_key(url, "admin", "reliability admin")
        return self.templates[backend]

    async def fresh(self, backend: str) -> LiveDatabase:
        """A migrated database with an admin key, nobody else's."""
        template = await asyncio.to_thread(self._template, backend)
        if backend == "postgres":
            name = f"lg_rel_{os.getpid()}_{uuid.uuid4().hex[:8]}"
            await _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template.name}"')
            db = LiveDatabase("postgres", pg_url(name), template.admin_key, name=name)
        else:
            assert template.path is not None
            path = self.workdir / f"{uuid.uuid4().hex[:8]}.db"
            shutil.copyfile(template.path, path)
            db = LiveDatabase(
                "sqlite", f"sqlite+aiosqlite:///{path}", template.admin_key, path=path
            )
        self.made.append(db)
        return db

    def drop_all(self) -> None:
        for db in [*self.made, *self.templates.values()]:
            if db.backend == "postgres":
                asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)'))


def _spawn_server(
    port: int, workers: int, env: dict[str, str], workdir: Path, log_path: Path
) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [
                str(CLI),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--no-access-log",
            ],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own session: teardown can tell its processes apart
        )


class Servers:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.started: list[LiveServer] = []

    async def start(
        self, db: LiveDatabase, *, workers: int = 2, env: dict[str, str] | None = None
    ) -> LiveServer:
        port = free_port()
        log_path = self.workdir / f"server-{port}.log"
        server_env = {**os.environ, **SERVER_ENV, "DATABASE_URL": db.url, **(env or {})}
        process = _spawn_server(port, workers, server_env, self.workdir, log_path)
        server = LiveServer(db, port, workers, process, log_path, env or {})
        self.started.append(server)
        await server.wait_ready()
        return server

    def stop_all(self) -> None:
        for server in self.started:
            server.kill_everything()
            # Shown by pytest only when a test failed: what the server said meanwhile.
            tail = "\n".join(server.log().splitlines()[-60:])
            print(f"\n--- log of the server on port {server.port} ---\n{tail}")


@pytest.fixture(scope="session")
def live_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    databases = Databases(tmp_path_factory.mktemp("live-db"))
    yield databases
    databases.drop_all()


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    started = Servers(tmp_path)
    yield started
    started.stop_all()


@pytest.fixture(scope="module")
def module_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    started = Servers(tmp_path_factory.mktemp("live-srv"))
    yield started
    started.stop_all()


LiveFactory = Callable[..., Awaitable[LiveServer]]


@pytest.fixture
async def live(live_databases: Databases, servers: Servers) -> AsyncIterator[LiveFactory]:
    """`await live("postgres" | "sqlite", workers=2, env={...})`: a fresh migrated database
    with an admin key, served by `leergemeenschap serve` and ready; stopped at teardown."""

    async def start(backend: str, *, workers: int = 2, env: dict[str, str] | None = None):
        db = await live_databases.fresh(backend)
        return await servers.start(db, workers=workers, env=env)

    yield start


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
