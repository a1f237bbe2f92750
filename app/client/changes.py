"""`client changes follow`: what changed, as it changes (the change feed, /v1/changes)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

import typer

from app.client.api import Api
from app.client.common import DEFAULT_URL, FormatOption, Timeout, Url, connect
from app.client.output import CsvWriter, Format, errors, pick, write_text

app = typer.Typer(
    help="The change feed: what changed, in order.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

COLUMNS = (
    "position",
    "occurredAt",
    "type",
    "resourceId",
    "change",
    "version",
    "actor.role",
    "href",
)
# What a line of the table format shows.
TABLE_COLUMNS = ("occurredAt", "type", "change", "resourceId", "version")
# Seconds the API keeps a long poll open; within the client's own timeout.
WAIT = 25


def changes(api: Api, params: dict[str, str | int], *, once: bool) -> Iterator[dict[str, Any]]:
    """Every change from the position in `params` on: page after page while there is a `next`,
    then (unless `once`) `resume` as a long poll, for as long as the command runs."""
    page: Any = api.get_json("/changes", params)
    while True:
        yield from page["items"]
        if page["next"]:
            page = api.get_json(page["next"])
        elif once:
            errors().print(f"resume: {page['resume']}", highlight=False, soft_wrap=True)
            return
        else:
            page = api.get_json(page["resume"])


@app.command("follow")
def follow(
    url: Url = DEFAULT_URL,
    fmt: FormatOption = Format.JSON,
    timeout: Timeout = 60,
    after: Annotated[
        str | None,
        typer.Option(help="Continue from this position (a change's `position`)."),
    ] = None,
    types: Annotated[
        str | None,
        typer.Option(help="Only these resource types, comma-separated (e.g. member,department)."),
    ] = None,
    once: Annotated[
        bool,
        typer.Option(
            "--once",
            help="Stop at the newest change and print where to resume (on standard error).",
        ),
    ] = False,
) -> None:
    """Every change, oldest first, then each new one as it comes (until interrupted).

    Nothing is missed and nothing repeats; `--after` continues where an earlier run stopped.
    JSON writes one change per line (JSON Lines), CSV one row per change."""
    params: dict[str, str | int] = {"pageSize": 100}
    if after is not None:
        params["after"] = after
    if types is not None:
        params["types"] = types
    if not once:
        params["wait"] = WAIT
    with connect(url, max(timeout, WAIT + 10)) as api:
        writer = CsvWriter(COLUMNS) if fmt is Format.CSV else None
        try:
            for change in changes(api, params, once=once):
                # One line (or row) per change, written as it comes.
                if writer is not None:
                    writer.rows([[pick(change, column) for column in COLUMNS]])
                elif fmt is Format.JSON:
                    write_text(json.dumps(change, ensure_ascii=False) + "\n")
                else:
                    write_text("  ".join(str(pick(change, c)) for c in TABLE_COLUMNS) + "\n")
        except KeyboardInterrupt:
            return
