"""Swagger UI's "Try it out", for real: a server started the way `make run` starts it (a new
SQLite file, migrate, the demo, an admin key, `leergemeenschap serve`), the docs page loaded in
headless Chromium, the key entered in the Authorize dialog, `GET /members` opened, "Try it out"
and "Execute" clicked, and the live answer Swagger UI shows must be a 200 from that server.

Chromium is driven over the DevTools protocol with the `websockets` package the server already
depends on (uvicorn[standard]), so nothing but the Debian `chromium` package is needed:
`make docs-check` installs it and runs this file. Without Chromium the test is skipped, unless
DOCS_CHECK=1 (as `make docs-check` sets it), which makes its absence a failure.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.live import cli, served, stop

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
REQUIRED = os.environ.get("DOCS_CHECK") == "1"
STEP_TIMEOUT = 20.0


def _browser() -> str | None:
    configured = os.environ.get("CHROMIUM")
    if configured:
        return configured
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


if _browser() is None:
    if REQUIRED:
        raise RuntimeError("DOCS_CHECK=1 but no Chromium found: `make docs-check` installs it")
    pytest.skip("no Chromium (make docs-check installs it)", allow_module_level=True)


@dataclass
class Server:
    base_url: str
    key: str


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """What `make run` does, on a new SQLite file and a free port."""
    with tempfile.TemporaryDirectory(prefix="docs-check-") as work:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite+aiosqlite:///{work}/leergemeenschap.db",
            "PYTHONUNBUFFERED": "1",
        }
        for command in (["migrate"], ["seed-demo", "--if-empty"]):
            cli(env, *command)
        key = cli(env, "api-keys", "create", "--role", "admin", "--name", "docs-check")
        with served(env, Path(work, "serve.log")) as base_url:
            yield Server(base_url, key.strip().splitlines()[-1])


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


async def test_try_it_out_answers_200_from_the_local_server(server: Server, page: Page):
    await page.send("Page.enable")
    await page.send("Page.navigate", url=server.base_url + "/v1/docs")

    # The document loaded and rendered: the operation is there.
    operation = "#operations-members-members-list"
    await page.wait_for(f"!!document.querySelector({json.dumps(operation)})", "GET /members")
    servers = await page.evaluate(
        "Array.from(document.querySelectorAll('.servers select option')).map(o => o.value)"
    )
    assert servers and servers[0] == "/v1", servers

    # Authorize: the key into the bearer field of the dialog.
    await page.click("button.authorize", "the Authorize button")
    await page.wait_for("!!document.querySelector('.modal-ux input')", "the Authorize dialog")
    await page.evaluate(
        "(() => {"
        " const input = document.querySelector('.modal-ux input');"
        " const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;"
        f" set.call(input, {json.dumps(server.key)});"
        " input.dispatchEvent(new Event('input', {bubbles: true}));"
        "})()"
    )
    await page.click(".modal-ux button.modal-btn.authorize", "the dialog's Authorize")
    await page.wait_for(
        "Array.from(document.querySelectorAll('.modal-ux button'))"
        ".some(b => b.textContent.trim() === 'Logout')",
        "the dialog to show the key as authorized",
    )
    await page.click(".modal-ux button.btn-done", "the dialog's Close")

    # GET /members: open (its answer's example is a member of the demo), Try it out, Execute.
    await page.click(f"{operation} .opblock-summary-control", "the operation's summary")
    example = await page.wait_for(
        f"(document.querySelector('{operation} .responses-table .response[data-code=\"200\"]')"
        " || {}).innerText",
        "the 200 answer's example",
    )
    assert "Jesse van Dijk" in example, example
    await page.click(f"{operation} .try-out__btn", "Try it out")
    await page.click(f"{operation} .btn.execute", "Execute")
    status = await page.wait_for(
        f"(document.querySelector('{operation} .live-responses-table tbody .response-col_status')"
        " || {}).textContent",
        "the live response",
    )
    request_url = await page.evaluate(
        f"(document.querySelector('{operation} .request-url pre') || {{}}).textContent"
    )
    body = await page.evaluate(
        f"(document.querySelector('{operation} .live-responses-table tbody .microlight')"
        " || {}).textContent"
    )
    assert request_url and request_url.startswith(server.base_url + "/v1/members"), request_url
    assert status.strip().startswith("200"), f"{status}\n{body}"
    assert '"items"' in (body or ""), body
