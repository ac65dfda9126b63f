"""Domain value objects shared by every part of the bot.

Nothing here knows about Discord, Chroma, SQL or the embedding model: these are the plain
facts the grader, the practice engine and the front-ends pass between each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Difficulty(StrEnum):
    """How hard a question is; also used to weight points."""

    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


class PointStatus(StrEnum):
    """How well an answer covered one rubric key point."""

    COVERED = "covered"
    PARTIAL = "partial"
    MISSED = "missed"


class GradeFlag(StrEnum):
    """Reasons a grade was limited or needs a human look."""

    EMPTY = "empty"
    TOO_SHORT = "too_short"
    GIBBERISH = "gibberish"
    OFF_TOPIC = "off_topic"
    COPIED_REFERENCE = "copied_reference"
    PARROTED_QUESTION = "parroted_question"
    INJECTION = "injection"
    KEYWORD_SALAD = "keyword_salad"
    LIST_IGNORED = "list_ignored"
    LOW_CONFIDENCE = "low_confidence"


@dataclass(frozen=True, slots=True)
class Citation:
    """Where in the knowledge base a key point is taught.

    Attributes:
        note_id: File stem of the note (``knowledge/notes/<note_id>.md``).
        title: The note's title.
        heading: The heading path inside the note, e.g. ``"Early stopping"``.
    """

    note_id: str
    title: str
    heading: str

    @property
    def label(self) -> str:
        """Human-readable citation, ``"Title > Heading"``."""
        return f"{self.title} > {self.heading}" if self.heading else self.title


@dataclass(frozen=True, slots=True)
class KeyPoint:
    """One rubric point a good answer makes.

    Attributes:
        id: Unique within its question.
        statement: One checkable claim, phrased as an answer would say it.
        weight: Relative importance (positive).
        terms: Accepted alternative phrasings and key terms.
        source: ``"note-id#Heading"`` of the note section that teaches it, if any.
    """

    id: str
    statement: str
    weight: float = 1.0
    terms: tuple[str, ...] = ()
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Question:
    """An interview question with its rubric.

    ``guild_id`` is ``None`` for shipped questions and the server's id for questions an admin
    added (visible only in that server).
    """

    id: str
    topic: str
    difficulty: Difficulty
    prompt: str
    model_answer: str
    key_points: tuple[KeyPoint, ...]
    kind: str = "explain"
    hints: tuple[str, ...] = ()
    follow_ups: tuple[str, ...] = ()
    guild_id: int | None = None


@dataclass(frozen=True, slots=True)
class PointResult:
    """The verdict on one key point.

    Attributes:
        point_id: The key point's id.
        statement: The key point's statement (what a good answer says).
        status: Covered, partial or missed.
        score: Coverage in [0, 1].
        evidence: The answer sentence that covered it (None when missed).
        citation: Where the point is taught.
    """

    point_id: str
    statement: str
    status: PointStatus
    score: float
    evidence: str | None = None
    citation: Citation | None = None


@dataclass(frozen=True, slots=True)
class Grade:
    """A graded answer: score out of ``max_score`` with its explanation."""

    score: float
    confidence: float
    points: tuple[PointResult, ...]
    flags: tuple[GradeFlag, ...] = ()
    comment: str = ""
    max_score: float = 10.0
    extras: dict[str, float] = field(default_factory=dict)

    @property
    def fraction(self) -> float:
        """The score as a fraction of the maximum, in [0, 1]."""
        return self.score / self.max_score if self.max_score else 0.0
