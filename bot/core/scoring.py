"""Points policy: how a grade becomes leaderboard points.

Points reward learning, not gaming. A grade flagged as empty, gibberish, an injection attempt
or a pasted model answer earns nothing; the daily pays more than practice (the settings refuse
numbers that would break that); each hint costs points; an answer given after the model
answer was revealed earns nothing; only one attempt per question and local day counts, so
resubmitting the same question cannot farm points; and a daily answer copied from another
member's answer to the same daily earns nothing (the service decides that, see
``PracticeService.submit_answer``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.core.guild_settings import GuildSettings
from bot.core.models import Difficulty, Grade, GradeFlag


class AttemptMode(StrEnum):
    """Why the member answered."""

    DAILY = "daily"
    PRACTICE = "practice"
    REVIEW = "review"


class ZeroReason(StrEnum):
    """Why an attempt earned no points (front-ends explain each)."""

    FLAGGED = "flagged"
    REVEALED = "revealed"
    DAILY_ALREADY_SCORED = "daily_already_scored"
    ALREADY_SCORED_TODAY = "already_scored_today"
    HINTS = "hints"
    NO_SCORE = "no_score"
    COPIED_DAILY = "copied_daily"
    """A daily answer that copies another member's answer to the same daily."""


# Flags that mean "this is not a genuine answer": no points, no streak day.
FORFEIT_FLAGS = frozenset(
    {GradeFlag.EMPTY, GradeFlag.GIBBERISH, GradeFlag.COPIED_REFERENCE, GradeFlag.INJECTION}
)


@dataclass(frozen=True, slots=True)
class PointsBreakdown:
    """How the points of one attempt were computed.

    Attributes:
        base: Points the grade alone is worth in this mode and difficulty.
        hint_penalty: Points taken for hints (capped at ``base``).
        total: Points actually awarded (``0`` when ``zero_reason`` is set).
        zero_reason: Why nothing was awarded, if so.
        hints_used: Hints taken before answering.
        max_points: The most this attempt could have earned.
    """

    base: int
    hint_penalty: int
    total: int
    zero_reason: ZeroReason | None = None
    hints_used: int = 0
    max_points: int = 0


def mode_points(settings: GuildSettings, mode: AttemptMode) -> int:
    """Points of a perfect answer in ``mode`` before the difficulty multiplier."""
    if mode is AttemptMode.DAILY:
        return settings.daily_points
    if mode is AttemptMode.REVIEW:
        return settings.review_points
    return settings.practice_points


def max_points(settings: GuildSettings, mode: AttemptMode, difficulty: Difficulty) -> int:
    """The most an attempt in ``mode`` at ``difficulty`` can earn."""
    return _round(mode_points(settings, mode) * settings.multiplier(difficulty))


def is_genuine(grade: Grade) -> bool:
    """Whether the grade is of a real attempt (counts for streaks, can earn points)."""
    return not FORFEIT_FLAGS.intersection(grade.flags)


def award(
    grade: Grade,
    *,
    settings: GuildSettings,
    mode: AttemptMode,
    difficulty: Difficulty,
    hints_used: int = 0,
    revealed: bool = False,
    scorable: ZeroReason | None = None,
) -> PointsBreakdown:
    """The points for one graded attempt.

    Args:
        grade: The grader's verdict.
        settings: The server's points rules.
        mode: Daily, practice or review.
        difficulty: The question's difficulty.
        hints_used: Hints taken before answering.
        revealed: The model answer was shown before this answer.
        scorable: Set by the caller when the attempt cannot score for a reason outside the
            grade (daily already scored, question already scored today).
    """
    top = max_points(settings, mode, difficulty)
    fraction = min(1.0, max(0.0, grade.fraction))
    base = _round(top * fraction)
    penalty = min(base, hints_used * settings.hint_cost)
    reason: ZeroReason | None = scorable
    if reason is None and not is_genuine(grade):
        reason = ZeroReason.FLAGGED
    if reason is None and revealed:
        reason = ZeroReason.REVEALED
    if reason is None and base == 0:
        reason = ZeroReason.NO_SCORE
    if reason is None and base - penalty == 0:
        reason = ZeroReason.HINTS
    total = 0 if reason is not None else base - penalty
    return PointsBreakdown(
        base=base,
        hint_penalty=penalty,
        total=total,
        zero_reason=reason,
        hints_used=hints_used,
        max_points=top,
    )


def _round(value: float) -> int:
    # Half-up rounding of non-negative values: Python's round() would send 2.5 to 2.
    return int(value + 0.5)
