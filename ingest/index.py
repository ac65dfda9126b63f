"""Idempotent indexing: write what changed, delete what is gone, embed nothing twice.

Order matters for safety: new chunks are embedded and written first, stale ones deleted last,
so a run that dies midway leaves the previous index intact (at worst with some extra new
chunks, which the next run reconciles).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bot.bank import Problem
from bot.core.ports import Embedder
from bot.retrieval.vectorstore import KnowledgeIndex
from ingest.chunk import Chunk

EMBED_BATCH = 256
Progress = Callable[[int], None]


@dataclass(slots=True)
class IngestReport:
    """The outcome of one ingest run (counts are of source files unless named ``chunks``)."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    failed: int = 0
    chunks: int = 0
    embedded: int = 0
    deleted: int = 0
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The JSON summary printed by ``--json``."""
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "chunks": self.chunks,
            "embedded": self.embedded,
            "deleted": self.deleted,
            "seconds": round(self.seconds, 3),
            "problems": [str(p) for p in self.problems],
            "skipped": self.skipped,
        }


def sync_index(
    index: KnowledgeIndex,
    chunks: Sequence[Chunk],
    roots: Sequence[str],
    embedder: Callable[[], Embedder],
    keep_sources: Iterable[str] = (),
    progress: Callable[[int], Progress] | None = None,
) -> IngestReport:
    """Make the index hold exactly ``chunks`` for the sources under ``roots``.

    Args:
        index: The target index (created if missing).
        chunks: Every chunk the sources under ``roots`` should have now.
        roots: The ingest roots this run owns; other roots' chunks are left alone.
        embedder: Called only if something needs embedding (a no-change run loads no model).
        keep_sources: Sources that failed to load this run: their previous chunks are kept.
        progress: Given the number of chunks to embed, returns a callback advanced per batch.

    Returns:
        The report (without problems; the caller adds those).
    """
    started = time.perf_counter()
    report = IngestReport()
    index.open(create=True)
    existing = index.ids_by_source(roots)
    existing_ids = set().union(*existing.values()) if existing else set()
    wanted: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        wanted.setdefault(str(chunk.metadata["source"]), []).append(chunk)
    # Identical chunks (same text and metadata) collapse to one id: keep the first.
    unique: dict[str, Chunk] = {}
    for chunk in chunks:
        unique.setdefault(chunk.id, chunk)
    # Sorted by length so each embedding batch pads little (padding is most of the waste).
    to_write = sorted(
        (c for c in unique.values() if c.id not in existing_ids), key=lambda c: len(c.embed_text)
    )
    keep = set(keep_sources)
    stale: list[str] = []
    for source, ids in existing.items():
        if source in keep:
            continue
        new_ids = {c.id for c in wanted.get(source, [])}
        stale.extend(sorted(ids - new_ids))
        if source not in wanted:
            report.removed += 1
    for source, source_chunks in wanted.items():
        if source not in existing:
            report.added += 1
        elif {c.id for c in source_chunks} != existing[source]:
            report.updated += 1
        else:
            report.unchanged += 1
    if to_write:
        model = embedder()
        tick = progress(len(to_write)) if progress else None
        for start in range(0, len(to_write), EMBED_BATCH):
            batch = to_write[start : start + EMBED_BATCH]
            vectors = model.embed([c.embed_text for c in batch])
            index.upsert(
                [c.id for c in batch],
                [c.text for c in batch],
                [c.metadata for c in batch],
                np.asarray(vectors, dtype=np.float32),
            )
            if tick:
                tick(len(batch))
    if stale:
        index.delete(stale)
    report.embedded = len(to_write)
    report.deleted = len(stale)
    report.chunks = index.count()
    report.seconds = time.perf_counter() - started
    return report
