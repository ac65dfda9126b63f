"""The store contract suite runs against every backend: memory (the fake), SQLite, PostgreSQL.

PostgreSQL is REQUIRED (never skipped): each test gets a fresh schema in the database named by
``TEST_DATABASE_URL`` (default: the local server CI starts, 127.0.0.1:5432, database
``test``), dropped afterwards, so runs never collide. If the server is unreachable the
PostgreSQL tests ERROR: start it with ``bash tests/services/ensure-postgres.sh``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from bot.store import open_store
from tests.fakes import InMemoryStore

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[object]:
    """A fresh, empty store of each kind."""
    if request.param == "memory":
        yield InMemoryStore()
        return
    if request.param == "sqlite":
        sql = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'contract.db'}")
        try:
            yield sql
        finally:
            await sql.close()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(_dsn(PG_URL))
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        sql = await open_store(PG_URL, schema=schema)
        try:
            yield sql
        finally:
            await sql.close()
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def sql_url(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[str, str | None]]:
    """A (url, schema) pair for tests that open their own SQL stores."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'own.db'}", None
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(_dsn(PG_URL))
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        yield PG_URL, schema
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()
