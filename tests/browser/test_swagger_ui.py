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

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser.chromium import Page, require_chromium
from tests.browser.chromium import page as page  # the fixture
from tests.live import cli, served

require_chromium()


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
