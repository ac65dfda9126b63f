"""``bench store``: how the leaderboard and answer recording hold up as answers pile up.

Fills a fresh database (SQLite file and/or a private PostgreSQL schema) with ``answers``
attempts across ``members`` members and ``guilds`` servers spread over a year, with their
per-day roll-ups, then times through the real ``SqlStore``:

* a top-10 member board for each period (today, week, month, all time) of a random server;
* recording one answer (the full transaction: attempt, day roll-up, streak, review item).

Each figure is the p50/p95 over many calls after a warm-up. The fill itself uses the drivers'
bulk paths (``executemany`` in large batches for SQLite, ``COPY`` for PostgreSQL) so a million
rows take seconds, not an hour.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import sys
import tempfile
import time as clock
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import text

from bot.core.leaderboard import MemberTotal
from bot.core.review import ReviewItem
from bot.core.schedule import Period, period_range
from bot.core.scoring import AttemptMode
from bot.core.store_ports import AttemptRecord
from bot.core.streaks import StreakState
from bot.store.sql import SqlStore, open_store

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
DAYS = 365
BATCH = 50_000
ATTEMPT_COLUMNS = (
    "guild_id", "member_id", "question_id", "topic", "mode", "idempotency_key", "created_at",
    "local_date", "daily_date", "scored", "fraction", "points", "genuine", "outcome",
)  # fmt: skip
TOPICS = ("ml-foundations", "transformers", "fine-tuning", "evaluation", "responsible-ai")


@dataclass(frozen=True, slots=True)
class BenchResult:
    """One measured operation."""

    backend: str
    operation: str
    p50_ms: float
    p95_ms: float
    samples: int


@dataclass(frozen=True, slots=True)
class _Shape:
    answers: int
    members: int
    guilds: int
    seed: int


def _memberships(shape: _Shape) -> list[tuple[int, ...]]:
    """Each member's servers: a home server, and a second one for about a third of them."""
    rnd = random.Random(shape.seed)  # noqa: S311 - synthetic data, not security
    out: list[tuple[int, ...]] = []
    for m in range(shape.members):
        home = m % shape.guilds
        extra = rnd.randrange(shape.guilds)
        out.append((home, extra) if extra != home and rnd.random() < 0.3 else (home,))
    return out


def _outcome_json() -> str:
    # A representative stored snapshot (4 key points, short evidence): ~1 kB per answer.
    point = {
        "point_id": "diagnose",
        "statement": "The model is overfitting: the gap between training and validation grows.",
        "status": "covered",
        "score": 0.92,
        "evidence": "Validation loss rising while training loss falls means it memorises.",
        "citation": {
            "note_id": "overfitting-regularisation",
            "title": "Overfitting and regularisation",
            "heading": "Recognising overfitting",
            "label": "Overfitting and regularisation > Recognising overfitting",
        },
    }
    return json.dumps(
        {
            "grade": {"score": 7.5, "max_score": 10, "flags": [], "points": [point] * 4},
            "points": {"awarded": 30, "base": 30, "hint_penalty": 0, "max": 40},
            "streak": {"current": 3, "best": 9},
        },
        separators=(",", ":"),
    )


def _generate(
    shape: _Shape, days: dict[tuple[int, date, int], list[int]]
) -> Iterator[list[tuple[Any, ...]]]:
    """Attempt rows in batches (deterministic); fills ``days`` with the per-day roll-up."""
    rnd = random.Random(shape.seed + 1)  # noqa: S311 - synthetic data, not security
    memberships = _memberships(shape)
    outcome = _outcome_json()
    start = NOW - timedelta(days=DAYS)
    batch: list[tuple[Any, ...]] = []
    for i in range(shape.answers):
        member = rnd.randrange(shape.members)
        servers = memberships[member]
        guild = servers[0] if len(servers) == 1 or rnd.random() < 0.7 else servers[1]
        at = start + timedelta(seconds=rnd.randrange(DAYS * 86_400))
        day = at.date()
        daily = rnd.random() < 0.2
        fraction = rnd.random()
        genuine = rnd.random() < 0.97
        points = int(fraction * (100 if daily else 40) + 0.5) if genuine else 0
        batch.append(
            (
                guild + 1,
                member + 1,
                f"q-{rnd.randrange(200):03d}",
                TOPICS[rnd.randrange(len(TOPICS))],
                "daily" if daily else "practice",
                f"bench-{i}",
                at,
                day,
                None,  # the one-scored-daily key is exercised by the tests, not the bench
                genuine,
                fraction,
                points,
                genuine,
                outcome,
            )
        )
        if genuine or points:
            row = days.setdefault((guild + 1, day, member + 1), [0, 0])
            row[0] += points
            row[1] += 1 if genuine else 0
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


async def _fill_sqlite(store: SqlStore, shape: _Shape) -> None:
    days: dict[tuple[int, date, int], list[int]] = {}
    placeholders = ", ".join("?" * len(ATTEMPT_COLUMNS))
    # Built from the constant column list above: no outside input reaches this SQL.
    insert = f"INSERT INTO attempts ({', '.join(ATTEMPT_COLUMNS)}) VALUES ({placeholders})"  # noqa: S608
    async with store.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        db: Any = raw.driver_connection
        await db.execute("BEGIN")
        for batch in _generate(shape, days):
            # The same text forms SQLAlchemy writes: sortable UTC timestamps, ISO dates.
            await db.executemany(
                insert,
                [
                    (
                        *r[:6],
                        r[6].strftime("%Y-%m-%d %H:%M:%S.%f"),
                        r[7].isoformat(),
                        None,
                        int(r[9]),
                        r[10],
                        r[11],
                        int(r[12]),
                        r[13],
                    )
                    for r in batch
                ],
            )
        await db.executemany(
            "INSERT INTO daily_points (guild_id, local_date, member_id, points, attempts)"
            " VALUES (?, ?, ?, ?, ?)",
            [(g, d.isoformat(), m, p, a) for (g, d, m), (p, a) in days.items()],
        )
        await db.executemany(
            "INSERT INTO member_totals (guild_id, member_id, points, attempts) VALUES (?, ?, ?, ?)",
            [(g, m, p, a) for (g, m), (p, a) in _running_totals(days).items()],
        )
        await db.execute("COMMIT")
        await db.execute("ANALYZE")


async def _fill_postgres(store: SqlStore, shape: _Shape, schema: str) -> None:
    days: dict[tuple[int, date, int], list[int]] = {}
    async with store.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        pg: Any = raw.driver_connection
        for batch in _generate(shape, days):
            await pg.copy_records_to_table(
                "attempts", records=batch, columns=ATTEMPT_COLUMNS, schema_name=schema
            )
        await pg.copy_records_to_table(
            "daily_points",
            records=[(g, d, m, p, a) for (g, d, m), (p, a) in days.items()],
            columns=("guild_id", "local_date", "member_id", "points", "attempts"),
            schema_name=schema,
        )
        await pg.copy_records_to_table(
            "member_totals",
            records=[(g, m, p, a) for (g, m), (p, a) in _running_totals(days).items()],
            columns=("guild_id", "member_id", "points", "attempts"),
            schema_name=schema,
        )
        await pg.execute("ANALYZE")


def _running_totals(
    days: dict[tuple[int, date, int], list[int]],
) -> dict[tuple[int, int], list[int]]:
    totals: dict[tuple[int, int], list[int]] = {}
    for (guild, _day, member), (points, attempts) in days.items():
        row = totals.setdefault((guild, member), [0, 0])
        row[0] += points
        row[1] += attempts
    return totals


def _percentiles(samples: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return p50 * 1000, p95 * 1000


async def _measure(
    backend: str, store: SqlStore, shape: _Shape, queries: int, records: int
) -> list[BenchResult]:
    rnd = random.Random(shape.seed + 2)  # noqa: S311 - synthetic data, not security
    today = NOW.date()
    results: list[BenchResult] = []
    # The floor: one trivial round trip through the same engine, pool and driver.
    samples = []
    for i in range(queries + 10):
        t0 = clock.perf_counter()
        async with store.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        if i >= 10:
            samples.append(clock.perf_counter() - t0)
    p50, p95 = _percentiles(samples)
    results.append(BenchResult(backend, "floor: SELECT 1 round trip", p50, p95, queries))
    for period in (Period.TODAY, Period.WEEK, Period.MONTH, Period.ALL_TIME):
        dates = period_range(period, today)
        for _ in range(10):  # warm-up: caches and prepared statements
            await store.member_board(rnd.randrange(shape.guilds) + 1, dates, 0, 10)
        samples = []
        for _ in range(queries):
            guild = rnd.randrange(shape.guilds) + 1
            t0 = clock.perf_counter()
            await store.member_board(guild, dates, 0, 10)
            samples.append(clock.perf_counter() - t0)
        p50, p95 = _percentiles(samples)
        results.append(BenchResult(backend, f"top-10 board, {period.value}", p50, p95, queries))

    memberships = _memberships(shape)
    samples = []
    for i in range(records + 10):
        member = rnd.randrange(shape.members)
        guild = memberships[member][0] + 1
        at = NOW + timedelta(seconds=i)
        attempt = AttemptRecord(
            guild_id=guild,
            member_id=member + 1,
            question_id=f"q-{rnd.randrange(200):03d}",
            topic=TOPICS[0],
            mode=AttemptMode.PRACTICE,
            idempotency_key=f"live-{uuid.uuid4().hex}",
            created_at=at,
            local_date=at.date(),
            daily_date=None,
            scored=True,
            fraction=0.5,
            points=20,
            genuine=True,
            outcome=json.loads(_outcome_json()),
        )
        t0 = clock.perf_counter()
        await store.record_attempt(
            attempt,
            streak=StreakState(3, 5, at.date()),
            review=ReviewItem(attempt.question_id, at.date() + timedelta(days=1)),
            drop_review=False,
        )
        if i >= 10:
            samples.append(clock.perf_counter() - t0)
    p50, p95 = _percentiles(samples)
    results.append(BenchResult(backend, "record an answer", p50, p95, records))

    samples = []
    for _ in range(queries):
        guild = rnd.randrange(shape.guilds) + 1
        total = MemberTotal(rnd.randrange(shape.members) + 1, rnd.randrange(3000), 50)
        t0 = clock.perf_counter()
        await store.rank_of(guild, total, period_range(Period.WEEK, today))
        samples.append(clock.perf_counter() - t0)
    p50, p95 = _percentiles(samples)
    results.append(BenchResult(backend, "rank of a member, week", p50, p95, queries))
    return results


async def _count(store: SqlStore) -> tuple[int, int]:
    async with store.engine.connect() as conn:
        a = (await conn.execute(text("SELECT COUNT(*) FROM attempts"))).scalar_one()
        d = (await conn.execute(text("SELECT COUNT(*) FROM daily_points"))).scalar_one()
    return int(a), int(d)


async def _bench_sqlite(
    shape: _Shape, queries: int, records: int, path: Path | None, out: TextIO
) -> list[BenchResult]:
    with tempfile.TemporaryDirectory(prefix="store-bench-") as tmp:
        db = path or Path(tmp) / "bench.db"
        if db.exists():
            raise FileExistsError(f"{db} exists: the bench needs a fresh database")
        store = await open_store(f"sqlite+aiosqlite:///{db}")
        try:
            t0 = clock.perf_counter()
            await _fill_sqlite(store, shape)
            fill = clock.perf_counter() - t0
            answers, rows = await _count(store)
            size = db.stat().st_size / 2**20
            print(
                f"sqlite: filled {answers:,} answers ({rows:,} day roll-ups) in {fill:.1f} s;"
                f" file {size:,.0f} MiB",
                file=out,
                flush=True,
            )
            return await _measure("sqlite", store, shape, queries, records)
        finally:
            await store.close()


async def _bench_postgres(
    shape: _Shape, queries: int, records: int, url: str, out: TextIO
) -> list[BenchResult]:
    from bot.store.engine import create_engine

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    try:
        async with admin.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        store = await open_store(url, schema=schema)
        try:
            t0 = clock.perf_counter()
            await _fill_postgres(store, shape, schema)
            fill = clock.perf_counter() - t0
            answers, rows = await _count(store)
            print(
                f"postgresql: filled {answers:,} answers ({rows:,} day roll-ups) in {fill:.1f} s",
                file=out,
                flush=True,
            )
            return await _measure("postgresql", store, shape, queries, records)
        finally:
            await store.close()
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()


def run_store_bench(
    *,
    backends: Sequence[str] = ("sqlite", "postgresql"),
    answers: int = 1_000_000,
    members: int = 1_000,
    guilds: int = 50,
    queries: int = 400,
    records: int = 300,
    postgres_url: str = DEFAULT_PG_URL,
    sqlite_path: Path | None = None,
    seed: int = 1,
    out: TextIO = sys.stdout,
) -> list[BenchResult]:
    """Fill each backend and print p50/p95 of a top-10 board query and of recording an answer.

    Args:
        backends: Any of ``"sqlite"`` and ``"postgresql"``.
        answers: Attempts to fill (spread over the 365 days before the bench's "now").
        members: Distinct members (each in one server, a third also in a second one).
        guilds: Distinct servers.
        queries: Timed board queries per period (and rank queries).
        records: Timed answer recordings.
        postgres_url: PostgreSQL server to use; the bench works in a private schema it drops.
        sqlite_path: Where to build the SQLite file (default: a temporary directory).
        seed: Random seed (the data set is deterministic).
        out: Where to print.

    Returns:
        Every measured figure.
    """
    shape = _Shape(answers, members, guilds, seed)
    results: list[BenchResult] = []
    print(
        f"Store bench: {answers:,} answers, {members:,} members, {guilds} servers,"
        f" {DAYS} days of history",
        file=out,
        flush=True,
    )
    for backend in backends:
        if backend == "sqlite":
            results += asyncio.run(_bench_sqlite(shape, queries, records, sqlite_path, out))
        elif backend == "postgresql":
            results += asyncio.run(_bench_postgres(shape, queries, records, postgres_url, out))
        else:
            raise ValueError(f"unknown backend {backend!r}")
    print(format_results(results), file=out, flush=True)
    return results


def format_results(results: Sequence[BenchResult]) -> str:
    """A Markdown table of the figures (pasted into docs/performance.md)."""
    lines = [
        "| backend | operation | p50 ms | p95 ms | samples |",
        "|---|---|---:|---:|---:|",
    ]
    lines += [
        f"| {r.backend} | {r.operation} | {r.p50_ms:.2f} | {r.p95_ms:.2f} | {r.samples} |"
        for r in results
    ]
    return "\n".join(lines)


def run_store_bench_cli(settings: Any, *, answers: int = 1_000_000) -> list[dict[str, Any]]:
    """``interview-bot bench store``: both backends, figures as JSON-ready dicts.

    PostgreSQL is the server named by ``settings.database_url`` when that is a PostgreSQL URL
    (the bench works in a private schema and drops it), else the local test server.
    """
    url = getattr(settings, "database_url", None) or ""
    postgres_url = url if url.startswith("postgres") else DEFAULT_PG_URL
    results = run_store_bench(answers=answers, postgres_url=postgres_url)
    return [
        {
            "backend": r.backend,
            "operation": r.operation,
            "p50_ms": round(r.p50_ms, 3),
            "p95_ms": round(r.p95_ms, 3),
            "samples": r.samples,
        }
        for r in results
    ]
