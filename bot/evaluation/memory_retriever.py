"""An in-memory ``RubricRetriever``: embeds key-point statements with the given embedder.

Used for fast research and unit tests; production and the ``eval`` command go through Chroma
(``bot.retrieval.rubric``), which returns the same ``RubricPoint`` values.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.core.models import Citation, Question
from bot.core.ports import Embedder, RubricPoint, Vectors
from bot.retrieval.keypoints import KeyPointMatrix


class MemoryRubricRetriever:
    """Holds the key points of some questions with their vectors, keyed by question id."""

    def __init__(
        self,
        embedder: Embedder,
        questions: Iterable[Question],
        citations: dict[str, Citation] | None = None,
    ) -> None:
        """Embed every key point of ``questions`` in one batch.

        Args:
            embedder: The embedder (the real one, or a fake in tests).
            questions: Questions whose rubrics to hold.
            citations: Optional ``KeyPoint.source`` -> citation map.
        """
        qs = list(questions)
        statements = [p.statement for q in qs for p in q.key_points]
        vectors = embedder.embed(statements) if statements else None
        cites = citations or {}
        self._by_id: dict[str, tuple[RubricPoint, ...]] = {}
        row = 0
        for q in qs:
            points = []
            for p in q.key_points:
                assert vectors is not None
                points.append(
                    RubricPoint(
                        point=p,
                        vector=vectors[row],
                        citation=cites.get(p.source) if p.source else None,
                    )
                )
                row += 1
            self._by_id[q.id] = tuple(points)
        self._keypoints = KeyPointMatrix.build(
            [(rp.vector, q.topic, q.guild_id or 0) for q in qs for rp in self._by_id[q.id]]
        )

    def rubric(self, question: Question) -> Sequence[RubricPoint]:
        """The stored rubric of ``question`` (empty when unknown)."""
        return self._by_id.get(question.id, ())

    def other_topic_similarity(self, question: Question, vectors: Vectors) -> list[float]:
        """Best cosine of each vector to a held key point of another topic (as Chroma's)."""
        return self._keypoints.other_topic_similarity(question, vectors)
