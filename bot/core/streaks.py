"""Answer streaks, counted in local days of the server with a grace day.

A streak counts the local days on which a member made a genuine attempt, as long as no more
than ``grace_days`` consecutive days are missed between two of them. With the default single
grace day, answering on Monday and Wednesday keeps the streak (2 days) while Monday then
Thursday starts over. Days come from ``bot.core.schedule.local_date``, so the rules never see
a clock or a timezone: "broke at midnight UTC" cannot happen by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class StreakState:
    """What the store keeps per member and server.

    Attributes:
        current: Active days in the current run (as of ``last_day``).
        best: Longest run ever.
        last_day: Local date of the latest active day (None before the first attempt).
    """

    current: int = 0
    best: int = 0
    last_day: date | None = None


@dataclass(frozen=True, slots=True)
class StreakInfo:
    """A streak as a front-end shows it.

    Attributes:
        current: The live streak today (0 once broken).
        best: Longest run ever.
        extended: This attempt added a day to the streak.
        grace_used: The run survived a missed day to get here.
        at_risk: Missing today would break the streak.
    """

    current: int
    best: int
    extended: bool = False
    grace_used: bool = False
    at_risk: bool = False


def advance(state: StreakState, day: date, grace_days: int = 1) -> StreakState:
    """The streak after an active ``day``.

    A day already counted (or an older one, delivered late) changes nothing; a day at most
    ``grace_days + 1`` after the last active day extends the run; a later one restarts it.
    """
    if state.last_day is not None:
        gap = (day - state.last_day).days
        if gap <= 0:
            return state
        current = state.current + 1 if gap <= grace_days + 1 else 1
    else:
        current = 1
    return StreakState(current=current, best=max(state.best, current), last_day=day)


def live(state: StreakState, today: date, grace_days: int = 1) -> int:
    """The streak as of ``today``: the stored run if it can still continue, else 0."""
    if state.last_day is None:
        return 0
    return state.current if (today - state.last_day).days <= grace_days + 1 else 0


def info(before: StreakState, after: StreakState, today: date, grace_days: int = 1) -> StreakInfo:
    """Describe the streak after an attempt (``before`` -> ``after``) for rendering."""
    extended = after.last_day != before.last_day
    grace_used = (
        extended
        and after.current > 1
        and before.last_day is not None
        and after.last_day is not None
        and (after.last_day - before.last_day).days > 1
    )
    return StreakInfo(
        current=live(after, today, grace_days),
        best=after.best,
        extended=extended,
        grace_used=grace_used,
        at_risk=False,
    )


def status(state: StreakState, today: date, grace_days: int = 1) -> StreakInfo:
    """Describe a stored streak as of ``today`` (for stats screens)."""
    current = live(state, today, grace_days)
    at_risk = (
        current > 0
        and state.last_day is not None
        and (today - state.last_day).days == grace_days + 1
    )
    return StreakInfo(current=current, best=state.best, at_risk=at_risk)
