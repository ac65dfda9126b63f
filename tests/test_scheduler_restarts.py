"""The daily post and its recap across restarts, downtime and DST, through the real APScheduler.

Each "process" is the production wiring of the schedule: ``DailyScheduler`` with APScheduler's
``AsyncIOScheduler`` and its SQLAlchemy job store in ``<data>/scheduler.db``, over the SQL store
(SQLite, migrated) that keeps the post claims. A restart shuts one down and builds the next from
the same files, as a new process would; nothing survives in memory but the clock.

APScheduler reads the time with ``datetime.now`` in two modules (the scheduler's job loop and the
executor's misfire check): the tests point those reads at the fake clock, so APScheduler decides
what is due and what misfired exactly as it would at that instant, and the tests move time from
one of its wake-ups to the next instead of sleeping. Its cron trigger, coalescing, misfire grace
time and persisted jobs are the real ones.

What is checked: each server's daily is posted once per local day, at the instant it opens when
the bot is up then, or at start-up when the bot comes back inside its answer window, and never
after it; its recap is posted once, when the window closes or at the first start after that.
"""

from __future__ import annotations

import asyncio
import random
import time as clock_time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobEvent,
)
from apscheduler.executors import base as aps_executors
from apscheduler.schedulers import base as aps_schedulers

from bot.core.practice import DailyQuestion, DailyRecap, PracticeService
from bot.core.questions import CompositeCatalog, StaticCatalog
from bot.core.schedule import daily_window, local_date
from bot.core.store_ports import DailyPost
from bot.scheduler import DailyScheduler, PostedDaily, jobstore_url
from bot.store import open_store
from bot.store.sql import SqlStore
from tests.fakes import FakeClock, FakeGrader, make_question

GUILD = 1_000_000 << 22
CHANNEL = 42


class ApschedulerClock:
    """Stands in for ``datetime`` where APScheduler reads the time (only ``now`` is used)."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    def now(self, tz: Any = None) -> datetime:
        now = self.clock.now()
        return now.astimezone(tz) if tz is not None else now.replace(tzinfo=None)


@dataclass
class Poster:
    """The front-end: records when each daily and recap was posted (by the fake clock)."""

    clock: FakeClock
    posts: list[tuple[datetime, date]] = field(default_factory=list)
    recaps: list[tuple[datetime, date]] = field(default_factory=list)

    async def post_daily(self, channel_id: int, daily: DailyQuestion) -> PostedDaily:
        self.posts.append((self.clock.now(), daily.local_date))
        return PostedDaily(channel_id, len(self.posts), len(self.posts))

    async def find_daily(self, channel_id: int, daily: DailyQuestion) -> PostedDaily | None:
        return None  # nothing is ever posted without being recorded here (no mid-post crash)

    async def post_recap(self, post: DailyPost, recap: DailyRecap) -> int | None:
        self.recaps.append((self.clock.now(), post.local_date))
        return 10_000 + len(self.recaps)

    async def find_recap(self, post: DailyPost) -> int | None:
        return None

    def days(self) -> list[date]:
        return [day for _, day in self.posts]


class JobLog:
    """APScheduler's job events: runs in flight, and every run executed or missed."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.in_flight = 0
        self.runs: list[tuple[str, str, datetime]] = []  # (executed|missed, job id, at)

    def __call__(self, event: JobEvent) -> None:
        if event.code == EVENT_JOB_SUBMITTED:
            self.in_flight += 1
            return
        self.in_flight -= 1
        kind = {EVENT_JOB_EXECUTED: "executed", EVENT_JOB_MISSED: "missed"}.get(event.code, "error")
        self.runs.append((kind, event.job_id, self.clock.now()))

    def daily_runs(self, kind: str) -> list[datetime]:
        return [at for k, job, at in self.runs if k == kind and job.startswith("daily:")]


class Deployment:
    """The bot's data directory and clock; ``boot`` starts a process, ``crash`` ends it."""

    def __init__(self, data_dir: Path, clock: FakeClock) -> None:
        self.data_dir = data_dir
        self.clock = clock
        self.db_url = f"sqlite+aiosqlite:///{data_dir / 'interview-bot.db'}"
        self.questions = [make_question(f"q-{i}") for i in range(5)]
        self.poster = Poster(clock)
        self.jobs = JobLog(clock)
        self.store: SqlStore | None = None
        self.scheduler: DailyScheduler | None = None
        self.up: list[tuple[datetime, datetime | None]] = []  # [start, end) of each process

    @property
    def aps(self) -> Any:
        assert self.scheduler is not None and self.scheduler._scheduler is not None
        return self.scheduler._scheduler

    async def service(self) -> PracticeService:
        if self.store is None:
            self.store = await open_store(self.db_url)
        catalog = CompositeCatalog(StaticCatalog(self.questions), self.store)
        return PracticeService(self.store, catalog, FakeGrader(), self.clock)

    async def set_up_daily(self, **changes: Any) -> None:
        """An admin's ``/daily setup`` (before the first boot: the job is created then)."""
        service = await self.service()
        await service.configure_guild(GUILD, daily_channel_id=CHANNEL, **changes)

    async def boot(self, at: datetime | None = None) -> None:
        """Start a process (at ``at``): open the store, start the schedule, run what is due."""
        if at is not None:
            self.clock.set(at)
        service = await self.service()
        assert self.store is not None
        self.scheduler = DailyScheduler(
            service, self.store, self.clock, jobstore_url=jobstore_url(self.data_dir)
        )
        self.up.append((self.clock.now(), None))
        await self.scheduler.start(self.poster)
        self.aps.add_listener(
            self.jobs, EVENT_JOB_SUBMITTED | EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED
        )
        await self.settle()  # APScheduler's own run of what misfired while down

    async def crash(self, at: datetime | None = None) -> None:
        """End the process (at ``at``): only the files remain."""
        if at is not None:
            await self.run_until(at)
        assert self.scheduler is not None and self.store is not None
        await self.scheduler.shutdown()
        await self.store.close()
        self.scheduler, self.store = None, None
        start, _ = self.up[-1]
        self.up[-1] = (start, self.clock.now())

    async def restart(self, at: datetime) -> None:
        """Crash now, come back at ``at``."""
        await self.crash()
        await self.boot(at)

    def next_wakeup(self) -> datetime | None:
        times = [job.next_run_time for job in self.aps.get_jobs() if job.next_run_time]
        return min(times) if times else None

    async def settle(self) -> None:
        """Let APScheduler run every job due now, and wait until those runs finish."""
        for _ in range(20):
            self.aps.wakeup()
            await asyncio.sleep(0)  # the wake-up runs: due jobs are submitted
            deadline = clock_time.monotonic() + 30
            while self.jobs.in_flight:
                assert clock_time.monotonic() < deadline, "a job run did not finish"
                await asyncio.sleep(0.001)
            wakeup = self.next_wakeup()
            if wakeup is None or wakeup > self.clock.now():
                return
        raise AssertionError("APScheduler kept finding due jobs")

    async def run_until(self, end: datetime) -> None:
        """Stay up until ``end``: move the clock from one APScheduler wake-up to the next."""
        while (wakeup := self.next_wakeup()) is not None and wakeup < end:
            # In UTC, as the bot's clock is (a wake-up is in the job's zone: 02:30 in Berlin on
            # the spring night is in the gap, and never compares equal to an instant in UTC).
            self.clock.set(max(wakeup, self.clock.now()).astimezone(UTC))
            await self.settle()
        self.clock.set(end)

    async def recapped(self, day: date) -> bool:
        assert self.store is not None
        post = await self.store.get_daily_post(GUILD, day)
        return post is not None and post.recapped


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The fake clock, which APScheduler reads too."""
    fake = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    monkeypatch.setattr(aps_schedulers, "datetime", ApschedulerClock(fake))
    monkeypatch.setattr(aps_executors, "datetime", ApschedulerClock(fake))
    return fake


@pytest.fixture
async def bot(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Deployment]:
    deployment = Deployment(tmp_path / "data", clock)
    try:
        yield deployment
    finally:
        if deployment.scheduler is not None:
            await deployment.crash()
        elif deployment.store is not None:
            await deployment.store.close()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- restarts and downtime (Berlin, 09:00, a 24-hour window) -------------------------------------
# 2 March 2026 is a Monday; Berlin is UTC+1 (CET) then, so 09:00 local is 08:00 UTC.


async def test_a_restart_inside_the_window_posts_nothing_more(bot: Deployment) -> None:
    await bot.set_up_daily(daily_time="09:00", timezone="Europe/Berlin")
    await bot.boot(utc(2026, 3, 2, 7, 0))
    await bot.run_until(utc(2026, 3, 2, 9, 0))
    assert bot.poster.posts == [(utc(2026, 3, 2, 8, 0), date(2026, 3, 2))]
    await bot.restart(utc(2026, 3, 2, 9, 0))  # back at once, inside the window
    await bot.restart(utc(2026, 3, 2, 20, 0))  # and again, later the same day
    await bot.run_until(utc(2026, 3, 3, 9, 0))
    assert bot.poster.posts == [
        (utc(2026, 3, 2, 8, 0), date(2026, 3, 2)),
        (utc(2026, 3, 3, 8, 0), date(2026, 3, 3)),
    ]
    # Monday's window closed on Tuesday at 08:00 UTC: its recap job ran then, once.
    assert bot.poster.recaps == [(utc(2026, 3, 3, 8, 0), date(2026, 3, 2))]
    assert await bot.recapped(date(2026, 3, 2))


@pytest.mark.parametrize(
    ("back", "aps_run"),
    [
        # 30 minutes late: within the misfire grace time, APScheduler runs the missed cron
        # job at start-up too; it finds the post the start-up catch-up made.
        (utc(2026, 3, 2, 8, 30), "executed"),
        # 4 hours late: APScheduler drops the missed run; the catch-up alone posts.
        (utc(2026, 3, 2, 12, 0), "missed"),
    ],
)
async def test_downtime_across_the_posting_time_posts_once_on_return(
    bot: Deployment, back: datetime, aps_run: str
) -> None:
    await bot.set_up_daily(daily_time="09:00", timezone="Europe/Berlin")
    await bot.boot(utc(2026, 3, 1, 12, 0))
    await bot.crash(utc(2026, 3, 2, 7, 50))  # Sunday's daily was never due (set up after it)
    assert bot.poster.posts == []
    await bot.boot(back)
    assert bot.poster.posts == [(back, date(2026, 3, 2))]
    assert bot.jobs.daily_runs(aps_run) == [back]
    await bot.restart(back + timedelta(minutes=5))
    await bot.run_until(utc(2026, 3, 3, 7, 59))
    assert bot.poster.days() == [date(2026, 3, 2)]


async def test_days_of_downtime_post_only_the_open_daily_and_recap_the_closed_one(
    bot: Deployment,
) -> None:
    await bot.set_up_daily(daily_time="09:00", timezone="Europe/Berlin")
    await bot.boot(utc(2026, 3, 2, 7, 0))
    await bot.crash(utc(2026, 3, 2, 10, 0))  # Monday posted; down until Thursday
    await bot.boot(utc(2026, 3, 5, 10, 0))
    # Monday's window closed while down: recapped at start-up. Tuesday's and Wednesday's
    # closed unposted: never posted late. Thursday's is open: posted now.
    assert bot.poster.recaps == [(utc(2026, 3, 5, 10, 0), date(2026, 3, 2))]
    assert bot.poster.posts == [
        (utc(2026, 3, 2, 8, 0), date(2026, 3, 2)),
        (utc(2026, 3, 5, 10, 0), date(2026, 3, 5)),
    ]
    await bot.restart(utc(2026, 3, 5, 10, 1))
    await bot.run_until(utc(2026, 3, 6, 8, 30))
    assert bot.poster.days() == [date(2026, 3, 2), date(2026, 3, 5), date(2026, 3, 6)]
    assert [day for _, day in bot.poster.recaps] == [date(2026, 3, 2), date(2026, 3, 5)]
    assert bot.poster.recaps[1][0] == utc(2026, 3, 6, 8, 0)  # the recap job, at the close


# -- DST in the server's timezone (Berlin, 02:30) -------------------------------------------------
# Spring: on 29 March 2026 the clocks jump from 02:00 CET to 03:00 CEST (01:00 UTC); 02:30 does
# not exist, and the daily opens at 03:30 CEST = 01:30 UTC (core.schedule), when APScheduler's
# cron trigger fires. Autumn: on 25 October 2026 they fall back from 03:00 CEST to 02:00 CET
# (01:00 UTC); 02:30 happens at 00:30 UTC and again at 01:30 UTC, and APScheduler fires at both.


@pytest.mark.parametrize(
    "downtime",
    [
        None,  # up all night
        (utc(2026, 3, 29, 0, 50), utc(2026, 3, 29, 1, 30)),  # back at the opening instant
        (utc(2026, 3, 29, 0, 50), utc(2026, 3, 29, 2, 15)),  # down across the gap
        (utc(2026, 3, 29, 1, 35), utc(2026, 3, 29, 1, 36)),  # a restart just after the post
        (utc(2026, 3, 27, 12, 0), utc(2026, 3, 29, 6, 0)),  # down for two days
    ],
    ids=["up", "back-at-opening", "down-across-gap", "restart-after-post", "down-two-days"],
)
async def test_spring_forward_posts_each_local_day_once(
    bot: Deployment, downtime: tuple[datetime, datetime] | None
) -> None:
    await bot.set_up_daily(daily_time="02:30", timezone="Europe/Berlin")
    await bot.boot(utc(2026, 3, 26, 12, 0))
    if downtime is not None:
        await bot.crash(downtime[0])
        await bot.boot(downtime[1])
    await bot.run_until(utc(2026, 3, 31, 12, 0))
    posted = {day: at for at, day in bot.poster.posts}
    assert len(posted) == len(bot.poster.posts)  # no day twice
    # 01:30 UTC is 02:30 CET before the change and 03:30 CEST on the night; 00:30 UTC after.
    opening = utc(2026, 3, 29, 1, 30)
    down_at_opening = downtime is not None and downtime[0] <= opening < downtime[1]
    assert posted[date(2026, 3, 29)] == (downtime[1] if down_at_opening else opening)
    assert posted[date(2026, 3, 30)] == utc(2026, 3, 30, 0, 30)
    assert posted[date(2026, 3, 31)] == utc(2026, 3, 31, 0, 30)
    if downtime is not None and downtime[1] - downtime[0] > timedelta(days=1):
        assert date(2026, 3, 28) not in posted  # its window passed while the bot was down
    else:
        assert posted[date(2026, 3, 28)] == utc(2026, 3, 28, 1, 30)
    # Every window that closed was recapped once, when it closed or when the bot came back.
    recaps = [day for _, day in bot.poster.recaps]
    assert sorted(recaps) == sorted(set(recaps)) == sorted(posted)[:-1]


@pytest.mark.parametrize(
    "downtime",
    [
        None,  # up all night: the cron job fires twice, the second run finds the post
        (utc(2026, 10, 25, 0, 45), utc(2026, 10, 25, 1, 15)),  # back inside the repeated hour
        (utc(2026, 10, 25, 0, 45), utc(2026, 10, 25, 1, 30)),  # back at the second 02:30
        (utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 2, 0)),  # down across both 02:30s
    ],
    ids=["up", "back-in-repeated-hour", "back-at-second-0230", "down-across-both"],
)
async def test_fall_back_posts_each_local_day_once(
    bot: Deployment, downtime: tuple[datetime, datetime] | None
) -> None:
    await bot.set_up_daily(daily_time="02:30", timezone="Europe/Berlin")
    await bot.boot(utc(2026, 10, 23, 12, 0))
    if downtime is not None:
        await bot.crash(downtime[0])
        await bot.boot(downtime[1])
    await bot.run_until(utc(2026, 10, 27, 12, 0))
    assert bot.poster.days() == [date(2026, 10, d) for d in (24, 25, 26, 27)]
    posted = {day: at for at, day in bot.poster.posts}
    first = utc(2026, 10, 25, 0, 30)  # 02:30 CEST
    if downtime is None or downtime[0] > first:
        assert posted[date(2026, 10, 25)] == first
    else:
        assert posted[date(2026, 10, 25)] == downtime[1]
    assert posted[date(2026, 10, 26)] == utc(2026, 10, 26, 1, 30)  # 02:30 CET
    runs_that_night = [
        at for at in bot.jobs.daily_runs("executed") if first <= at <= utc(2026, 10, 25, 2, 0)
    ]
    if downtime is None:
        # APScheduler really fired at both 02:30s (the second found the post made).
        assert runs_that_night == [first, utc(2026, 10, 25, 1, 30)]
    # The 24-hour window of the 25-hour day closes at 00:30 UTC on the 26th, an hour before
    # the next daily: one recap each.
    assert [day for _, day in bot.poster.recaps] == [date(2026, 10, d) for d in (24, 25, 26)]
    assert bot.poster.recaps[1][0] == utc(2026, 10, 26, 0, 30)


# -- random crashes across both DST changes ----------------------------------------------------


def due_span(day: date, at: time, window_hours: int, tz: str) -> tuple[datetime, datetime]:
    """When ``day``'s daily is the one on show: from its opening until its window closes or the
    next day's opens (a newer daily replaces it), whichever is first."""
    opens, closes = daily_window(day, at, window_hours, tz)
    next_opens, _ = daily_window(day + timedelta(days=1), at, window_hours, tz)
    return opens, min(closes, next_opens)


def expected_posts(
    up: list[tuple[datetime, datetime]], at: time, window_hours: int, tz: str
) -> dict[date, datetime]:
    """Each day that must be posted, and the instant: when it opens if the bot is up then,
    else when the bot first comes back while it is on show. Days that opened before the set-up
    (the first boot) are never posted."""
    since = up[0][0]
    first, last = local_date(up[0][0], tz), local_date(up[-1][1], tz)
    out: dict[date, datetime] = {}
    day = first - timedelta(days=1)
    while day <= last:
        start, end = due_span(day, at, window_hours, tz)
        if start >= since:
            for s, e in up:
                if s < end and e > start:
                    out[day] = max(start, s)
                    break
        day += timedelta(days=1)
    return out


def expected_recaps(
    up: list[tuple[datetime, datetime]],
    posted: dict[date, datetime],
    at: time,
    window_hours: int,
    tz: str,
) -> dict[date, datetime]:
    """Each posted day whose window closed while a process ran or before one started: its recap
    instant is the close, or the next start after it."""
    out: dict[date, datetime] = {}
    for day in posted:
        _, closes = daily_window(day, at, window_hours, tz)
        for s, e in up:
            if e > closes:
                out[day] = max(closes, s)
                break
    return out


def random_lives(
    rng: random.Random, start: datetime, end: datetime, openings: list[datetime]
) -> list[tuple[datetime, datetime]]:
    """Up intervals from ``start`` to ``end`` with crashes and downtimes of minutes to days;
    half the crash and restart moments fall within 70 minutes of a daily's opening."""

    def pick(after: datetime, longest: timedelta) -> datetime:
        near = [o for o in openings if o > after]
        if near and rng.random() < 0.5:
            moment = rng.choice(near[:2]) + timedelta(minutes=rng.uniform(-70, 70))
        else:
            moment = after + longest * rng.random() ** 2
        return max(moment, after + timedelta(minutes=1))

    lives, now = [], start
    while now < end:
        crash = min(pick(now, timedelta(hours=40)), end)
        lives.append((now, crash))
        now = pick(crash, timedelta(hours=50))
    if lives[-1][1] < end:
        lives.append((now, now + timedelta(hours=1)))
    return lives


RANDOM_CASES = [
    # zone, posting time, window hours, first boot (a few days before a change)
    pytest.param("Europe/Berlin", time(2, 30), 24, utc(2026, 3, 25, 12), id="berlin-0230-spring"),
    pytest.param("Europe/Berlin", time(2, 30), 24, utc(2026, 10, 21, 12), id="berlin-0230-autumn"),
    pytest.param("America/New_York", time(2, 30), 3, utc(2026, 3, 4, 12), id="ny-0230-3h-spring"),
    pytest.param("America/New_York", time(1, 30), 24, utc(2026, 10, 28, 12), id="ny-0130-autumn"),
    pytest.param("Europe/Berlin", time(9, 0), 24, utc(2026, 3, 25, 12), id="berlin-0900-spring"),
    pytest.param("America/New_York", time(9, 0), 4, utc(2026, 10, 28, 12), id="ny-0900-4h-autumn"),
]


@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize(("tz", "at", "window", "start"), RANDOM_CASES)
async def test_random_crashes_across_dst_post_and_recap_each_day_exactly_once(
    bot: Deployment, tz: str, at: time, window: int, start: datetime, seed: int
) -> None:
    rng = random.Random(f"{tz}-{at}-{window}-{seed}")
    end = start + timedelta(days=9)
    day0 = local_date(start, tz)
    openings = [daily_window(day0 + timedelta(days=n), at, window, tz)[0] for n in range(11)]
    lives = random_lives(rng, start, end, openings)
    await bot.set_up_daily(daily_time=at.strftime("%H:%M"), timezone=tz, window_hours=window)
    for boot_at, crash_at in lives:
        await bot.boot(boot_at)
        await bot.crash(crash_at)

    want_posts = expected_posts(lives, at, window, tz)
    want_recaps = expected_recaps(lives, want_posts, at, window, tz)
    got_posts = [(day, posted_at) for posted_at, day in bot.poster.posts]
    got_recaps = [(day, recapped_at) for recapped_at, day in bot.poster.recaps]
    story = f"{len(lives)} processes: " + ", ".join(f"{s:%d %H:%M}-{e:%d %H:%M}" for s, e in lives)
    assert len({d for d, _ in got_posts}) == len(got_posts), story  # never a day twice
    assert len({d for d, _ in got_recaps}) == len(got_recaps), story
    assert dict(got_posts) == want_posts, story
    assert dict(got_recaps) == want_recaps, story
    assert len(want_posts) >= 3, story  # the scenario exercised something
