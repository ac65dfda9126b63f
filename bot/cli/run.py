"""``interview-bot run``: the main job (what ``make run`` starts)."""

from __future__ import annotations

import argparse
import sys

from bot.config import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``run`` command."""
    parser = sub.add_parser(
        "run",
        help="ingest if needed, then start the bot (Discord with a token, else the terminal)",
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import ensure_index
    from bot.retrieval.vectorstore import IndexMismatchError

    try:
        report = ensure_index(settings)
    except IndexMismatchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if report.chunks == 0:
        print("error: the knowledge index is empty; see the problems above", file=sys.stderr)
        return 1
    if settings.discord_token is not None:
        from bot.adapters.discord.client import run_discord

        return run_discord(settings)
    from bot.cli.practice import start_terminal_session

    return start_terminal_session(settings)
