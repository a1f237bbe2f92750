"""`client sync`: push a member sync (the body of POST /v1/member-syncs) from a file."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)

from app.client.api import DEFAULT_TIMEOUT
from app.client.common import DEFAULT_URL, FormatOption, Timeout, Url, connect
from app.client.output import Format, errors, write_csv, write_json, write_table

app = typer.Typer(
    help="Member syncs from an intranet or HR system.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

CHUNK = 64 * 1024
CHANGE_COLUMNS = ("kind", "key", "id", "action", "field", "old", "new")
COUNTS = (
    "received",
    "created",
    "updated",
    "reactivated",
    "deactivated",
    "unchanged",
    "departmentsCreated",
    "departmentsUpdated",
)


def _read(file: str) -> bytes:
    if file == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(file).read_bytes()
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {file}: {exc.strerror}", param_hint="FILE") from None


def _body(raw: bytes, file: str, dry_run: bool) -> bytes:
    """The file as sent: unchanged, unless --dry-run has to be set in it. A file that is not a
    JSON object is refused here, before it is uploaded."""
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise typer.BadParameter(f"{file} is not JSON: {exc}", param_hint="FILE") from None
    if not isinstance(body, dict):
        raise typer.BadParameter(
            f"{file} holds a JSON {type(body).__name__}, not an object", param_hint="FILE"
        )
    if not dry_run:
        return raw
    body["dryRun"] = True
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def _upload(data: bytes, progress: Progress) -> Iterator[bytes]:
    """The body in chunks, advancing the bar as httpx sends each; then the spinner turns on
    while the server applies the sync."""
    sending = progress.add_task("uploading", total=len(data))
    for start in range(0, len(data), CHUNK):
        chunk = data[start : start + CHUNK]
        yield chunk
        progress.advance(sending, len(chunk))
    progress.update(sending, description="the server applies it")


@app.command("push")
def push(
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE",
            help="A JSON file with the desired state (the body of POST /v1/member-syncs); "
            "- reads standard input.",
        ),
    ],
    url: Url = DEFAULT_URL,
    fmt: FormatOption = Format.TABLE,
    timeout: Timeout = DEFAULT_TIMEOUT,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Answer what would change; only the run's record is written."
        ),
    ] = False,
    idempotency_key: Annotated[
        str | None,
        typer.Option(help="Sent as Idempotency-Key: a retry with the same key is not run twice."),
    ] = None,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show the upload (on a terminal).")
    ] = True,
) -> None:
    """Send a member sync from FILE and show what it changed.

    In a table, the run and its counts; in JSON, the whole run; in CSV, one row per changed
    field of a member or department."""
    data = _body(_read(file), file, dry_run)
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    console = errors()
    with (
        connect(url, timeout) as api,
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not (progress and console.is_terminal),
        ) as bar,
    ):
        run = api.post("/member-syncs", _upload(data, bar), length=len(data), headers=headers)
    if fmt is Format.JSON:
        write_json(run)
    elif fmt is Format.CSV:
        write_csv(CHANGE_COLUMNS, change_rows(run))
    else:
        _summary(run)


def change_rows(run: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for change in run["departmentChanges"]:
        for name, values in change["fields"].items():
            rows.append(
                [
                    "department",
                    change["code"],
                    change["departmentId"],
                    change["action"],
                    name,
                    values["old"],
                    values["new"],
                ]
            )
    for change in run["changes"]:
        # A change that lists no field still gets its row.
        fields: dict[str, Any] = change["fields"] or {"": {"old": None, "new": None}}
        for name, values in fields.items():
            rows.append(
                [
                    "member",
                    change["externalId"],
                    change["memberId"],
                    change["action"],
                    name,
                    values["old"],
                    values["new"],
                ]
            )
    return rows


def _summary(run: dict[str, Any]) -> None:
    scope = ", ".join(run["scope"]["departmentCodes"])
    write_table(
        ("", ""),
        [
            ("sync", run["id"]),
            ("status", run["status"]),
            ("mode", run["mode"]),
            ("dry run", run["dryRun"]),
            ("scope", scope),
            ("took", f"{run['durationMs']} ms"),
            *((name, run["counts"][name]) for name in COUNTS),
        ],
        title="Member sync",
    )
