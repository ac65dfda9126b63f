"""Rubrics from Chroma: a question's key points, their vectors, and the note sections teaching them.

One path for every question: shipped questions (indexed by ingest), server questions an admin
adds (indexed on add) and the evaluation harness (indexed into a throw-away collection) are all
read back the same way, so what the grader sees never depends on where a question came from.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from threading import Lock
from typing import Any

import numpy as np

from bot.core.models import Citation, KeyPoint, Question
from bot.core.ports import Embedder, RubricPoint, Vectors
from bot.retrieval.keypoints import KeyPointMatrix
from bot.retrieval.vectorstore import KnowledgeIndex, StoredChunk
from ingest.chunk import Chunk, keypoint_chunks

QUESTIONS_ROOT_PREFIX = "questions:"
_CACHE_SIZE = 512
# Seconds a copy of the key-point vectors is trusted while the index size is unchanged.
_POINTS_TTL = 60.0


def question_root(guild_id: int | None) -> str:
    """The ingest root that owns a server's questions (kept apart from ``knowledge``)."""
    return f"{QUESTIONS_ROOT_PREFIX}{guild_id or 0}"


def rubric_fingerprint(question: Question) -> str:
    """Hash of what the rubric says: a cached rubric is reused only while this is unchanged."""
    parts = [question.id, *(f"{p.id}\x1f{p.statement}\x1f{p.weight}" for p in question.key_points)]
    return hashlib.sha256("\x1e".join(parts).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class _HeldKeyPoints:
    """A copy of the index's key points, with the index size and time it was read at."""

    count: int
    loaded: float
    points: KeyPointMatrix


class ChromaRubricRetriever:
    """Implements the core ``RubricRetriever`` port over the knowledge index."""

    def __init__(self, index: KnowledgeIndex) -> None:
        """Read rubrics from ``index``."""
        self._index = index
        self._cache: OrderedDict[str, tuple[RubricPoint, ...]] = OrderedDict()
        self._lock = Lock()
        self._points: _HeldKeyPoints | None = None

    def rubric(self, question: Question) -> Sequence[RubricPoint]:
        """The question's key points, in rubric order, with vectors and citations.

        Raises:
            LookupError: the question's key points are not in the index (run ingest).
        """
        key = rubric_fingerprint(question)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        chunks = self._index.get(
            {"$and": [{"kind": "keypoint"}, {"question_id": question.id}]}, with_vectors=True
        )
        by_point = {str(c.metadata["point_id"]): c for c in chunks}
        points: list[RubricPoint] = []
        for point in question.key_points:
            chunk = by_point.get(point.id)
            if chunk is None or chunk.vector is None or chunk.text != point.statement:
                raise LookupError(
                    f"question {question.id!r}: key point {point.id!r} is not in the index "
                    "(run `python -m ingest`)"
                )
            points.append(
                RubricPoint(
                    point=point,
                    vector=chunk.vector,
                    citation=self._citation(chunk),
                    passages=self._teaching_passages(chunk),
                )
            )
        result = tuple(points)
        with self._lock:
            self._cache[key] = result
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return result

    def other_topic_similarity(self, question: Question, vectors: Vectors) -> list[float]:
        """Per answer sentence vector, its best cosine to a key point of another topic.

        Scoped to the shipped bank and the question's own server: another server's questions
        never influence a grade here. The key-point vectors are read from Chroma once and kept
        (a filtered Chroma query costs ~9 ms per grade, the cached matrix product ~1 ms); the
        copy is refreshed when the index's size changes or after ``_POINTS_TTL`` seconds, so a
        question an admin adds or edits counts within a minute.
        """
        return self._keypoints().other_topic_similarity(question, vectors)

    def _keypoints(self) -> KeyPointMatrix:
        count = self._index.count()
        now = time.monotonic()
        with self._lock:
            held = self._points
        if held is not None and held.count == count and now - held.loaded < _POINTS_TTL:
            return held.points
        chunks = self._index.get({"kind": "keypoint"}, with_vectors=True)
        fresh = _HeldKeyPoints(
            count=count,
            loaded=now,
            points=KeyPointMatrix.build(
                [
                    (
                        c.vector,
                        str(c.metadata.get("topic", "")),
                        int(c.metadata.get("guild_id") or 0),
                    )
                    for c in chunks
                    if c.vector is not None
                ]
            ),
        )
        with self._lock:
            self._points = fresh
        return fresh.points

    def _citation(self, chunk: StoredChunk) -> Citation | None:
        meta = chunk.metadata
        if meta.get("cite_note"):
            return Citation(
                note_id=str(meta["cite_note"]),
                title=str(meta.get("cite_title", "")),
                heading=str(meta.get("cite_heading", "")),
            )
        # No declared source (an admin's own question): cite the closest note section.
        if chunk.vector is None:
            return None
        hits = self._index.query(chunk.vector, k=1, where={"kind": "note"})
        if not hits:
            return None
        note, _ = hits[0]
        return Citation(
            note_id=str(note.metadata.get("note_id", "")),
            title=str(note.metadata.get("title", "")),
            heading=str(note.metadata.get("heading", "")),
        )

    def _teaching_passages(self, chunk: StoredChunk) -> tuple[str, ...]:
        note_id, heading = chunk.metadata.get("cite_note"), chunk.metadata.get("cite_heading")
        if not note_id:
            return ()
        found = self._index.get(
            {"$and": [{"kind": "note"}, {"note_id": str(note_id)}, {"heading": str(heading)}]}
        )
        return tuple(c.text for c in found)


def question_chunks(
    questions: Sequence[Question], citations: Mapping[str, Mapping[str, Citation | None]]
) -> list[Chunk]:
    """Key-point chunks for questions that do not live in ``knowledge/`` (server or eval)."""
    chunks: list[Chunk] = []
    for question in questions:
        root = question_root(question.guild_id)
        chunks.extend(keypoint_chunks(question, question.id, root, citations.get(question.id, {})))
    return chunks


def index_questions(
    index: KnowledgeIndex,
    embedder: Embedder,
    questions: Sequence[Question],
    citations: Mapping[str, Mapping[str, Citation | None]] | None = None,
) -> int:
    """Embed and write the key points of ``questions`` (idempotent); returns chunks written."""
    chunks = question_chunks(questions, citations or {})
    if not chunks:
        return 0
    index.open(create=True)
    ids = [c.id for c in chunks]
    existing = set(index.open().get(ids=ids, include=[])["ids"])
    fresh = [c for c in chunks if c.id not in existing]
    if fresh:
        vectors = embedder.embed([c.embed_text for c in fresh])
        index.upsert(
            [c.id for c in fresh],
            [c.text for c in fresh],
            [c.metadata for c in fresh],
            np.asarray(vectors, dtype=np.float32),
        )
    return len(fresh)


def remove_question(index: KnowledgeIndex, question_id: str) -> None:
    """Delete a question's key points from the index."""
    stored = index.get({"$and": [{"kind": "keypoint"}, {"question_id": question_id}]})
    if stored:
        index.delete([c.id for c in stored])


@contextmanager
def temporary_rubric_retriever(
    embedder: Embedder, questions: Sequence[Question]
) -> Iterator[ChromaRubricRetriever]:
    """A throw-away Chroma collection holding ``questions``' key points, read like the real one.

    Used by the evaluation harness and ad-hoc grading, so they exercise the same retrieval path
    as bank questions.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    with tempfile.TemporaryDirectory(prefix="interview-bot-rubric-") as directory:
        client: Any = chromadb.PersistentClient(
            path=directory, settings=ChromaSettings(anonymized_telemetry=False)
        )
        index = KnowledgeIndex(client, "rubrics", embedder.model_name)
        index_questions(index, embedder, questions)
        yield ChromaRubricRetriever(index)


def stored_point(chunk: StoredChunk) -> KeyPoint:
    """Rebuild a key point from its stored chunk (for listing server questions)."""
    terms = str(chunk.metadata.get("terms", ""))
    return KeyPoint(
        id=str(chunk.metadata["point_id"]),
        statement=chunk.text,
        weight=float(chunk.metadata.get("weight", 1.0)),
        terms=tuple(t for t in terms.split("|") if t),
    )
