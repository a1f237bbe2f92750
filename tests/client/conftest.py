"""The API served live by uvicorn for the client tests: the command-line client and the clients
generated from the OpenAPI document talk to it over HTTP, as they would to a deployment."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.conftest import Backend
from tests.live import served


@pytest.fixture(scope="module")
def live(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API served by uvicorn on the session's database; its address."""
    log = tmp_path_factory.mktemp("client") / "server.log"
    with served({**os.environ, "DATABASE_URL": backend.url}, log) as url:
        yield url
