"""`client members`: every member, page after page."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer

from app.client.api import DEFAULT_TIMEOUT
from app.client.common import DEFAULT_URL, FormatOption, Timeout, Url, connect
from app.client.output import CsvWriter, Format, json_array, pick, write_table

app = typer.Typer(
    help="Members of the community.", no_args_is_help=True, rich_markup_mode="markdown"
)

# A CSV row per member: the member's own fields, and the names of what it refers to.
CSV_COLUMNS = (
    "id",
    "externalId",
    "email",
    "givenName",
    "familyName",
    "displayName",
    "status",
    "participation",
    "source",
    "departmentId",
    "department.code",
    "department.name",
    "organisationId",
    "organisation.name",
    "transitionRoles",
    "discipline",
    "joinedAt",
    "deactivatedAt",
    "erasedAt",
    "version",
    "createdAt",
    "updatedAt",
)
TABLE_COLUMNS = {
    "External id": "externalId",
    "Name": "displayName",
    "E-mail": "email",
    "Department": "department.name",
    "Status": "status",
    "Participation": "participation",
    "Source": "source",
}
MAX_PAGE_SIZE = 100


@app.command("export")
def export(
    url: Url = DEFAULT_URL,
    fmt: FormatOption = Format.TABLE,
    timeout: Timeout = DEFAULT_TIMEOUT,
    status: Annotated[str | None, typer.Option(help="active or inactive")] = None,
    source: Annotated[str | None, typer.Option(help="manual, sync or scim")] = None,
    department_id: Annotated[uuid.UUID | None, typer.Option()] = None,
    page_size: Annotated[
        int, typer.Option(min=1, max=MAX_PAGE_SIZE, help="Members per request.")
    ] = MAX_PAGE_SIZE,
) -> None:
    """Every member, or those the filters leave, from all pages.

    Follows the list's `next` links to the last page; JSON and CSV are written as the pages
    arrive."""
    params: dict[str, str | int] = {"pageSize": page_size}
    if status is not None:
        params["status"] = status
    if source is not None:
        params["source"] = source
    if department_id is not None:
        params["departmentId"] = str(department_id)
    with connect(url, timeout) as api:
        members = api.items("/members", params)
        if fmt is Format.JSON:
            with json_array() as add:
                for member in members:
                    add(member)
        elif fmt is Format.CSV:
            CsvWriter(CSV_COLUMNS).rows(
                [pick(member, column) for column in CSV_COLUMNS] for member in members
            )
        else:
            rows = [[pick(member, path) for path in TABLE_COLUMNS.values()] for member in members]
            write_table(
                tuple(TABLE_COLUMNS),
                rows,
                caption=f"{len(rows)} members",
                wide=("E-mail", "Name", "Department"),
            )
