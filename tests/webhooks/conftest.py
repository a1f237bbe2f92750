from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from app.core.db import database
from app.webhooks.delivery import Dispatcher
from tests.changes.conftest import settled

# The local receivers of these tests, allowed by the setting an operator would use.
LOCAL = ("127.0.0.1/32",)


@pytest.fixture
def allow_local(app: Any) -> Iterator[None]:
    """WEBHOOK_ALLOWED_NETWORKS=127.0.0.1/32 for the test (registration and delivery)."""
    before = database.settings
    database._settings = before.model_copy(update={"webhook_allowed_networks": LOCAL})
    yield
    database._settings = before


class SettledDispatcher(Dispatcher):
    async def drain(self, rounds: int = 1000) -> None:
        """Once what the test wrote is visible in the feed (on Postgres, another test
        process's transaction in the cluster hides it for a moment), serve until all rest."""
        await settled()
        await super().drain(rounds)


@pytest.fixture
async def dispatcher(allow_local: None) -> AsyncIterator[Callable[..., Dispatcher]]:
    """A webhook worker with the test's settings (and any changed), closed afterwards."""
    made: list[Dispatcher] = []

    def make(**changes: Any) -> Dispatcher:
        worker = SettledDispatcher(database.settings.model_copy(update=changes))
        made.append(worker)
        return worker

    yield make
    for worker in made:
        await worker.close()
