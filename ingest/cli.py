"""The ingest command line, shared by ``python -m ingest`` and ``interview-bot ingest``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bot.config import Settings
from bot.retrieval.vectorstore import IndexMismatchError, KnowledgeIndex, chroma_client
from ingest.index import IngestReport, Progress, sync_index
from ingest.load import KNOWLEDGE_ROOT, Loaded, load_knowledge, load_paths


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ingest options."""
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="extra files or folders of your own (Markdown, text, HTML, PDF) to add",
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="drop the index and embed everything again"
    )
    parser.add_argument(
        "--json", action="store_true", help="print a JSON summary as the last line of stdout"
    )


def _progress_bar(enabled: bool) -> Callable[[int], Progress] | None:
    if not enabled:
        return None

    def start(total: int) -> Progress:
        from tqdm import tqdm

        bar = tqdm(total=total, unit="chunk", desc="embedding", file=sys.stderr, leave=False)

        def advance(n: int) -> None:
            bar.update(n)

        return advance

    return start


def ingest(settings: Settings, paths: list[Path], rebuild: bool = False,
           progress: bool = False) -> IngestReport:  # fmt: skip
    """Ingest the knowledge base plus ``paths`` into the configured index.

    Raises:
        IndexMismatchError: the index was built with another model and ``rebuild`` is false.
    """
    from bot.retrieval.embeddings import MODEL_NAME, get_embedder

    started = time.perf_counter()
    loaded = Loaded()
    loaded.extend(load_knowledge(settings.knowledge_dir))
    user = load_paths(paths)
    loaded.extend(user)
    roots = [KNOWLEDGE_ROOT, *(str(p.resolve()) for p in paths if p.exists())]
    index = KnowledgeIndex(chroma_client(settings), settings.chroma_collection, MODEL_NAME)
    if rebuild:
        index.drop()
    report = sync_index(
        index,
        loaded.chunks,
        sorted(set(roots)),
        get_embedder,
        keep_sources=loaded.failed_sources,
        progress=_progress_bar(progress),
    )
    report.problems = loaded.problems
    report.failed = len({p.path for p in loaded.problems})
    report.skipped = [str(p) for p in loaded.skipped]
    report.seconds = time.perf_counter() - started
    return report


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the ingest job; exit code 1 if any file failed, 2 on a model mismatch."""
    try:
        report = ingest(settings, args.paths, args.rebuild, progress=sys.stderr.isatty())
    except IndexMismatchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for problem in report.problems:
        print(f"error: {problem}", file=sys.stderr)
    for skipped in report.skipped:
        print(f"skipped (unsupported type): {skipped}", file=sys.stderr)
    summary = (
        f"ingest: {report.added} added, {report.updated} updated, {report.removed} removed, "
        f"{report.unchanged} unchanged, {report.failed} failed; {report.embedded} chunks embedded, "
        f"{report.deleted} deleted, {report.chunks} in the index ({report.seconds:.1f} s)"
    )
    if args.json:
        print(summary, file=sys.stderr)
        print(json.dumps(report.as_json()))
    else:
        print(summary)
    return 1 if report.problems else 0
