"""Tell a dependency that is briefly unavailable from a bug.

The database (SQLite locked by another process past the busy timeout, PostgreSQL refusing or
dropping connections) and the knowledge index (a Chroma server that is down or restarting) can
be unreachable for a moment. Such a failure is not a bug, and a member should read "try again
in a minute", not "something went wrong". Front-ends ask :func:`is_unavailable`; nothing here
imports a driver, so it costs nothing to call.
"""

from __future__ import annotations

from collections.abc import Iterator

_LOCKED = ("database is locked", "database is busy", "database table is locked")
_ASYNCPG = frozenset(
    {
        "CannotConnectNowError",  # the server is starting up or shutting down
        "ConnectionDoesNotExistError",  # the connection was lost mid-query
        "ConnectionFailureError",
        "TooManyConnectionsError",
        "AdminShutdownError",
        "CrashShutdownError",
    }
)
_HTTPX = frozenset(
    {
        "ConnectError",
        "ConnectTimeout",
        "ReadError",
        "ReadTimeout",
        "WriteError",
        "WriteTimeout",
        "PoolTimeout",
        "RemoteProtocolError",
    }
)


def _chain(error: BaseException) -> Iterator[BaseException]:
    """``error``, its causes and contexts, and the driver errors SQLAlchemy wraps (``orig``)."""
    seen: set[int] = set()
    todo = [error]
    while todo:
        exc = todo.pop()
        if id(exc) in seen:
            continue
        seen.add(id(exc))
        yield exc
        for nxt in (exc.__cause__, exc.__context__, getattr(exc, "orig", None)):
            if isinstance(nxt, BaseException):
                todo.append(nxt)


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database or the knowledge index is briefly unreachable."""
    for exc in _chain(error):
        if isinstance(exc, ConnectionError | TimeoutError):
            return True  # refused, reset, broken pipe, timed out
        module, name = type(exc).__module__, type(exc).__name__
        if module.startswith("sqlalchemy") and (
            getattr(exc, "connection_invalidated", False)
            or name in {"DisconnectionError", "TimeoutError"}  # pool exhausted
        ):
            return True
        if name == "OperationalError" and any(m in str(exc).lower() for m in _LOCKED):
            return True
        if module.startswith("asyncpg") and name in _ASYNCPG:
            return True
        if module.startswith(("httpx", "httpcore")) and name in _HTTPX:
            return True
    return False
