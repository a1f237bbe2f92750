"""Which exceptions are faults of the database or the way to it, not of the request: those are
a 503 worth a retry, wherever they are raised."""

from __future__ import annotations

import asyncpg
import asyncpg.exceptions as pg_errors
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

_MARKERS = (
    "database is locked",
    "database table is locked",
    "statement timeout",
    "canceling statement",
    "connection",
    "terminat",
    "shutting down",
    "too many clients",
    "deadlock",
    "could not serialize",
)


def _is_unavailable(exc: DBAPIError) -> bool:
    if exc.connection_invalidated:
        return True
    # The dialect's DB-API error keeps asyncpg's own as its cause: a state error of a
    # connection that broke mid-operation says nothing of "connection" in its text.
    driver = exc.orig.__cause__ if exc.orig is not None else None
    if isinstance(driver, _ASYNCPG_UNAVAILABLE + _DRIVER_UNAVAILABLE):
        return True
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    return any(marker in text for marker in _MARKERS)


_ASYNCPG_UNAVAILABLE = (
    asyncpg.InterfaceError,  # includes a connection that Postgres closed under us
    asyncpg.PostgresConnectionError,
    asyncpg.QueryCanceledError,  # statement_timeout
    asyncpg.AdminShutdownError,  # pg_terminate_backend, a server shutting down
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
)


# asyncpg's errors for a lost or refused connection, a server shutting down or restarting, a
# statement cancelled by statement_timeout, too many connections, a deadlock or a
# serialization failure; and the state error of a connection that broke mid-operation.
_DRIVER_UNAVAILABLE = (
    pg_errors.PostgresConnectionError,
    pg_errors.OperatorInterventionError,
    pg_errors.InsufficientResourcesError,
    pg_errors.TransactionRollbackError,
    pg_errors.InternalClientError,
)

# What the exception handlers catch as database faults (the last resort catches the rest).
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    DBAPIError,
    PoolTimeout,
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)


def is_database_unavailable(exc: BaseException) -> bool:
    """A fault of the database or the way to it, not of the request: worth a retry."""
    if isinstance(exc, PoolTimeout):
        return True  # every pooled connection stayed busy for pool_timeout
    if isinstance(exc, DBAPIError):
        return not isinstance(exc, IntegrityError) and (
            isinstance(exc, OperationalError) or _is_unavailable(exc)
        )
    if isinstance(exc, _ASYNCPG_UNAVAILABLE):
        return True  # the driver's own errors (the sync's COPY talks to asyncpg directly)
    if isinstance(exc, _DRIVER_UNAVAILABLE):
        return True  # raised by asyncpg itself, where no SQLAlchemy wraps it
    if isinstance(exc, pg_errors.InterfaceError):
        return "closed" in str(exc)  # not its other complaints, which are bugs
    # Opening a connection to a server that is down or restarting: the driver's own errors
    # (connection refused or reset, a connect timeout) are not wrapped by SQLAlchemy.
    return isinstance(exc, (OSError, TimeoutError))
