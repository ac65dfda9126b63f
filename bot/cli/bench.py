"""``interview-bot bench ingest|grade|store|all|load|kill``: rerunnable performance figures.

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
# Minutes each, and they drive the bot through the fake Discord of a source checkout:
# run on their own, not part of "all".
DRIVEN = ("load", "kill")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``bench`` command."""
    parser = sub.add_parser("bench", help="run a benchmark and print its figures")
    parser.add_argument("which", choices=(*BENCHES, "all", *DRIVEN), help="what to measure")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument("--repeats", type=int, default=3, help="ingest: runs to take the median of")
    parser.add_argument(
        "--runs", type=int, default=200, help="grade: answers to time (after warm-up)"
    )
    parser.add_argument(
        "--answers", type=int, default=1_000_000, help="store: answers to fill the database with"
    )
    load = parser.add_argument_group("load (N members answer at once, through the fake Discord)")
    load.add_argument(
        "--users", type=int, nargs="+", default=[50, 200, 500], help="load: N (one run each)"
    )
    load.add_argument(
        "--batching",
        choices=("on", "off", "both"),
        default="on",
        help="load: micro-batching on, off (one model call per answer), or both in turn",
    )
    load.add_argument(
        "--sentences", type=int, default=None, help="load: sentences per answer (default: a mix)"
    )
    load.add_argument("--workers", type=int, default=32, help="load: the bot's worker threads")
    load.add_argument("--max-batch", type=int, default=64, help="load: sentences per model call")
    load.add_argument(
        "--heartbeat", type=float, default=1.0, help="load: gateway heartbeat interval (s)"
    )
    kill = parser.add_argument_group("kill (SIGKILL the bot during load, restart, audit)")
    kill.add_argument("--kills", type=int, default=100, help="kill: SIGKILLs to deliver")
    parser.add_argument(
        "--embedder",
        choices=("hash", "real"),
        default=None,
        help="load/kill: the real model, or a stand-in without one (load default: real, to "
        "measure everything but the model with hash; kill default: hash, for fast restarts)",
    )
    kill.add_argument("--seed", type=int, default=1, help="kill: seed of members, days, moments")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.which in DRIVEN:
        return _run_driven(args)
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


def _run_driven(args: argparse.Namespace) -> int:
    """``bench load`` / ``bench kill`` (code in ``bot.testing``)."""
    result: dict[str, Any]
    print(f"== bench {args.which}")
    if args.which == "load":
        from bot.testing.load import format_load, problems, run_load_bench

        modes = {"on": (True,), "off": (False,), "both": (True, False)}[args.batching]
        runs = run_load_bench(
            args.users,
            batching=modes,
            workers=args.workers,
            max_batch=args.max_batch,
            heartbeat_interval=args.heartbeat,
            answer_sentences=args.sentences,
            embedder=args.embedder or "real",
        )
        result = {"runs": runs}
        print(format_load(runs))
        # Missing Discord's deadline, a member left without a grade, or a stretch of the burst
        # without heartbeats (a blocked event loop) is a failure.
        failed = any(problems(r) for r in runs)
    else:
        from bot.testing.crash import format_kill, run_kill_bench

        result = run_kill_bench(kills=args.kills, embedder=args.embedder or "hash", seed=args.seed)
        print(format_kill(result))
        failed = bool(result["problems"])
    if args.json:
        print(json.dumps({args.which: result}))
    return 1 if failed else 0
