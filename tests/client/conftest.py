"""The API served live by uvicorn for the client tests: the command-line client and the clients
generated from the OpenAPI document talk to it over HTTP, as they would to a deployment."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import Backend

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def command() -> list[str]:
    script = Path(sys.executable).with_name("leergemeenschap")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]


@pytest.fixture(scope="module")
def live(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API served by uvicorn on the session's database; its address."""
    port = free_port()
    log = tmp_path_factory.mktemp("client") / "server.log"
    env = {**os.environ, "DATABASE_URL": backend.url}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*command(), "serve", "--port", str(port), "--no-access-log"],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited:\n{log.read_text(errors='replace')[-4000:]}")
            try:
                if httpx.get(f"{url}/v1/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server was not ready in 60 s:\n{log.read_text()[-4000:]}")
            time.sleep(0.2)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
