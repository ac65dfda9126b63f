"""Spaced review of questions a member did poorly on (SM-2, driven by the grade).

A question enters a member's queue when an answer scores below the server's
``review_threshold``. Each later answer to it is turned into an SM-2 quality (0-5) from the
grade: a poor one resets the interval to one day, a good one stretches it by the item's ease
factor, and the ease itself drifts with the quality. Once the interval reaches
``GRADUATE_DAYS`` the member has learnt it and the item leaves the queue. Due dates are local
dates of the server (from ``bot.core.schedule``), so "due today" means the member's today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

INITIAL_EASE = 2.5
MIN_EASE = 1.3
GRADUATE_DAYS = 30
PASSING_QUALITY = 3


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One question in one member's review queue.

    Attributes:
        question_id: The question to review.
        due: Local date it is next due.
        interval_days: Days between the last review and ``due``.
        repetitions: Successful reviews in a row.
        ease: SM-2 ease factor (>= 1.3).
        last_fraction: Score fraction of the latest answer.
    """

    question_id: str
    due: date
    interval_days: int = 1
    repetitions: int = 0
    ease: float = INITIAL_EASE
    last_fraction: float = 0.0


def quality(fraction: float) -> int:
    """SM-2 quality (0-5) of an answer scoring ``fraction`` of the maximum."""
    return max(0, min(5, int(fraction * 5 + 0.5)))


def schedule(
    item: ReviewItem | None, question_id: str, fraction: float, today: date, threshold: float
) -> ReviewItem | None:
    """The item after an answer scoring ``fraction`` on local ``today``.

    Args:
        item: The current queue entry for that question, if any.
        question_id: The question answered.
        fraction: The answer's score as a fraction of the maximum.
        today: The server's local date of the answer.
        threshold: Below this fraction a question not yet queued enters the queue.

    Returns:
        The updated entry, or None when the question is not (or no longer) in the queue.
    """
    if item is None:
        if fraction >= threshold:
            return None
        return ReviewItem(
            question_id=question_id,
            due=today + timedelta(days=1),
            interval_days=1,
            repetitions=0,
            ease=INITIAL_EASE,
            last_fraction=fraction,
        )
    q = quality(fraction)
    ease = max(MIN_EASE, item.ease + 0.1 - (5 - q) * (0.08 + (5 - q) * 0.02))
    if q < PASSING_QUALITY:
        repetitions, interval = 0, 1
    else:
        repetitions = item.repetitions + 1
        if repetitions == 1:
            interval = 1
        elif repetitions == 2:  # SM-2 fixed second step
            interval = 6
        else:
            interval = max(item.interval_days + 1, round(item.interval_days * ease))
    if interval >= GRADUATE_DAYS:
        return None
    return ReviewItem(
        question_id=question_id,
        due=today + timedelta(days=interval),
        interval_days=interval,
        repetitions=repetitions,
        ease=ease,
        last_fraction=fraction,
    )


def order_queue(items: list[ReviewItem], today: date) -> list[ReviewItem]:
    """Due items first (most overdue, then lowest last score), then upcoming by date."""
    return sorted(
        items,
        key=lambda i: (i.due > today, i.due, i.last_fraction, i.question_id),
    )
