"""The `leergemeenschap client` command group: its groups, and `run`, which the argparse
command hands the words after `client` to."""

from __future__ import annotations

from collections.abc import Sequence

import typer

from app.client import agenda, changes, members, sync
from app.client.api import ExitCode

EXIT_CODES = (
    "Exit codes: 0 done; 1 the API refused the request (4xx: its title and detail are "
    "printed); 2 usage (bad options or arguments, an unreadable FILE, no API key); 3 the API "
    "could not be reached or failed (no connection, a timeout, 5xx)."
)

cli = typer.Typer(
    help=(
        "Ask a running API: the learning agenda, members, member syncs. The API's address "
        "comes from --url or LEERGEMEENSCHAP_URL (default http://127.0.0.1:8000), the key "
        "from LEERGEMEENSCHAP_API_KEY (sent as Authorization: Bearer)."
    ),
    epilog=EXIT_CODES,
    no_args_is_help=True,
    rich_markup_mode="markdown",
    add_completion=False,
    pretty_exceptions_enable=False,
)
cli.add_typer(agenda.app, name="agenda")
cli.add_typer(changes.app, name="changes")
cli.add_typer(members.app, name="members")
cli.add_typer(sync.app, name="sync")
# The change feed's `changes follow` joins here (a module like these) once the API has one.


def run(argv: Sequence[str]) -> int:
    """Run `leergemeenschap client ARGV…` and answer its exit code."""
    command = typer.main.get_command(cli)
    try:
        command.main(args=list(argv), prog_name="leergemeenschap client", standalone_mode=True)
    except SystemExit as stop:
        if stop.code is None:
            return ExitCode.OK
        return stop.code if isinstance(stop.code, int) else ExitCode.REFUSED
    return ExitCode.OK
