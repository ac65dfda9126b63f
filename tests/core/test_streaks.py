"""Streaks in the server's local days, with a grace day, across timezones and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.core.schedule import local_date, local_to_utc
from bot.core.streaks import StreakState, advance, info, live, status

ZONES = st.sampled_from(
    ["UTC", "Pacific/Auckland", "America/New_York", "Europe/London", "Australia/Lord_Howe"]
)
START = date(2026, 1, 1)


def _runs(days: list[date], grace: int) -> list[int]:
    """Reference: lengths of runs of distinct active days with gaps <= grace + 1."""
    runs: list[int] = []
    previous: date | None = None
    for day in sorted(set(days)):
        if previous is not None and (day - previous).days <= grace + 1:
            runs[-1] += 1
        else:
            runs.append(1)
        previous = day
    return runs


@given(st.lists(st.integers(0, 120), max_size=40), st.integers(0, 3))
def test_streak_matches_reference_on_days(offsets: list[int], grace: int) -> None:
    days = [START + timedelta(days=o) for o in sorted(offsets)]
    state = StreakState()
    for day in days:
        state = advance(state, day, grace)
    runs = _runs(days, grace)
    assert state.current == (runs[-1] if runs else 0)
    assert state.best == (max(runs) if runs else 0)


@given(st.lists(st.integers(0, 60), min_size=1, max_size=30), st.integers(0, 3))
def test_late_or_repeated_days_never_change_the_streak(offsets: list[int], grace: int) -> None:
    days = [START + timedelta(days=o) for o in sorted(offsets)]
    state = StreakState()
    for day in days:
        state = advance(state, day, grace)
    for day in days:  # replayed: all <= last_day
        assert advance(state, day, grace) == state


@given(
    ZONES,
    st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 1, 1)),
    st.integers(2, 60),
    st.times(),
)
def test_answering_every_local_day_never_breaks_across_dst(
    tz: str, first: date, count: int, at: time
) -> None:
    state = StreakState()
    for i in range(count):
        instant = local_to_utc(first + timedelta(days=i), at, tz)
        state = advance(state, local_date(instant, tz))
    # A gap at midnight can move one wall time into the next day, never further.
    assert state.current >= count - 1


@given(st.integers(0, 3), st.integers(1, 10))
def test_grace_days_keep_the_run_and_one_more_breaks_it(grace: int, run: int) -> None:
    state = StreakState()
    day = START
    for _ in range(run):
        state = advance(state, day, grace)
        day += timedelta(days=1)
    last = day - timedelta(days=1)
    kept = last + timedelta(days=grace + 1)
    assert live(state, kept, grace) == run
    assert advance(state, kept, grace).current == run + 1
    broken = last + timedelta(days=grace + 2)
    assert live(state, broken, grace) == 0
    assert advance(state, broken, grace).current == 1


def test_midnight_utc_does_not_break_an_auckland_streak() -> None:
    state = StreakState()
    # 08:00 every morning in Auckland is 19:00 or 20:00 UTC the previous day.
    for i in range(10):
        instant = datetime(2026, 3, 30, 19, 0, tzinfo=UTC) + timedelta(days=i)
        state = advance(state, local_date(instant, "Pacific/Auckland"), grace_days=0)
    assert state.current == 10


def test_info_and_status() -> None:
    before = advance(StreakState(), START)
    after = advance(before, START + timedelta(days=2))
    shown = info(before, after, START + timedelta(days=2))
    assert (shown.current, shown.extended, shown.grace_used) == (2, True, True)
    same = info(after, after, START + timedelta(days=2))
    assert not same.extended
    restart = advance(after, START + timedelta(days=10))
    shown = info(after, restart, START + timedelta(days=10))
    assert (shown.current, shown.extended, shown.grace_used) == (1, True, False)
    at_risk = status(after, START + timedelta(days=4))
    assert at_risk.current == 2 and at_risk.at_risk
    assert status(after, START + timedelta(days=5)).current == 0
    assert status(StreakState(), START).current == 0
