"""Guild-local calendar arithmetic: the ONLY place that turns instants into local days.

Streaks, leaderboard periods and the daily question all follow the server's own calendar, not
UTC's: a member in Auckland who answers at 08:00 local time on Tuesday has answered on Tuesday
even though it is still Monday in UTC. Everything here works from timezone-aware instants and
``zoneinfo`` zones, and does date arithmetic on ``date`` objects (never "add 24 hours"), which is
what keeps it correct across daylight-saving changes, when a local day lasts 23 or 25 hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.errors import InvalidSettingError


class Period(StrEnum):
    """A leaderboard period on the server's local calendar."""

    TODAY = "today"
    WEEK = "week"
    MONTH = "month"
    ALL_TIME = "all"


@dataclass(frozen=True, slots=True)
class DateRange:
    """An inclusive range of local dates."""

    start: date
    end: date

    def __contains__(self, day: object) -> bool:
        """Whether ``day`` falls inside the range."""
        return isinstance(day, date) and self.start <= day <= self.end


HOST_DEPENDENT_ZONES = frozenset({"localtime", "posixrules"})
"""Files of the system zoneinfo directory that are not IANA zones but aliases of whatever the
host is set to: a server's calendar must not change with the machine the bot runs on."""


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The IANA zone called ``name``.

    Raises:
        InvalidSettingError: The name is not a known IANA timezone (host aliases such as
            ``localtime`` and the ``posix/`` and ``right/`` variants included).
    """
    if name in HOST_DEPENDENT_ZONES or name.startswith(("posix/", "right/")):
        raise InvalidSettingError(
            f"host-dependent timezone {name!r}", setting="timezone", value=name
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidSettingError(
            f"unknown timezone {name!r}", setting="timezone", value=name
        ) from exc


def _require_aware(instant: datetime) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("naive datetime: every instant must be timezone-aware")


def local_date(instant: datetime, tz: str) -> date:
    """The calendar date in zone ``tz`` at ``instant`` (which must be timezone-aware)."""
    _require_aware(instant)
    return instant.astimezone(zone(tz)).date()


def local_to_utc(day: date, at: time, tz: str) -> datetime:
    """The UTC instant of wall-clock time ``at`` on ``day`` in zone ``tz``.

    A wall time that does not exist (skipped by a spring-forward change) resolves to the
    instant the clocks jumped past it, so a daily set for 02:30 still happens that day; an
    ambiguous one (repeated in autumn) resolves to its first occurrence.
    """
    local = datetime.combine(day, at.replace(tzinfo=None), tzinfo=zone(tz))
    # zoneinfo interprets a skipped time with the offset in force before the gap (fold=0),
    # which lands after the jump once converted: exactly the "shift forward" rule we want.
    return local.astimezone(UTC)


def local_day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """The UTC instants ``[start, end)`` of local ``day`` (23, 24 or 25 hours long)."""
    return local_to_utc(day, time(0), tz), local_to_utc(day + timedelta(days=1), time(0), tz)


def period_range(period: Period, today: date, week_start: int = 0) -> DateRange | None:
    """The local dates a leaderboard period covers, or None for all time.

    Args:
        period: Which period.
        today: The server's local date now.
        week_start: First day of the week, ``0`` = Monday ... ``6`` = Sunday.
    """
    if period is Period.TODAY:
        return DateRange(today, today)
    if period is Period.WEEK:
        start = today - timedelta(days=(today.weekday() - week_start) % 7)
        return DateRange(start, start + timedelta(days=6))
    if period is Period.MONTH:
        start = today.replace(day=1)
        next_month = (start + timedelta(days=32)).replace(day=1)
        return DateRange(start, next_month - timedelta(days=1))
    return None


def daily_window(day: date, at: time, window_hours: int, tz: str) -> tuple[datetime, datetime]:
    """When the daily question of local ``day`` opens and closes (UTC).

    The window length is real elapsed hours from the posting instant, so a 24-hour window still
    lasts 24 hours on the night the clocks change.
    """
    opens = local_to_utc(day, at, tz)
    return opens, opens + timedelta(hours=window_hours)


def next_daily_date(now: datetime, at: time, tz: str) -> date:
    """The local date of the next daily posting at or after ``now``."""
    today = local_date(now, tz)
    return today if local_to_utc(today, at, tz) >= now else today + timedelta(days=1)
