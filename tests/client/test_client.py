"""`leergemeenschap client` against a live API: uvicorn serving the session's database (SQLite,
and Postgres when there is one), the data built as the other tests build it, the client run as
the command runs it (`main(["client", …])`, once in a subprocess), answers compared with what
the API itself answers."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from app.cli import main
from app.client.api import Api, ClientError, ExitCode, Failed, Refused, Unreachable, api_root
from app.core.models import utcnow
from tests.agenda.api import item, publish_agenda
from tests.agenda.factories import make_group, make_question, make_theme, set_question_status
from tests.changes.conftest import settled
from tests.factories import bearer, make_key, make_member
from tests.live import command, free_port

ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass
class Ran:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def csv(self) -> list[list[str]]:
        return list(csv.reader(io.StringIO(self.out, newline="")))


Client = Callable[..., Ran]


@pytest.fixture
def cli(live: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Client:
    """Runs `leergemeenschap client ARGS…` with `key` in the environment (None: no key)."""
    monkeypatch.setenv("LEERGEMEENSCHAP_URL", live)
    monkeypatch.delenv("LEERGEMEENSCHAP_TIMEOUT", raising=False)
    # Wide enough that a table shows every cell whole.
    monkeypatch.setenv("COLUMNS", "250")

    def run(key: str | None, *args: str) -> Ran:
        if key is None:
            monkeypatch.delenv("LEERGEMEENSCHAP_API_KEY", raising=False)
        else:
            monkeypatch.setenv("LEERGEMEENSCHAP_API_KEY", key)
        capsys.readouterr()
        code = main(["client", *args])
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return run


@dataclass
class Agenda:
    key: str
    questions: list[dict[str, Any]]
    group: dict[str, Any]
    between: str


async def two_revisions(client: httpx.AsyncClient) -> Agenda:
    """Revision 1 (q1, q2), then q2 starts being explored, then revision 2 (q2 moved up, q3
    new, q1 gone)."""
    key = await make_key("reader")
    admin = await make_key("admin")
    theme = await make_theme(name="De gemeente als organisatie")
    group = await make_group(theme["id"], name="Circulair inkopen")
    q1 = await make_question(theme["id"], title="Hoe kopen we circulair in?")
    q2 = await make_question(theme["id"], title="Wie beheert de materialenkennis?")
    q3 = await make_question(None, title="=Welke contractvormen werken?")
    await publish_agenda(
        client,
        admin,
        [item(q1["id"], 1, "high", note="eerst"), item(q2["id"], 2, owner_group_id=group["id"])],
        title="Na werkplaats 1",
    )
    between = utcnow().isoformat()
    await set_question_status(q2["id"], "exploring")
    await publish_agenda(
        client,
        admin,
        [item(q2["id"], 1, owner_group_id=group["id"]), item(q3["id"], 2, "low", note="nieuw")],
        title="Na werkplaats 2",
    )
    return Agenda(key, [q1, q2, q3], group, between)


async def api_get(client: httpx.AsyncClient, key: str, url: str, **params: Any) -> httpx.Response:
    response = await client.get(url, params=params, headers=bearer(key))
    assert response.status_code == 200, response.text
    return response


async def api_csv(client: httpx.AsyncClient, key: str, url: str, **params: Any) -> str:
    headers = {**bearer(key), "Accept": "text/csv"}
    response = await client.get(url, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.text


async def test_agenda_now_in_every_format(client, cli):
    agenda = await two_revisions(client)
    now = await api_get(client, agenda.key, "/v1/agenda")

    as_json = cli(agenda.key, "agenda", "now", "--format", "json")
    assert as_json.code == ExitCode.OK, as_json.err
    assert as_json.json() == now.json()
    assert as_json.json()["number"] == 2

    as_csv = cli(agenda.key, "agenda", "now", "-f", "csv")
    assert as_csv.code == ExitCode.OK, as_csv.err
    assert as_csv.out == await api_csv(client, agenda.key, "/v1/agenda/export.csv")
    rows = as_csv.csv()
    assert rows[0][:3] == ["rank", "priority", "questionId"]
    assert [row[3] for row in rows[1:]] == [
        "Wie beheert de materialenkennis?",
        "'=Welke contractvormen werken?",
    ]

    table = cli(agenda.key, "agenda", "now")
    assert table.code == ExitCode.OK, table.err
    assert "Agenda revision 2: Na werkplaats 2" in table.out
    assert "Wie beheert de materialenkennis?" in table.out
    assert "=Welke contractvormen werken?" in table.out
    assert "Circulair inkopen" in table.out
    assert table.err == ""


async def test_agenda_as_of_an_instant_and_a_date(client, cli):
    agenda = await two_revisions(client)

    then = cli(agenda.key, "agenda", "as-of", agenda.between, "--format", "json")
    assert then.code == ExitCode.OK, then.err
    expected = await api_get(client, agenda.key, "/v1/agenda", asOf=agenda.between)
    assert then.json() == expected.json()
    assert then.json()["number"] == 1

    as_csv = cli(agenda.key, "agenda", "as-of", agenda.between, "--format", "csv")
    assert as_csv.code == ExitCode.OK, as_csv.err
    assert as_csv.out == await api_csv(client, agenda.key, "/v1/agenda/revisions/1/export.csv")

    # A date is the end of that day in Amsterdam: today's agenda there is the latest.
    amsterdam_today = utcnow().astimezone(ZoneInfo("Europe/Amsterdam")).date()
    today = cli(agenda.key, "agenda", "as-of", amsterdam_today.isoformat(), "-f", "json")
    assert today.code == ExitCode.OK, today.err
    assert today.json()["number"] == 2


async def test_a_refusal_exits_1_with_the_problems_title_and_detail(client, cli):
    agenda = await two_revisions(client)
    refused = await client.get(
        "/v1/agenda", params={"asOf": "2000-01-01"}, headers=bearer(agenda.key)
    )
    assert refused.status_code == 404

    before = cli(agenda.key, "agenda", "as-of", "2000-01-01", "--format", "json")
    assert before.code == ExitCode.REFUSED
    assert before.out == ""
    assert "Not found (404)" in before.err
    assert refused.json()["detail"] in before.err
    assert "Traceback" not in before.err

    # A sync key may not read the agenda: 403, and again its title and detail.
    sync = await make_key("sync")
    forbidden = cli(sync, "agenda", "now")
    assert forbidden.code == ExitCode.REFUSED
    assert "(403)" in forbidden.err

    unknown = cli(agenda.key, "agenda", "diff", "1", "9")
    assert unknown.code == ExitCode.REFUSED
    assert "Not found (404)" in unknown.err


async def test_agenda_diff_in_json_and_csv(client, cli):
    agenda = await two_revisions(client)
    q1, q2, q3 = (q["id"] for q in agenda.questions)

    as_json = cli(agenda.key, "agenda", "diff", "1", "2", "--format", "json")
    assert as_json.code == ExitCode.OK, as_json.err
    expected = await api_get(client, agenda.key, "/v1/agenda/revisions/2/diff", **{"from": 1})
    assert as_json.json() == expected.json()

    as_csv = cli(agenda.key, "agenda", "diff", "1", "2", "--format", "csv")
    assert as_csv.code == ExitCode.OK, as_csv.err
    assert as_csv.out.endswith("\r\n")
    header, *rows = as_csv.csv()
    assert header == ["change", "questionId", "questionTitle", "field", "old", "new"]
    assert {(r[0], r[1], r[3], r[4], r[5]) for r in rows} == {
        ("added", q3, "rank", "", "2"),
        ("added", q3, "priority", "", "low"),
        ("added", q3, "note", "", "nieuw"),
        ("removed", q1, "rank", "1", ""),
        ("removed", q1, "priority", "high", ""),
        ("removed", q1, "note", "eerst", ""),
        ("changed", q2, "rank", "2", "1"),
        ("status", q2, "status", "open", "exploring"),
    }
    assert len(rows) == 8

    table = cli(agenda.key, "agenda", "diff", "1", "2")
    assert table.code == ExitCode.OK, table.err
    assert "Agenda revision 1 → 2" in table.out
    assert "exploring" in table.out


async def test_agenda_history_in_json_and_csv(client, cli):
    agenda = await two_revisions(client)
    q1, q2 = agenda.questions[0]["id"], agenda.questions[1]["id"]
    group = agenda.group["id"]

    as_json = cli(agenda.key, "agenda", "history", q2, "--format", "json")
    assert as_json.code == ExitCode.OK, as_json.err
    expected = await api_get(client, agenda.key, f"/v1/learning-questions/{q2}/agenda-history")
    assert as_json.json() == expected.json()

    as_csv = cli(agenda.key, "agenda", "history", q1, "--format", "csv")
    assert as_csv.code == ExitCode.OK, as_csv.err
    header, *rows = as_csv.csv()
    assert header == [
        "number", "publishedAt", "present", "rank", "priority", "ownerGroupId", "note",
    ]  # fmt: skip
    assert [[r[0], r[2], r[3], r[4], r[5], r[6]] for r in rows] == [
        ["1", "true", "1", "high", "", "eerst"],
        ["2", "false", "", "", "", ""],
    ]
    q2_rows = cli(agenda.key, "agenda", "history", q2, "-f", "csv").csv()[1:]
    assert [(r[3], r[5]) for r in q2_rows] == [("2", group), ("1", group)]

    not_an_id = cli(agenda.key, "agenda", "history", "nope")
    assert not_an_id.code == ExitCode.USAGE


async def test_members_export_follows_every_page(client, cli):
    key = await make_key("reader")
    made = [await make_member(discipline="=SUM(A1)") for _ in range(5)]
    ids = {str(m["id"]) for m in made}

    as_json = cli(key, "members", "export", "--page-size", "2", "--format", "json")
    assert as_json.code == ExitCode.OK, as_json.err
    exported = as_json.json()
    assert {m["id"] for m in exported} == ids
    assert len(exported) == 5
    listed = await api_get(client, key, "/v1/members", pageSize=100)
    assert exported == listed.json()["items"]

    as_csv = cli(key, "members", "export", "--page-size", "2", "--format", "csv")
    assert as_csv.code == ExitCode.OK, as_csv.err
    header, *rows = as_csv.csv()
    assert header[:3] == ["id", "externalId", "email"]
    assert {row[0] for row in rows} == ids
    # A cell a spreadsheet would run as a formula is quoted, as in the API's own CSV.
    assert {row[header.index("discipline")] for row in rows} == {"'=SUM(A1)"}

    table = cli(key, "members", "export", "--page-size", "2")
    assert table.code == ExitCode.OK, table.err
    assert "5 members" in table.out

    inactive = cli(key, "members", "export", "--status", "inactive", "-f", "json")
    assert inactive.code == ExitCode.OK, inactive.err
    assert inactive.json() == []

    wrong = cli(key, "members", "export", "--status", "gone")
    assert wrong.code == ExitCode.REFUSED
    assert "(400)" in wrong.err
    assert "status" in wrong.err


def person(n: int, **overrides: Any) -> dict[str, Any]:
    return {
        "externalId": f"HR-{n:06d}",
        "email": f"persoon{n}@amsterdam.example",
        "givenName": f"Voornaam{n}",
        "familyName": f"Achternaam{n}",
        "departmentCode": "AGR",
        **overrides,
    }


def sync_file(path: Path, members: list[dict[str, Any]]) -> str:
    body = {
        "scope": {"departmentCodes": ["AGR"]},
        "mode": "additive",
        "departments": [{"code": "AGR", "name": "Afval & Grondstoffen", "kind": "afdeling"}],
        "members": members,
    }
    path.write_text(json.dumps(body), encoding="utf-8")
    return str(path)


async def test_sync_push(client, cli, tmp_path):
    key = await make_key("sync")
    first = sync_file(tmp_path / "first.json", [person(n) for n in range(1, 4)])

    applied = cli(key, "sync", "push", first, "--format", "json")
    assert applied.code == ExitCode.OK, applied.err
    run = applied.json()
    assert run["status"] == "applied"
    assert run["counts"]["created"] == 3
    assert run["counts"]["departmentsCreated"] == 1
    fetched = await api_get(client, key, f"/v1/member-syncs/{run['id']}")
    assert fetched.json() == run

    # A dry run of a rename: what would change, in CSV, and nothing written.
    renamed = sync_file(
        tmp_path / "renamed.json",
        [person(1, familyName="Nieuw"), *(person(n) for n in range(2, 4))],
    )
    preview = cli(key, "sync", "push", renamed, "--dry-run", "--format", "csv")
    assert preview.code == ExitCode.OK, preview.err
    header, *rows = preview.csv()
    assert header == ["kind", "key", "id", "action", "field", "old", "new"]
    assert [(r[0], r[1], r[3], r[4], r[5], r[6]) for r in rows] == [
        ("member", "HR-000001", "updated", "familyName", "Achternaam1", "Nieuw"),
    ]
    members = (await api_get(client, key, "/v1/members", externalId="HR-000001")).json()
    assert members["items"][0]["familyName"] == "Achternaam1"

    table = cli(key, "sync", "push", renamed)
    assert table.code == ExitCode.OK, table.err
    assert "applied" in table.out
    assert "updated" in table.out


async def test_sync_push_refusals(client, cli, tmp_path):
    key = await make_key("sync")
    bad = sync_file(tmp_path / "bad.json", [person(1, email="geen adres"), person(2)])

    invalid = cli(key, "sync", "push", bad)
    assert invalid.code == ExitCode.REFUSED
    assert "(400)" in invalid.err
    assert "members[0].email" in invalid.err
    assert "Traceback" not in invalid.err

    reader = await make_key("reader")
    good = sync_file(tmp_path / "good.json", [person(1)])
    forbidden = cli(reader, "sync", "push", good)
    assert forbidden.code == ExitCode.REFUSED
    assert "Not allowed (403)" in forbidden.err

    not_json = tmp_path / "not.json"
    not_json.write_text("members: []", encoding="utf-8")
    assert cli(key, "sync", "push", str(not_json)).code == ExitCode.USAGE
    assert cli(key, "sync", "push", str(tmp_path / "missing.json")).code == ExitCode.USAGE

    no_key = cli(None, "sync", "push", good)
    assert no_key.code == ExitCode.USAGE
    assert "LEERGEMEENSCHAP_API_KEY" in no_key.err


def test_connection_refused_exits_3_without_a_traceback():
    closed = free_port()
    env = {
        **os.environ,
        "LEERGEMEENSCHAP_URL": f"http://127.0.0.1:{closed}",
        "LEERGEMEENSCHAP_API_KEY": "lgk_test",
    }
    done = subprocess.run(
        [*command(), "client", "agenda", "now", "--format", "json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == ExitCode.UNAVAILABLE
    assert done.stdout == ""
    assert "cannot reach" in done.stderr
    assert "Traceback" not in done.stderr


def test_usage_errors_exit_2_and_help_exits_0(capsys, monkeypatch):
    monkeypatch.setenv("LEERGEMEENSCHAP_API_KEY", "lgk_test")
    assert main(["client", "--help"]) == 0
    assert "leergemeenschap client" in capsys.readouterr().out
    assert main(["client", "agenda", "now", "--format", "xml"]) == ExitCode.USAGE
    assert main(["client", "agenda", "as-of", "gisteren"]) == ExitCode.USAGE
    assert main(["client", "agenda", "diff", "1"]) == ExitCode.USAGE
    assert main(["client", "agenda", "now", "--url", "ftp://example"]) == ExitCode.USAGE


# --- the HTTP session alone, on canned answers ------------------------------------------------


def canned(
    handler: Callable[[httpx.Request], httpx.Response], url: str = "http://api.example:8000"
) -> Api:
    return Api(url, "lgk_test", transport=httpx.MockTransport(handler))


def problem(status: int, title: str, detail: str, **headers: str) -> httpx.Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return httpx.Response(
        status,
        json=body,
        headers={"Content-Type": "application/problem+json", **headers},
    )


def test_a_5xx_is_unavailable_with_its_problem():
    api = canned(
        lambda _: problem(503, "Service temporarily unavailable", "Retry.", **{"Retry-After": "2"})
    )
    with pytest.raises(Failed) as raised:
        api.get("/agenda")
    assert raised.value.exit_code == ExitCode.UNAVAILABLE
    assert raised.value.lines() == [
        "error: Service temporarily unavailable (503)",
        "Retry.",
        "Retry after 2 s.",
    ]


def test_an_error_that_is_not_a_problem_shows_its_status_and_first_line():
    api = canned(lambda _: httpx.Response(502, text="<html>Bad gateway</html>\n<p>nginx</p>"))
    with pytest.raises(Failed) as raised:
        api.get("/agenda")
    assert raised.value.lines() == ["error: Bad Gateway (502)", "<html>Bad gateway</html>"]

    api = canned(lambda _: problem(409, "Conflict", "Taken."))
    with pytest.raises(Refused) as refused:
        api.get("/agenda")
    assert refused.value.exit_code == ExitCode.REFUSED


def test_a_connection_error_is_unreachable():
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused", request=request)

    with pytest.raises(Unreachable) as raised:
        canned(fail).get("/agenda")
    assert raised.value.exit_code == ExitCode.UNAVAILABLE


def test_next_links_are_followed_on_the_api_the_user_named():
    seen: list[httpx.Request] = []

    def pages(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if "cursor" not in request.url.params:
            # A proxy that does not pass the Host on: the link names another address.
            next_url = "http://internal:9000/v1/members?pageSize=1&cursor=abc"
            return httpx.Response(200, json={"items": [{"n": 1}], "next": next_url})
        return httpx.Response(200, json={"items": [{"n": 2}], "next": None})

    items = list(canned(pages, "http://api.example:8000/v1/").items("/members", {"pageSize": 1}))
    assert items == [{"n": 1}, {"n": 2}]
    assert [str(r.url) for r in seen] == [
        "http://api.example:8000/v1/members?pageSize=1",
        "http://api.example:8000/v1/members?pageSize=1&cursor=abc",
    ]
    assert all(r.headers["Authorization"] == "Bearer lgk_test" for r in seen)


def test_the_api_root():
    assert str(api_root("http://127.0.0.1:8000")) == "http://127.0.0.1:8000/v1"
    assert str(api_root("https://api.example/leergemeenschap/v1/")) == (
        "https://api.example/leergemeenschap/v1"
    )
    for wrong in ("127.0.0.1:8000", "ftp://example", "http://[::1"):
        with pytest.raises(ValueError):
            api_root(wrong)


def test_an_answer_that_is_not_json_is_no_traceback():
    api = canned(lambda _: httpx.Response(200, text="<html>Log in</html>"))
    with pytest.raises(ClientError) as raised:
        api.get_json("/agenda")
    assert raised.value.exit_code == ExitCode.UNAVAILABLE
    assert "not JSON" in raised.value.lines()[0]


async def test_changes_follow_once_and_resume(client, cli):
    key = await make_key("reader")
    first = await make_member()
    await settled()  # on Postgres: until the cluster's older transactions have ended
    ran = cli(key, "changes", "follow", "--once", "--types", "member")
    assert ran.code == 0, ran.err
    lines = [json.loads(line) for line in ran.out.splitlines()]
    assert [(c["type"], c["change"], c["resourceId"]) for c in lines] == [
        ("member", "created", str(first["id"]))
    ]
    resume = ran.err.split("resume: ", 1)[1].strip()
    after = resume.split("after=", 1)[1].split("&", 1)[0]
    second = await make_member()
    await settled()
    ran = cli(key, "changes", "follow", "--once", "--after", after, "--format", "csv")
    assert ran.code == 0, ran.err
    rows = ran.csv()
    assert rows[0][:5] == ["position", "occurredAt", "type", "resourceId", "change"]
    assert [(row[2], row[3], row[4]) for row in rows[1:]] == [
        ("member", str(second["id"]), "created")
    ]
    # A position the feed never handed out: the API's 400, exit code 1.
    ran = cli(key, "changes", "follow", "--once", "--after", "nonsense")
    assert ran.code == 1
    assert "after" in ran.err
