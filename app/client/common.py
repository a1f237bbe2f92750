"""The options every client command takes, and `connect`, which opens the session and turns a
failed request into its message on standard error and its exit code."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from app.client.api import DEFAULT_TIMEOUT, Api, ClientError, ExitCode
from app.client.output import Format, report

URL_ENV = "LEERGEMEENSCHAP_URL"
KEY_ENV = "LEERGEMEENSCHAP_API_KEY"
TIMEOUT_ENV = "LEERGEMEENSCHAP_TIMEOUT"
DEFAULT_URL = "http://127.0.0.1:8000"

Url = Annotated[
    str,
    typer.Option(
        "--url",
        envvar=URL_ENV,
        help="The API's address (with or without /v1).",
    ),
]
FormatOption = Annotated[
    Format,
    typer.Option("--format", "-f", help="table for people; json or csv for scripts."),
]
Timeout = Annotated[
    float,
    typer.Option(
        "--timeout",
        envvar=TIMEOUT_ENV,
        min=1,
        help="Seconds to wait for an answer.",
    ),
]


@contextmanager
def connect(url: str, timeout: float = DEFAULT_TIMEOUT) -> Iterator[Api]:
    """The session for a command; the key comes from the environment only (a key on the
    command line would be visible to every user of the machine)."""
    key = os.environ.get(KEY_ENV, "").strip()
    if not key:
        report(
            [
                f"error: no API key: set {KEY_ENV} "
                "(an admin issues one with `leergemeenschap api-keys create`)."
            ]
        )
        raise typer.Exit(ExitCode.USAGE)
    try:
        api = Api(url, key, timeout=timeout)
    except ValueError as exc:
        report([f"error: --url: {exc}"])
        raise typer.Exit(ExitCode.USAGE) from None
    try:
        with api:
            yield api
    except ClientError as error:
        report(error.lines())
        raise typer.Exit(error.exit_code) from None
