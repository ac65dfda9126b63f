"""The store bench runs end to end (tiny sizes) on both backends, so it cannot rot."""

from __future__ import annotations

import io

from bot.store.bench import format_results, run_store_bench
from tests.store.conftest import PG_URL


def test_store_bench_smoke() -> None:
    out = io.StringIO()
    results = run_store_bench(
        answers=3000, members=60, guilds=5, queries=5, records=5, postgres_url=PG_URL, out=out
    )
    assert {r.backend for r in results} == {"sqlite", "postgresql"}
    ops = {r.operation for r in results}
    assert "record an answer" in ops and "top-10 board, all" in ops
    assert all(0 < r.p50_ms <= r.p95_ms for r in results)
    assert "filled 3,000 answers" in out.getvalue()
    assert format_results(results).startswith("| backend |")
