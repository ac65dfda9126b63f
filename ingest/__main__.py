"""``python -m ingest [PATH ...] [--rebuild] [--json]``."""

from __future__ import annotations

import argparse
import logging

from bot.config import Settings
from ingest.cli import add_arguments, run


def main() -> int:
    """Parse arguments and run the ingest job."""
    parser = argparse.ArgumentParser(
        prog="python -m ingest", description="Embed the knowledge base into Chroma."
    )
    add_arguments(parser)
    args = parser.parse_args()
    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper())
    return run(args, settings)


raise SystemExit(main())
