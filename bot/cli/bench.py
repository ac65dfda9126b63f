"""``interview-bot bench ingest|grade|store|all``: rerunnable performance figures.

Each benchmark prints its figures beside the relevant floor (the model alone) and the ratio;
``--json`` adds one JSON object per benchmark as the last line(s) of stdout. The figures in
docs/performance.md come from these commands.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.config import Settings

BENCHES = ("ingest", "grade", "store")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``bench`` command."""
    parser = sub.add_parser("bench", help="run a benchmark and print its figures")
    parser.add_argument("which", choices=(*BENCHES, "all"), help="what to measure")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument("--repeats", type=int, default=3, help="ingest: runs to take the median of")
    parser.add_argument(
        "--runs", type=int, default=200, help="grade: answers to time (after warm-up)"
    )
    parser.add_argument(
        "--answers", type=int, default=1_000_000, help="store: answers to fill the database with"
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    chosen = BENCHES if args.which == "all" else (args.which,)
    results: dict[str, Any] = {}
    for name in chosen:
        print(f"== bench {name}")
        if name == "ingest":
            from ingest.bench import format_ingest_bench, run_ingest_bench

            results[name] = run_ingest_bench(settings, repeats=args.repeats)
            print(format_ingest_bench(results[name]))
        elif name == "grade":
            from bot.evaluation.bench import run_grade_bench_cli

            results[name] = run_grade_bench_cli(settings, runs=args.runs)
        elif name == "store":
            from bot.store.bench import run_store_bench_cli

            results[name] = run_store_bench_cli(settings, answers=args.answers)
    if args.json:
        print(json.dumps(results))
    return 0
