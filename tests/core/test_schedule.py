"""Guild-local calendar: days, periods and daily windows across timezones and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.errors import InvalidSettingError
from bot.core.schedule import (
    DateRange,
    Period,
    daily_window,
    local_date,
    local_day_bounds,
    local_to_utc,
    next_daily_date,
    period_range,
    zone,
)

ZONES = [
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Tehran",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
    "Pacific/Chatham",
    "Pacific/Kiritimati",
]
zones = st.sampled_from(ZONES)
# hypothesis wants naive bounds; the generated values are aware (timezones=UTC).
instants = st.datetimes(
    min_value=datetime(2019, 1, 1),  # noqa: DTZ001
    max_value=datetime(2036, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
days = st.dates(min_value=date(2019, 1, 1), max_value=date(2036, 12, 31))
times = st.times()


@given(instants, zones)
def test_an_instant_falls_inside_its_local_day(instant: datetime, tz: str) -> None:
    start, end = local_day_bounds(local_date(instant, tz), tz)
    assert start <= instant < end


@given(days, zones)
def test_local_days_tile_time_and_last_22_to_26_hours(day: date, tz: str) -> None:
    start, end = local_day_bounds(day, tz)
    next_start, _ = local_day_bounds(day + timedelta(days=1), tz)
    assert end == next_start
    assert timedelta(hours=22) <= end - start <= timedelta(hours=26)
    assert local_date(start, tz) == day
    assert local_date(end - timedelta(microseconds=1), tz) == day


@given(days, times, zones)
def test_wall_times_map_to_their_day_or_shift_forward_over_gaps(
    day: date, at: time, tz: str
) -> None:
    instant = local_to_utc(day, at, tz)
    assert instant.tzinfo is not None
    local = instant.astimezone(zone(tz))
    if local.date() == day:
        # Either the exact wall time, or (inside a spring-forward gap) a later one.
        assert local.time().replace(fold=0) >= at.replace(tzinfo=None)
    else:  # only a gap right before midnight can push past the day
        assert local.date() == day + timedelta(days=1)
        assert local.time() < time(3)


@given(days, times, st.integers(1, 168), zones)
def test_daily_window_lasts_its_hours_even_over_dst(
    day: date, at: time, hours: int, tz: str
) -> None:
    opens, closes = daily_window(day, at, hours, tz)
    assert closes - opens == timedelta(hours=hours)


@given(days, st.integers(0, 6))
def test_periods_contain_today_and_tile_the_calendar(today: date, week_start: int) -> None:
    assert period_range(Period.TODAY, today) == DateRange(today, today)
    week = period_range(Period.WEEK, today, week_start)
    assert week is not None and today in week
    assert week.start.weekday() == week_start and (week.end - week.start).days == 6
    after = period_range(Period.WEEK, week.end + timedelta(days=1), week_start)
    assert after is not None and after.start == week.end + timedelta(days=1)
    month = period_range(Period.MONTH, today)
    assert month is not None and today in month and month.start.day == 1
    assert (month.end + timedelta(days=1)).day == 1
    assert month.start.month == month.end.month
    assert period_range(Period.ALL_TIME, today) is None


@given(instants, zones)
def test_today_is_the_servers_day_not_utcs(instant: datetime, tz: str) -> None:
    today = local_date(instant, tz)
    assert instant in _instants_of(period_range(Period.TODAY, today), tz)


def _instants_of(dates: DateRange | None, tz: str) -> _Span:
    assert dates is not None
    return _Span(local_day_bounds(dates.start, tz)[0], local_day_bounds(dates.end, tz)[1])


class _Span:
    def __init__(self, start: datetime, end: datetime) -> None:
        self.start, self.end = start, end

    def __contains__(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


def test_auckland_morning_is_already_tomorrow() -> None:
    monday_evening_utc = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
    assert local_date(monday_evening_utc, "Pacific/Auckland") == date(2026, 3, 3)
    assert local_date(monday_evening_utc, "America/Los_Angeles") == date(2026, 3, 2)


def test_spring_forward_gap_and_fall_back_overlap() -> None:
    # New York skips 02:00-03:00 on 2026-03-08 and repeats 01:00-02:00 on 2026-11-01.
    gap = local_to_utc(date(2026, 3, 8), time(2, 30), "America/New_York")
    assert gap.astimezone(zone("America/New_York")).time() == time(3, 30)
    first = local_to_utc(date(2026, 11, 1), time(1, 30), "America/New_York")
    assert first == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # EDT, the first 01:30
    start, end = local_day_bounds(date(2026, 3, 8), "America/New_York")
    assert end - start == timedelta(hours=23)
    start, end = local_day_bounds(date(2026, 11, 1), "America/New_York")
    assert end - start == timedelta(hours=25)


def test_next_daily_date() -> None:
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert next_daily_date(now, time(9, 0), "UTC") == date(2026, 3, 2)
    assert next_daily_date(now, time(7, 0), "UTC") == date(2026, 3, 3)


def test_naive_instants_and_unknown_zones_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        local_date(datetime(2026, 1, 1), "UTC")  # noqa: DTZ001
    with pytest.raises(InvalidSettingError):
        zone("Mars/Olympus_Mons")
