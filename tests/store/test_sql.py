"""SQL-only checks: migrations, schema agreement, engine set-up, the store across processes."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from bot.store import open_store
from bot.store.engine import normalise_url
from bot.store.migrate import applied_versions, discover, migrate
from bot.store.schema import metadata


async def test_migrations_apply_once_and_match_the_schema(sql_url) -> None:
    url, schema = sql_url
    store = await open_store(url, schema=schema)
    try:
        versions = [m.version for m in discover()]
        assert await applied_versions(store.engine) == set(versions)
        assert await migrate(store.engine) == []  # idempotent
        async with store.engine.connect() as conn:
            columns = await conn.run_sync(
                lambda sync: {
                    t: {c["name"] for c in inspect(sync).get_columns(t)}
                    for t in inspect(sync).get_table_names()
                }
            )
        for table in metadata.sorted_tables:
            assert columns[table.name] == {c.name for c in table.columns}, table.name
    finally:
        await store.close()


async def test_two_stores_on_one_database_share_state(sql_url) -> None:
    url, schema = sql_url
    a = await open_store(url, schema=schema)
    b = await open_store(url, schema=schema)  # a second process starting: no re-migration
    try:
        await a.save_guild_overrides(1, {"timezone": "UTC"}, _now())
        assert await b.get_guild_overrides(1) == {"timezone": "UTC"}
    finally:
        await a.close()
        await b.close()


async def test_sqlite_uses_wal(tmp_path) -> None:
    store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'sub' / 'x.db'}")
    try:
        async with store.engine.connect() as conn:
            mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
            fks = (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar()
        assert mode == "wal"
        assert fks == 1
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h:5432/db", "postgresql+asyncpg://u@h:5432/db"),
        ("postgres://u:p@h/db", "postgresql+asyncpg://u:p@h/db"),
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_plain_urls_get_async_drivers(given: str, expected: str) -> None:
    assert normalise_url(given) == expected


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)
