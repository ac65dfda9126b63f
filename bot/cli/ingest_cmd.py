"""``interview-bot ingest``: the same job as ``python -m ingest``."""

from __future__ import annotations

import argparse

from bot.config import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``ingest`` command."""
    from ingest.cli import add_arguments

    parser = sub.add_parser("ingest", help="embed the knowledge base (and your files) into Chroma")
    add_arguments(parser)
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.cli import run

    return run(args, settings)
