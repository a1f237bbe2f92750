"""Headless Chromium for the browser tests, driven over the DevTools protocol with the
`websockets` package the server already depends on (uvicorn[standard]), so nothing but the
Debian `chromium` package is needed (`make docs-check` installs it). A test module calls
`require_chromium()` first: without Chromium it is skipped, unless DOCS_CHECK=1 (as `make
docs-check` sets it), which makes its absence a failure."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.live import stop

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
REQUIRED = os.environ.get("DOCS_CHECK") == "1"
STEP_TIMEOUT = 20.0


def _browser() -> str | None:
    configured = os.environ.get("CHROMIUM")
    if configured:
        return configured
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def require_chromium() -> None:
    """Skip the calling test module when there is no Chromium (fail under DOCS_CHECK=1)."""
    if _browser() is None:
        if REQUIRED:
            raise RuntimeError("DOCS_CHECK=1 but no Chromium found: `make docs-check` installs it")
        pytest.skip("no Chromium (make docs-check installs it)", allow_module_level=True)


class Page:
    """One browser tab, over the DevTools protocol."""

    def __init__(self, socket_: ClientConnection) -> None:
        self._socket = socket_
        self._ids = itertools.count(1)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        message_id = next(self._ids)
        await self._socket.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            message = json.loads(await self._socket.recv())
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))

    async def evaluate(self, expression: str) -> Any:
        result = await self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, what: str) -> Any:
        """Poll until `expression` is truthy in the page, and return its value."""
        deadline = time.monotonic() + STEP_TIMEOUT
        while True:
            value = await self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                html = await self.evaluate("document.body ? document.body.innerText : ''")
                raise AssertionError(f"waited {STEP_TIMEOUT} s for {what}; the page:\n{html}")
            await asyncio.sleep(0.1)

    async def click(self, selector: str, what: str) -> None:
        found = json.dumps(selector)
        await self.wait_for(f"!!document.querySelector({found})", what)
        await self.evaluate(f"document.querySelector({found}).click()")


def _start_chromium(profile: str) -> tuple[subprocess.Popen[bytes], str]:
    """Headless Chromium on a free DevTools port; the process and its first tab's socket URL."""
    browser = _browser()
    assert browser is not None
    process = subprocess.Popen(
        [
            browser,
            "--headless",
            "--no-sandbox",  # root in a container has no user namespaces to sandbox with
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        active = Path(profile, "DevToolsActivePort")
        deadline = time.monotonic() + STEP_TIMEOUT
        while not (active.exists() and active.read_text().strip()):
            assert process.poll() is None, "Chromium exited at start"
            assert time.monotonic() < deadline, "Chromium did not open its DevTools port"
            time.sleep(0.1)
        port = active.read_text().split()[0]
        targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=5).json()
        tab = next(t for t in targets if t.get("type") == "page")
        return process, str(tab["webSocketDebuggerUrl"])
    except BaseException:
        stop(process)
        raise


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    with tempfile.TemporaryDirectory(prefix="docs-check-chromium-") as profile:
        process, url = _start_chromium(profile)
        try:
            async with connect(url, max_size=None) as socket_:
                yield Page(socket_)
        finally:
            stop(process)
