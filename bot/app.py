"""Composition root: Settings in, wired components out.

Every adapter (terminal, Discord, CLI tools, benchmarks) builds what it needs here, so there is
exactly one place that decides which embedder, index, grader and store the bot uses. Heavy
imports stay inside the functions: ``--help`` must not load torch.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.config import Settings

if TYPE_CHECKING:
    from bot.bank import Bank
    from bot.core.grading import EmbeddingGrader
    from bot.core.ports import Clock, Grader
    from bot.core.practice import PracticeService
    from bot.retrieval.rubric import ChromaRubricRetriever
    from bot.retrieval.vectorstore import KnowledgeIndex
    from bot.store.sql import SqlStore
    from ingest.index import IngestReport

log = logging.getLogger(__name__)


def build_index(settings: Settings) -> KnowledgeIndex:
    """The knowledge index named in ``settings`` (persistent or HTTP Chroma)."""
    from bot.retrieval.embeddings import MODEL_NAME
    from bot.retrieval.vectorstore import KnowledgeIndex, chroma_client

    return KnowledgeIndex(chroma_client(settings), settings.chroma_collection, MODEL_NAME)


def build_retriever(
    settings: Settings, index: KnowledgeIndex | None = None
) -> ChromaRubricRetriever:
    """The rubric retriever over the knowledge index."""
    from bot.retrieval.rubric import ChromaRubricRetriever

    return ChromaRubricRetriever(index or build_index(settings))


def build_grader(settings: Settings, index: KnowledgeIndex | None = None) -> EmbeddingGrader:
    """The grader: the shared embedder, rubrics from Chroma, the shipped calibration."""
    from bot.core.grading import EmbeddingGrader, load_params
    from bot.retrieval.batching import BatchingEmbedder
    from bot.retrieval.embeddings import get_embedder

    # Concurrent answers share one model call (micro-batching: docs/performance.md#load).
    embedder = BatchingEmbedder(get_embedder())
    return EmbeddingGrader(embedder, build_retriever(settings, index), load_params())


def install_worker_pool(workers: int | None = None) -> None:
    """Make the bot's bounded worker pool the running event loop's default executor.

    Grading runs in ``asyncio.to_thread``, and under micro-batching each waiting answer holds
    a thread: asyncio's own pool (6 threads on 2 cores) would cap a batch at 6 answers. Call it
    from the loop, before the first answer (``bot.retrieval.batching.worker_executor``).
    """
    import asyncio

    from bot.retrieval.batching import DEFAULT_WORKERS, worker_executor

    pool = worker_executor(workers or DEFAULT_WORKERS)
    asyncio.get_running_loop().set_default_executor(pool)


def load_shipped_bank(settings: Settings) -> Bank:
    """The shipped question bank (raises ``KnowledgeError`` naming file and line if broken)."""
    from bot.bank import load_bank

    return load_bank(settings.knowledge_dir)


def ensure_index(settings: Settings) -> IngestReport:
    """Ingest ``knowledge/`` if the index is missing or stale (a fast no-op when current)."""
    from ingest.cli import ingest

    report = ingest(settings, [], progress=True)
    for problem in report.problems:
        log.warning("knowledge: %s", problem)
    return report


async def build_service(
    settings: Settings,
    *,
    grader: Grader | None = None,
    clock: Clock | None = None,
    store: SqlStore | None = None,
    bank: Bank | None = None,
) -> tuple[PracticeService, SqlStore]:
    """The practice service over the SQL store, the shipped bank plus each server's own questions.

    Tests pass a fake ``grader``/``clock`` (or a prepared ``store``); the bot passes nothing.
    Returns the service and the store (the caller closes the store's engine on shutdown).
    """
    from bot.core.clock import SystemClock
    from bot.core.practice import PracticeService
    from bot.core.questions import CompositeCatalog, StaticCatalog
    from bot.store.sql import open_store

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = store or await open_store(settings.resolved_database_url)
    shipped = StaticCatalog((bank or load_shipped_bank(settings)).questions.values())
    # Shipped questions first: a server question can never shadow a shipped id.
    catalog = CompositeCatalog(shipped, store)
    service = PracticeService(
        store, catalog, grader or build_grader(settings), clock or SystemClock()
    )
    return service, store
