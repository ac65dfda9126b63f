"""The ``interview-bot`` command line: one entry point, one sub-command per job.

Each sub-command lives in its own module exposing ``register(subparsers)``; a registered
handler takes ``(args, settings)`` and returns the process exit code. Heavy imports (torch,
chromadb, discord) happen inside handlers so ``--help`` stays instant.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from bot.cli import bench, grading, ingest_cmd, knowledge, practice, questions, run
from bot.config import Settings

COMMAND_MODULES = (run, practice, ingest_cmd, knowledge, questions, grading, bench)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(
        prog="interview-bot",
        description="Interview practice for study groups, graded against a cited rubric.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, build Settings once, and run the chosen command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        # No sub-command: the main job, exactly what `make run` does.
        args = parser.parse_args(["run"])
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    code: int = args.handler(args, settings)
    return code
