"""Which errors are the database's fault (503 and a retry) and which are the request's."""

from __future__ import annotations

import asyncpg
import asyncpg.exceptions._base as asyncpg_base
import pytest
from sqlalchemy.dialects.postgresql import asyncpg as pg_asyncpg
from sqlalchemy.exc import DBAPIError

from app.core.faults import is_database_unavailable

DBAPI = pg_asyncpg.dialect.import_dbapi()


def _wrapped(driver_error: Exception) -> DBAPIError:
    """`driver_error` as the ORM path raises it: the dialect's DB-API error, caused by the
    driver's, wrapped by SQLAlchemy."""
    try:
        pg_asyncpg.AsyncAdapt_asyncpg_connection._handle_exception_no_connection(
            DBAPI, driver_error
        )
    except DBAPI.Error as translated:
        return DBAPIError.instance("SELECT 1", [], translated, DBAPI.Error)
    raise AssertionError("the dialect did not translate the driver's error")


def test_a_connection_that_broke_mid_operation_is_unavailable_when_wrapped():
    # Postgres terminated the backend: asyncpg refuses the next statement on that connection
    # with a state error that names no "connection" at all.
    broken = asyncpg_base.InternalClientError(
        "cannot switch to state 12; another operation (2) is in progress"
    )
    assert is_database_unavailable(broken)
    assert is_database_unavailable(_wrapped(broken))


@pytest.mark.parametrize(
    "driver_error",
    [
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.QueryCanceledError("canceling statement due to statement timeout"),
    ],
)
def test_server_side_faults_are_unavailable_when_wrapped(driver_error: Exception):
    assert is_database_unavailable(_wrapped(driver_error))


@pytest.mark.parametrize(
    "driver_error",
    [
        asyncpg.UniqueViolationError("duplicate key value violates unique constraint"),
        asyncpg.UndefinedColumnError('column "nope" does not exist'),
        asyncpg.DataError("invalid input syntax for type uuid"),
    ],
)
def test_errors_of_the_request_or_the_code_are_not(driver_error: Exception):
    assert not is_database_unavailable(_wrapped(driver_error))
