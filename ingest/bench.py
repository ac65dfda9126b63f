"""Ingest benchmark: throughput beside the model-only floor, and the cost of a no-change rerun."""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.retrieval.embeddings import SentenceEmbedder, get_embedder
from ingest.cli import ingest
from ingest.load import load_knowledge


def run_ingest_bench(settings: Settings, repeats: int = 3) -> dict[str, Any]:
    """Measure ingest of the shipped knowledge base into a fresh temp Chroma.

    The floor is embedding the very same texts with the same embedder and batch size, nothing
    else; the ratio says how much ingest adds on top (loading, chunking, Chroma writes).
    """
    embedder = get_embedder()
    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as scratch:
        # A snapshot, so edits to knowledge/ during the run cannot skew the figures.
        knowledge = Path(scratch) / "knowledge"
        shutil.copytree(settings.knowledge_dir, knowledge)
        snapshot = settings.model_copy(update={"knowledge_dir": knowledge})
        return _measure(snapshot, embedder, repeats)


def _measure(settings: Settings, embedder: SentenceEmbedder, repeats: int) -> dict[str, Any]:
    texts = [c.embed_text for c in load_knowledge(settings.knowledge_dir).chunks]
    embedder.embed(texts[:32])  # warm up: first call pays one-off allocations
    floor: list[float] = []
    full: list[float] = []
    rerun: list[float] = []
    chunks = 0
    for _ in range(repeats):
        started = time.perf_counter()
        embedder.embed(texts)
        floor.append(time.perf_counter() - started)
        with tempfile.TemporaryDirectory(prefix="ingest-bench-") as data:
            local = settings.model_copy(
                update={"data_dir": Path(data), "chroma_path": None, "chroma_host": None}
            )
            report = ingest(local, [])
            full.append(report.seconds)
            chunks = report.chunks
            again = ingest(local, [])
            if again.embedded:
                raise RuntimeError("a no-change rerun embedded something: ingest is not idempotent")
            rerun.append(again.seconds)
    floor_s, full_s = statistics.median(floor), statistics.median(full)
    return {
        "chunks": chunks,
        "texts": len(texts),
        "floor_seconds": round(floor_s, 2),
        "floor_chunks_per_s": round(len(texts) / floor_s, 1),
        "ingest_seconds": round(full_s, 2),
        "ingest_chunks_per_s": round(chunks / full_s, 1),
        "ratio_to_floor": round(full_s / floor_s, 2),
        "no_change_rerun_seconds": round(statistics.median(rerun), 2),
        "repeats": repeats,
    }


def format_ingest_bench(result: dict[str, Any]) -> str:
    """Human-readable lines for the bench output."""
    return (
        f"ingest: {result['chunks']} chunks in {result['ingest_seconds']} s "
        f"= {result['ingest_chunks_per_s']} chunks/s\n"
        f"floor (embedding the same texts alone): {result['floor_seconds']} s "
        f"= {result['floor_chunks_per_s']} chunks/s\n"
        f"ratio to floor: {result['ratio_to_floor']}x\n"
        f"no-change rerun: {result['no_change_rerun_seconds']} s "
        f"(median of {result['repeats']})"
    )
