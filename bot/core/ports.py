"""Ports: the small interfaces the domain needs from the outside world.

Adapters (the sentence-transformers embedder, the Chroma retriever, the SQL stores, the
system clock) implement these; tests use fakes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import numpy as np
import numpy.typing as npt

from bot.core.models import Citation, Grade, KeyPoint, Question

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors (one row per text)."""

    @property
    def model_name(self) -> str:
        """Identifier of the model, recorded with every index built from it."""
        ...

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts``; returns an array of shape ``(len(texts), dim)``."""
        ...


@dataclass(frozen=True, slots=True)
class RubricPoint:
    """A key point as retrieved from the index, with its vector and citation.

    ``passages`` are the texts of the note section that teaches the point (for detecting an
    answer pasted from the notes).
    """

    point: KeyPoint
    vector: Vectors
    citation: Citation | None
    passages: tuple[str, ...] = ()


class RubricRetriever(Protocol):
    """Fetches a question's rubric (and what teaches it) from the knowledge index."""

    def rubric(self, question: Question) -> Sequence[RubricPoint]:
        """Return the question's key points with vectors and citations."""
        ...

    def other_topic_similarity(self, question: Question, vectors: Vectors) -> Sequence[float]:
        """Per row of ``vectors``, the highest cosine to a key point of another topic's question.

        Only questions visible alongside ``question`` count (the shipped bank and the same
        server's own); 0.0 for every row when there are none. Lets the grader notice an answer
        written for a different question.
        """
        ...


class Grader(Protocol):
    """Grades an answer to a question."""

    def grade(self, question: Question, answer: str) -> Grade:
        """Grade one answer. Deterministic: same input, same grade."""
        ...


class Clock(Protocol):
    """The source of 'now'; always timezone-aware (UTC)."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware."""
        ...


class QuestionCatalog(Protocol):
    """The questions visible in a server: the shipped bank plus the server's own."""

    async def questions(self, guild_id: int) -> Sequence[Question]:
        """Every question visible in ``guild_id``."""
        ...

    async def get(self, guild_id: int, question_id: str) -> Question | None:
        """The question ``question_id`` if it is visible in ``guild_id``."""
        ...
