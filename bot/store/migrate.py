"""Apply the numbered migrations in ``bot.store.migrations`` (at start-up, idempotently)."""

from __future__ import annotations

import importlib
import logging
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.store import migrations
from bot.store.engine import WRITE

log = logging.getLogger(__name__)

_NAME = re.compile(r"^m(\d{4})_(\w+)$")
# Any constant works: it only has to be the same in every process that migrates this database.
_PG_LOCK_KEY = 0x1B07_5702


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered migration."""

    version: int
    name: str
    statements: Callable[[str], list[str]]


def discover() -> list[Migration]:
    """Every migration module, in version order (gaps and duplicates are errors)."""
    found: list[Migration] = []
    for info in pkgutil.iter_modules(migrations.__path__):
        match = _NAME.match(info.name)
        if not match:
            continue
        module = importlib.import_module(f"{migrations.__name__}.{info.name}")
        found.append(Migration(int(match.group(1)), match.group(2), module.statements))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps: {versions}")
    return found


async def applied_versions(engine: AsyncEngine) -> set[int]:
    """Versions already applied to the database."""
    async with engine.connect() as conn:
        await _ensure_table(conn)
        await conn.commit()
        rows = await conn.execute(text("SELECT version FROM schema_migrations"))
        return {int(r[0]) for r in rows}


async def migrate(engine: AsyncEngine) -> list[int]:
    """Apply pending migrations; returns the versions applied now."""
    done: list[int] = []
    for migration in discover():
        async with engine.execution_options(**WRITE).begin() as conn:
            dialect = conn.dialect.name
            if dialect == "postgresql":
                # Two bot processes starting together must not both apply a migration.
                await conn.execute(text(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})"))
            await _ensure_table(conn)
            row = await conn.execute(
                text("SELECT 1 FROM schema_migrations WHERE version = :v"),
                {"v": migration.version},
            )
            if row.first() is not None:
                continue
            for statement in migration.statements(dialect):
                await conn.execute(text(statement))
            await conn.execute(
                text(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (:v, :n, :at)"
                ),
                {
                    "v": migration.version,
                    "n": migration.name,
                    "at": datetime.now(UTC).isoformat(),
                },
            )
            log.info("applied migration %04d %s", migration.version, migration.name)
            done.append(migration.version)
    return done


async def _ensure_table(conn: AsyncConnection) -> None:
    await conn.execute(
        text(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
    )
