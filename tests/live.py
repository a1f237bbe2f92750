"""The API served live by uvicorn, as `leergemeenschap serve` serves it, for the tests that talk
to it over HTTP as a deployment's clients would (the command-line client, generated clients,
contract fuzzing, a browser on the docs)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def command() -> list[str]:
    """The `leergemeenschap` command of this environment."""
    script = Path(sys.executable).with_name("leergemeenschap")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]


def cli(env: Mapping[str, str], *args: str, timeout: float = 180) -> str:
    """Run `leergemeenschap ARGS` and answer what it printed; a failure fails the test."""
    done = subprocess.run(
        [*command(), *args],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"leergemeenschap {' '.join(args)}:\n{done.stdout}{done.stderr}"
    return done.stdout


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM first (uvicorn finishes what is in flight), then SIGKILL; the whole session."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def served(env: Mapping[str, str], log: Path, *, ready_in: float = 60) -> Iterator[str]:
    """`leergemeenschap serve` on a free port with `env`, once it answers ready; its address
    (http://127.0.0.1:PORT). Its output goes to `log`; it is stopped on the way out."""
    port = free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*command(), "serve", "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
            cwd=ROOT,
            env=dict(env),
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_in
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited:\n{log.read_text(errors='replace')[-4000:]}")
            try:
                if httpx.get(f"{url}/v1/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the server was not ready in {ready_in:.0f} s:\n{log.read_text()[-4000:]}"
                )
            time.sleep(0.2)
        yield url
    finally:
        stop(process)
