"""A single-page application on another origin follows the change feed live, for real: a page
served from http://localhost:PORT (an origin in the server's CORS_ORIGINS) asks the API at
http://127.0.0.1:PORT for a stream ticket with fetch, opens `new EventSource(href)` in headless
Chromium, and receives a change made afterwards; when the server ends the stream (a short
CHANGE_STREAM_SECONDS here), EventSource reconnects with Last-Event-ID and the next change
arrives, with none seen twice. (Chromium sends that header on its own reconnects without a
preflight; clients that set it themselves, fetch-based SSE libraries, get one, which CORS
allows: tests/changes/test_stream_tickets.py.)"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.browser.chromium import Page, require_chromium
from tests.browser.chromium import page as page  # the fixture
from tests.live import cli, free_port, served

require_chromium()

# The page's script: a ticket, then an EventSource, everything it sees kept in `window.feed`.
SCRIPT = """
window.feed = {opened: 0, events: [], errors: 0};
window.follow = async (api, key) => {
  const answer = await fetch(`${api}/v1/changes/stream-tickets`, {
    method: "POST",
    headers: {Authorization: `Bearer ${key}`, "Content-Type": "application/json"},
    body: JSON.stringify({types: ["member"]}),
  });
  if (answer.status !== 201) throw new Error(`ticket: ${answer.status} ${await answer.text()}`);
  const {href} = await answer.json();
  const source = new EventSource(new URL(href, api));
  source.onopen = () => { window.feed.opened += 1; };
  source.onerror = () => { window.feed.errors += 1; };
  source.addEventListener("change", (event) => {
    window.feed.events.push({id: event.lastEventId, change: JSON.parse(event.data)});
  });
  return href;
};
"""
PAGE = f"<!doctype html><title>Live</title><script>{SCRIPT}</script><p>live changes</p>"


@dataclass
class Setup:
    api: str
    page_origin: str
    key: str


class _PageHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def setup() -> Iterator[Setup]:
    """The page's own little server, and the API (new SQLite file, an admin key) with the
    page's origin in CORS_ORIGINS and streams that end after 3 s."""
    site = ThreadingHTTPServer(("127.0.0.1", free_port()), _PageHandler)
    page_origin = f"http://localhost:{site.server_address[1]}"
    threading.Thread(target=site.serve_forever, daemon=True).start()
    try:
        with tempfile.TemporaryDirectory(prefix="event-source-") as work:
            env = {
                **os.environ,
                "DATABASE_URL": f"sqlite+aiosqlite:///{work}/leergemeenschap.db",
                "CORS_ORIGINS": page_origin,
                "CHANGE_STREAM_SECONDS": "3",
                "PYTHONUNBUFFERED": "1",
            }
            cli(env, "migrate")
            key = cli(env, "api-keys", "create", "--role", "admin", "--name", "event-source")
            with served(env, Path(work, "serve.log")) as api:
                yield Setup(api, page_origin, key.strip().splitlines()[-1])
    finally:
        site.shutdown()


def _add_member(setup: Setup, n: int) -> str:
    response = httpx.post(
        f"{setup.api}/v1/members",
        json={
            "email": f"live{n}@amsterdam.example",
            "givenName": "Live",
            "familyName": f"Volger{n}",
        },
        headers={"Authorization": f"Bearer {setup.key}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_an_event_source_on_another_origin_receives_changes(setup: Setup, page: Page):
    await page.send("Page.enable")
    await page.send("Page.navigate", url=setup.page_origin + "/")
    await page.wait_for("typeof window.follow === 'function'", "the page's script")
    href = await page.evaluate(f"window.follow({json.dumps(setup.api)}, {json.dumps(setup.key)})")
    assert href.startswith("/v1/changes?ticket=lgs_"), href
    await page.wait_for("window.feed.opened >= 1", "the EventSource to open")

    first = _add_member(setup, 1)
    await page.wait_for(
        f"window.feed.events.some(e => e.change.resourceId === {json.dumps(first)})",
        "the first change",
    )
    # The server ends the stream after 3 s; EventSource reconnects with Last-Event-ID.
    await page.wait_for("window.feed.opened >= 2", "EventSource to reconnect")
    second = _add_member(setup, 2)
    await page.wait_for(
        f"window.feed.events.some(e => e.change.resourceId === {json.dumps(second)})",
        "the change after the reconnect",
    )
    events = await page.evaluate("window.feed.events")
    assert [e["change"]["resourceId"] for e in events] == [first, second]
    assert all(e["id"] == e["change"]["position"] for e in events)
    assert {e["change"]["type"] for e in events} == {"member"}
