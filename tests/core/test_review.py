"""Spaced review (SM-2 style) driven by the grade."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.core.review import GRADUATE_DAYS, MIN_EASE, ReviewItem, order_queue, quality, schedule

TODAY = date(2026, 3, 2)


def test_poor_answers_enter_the_queue_good_ones_do_not() -> None:
    item = schedule(None, "q", 0.3, TODAY, 0.6)
    assert item is not None and item.due == TODAY + timedelta(days=1)
    assert schedule(None, "q", 0.8, TODAY, 0.6) is None


def test_good_reviews_stretch_the_interval_until_graduation() -> None:
    item = schedule(None, "q", 0.2, TODAY, 0.6)
    day = TODAY
    intervals = []
    while item is not None:
        day = item.due
        item = schedule(item, "q", 1.0, day, 0.6)
        if item is not None:
            intervals.append(item.interval_days)
    assert intervals[:2] == [1, 6]
    assert intervals == sorted(intervals)
    assert all(i < GRADUATE_DAYS for i in intervals)


def test_a_poor_review_resets_the_interval() -> None:
    item = ReviewItem("q", TODAY, interval_days=6, repetitions=2, ease=2.5)
    after = schedule(item, "q", 0.1, TODAY, 0.6)
    assert after is not None
    assert (after.interval_days, after.repetitions, after.due) == (1, 0, TODAY + timedelta(1))
    assert after.ease < item.ease


@given(st.lists(st.floats(0, 1), min_size=1, max_size=30))
def test_ease_stays_bounded_and_due_in_the_future(fractions: list[float]) -> None:
    item = schedule(None, "q", 0.0, TODAY, 0.6)
    day = TODAY
    for f in fractions:
        if item is None:
            break
        day = item.due
        nxt = schedule(item, "q", f, day, 0.6)
        if nxt is not None:
            assert nxt.ease >= MIN_EASE
            assert nxt.due > day
            assert nxt.question_id == "q"
        item = nxt


def test_quality_and_queue_order() -> None:
    assert [quality(f) for f in (0.0, 0.5, 0.59, 1.0)] == [0, 3, 3, 5]
    items = [
        ReviewItem("later", TODAY + timedelta(3)),
        ReviewItem("due-worse", TODAY, last_fraction=0.1),
        ReviewItem("overdue", TODAY - timedelta(2), last_fraction=0.5),
        ReviewItem("due-better", TODAY, last_fraction=0.4),
    ]
    assert [i.question_id for i in order_queue(items, TODAY)] == [
        "overdue",
        "due-worse",
        "due-better",
        "later",
    ]
