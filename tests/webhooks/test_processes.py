"""Where deliveries run, as an operator runs them: inside `leergemeenschap serve` (the default,
what `make run` does) and in a `leergemeenschap worker` process beside an API that leaves them
to it. Both against an SQLite file, with a receiver on 127.0.0.1 allowed by the setting."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.live import ROOT, cli, command, served, stop
from tests.webhooks.receiver import Received, verifies


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.server.received.append(Received(self.path, headers, body))  # type: ignore[attr-defined]
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'hooks.db'}",
        "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32",
        **extra,
    }
    cli(env, "migrate")
    return env


def _admin(env: dict[str, str]) -> dict[str, str]:
    key = cli(env, "api-keys", "create", "--role", "admin", "--name", "hooks").splitlines()[-1]
    return {"Authorization": f"Bearer {key.strip()}"}


def _subscribe_and_write(url: str, headers: dict[str, str], receiver_url: str) -> str:
    made = httpx.post(
        f"{url}/v1/webhook-subscriptions",
        json={"url": receiver_url, "types": ["department"]},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    created = httpx.post(
        f"{url}/v1/departments",
        json={"code": "AGR", "name": "Afval en Grondstoffen", "kind": "afdeling"},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    return str(made.json()["secret"])


def _wait_for(receiver: ThreadingHTTPServer, count: int, seconds: float = 15) -> list[Received]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if len(receiver.received) >= count:  # type: ignore[attr-defined]
            break
        time.sleep(0.1)
    return list(receiver.received)  # type: ignore[attr-defined]


def test_the_api_delivers_in_its_own_process(tmp_path, receiver):
    env = _env(tmp_path)
    headers = _admin(env)
    target = f"http://127.0.0.1:{receiver.server_port}/hook"
    with served(env, tmp_path / "serve.log") as url:
        secret = _subscribe_and_write(url, headers, target)
        (delivery,) = _wait_for(receiver, 1)
    assert delivery.json["type"] == "department.created"
    assert verifies(secret, delivery)


def test_a_worker_process_delivers_and_stops_on_sigterm(tmp_path, receiver):
    env = _env(tmp_path, WEBHOOK_WORKER_IN_PROCESS="false")
    headers = _admin(env)
    target = f"http://127.0.0.1:{receiver.server_port}/hook"
    with served(env, tmp_path / "serve.log") as url:
        secret = _subscribe_and_write(url, headers, target)
        # The API leaves deliveries to workers: nothing arrives without one.
        time.sleep(2)
        assert receiver.received == []  # type: ignore[attr-defined]
        with (tmp_path / "worker.log").open("wb") as log:
            worker = subprocess.Popen(
                [*command(), "worker"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            (delivery,) = _wait_for(receiver, 1)
            assert verifies(secret, delivery)
            os.killpg(worker.pid, signal.SIGTERM)
            assert worker.wait(timeout=15) == 0
        finally:
            stop(worker)
    log_text = (tmp_path / "worker.log").read_text()
    assert "Traceback" not in log_text, log_text
