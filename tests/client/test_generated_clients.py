"""A Python client generated from the committed OpenAPI document (openapi-python-client, a dev
dependency) works against the live API: it lists, reads, creates and exports with the types it
generated, and answers problems as its Problem model. (The TypeScript client is type-checked by
`make typecheck-clients`.)"""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.agenda.api import item, publish_agenda
from tests.agenda.factories import make_group, make_question, make_theme
from tests.factories import make_key, make_member
from tests.live import ROOT

PACKAGE = "leergemeenschap_client"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client package, generated into a temporary directory and imported from there."""
    where = tmp_path_factory.mktemp("generated")
    config = where / "config.yaml"
    config.write_text(f"package_name_override: {PACKAGE}\npost_hooks: []\n", encoding="utf-8")
    tool = Path(sys.executable).with_name("openapi-python-client")
    done = subprocess.run(
        [
            str(tool),
            "generate",
            "--path",
            str(ROOT / "openapi" / "openapi.json"),
            "--meta",
            "none",
            "--output-path",
            str(where / PACKAGE),
            "--config",
            str(config),
            "--fail-on-warning",
        ],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(where))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _api(generated: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.api.{name}")


async def test_the_generated_client_lists_reads_creates_and_exports(client, live, generated):
    models = importlib.import_module(f"{PACKAGE}.models")
    members_list = _api(generated, "members.members_list")
    members_get = _api(generated, "members.members_get")
    groups_get = _api(generated, "learning_groups.learning_groups_get")
    join = _api(generated, "learning_groups.learning_group_memberships_create")
    agenda_get = _api(generated, "agenda.agenda_get")
    agenda_export = _api(generated, "agenda.agenda_export_get")

    admin = await make_key("admin")
    people = [await make_member(givenName=f"Persoon{n}") for n in range(3)]
    theme = await make_theme()
    group = await make_group(theme["id"], name="Circulair inkopen")
    question = await make_question(theme["id"], title="Hoe kopen we circulair in?")
    await publish_agenda(client, admin, [item(question["id"], 1, "high")], title="Eerste")

    api = generated.AuthenticatedClient(base_url=f"{live}/v1", token=admin)
    async with api:
        page = await members_list.asyncio(client=api, page_size=2)
        assert isinstance(page, models.MemberPage)
        assert len(page.items) == 2
        assert page.next_ is not None
        assert all(isinstance(m, models.MemberRead) for m in page.items)

        one = await members_get.asyncio(member_id=people[0]["id"], client=api)
        assert isinstance(one, models.MemberRead)
        assert one.given_name == "Persoon0"
        assert one.id == people[0]["id"]

        # A membership without `role`: the field has a default, so the client may leave it out.
        body = models.MembershipCreate(member_id=people[1]["id"])
        joined = await join.asyncio(group_id=group["id"], client=api, body=body)
        assert isinstance(joined, models.MembershipRead), joined
        assert joined.role == models.MembershipRole.MEMBER

        detail = await groups_get.asyncio(group_id=group["id"], client=api)
        assert isinstance(detail, models.GroupDetail)
        assert detail.name == "Circulair inkopen"
        assert [m.display_name for m in detail.members] == [joined.display_name]

        agenda = await agenda_get.asyncio(client=api)
        assert isinstance(agenda, models.RevisionRead)
        assert [i.question.title for i in agenda.items] == ["Hoe kopen we circulair in?"]
        sheet = await agenda_export.asyncio(client=api)
        assert isinstance(sheet, str)
        assert sheet.splitlines()[1].startswith("1,high,")

        missing = await members_get.asyncio_detailed(
            member_id="00000000-0000-4000-8000-000000000000", client=api
        )
        assert missing.status_code == 404
        assert isinstance(missing.parsed, models.Problem)
        assert missing.parsed.status == 404
