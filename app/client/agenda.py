"""`client agenda`: the three questions a script asks of the learning agenda (what is on it
now, what was on it then, what changed) and one question's place on every revision."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

import typer

from app.client.api import CSV, DEFAULT_TIMEOUT, Params
from app.client.common import DEFAULT_URL, FormatOption, Timeout, Url, connect
from app.client.output import Format, cell, write_csv, write_json, write_table, write_text

app = typer.Typer(
    help="The learning agenda: now, at a moment, what changed, one question's history.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

ITEM_COLUMNS = ("Rank", "Priority", "Question", "Status", "Theme", "Owner group", "Note")
DIFF_COLUMNS = ("change", "questionId", "questionTitle", "field", "old", "new")
# The fields of an item that a diff compares, in the API's order.
ITEM_FIELDS = ("rank", "priority", "ownerGroupId", "note")
HISTORY_COLUMNS = ("number", "publishedAt", "present", "rank", "priority", "ownerGroupId", "note")


def as_of_param(moment: str) -> str:
    """`asOf` for the API: a date as given (the API reads it as the end of that day in
    Europe/Amsterdam, so that a revision published that day counts), or an instant."""
    try:
        return date.fromisoformat(moment).isoformat()
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(moment).isoformat()
    except ValueError:
        raise typer.BadParameter(
            "give a date (2026-03-01) or an instant (2026-03-01T09:30:00Z, "
            "2026-03-01T10:30:00+01:00)"
        ) from None


def _show_revision(url: str, fmt: Format, timeout: float, params: Params) -> None:
    with connect(url, timeout) as api:
        if fmt is Format.CSV:
            # The API writes the agenda's CSV itself.
            write_text(api.get("/agenda/export.csv", params, accept=CSV).text)
            return
        revision = api.get_json("/agenda", params)
    if fmt is Format.JSON:
        write_json(revision)
        return
    title = f"Agenda revision {revision['number']}"
    if revision.get("title"):
        title += f": {revision['title']}"
    if revision.get("publishedAt"):
        caption = f"published {revision['publishedAt']} by {revision.get('publishedBy') or '?'}"
    else:
        caption = revision["status"]
    write_table(
        ITEM_COLUMNS,
        map(_item_row, revision["items"]),
        title=title,
        caption=caption,
        wide=("Question", "Theme", "Owner group", "Note"),
    )


def _item_row(item: dict[str, Any]) -> list[Any]:
    question = item["question"]
    theme = question.get("theme") or {}
    group = item.get("ownerGroup") or {}
    return [
        item["rank"],
        item["priority"],
        question["title"],
        question["status"],
        theme.get("name"),
        group.get("name"),
        item.get("note"),
    ]


@app.command("now")
def now(
    url: Url = DEFAULT_URL, fmt: FormatOption = Format.TABLE, timeout: Timeout = DEFAULT_TIMEOUT
) -> None:
    """The agenda in force now: the latest published revision, items by rank."""
    _show_revision(url, fmt, timeout, {})


@app.command("as-of")
def as_of(
    moment: Annotated[
        str,
        typer.Argument(
            metavar="DATE",
            help="A date (2026-03-01: the end of that day in Amsterdam) or an instant "
            "(2026-03-01T09:30:00Z; without an offset, UTC).",
        ),
    ],
    url: Url = DEFAULT_URL,
    fmt: FormatOption = Format.TABLE,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> None:
    """The agenda that was in force at DATE (the API's `asOf`)."""
    _show_revision(url, fmt, timeout, {"asOf": as_of_param(moment)})


@app.command("diff")
def diff(
    old: Annotated[int, typer.Argument(metavar="A", min=1, help="The revision to compare from.")],
    new: Annotated[int, typer.Argument(metavar="B", min=1, help="The revision to compare to.")],
    url: Url = DEFAULT_URL,
    fmt: FormatOption = Format.TABLE,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> None:
    """What changed from revision A to revision B.

    Items added, removed and changed, and questions whose status changed between the two
    revisions' moments; in a table or CSV, one row per field."""
    with connect(url, timeout) as api:
        changes = api.get_json(f"/agenda/revisions/{new}/diff", {"from": old})
    if fmt is Format.JSON:
        write_json(changes)
        return
    rows = diff_rows(changes)
    if fmt is Format.CSV:
        write_csv(DIFF_COLUMNS, rows)
        return
    write_table(
        ("Change", "Question", "What"),
        diff_summary(changes),
        title=f"Agenda revision {old} → {new}",
        caption=None if rows else "no changes",
        wide=("Question", "What"),
    )


def diff_rows(changes: dict[str, Any]) -> list[list[Any]]:
    """A diff as rows of (change, question id, title, field, old, new): an added or removed
    item by each of its fields that has a value, a changed one by each field that changed,
    a status change by its status."""
    rows: list[list[Any]] = []
    for change, side in (("added", "new"), ("removed", "old")):
        for item in changes[change]:
            for name in ITEM_FIELDS:
                if item.get(name) is None:
                    continue
                old, new = (None, item[name]) if side == "new" else (item[name], None)
                rows.append([change, item["questionId"], item["question"]["title"], name, old, new])
    for item in changes["changed"]:
        for name in item["changedFields"]:
            values = item[name]
            rows.append(
                [
                    "changed",
                    item["questionId"],
                    item["question"]["title"],
                    name,
                    values["old"],
                    values["new"],
                ]
            )
    for status in changes["statusChanges"]:
        rows.append(
            [
                "status",
                status["questionId"],
                status["title"],
                "status",
                status["old"],
                status["new"],
            ]
        )
    return rows


def _placed(item: dict[str, Any]) -> str:
    placed = [f"rank {item['rank']}", str(item["priority"])]
    if item.get("ownerGroup"):
        placed.append(f"group {item['ownerGroup']['name']}")
    if item.get("note"):
        placed.append(f"note: {item['note']}")
    return ", ".join(placed)


def diff_summary(changes: dict[str, Any]) -> list[list[Any]]:
    """A diff for people: a row per question, each change in words."""
    rows: list[list[Any]] = []
    for change in ("added", "removed"):
        rows.extend([change, i["question"]["title"], _placed(i)] for i in changes[change])
    for item in changes["changed"]:
        what = "; ".join(
            f"{name} {cell(item[name]['old']) or '(none)'} → {cell(item[name]['new']) or '(none)'}"
            for name in item["changedFields"]
        )
        rows.append(["changed", item["question"]["title"], what])
    for status in changes["statusChanges"]:
        rows.append(["status", status["title"], f"{status['old']} → {status['new']}"])
    return rows


@app.command("history")
def history(
    question_id: Annotated[uuid.UUID, typer.Argument(metavar="QUESTION_ID")],
    url: Url = DEFAULT_URL,
    fmt: FormatOption = Format.TABLE,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> None:
    """Where a learning question stood on every published revision."""
    with connect(url, timeout) as api:
        found = api.get_json(f"/learning-questions/{question_id}/agenda-history")
    if fmt is Format.JSON:
        write_json(found)
        return
    rows = [[entry.get(name) for name in HISTORY_COLUMNS] for entry in found["items"]]
    if fmt is Format.CSV:
        write_csv(HISTORY_COLUMNS, rows)
        return
    write_table(
        ("Revision", "Published", "On the agenda", "Rank", "Priority", "Owner group", "Note"),
        rows,
        title=f"Learning question {question_id}",
        wide=("Note",),
    )
