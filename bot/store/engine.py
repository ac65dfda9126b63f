"""Engine construction: SQLite (WAL) under the data directory, or PostgreSQL by URL.

SQLite is tuned for a bot process: WAL so readers never block the writer, ``synchronous=NORMAL``
(durable at checkpoints, safe with WAL), foreign keys on, and a busy timeout so two processes
sharing the file wait instead of failing. pysqlite's own transaction handling is switched off
and transactions are begun explicitly, so a write transaction can take the write lock up front
(``BEGIN IMMEDIATE``) instead of failing to upgrade a read lock halfway through.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 10_000
WRITE = {"sqlite_begin": "IMMEDIATE"}
"""Execution options of a write transaction (ignored by PostgreSQL)."""


def normalise_url(url: str) -> str:
    """Pick the async driver for a plain URL (``postgresql://`` -> asyncpg, ``sqlite://``
    -> aiosqlite) so operators can paste the URL their provider gives them."""
    parsed = make_url(url)
    driver = parsed.drivername
    if driver in {"postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"}:
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif driver == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed.render_as_string(hide_password=False)


def create_engine(url: str, *, schema: str | None = None, echo: bool = False) -> AsyncEngine:
    """An async engine for ``url``.

    Args:
        url: SQLAlchemy URL (``sqlite+aiosqlite:///path`` or ``postgresql+asyncpg://...``).
        schema: PostgreSQL only: the schema to use (it must exist); tests and the bench use
            a private schema so runs never collide.
        echo: Log every statement (debugging).
    """
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo)
        _tune_sqlite(engine)
        return engine
    connect_args: dict[str, Any] = {}
    if schema:
        connect_args["server_settings"] = {"search_path": schema}
    return create_async_engine(
        url, echo=echo, pool_pre_ping=True, connect_args=connect_args, pool_size=5
    )


def _tune_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver; ``_on_begin`` issues BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")
