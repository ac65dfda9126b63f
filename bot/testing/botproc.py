"""Run the real bot as its own process against a Discord at any base URL (the loopback fake).

``python -m bot.testing.botproc --base-url http://127.0.0.1:PORT --token TOKEN`` builds the bot
exactly as ``interview-bot run`` does (``bot.app`` composition root: settings from the
environment, SQL store, shipped bank, grader with micro-batching, the worker pool), points
discord.py's REST routes and gateway at ``--base-url`` and connects. The load benchmark and the
crash tests start it, fire interactions at it from the fake Discord in their own process, and
kill or stop it.

Options that differ from production exist only to make those runs possible:

* ``--embedder hash`` swaps the model for :class:`~bot.testing.embedders.HashEmbedder` (with
  rubrics held in memory), because loading the model costs 8-14 s per start and a crash test
  restarts the bot dozens of times; everything else is the real code.
* ``--days-offset`` shifts the clock, so successive restarts can play successive days (streaks).
* ``--no-batching`` / ``--workers`` / ``--max-batch`` compare micro-batching settings.

On SIGTERM the bot closes cleanly and the last line on stdout is a JSON object with the
process's peak RSS and the batcher's counters; SIGUSR1 prints the same object at any time, and
SIGUSR2 times the model alone (``bot.testing.load.measure_model``) and prints the speeds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import resource
import signal
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.config import Settings

if TYPE_CHECKING:
    from bot.bank import Bank
    from bot.core.grading import EmbeddingGrader
    from bot.core.ports import Embedder, RubricRetriever
    from bot.retrieval.batching import BatchingEmbedder

log = logging.getLogger("bot.testing.botproc")


class OffsetClock:
    """The system clock shifted by a whole number of days (each restart can be a new day)."""

    def __init__(self, days: int) -> None:
        """Shift by ``days``."""
        self.offset = timedelta(days=days)

    def now(self) -> datetime:
        """Now (UTC, aware) plus the offset."""
        from bot.core.clock import SystemClock

        return SystemClock().now() + self.offset


def point_discord_at(base_url: str) -> None:
    """Aim discord.py's REST routes, gateway and CDN at ``base_url`` (no other change)."""
    import discord
    import yarl
    from discord.gateway import DiscordWebSocket
    from discord.http import Route

    Route.BASE = base_url.rstrip("/") + "/api/v10"
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(base_url.rstrip("/") + "/")
    discord.Asset.BASE = base_url.rstrip("/")


def delay_replies(seconds: float) -> None:
    """Make the answer box and the buttons wait ``seconds`` before each reply they send.

    The graded reply goes out after the answer is committed; a crash in between leaves an
    answer recorded that the member never saw. That window is a few milliseconds, so random
    kills would almost never hit it: widening it lets the crash test cover that state too.
    """
    from bot.adapters.discord import views

    send = views.send  # type: ignore[attr-defined]

    async def delayed(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(seconds)
        return await send(*args, **kwargs)

    views.send = delayed  # type: ignore[attr-defined]


def build_grader(
    settings: Settings, args: argparse.Namespace, bank: Bank
) -> tuple[EmbeddingGrader, Embedder, BatchingEmbedder]:
    """The grader for this run, its model, and its batcher (``bank``: the shipped questions).

    With the real model and default options this is what ``bot.app.build_grader`` builds.
    """
    from bot import app
    from bot.core.grading import EmbeddingGrader, load_params
    from bot.retrieval.batching import BatchingEmbedder

    model: Embedder
    retriever: RubricRetriever
    if args.embedder == "hash":
        from bot.evaluation.memory_retriever import MemoryRubricRetriever
        from bot.testing.embedders import HashEmbedder

        model = HashEmbedder(seconds_per_text=args.ms_per_text / 1000.0)
        # Rubric vectors come from ingest in production (not on the grading path): no delay.
        retriever = MemoryRubricRetriever(HashEmbedder(), bank.questions.values())
    else:
        from bot.retrieval.embeddings import get_embedder

        model = get_embedder()
        retriever = app.build_retriever(settings)
    # Without batching every answer is its own model call (max_batch=1 never merges two calls;
    # the model's own lock serialises them all the same), with the same counters.
    batcher = BatchingEmbedder(model, max_batch=1 if args.no_batching else args.max_batch)
    return EmbeddingGrader(batcher, retriever, load_params()), model, batcher


async def serve(args: argparse.Namespace) -> dict[str, Any]:
    """Build and run the bot until SIGTERM; return the exit report."""
    from bot.adapters.discord.client import BotDeps, create_bot
    from bot.app import build_service, install_worker_pool, load_shipped_bank

    loop = asyncio.get_running_loop()
    install_worker_pool(args.workers)  # as interview-bot run does, with --workers threads
    settings = Settings()
    point_discord_at(args.base_url)
    if args.reply_delay_ms:
        delay_replies(args.reply_delay_ms / 1000.0)
    # The bank is parsed once per start (about a second): the grader and the service share it.
    bank = await asyncio.to_thread(load_shipped_bank, settings)
    grader, model, batcher = await asyncio.to_thread(build_grader, settings, args, bank)
    # Warm the model before connecting (the first inference is slow), as a bot that has been
    # up for a while would be.
    await asyncio.to_thread(model.embed, ["warm-up"])
    clock = OffsetClock(args.days_offset)
    service, store = await build_service(settings, grader=grader, clock=clock, bank=bank)
    deps = BotDeps(settings=settings, service=service, store=store, clock=clock)
    bot = create_bot(settings, deps, guild_ready_timeout=0.05)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # SIGUSR1: print the counters so far (a benchmark reads them before and after a burst).
    loop.add_signal_handler(signal.SIGUSR1, lambda: _print(counters(batcher)))
    # SIGUSR2: time the model alone, in a worker thread as grading does, and print the speeds
    # (a benchmark asks just before and after a burst, while the bot is idle).
    tasks: set[asyncio.Task[None]] = set()

    async def measure() -> None:
        from bot.testing.load import measure_model

        _print({"model_alone": await asyncio.to_thread(measure_model, model)})

    def start_measure() -> None:
        task = asyncio.create_task(measure())
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    loop.add_signal_handler(signal.SIGUSR2, start_measure)
    try:
        async with bot:
            runner = asyncio.create_task(bot.start(args.token))
            stopper = asyncio.create_task(stop.wait())
            await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
            await bot.close()
            if runner.done():
                runner.result()  # re-raise a failed start
            stopper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
    finally:
        await store.close()
    return counters(batcher)


def _print(report: dict[str, Any]) -> None:
    """One JSON line on stdout (the harness reads them)."""
    print(json.dumps(report), flush=True)  # noqa: T201


def counters(batcher: BatchingEmbedder | None) -> dict[str, Any]:
    """Peak RSS of this process and the batcher's counters (the exit report)."""
    stats = batcher.stats if batcher is not None else None
    return {
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "model_calls": stats.batches if stats else None,
        "embed_calls": stats.calls if stats else None,
        "texts": stats.texts if stats else None,
        "largest_batch": stats.largest_batch if stats else None,
        "most_callers_in_a_batch": stats.most_calls if stats else None,
        "model_seconds": round(stats.model_seconds, 3) if stats else None,
    }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m bot.testing.botproc")
    parser.add_argument("--base-url", required=True, help="http://127.0.0.1:PORT of the fake")
    parser.add_argument("--token", required=True, help="the bot token the fake expects")
    parser.add_argument("--embedder", choices=("real", "hash"), default="real")
    parser.add_argument("--ms-per-text", type=float, default=0.0, help="hash embedder cost")
    parser.add_argument("--days-offset", type=int, default=0, help="shift the clock (days)")
    parser.add_argument("--no-batching", action="store_true", help="one model call per answer")
    parser.add_argument("--max-batch", type=int, default=64, help="texts per model call")
    parser.add_argument("--workers", type=int, default=32, help="worker threads")
    parser.add_argument(
        "--reply-delay-ms",
        type=float,
        default=0.0,
        help="wait before each reply the buttons and the answer box send (widens the window "
        "between recording an answer and replying, for crash tests)",
    )
    parser.add_argument("--log-level", default="WARNING")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the bot; print the exit report as the last line of stdout."""
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    _print(asyncio.run(serve(args)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
