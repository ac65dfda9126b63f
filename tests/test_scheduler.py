"""The daily scheduler: its policy (DST, windows, shards), its exactly-once runs, its job store.

The runtime is driven deterministically: a fake clock decides what is due and the job
functions are called directly (or APScheduler's own trigger arithmetic gives the fire times).
One test lets APScheduler fire a real, short job. The daily-post claims are checked on every
store backend (memory, SQLite, PostgreSQL) like the rest of the store contract.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from apscheduler.triggers.cron import CronTrigger

from bot.core.clock import SystemClock
from bot.core.practice import DailyQuestion, DailyRecap, PracticeService, Submission
from bot.core.questions import CompositeCatalog, StaticCatalog
from bot.core.schedule import daily_window, local_to_utc
from bot.core.store_ports import ClaimOutcome, DailyPost
from bot.scheduler import (
    MAX_RETRIES,
    DailyScheduler,
    PostedDaily,
    PostFailedError,
    PostStatus,
    PostUncertainError,
    RecapStatus,
    daily_job_id,
    due_daily_date,
    jobstore_table,
    jobstore_url,
    next_post_at,
    on_shards,
    recap_job_id,
    retry_daily_job,
    retry_job_id,
    run_daily_job,
    run_recap_job,
    runtime,
)
from bot.store import open_store
from tests.fakes import FakeClock, FakeGrader, InMemoryStore, make_question
from tests.store.conftest import PG_URL, _dsn

GUILD = 1_000_000 << 22  # on shard 0 of any shard count
# In the future, so APScheduler (on the real clock) never fires a job a test schedules.
T0 = datetime(2031, 3, 3, 6, 0, tzinfo=UTC)  # Monday 06:00 UTC


# -- fixtures ------------------------------------------------------------------------------


@dataclass
class FakePoster:
    """Records posts; ``landed`` simulates a post made by a run that died before recording."""

    posts: list[tuple[int, DailyQuestion]] = field(default_factory=list)
    recaps: list[tuple[DailyPost, DailyRecap]] = field(default_factory=list)
    landed: dict[tuple[int, date], PostedDaily] = field(default_factory=dict)
    landed_recaps: dict[tuple[int, date], int] = field(default_factory=dict)
    fail: bool = False
    raises: list[Exception] = field(default_factory=list)  # next post_daily raises these
    recap_raises: list[Exception] = field(default_factory=list)
    _ids: int = 100

    async def post_daily(self, channel_id: int, daily: DailyQuestion) -> PostedDaily:
        if self.fail:
            raise PostFailedError("missing access")
        if self.raises:
            raise self.raises.pop(0)
        self._ids += 1
        self.posts.append((channel_id, daily))
        return PostedDaily(channel_id, self._ids, self._ids)

    async def find_daily(self, channel_id: int, daily: DailyQuestion) -> PostedDaily | None:
        return self.landed.get((daily.guild_id, daily.local_date))

    async def post_recap(self, post: DailyPost, recap: DailyRecap) -> int | None:
        if self.recap_raises:
            raise self.recap_raises.pop(0)
        self._ids += 1
        self.recaps.append((post, recap))
        return self._ids

    async def find_recap(self, post: DailyPost) -> int | None:
        return self.landed_recaps.get((post.guild_id, post.local_date))

    def days(self) -> list[date]:
        return [d.local_date for _, d in self.posts]


class World:
    """A service over the in-memory store with a few questions, a fake clock and a poster.

    Its schedulers keep their jobs in SQLite under ``data_dir``, as the bot does, so a "restart"
    (a new scheduler with the same name) finds the jobs and their set-up instant.
    """

    def __init__(self, data_dir: Path, clock: FakeClock | None = None) -> None:
        self.clock = clock or FakeClock(T0)
        self.store = InMemoryStore()
        questions = [make_question(f"q-{i}") for i in range(5)]
        catalog = CompositeCatalog(StaticCatalog(questions), self.store)
        self.service = PracticeService(self.store, catalog, FakeGrader(), self.clock)
        self.poster = FakePoster()
        self.url = jobstore_url(data_dir)
        self.name = f"test-{uuid.uuid4().hex[:6]}"

    def scheduler(self, **kwargs) -> DailyScheduler:
        kwargs.setdefault("name", self.name)
        kwargs.setdefault("jobstore_url", self.url)
        return DailyScheduler(self.service, self.store, self.clock, **kwargs)

    async def setup_daily(self, guild: int = GUILD, **changes) -> None:
        changes.setdefault("daily_channel_id", 42)
        await self.service.configure_guild(guild, **changes)


def daily_jobs(scheduler: DailyScheduler) -> list:
    return [j for j in scheduler.jobs() if j.id.startswith("daily:")]


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path / "data")


@pytest.fixture
async def running(world: World) -> AsyncIterator[DailyScheduler]:
    """A started scheduler (set the daily up, then ``apply_settings``)."""
    scheduler = world.scheduler()
    await scheduler.start(world.poster)
    try:
        yield scheduler
    finally:
        await scheduler.shutdown()


# -- pure policy -----------------------------------------------------------------------------


def test_shard_filter_follows_discords_formula() -> None:
    guild = (123 << 22) | 777  # shard = (id >> 22) % count
    assert on_shards(guild, None, None) and on_shards(guild, 4, None)
    assert on_shards(guild, 4, [3]) and not on_shards(guild, 4, [0, 1, 2])
    assert on_shards(guild, 2, [1]) and not on_shards(guild, 2, [0])
    assert jobstore_table(None, None) == "apscheduler_jobs"
    assert jobstore_table(4, [2, 0]) == "apscheduler_jobs_4_0_2"


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 3, 2, 8, 59, tzinfo=UTC), date(2026, 3, 1)),  # yesterday's still open
        (datetime(2026, 3, 2, 9, 0, tzinfo=UTC), date(2026, 3, 2)),  # today's opens now
        (datetime(2026, 3, 2, 23, 0, tzinfo=UTC), date(2026, 3, 2)),
    ],
)
def test_due_daily_is_the_latest_opened_inside_its_window(now, expected) -> None:
    assert due_daily_date(now, time(9), 24, "UTC") == expected


def test_an_expired_daily_is_never_due() -> None:
    # 3-hour window: between 12:00 and the next 09:00 nothing is on show, and an older
    # daily never comes back because a newer one replaced it.
    assert due_daily_date(datetime(2026, 3, 2, 11, 59, tzinfo=UTC), time(9), 3, "UTC") == date(
        2026, 3, 2
    )
    assert due_daily_date(datetime(2026, 3, 2, 12, 0, tzinfo=UTC), time(9), 3, "UTC") is None
    assert due_daily_date(datetime(2026, 3, 3, 8, 0, tzinfo=UTC), time(9), 3, "UTC") is None


def test_due_daily_uses_the_servers_local_day() -> None:
    # 07:30 in Auckland on Tuesday is still Monday in UTC.
    now = datetime(2026, 3, 2, 18, 30, tzinfo=UTC)
    assert due_daily_date(now, time(7), 24, "Pacific/Auckland") == date(2026, 3, 3)
    assert next_post_at(now, time(7), "Pacific/Auckland") == datetime(2026, 3, 3, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "at", "before", "at_open", "day"),
    [
        # Berlin, spring: 02:30 does not exist on 29 March; it opens at 03:30 CEST (01:30 UTC).
        ("Europe/Berlin", time(2, 30), datetime(2026, 3, 29, 1, 29, tzinfo=UTC),
         datetime(2026, 3, 29, 1, 30, tzinfo=UTC), date(2026, 3, 29)),
        # Berlin, autumn: 02:30 happens twice on 25 October; the first one (CEST) opens it.
        ("Europe/Berlin", time(2, 30), datetime(2026, 10, 25, 0, 29, tzinfo=UTC),
         datetime(2026, 10, 25, 0, 30, tzinfo=UTC), date(2026, 10, 25)),
        # New York, spring: 02:30 does not exist on 8 March; it opens at 03:30 EDT.
        ("America/New_York", time(2, 30), datetime(2026, 3, 8, 7, 29, tzinfo=UTC),
         datetime(2026, 3, 8, 7, 30, tzinfo=UTC), date(2026, 3, 8)),
        # New York, autumn: 01:30 happens twice on 1 November; the first one (EDT) opens it.
        ("America/New_York", time(1, 30), datetime(2026, 11, 1, 5, 29, tzinfo=UTC),
         datetime(2026, 11, 1, 5, 30, tzinfo=UTC), date(2026, 11, 1)),
    ],
)  # fmt: skip
def test_dst_nights_open_the_daily_once_at_the_right_instant(tz, at, before, at_open, day):
    yesterday = day - timedelta(days=1)
    assert due_daily_date(before, at, 24, tz) == yesterday
    assert due_daily_date(at_open, at, 24, tz) == day
    assert next_post_at(before, at, tz) == at_open
    # An hour later (the repeated hour in autumn) the same day is due: one post, not two.
    assert due_daily_date(at_open + timedelta(hours=1), at, 24, tz) == day


def _cron_fires(at: time, tz: str, start: datetime, days: int) -> list[datetime]:
    """The instants APScheduler's cron trigger fires at, over ``days`` from ``start``."""
    trigger = CronTrigger(hour=at.hour, minute=at.minute, timezone=ZoneInfo(tz))
    fires, previous, now = [], None, start
    end = start + timedelta(days=days)
    while True:
        fire = trigger.get_next_fire_time(previous, now)
        if fire is None or fire >= end:
            return [f.astimezone(UTC) for f in fires]
        fires.append(fire)
        previous = now = fire


DST_CASES = [
    # (zone, posting time, a start two days before the change, what happens on the night)
    ("Europe/Berlin", time(2, 30), datetime(2026, 3, 27, tzinfo=UTC), "spring: 02:30 is skipped"),
    ("Europe/Berlin", time(2, 30), datetime(2026, 10, 23, tzinfo=UTC), "autumn: 02:30 twice"),
    ("Europe/Berlin", time(9, 0), datetime(2026, 3, 27, tzinfo=UTC), "spring: a 23-hour day"),
    ("America/New_York", time(2, 30), datetime(2026, 3, 6, tzinfo=UTC), "spring: skipped"),
    ("America/New_York", time(1, 30), datetime(2026, 10, 30, tzinfo=UTC), "autumn: twice"),
    ("America/New_York", time(9, 0), datetime(2026, 10, 30, tzinfo=UTC), "autumn: 25 hours"),
]


@pytest.mark.parametrize(("tz", "at", "start", "case"), DST_CASES)
async def test_dst_each_local_day_is_posted_once_at_its_opening(
    tmp_path: Path, tz, at, start, case
) -> None:
    """Drive the runtime at every instant APScheduler's cron trigger fires across a DST
    change: each local day gets exactly one post, made at the instant core.schedule says it
    opens (the repeated autumn hour fires twice; the second run finds the post made)."""
    world = World(tmp_path, FakeClock(start))
    await world.setup_daily(daily_time=at.strftime("%H:%M"), timezone=tz)
    scheduler = world.scheduler()
    scheduler.poster = world.poster
    fires = _cron_fires(at, tz, start, days=5)
    statuses = []
    for fire in fires:
        world.clock.set(fire)
        statuses.append((await scheduler.run_daily(GUILD)).status)
    days = world.poster.days()
    assert len(days) == len(set(days)) == 5, case
    assert days == sorted(days) and (days[-1] - days[0]).days == 4
    for (_, daily), in_order in zip(world.poster.posts, days, strict=True):
        assert daily.local_date == in_order
        assert daily.opens_at == local_to_utc(in_order, at, tz)
    # Every cron fire either posted or found the day's post already made.
    assert set(statuses) <= {PostStatus.POSTED, PostStatus.ALREADY_POSTED}
    assert statuses.count(PostStatus.ALREADY_POSTED) == len(fires) - 5


async def test_dst_window_lasts_real_hours_and_the_recap_comes_once(tmp_path: Path) -> None:
    """On the autumn night in Berlin the 24-hour window still closes 24 real hours later."""
    start = datetime(2026, 10, 24, 7, 0, tzinfo=UTC)  # 09:00 CEST, Saturday
    world = World(tmp_path, FakeClock(start))
    await world.setup_daily(daily_time="09:00", timezone="Europe/Berlin")
    scheduler = world.scheduler()
    scheduler.poster = world.poster
    assert (await scheduler.run_daily(GUILD)).status is PostStatus.POSTED
    _, closes = daily_window(date(2026, 10, 24), time(9), 24, "Europe/Berlin")
    assert closes == start + timedelta(hours=24)  # 08:00 CET on Sunday, local
    world.clock.set(closes - timedelta(seconds=1))
    assert await scheduler.run_recap(GUILD, date(2026, 10, 24)) is RecapStatus.NOT_DUE
    world.clock.set(closes)
    assert await scheduler.run_recap(GUILD, date(2026, 10, 24)) is RecapStatus.POSTED
    assert await scheduler.run_recap(GUILD, date(2026, 10, 24)) is RecapStatus.DONE
    assert len(world.poster.recaps) == 1


# -- exactly once ----------------------------------------------------------------------------


async def test_start_up_catches_up_a_missed_post_once(world: World) -> None:
    await world.setup_daily(daily_time="09:00")
    first = world.scheduler()
    await first.start(world.poster)  # Monday 06:00: nothing due yet
    assert world.poster.posts == []
    await first.shutdown()

    world.clock.set(datetime(2031, 3, 3, 13, 0, tzinfo=UTC))  # down across 09:00
    second = world.scheduler()
    await second.start(world.poster)
    assert world.poster.days() == [date(2031, 3, 3)]
    await second.shutdown()

    world.clock.advance(hours=1)  # a restart inside the window: nothing more
    third = world.scheduler()
    await third.start(world.poster)
    await third.run_daily(GUILD)  # and APScheduler's own misfire run finds it done
    await third.shutdown()
    assert world.poster.days() == [date(2031, 3, 3)]


async def test_a_missed_post_is_not_made_after_its_window(world: World) -> None:
    await world.setup_daily(daily_time="09:00", window_hours=4)
    world.clock.set(datetime(2031, 3, 2, 20, 0, tzinfo=UTC))  # set up on Sunday evening
    first = world.scheduler()
    await first.start(world.poster)
    await first.shutdown()
    world.clock.set(datetime(2031, 3, 3, 13, 30, tzinfo=UTC))  # Monday's window closed at 13:00
    again = world.scheduler()
    await again.start(world.poster)
    await again.shutdown()
    assert world.poster.posts == []
    assert await world.store.get_daily_post(GUILD, date(2031, 3, 3)) is None


async def test_set_up_after_the_posting_time_waits_for_the_next_day(world: World) -> None:
    world.clock.set(datetime(2031, 3, 3, 10, 0, tzinfo=UTC))
    scheduler = world.scheduler()
    await scheduler.start(world.poster)
    try:
        await world.setup_daily(daily_time="09:00")
        await scheduler.apply_settings(GUILD)
        result = await scheduler.run_daily(GUILD)  # what the cron job would do at start-up
        assert result.status is PostStatus.NOT_DUE
        assert result.opens_at == datetime(2031, 3, 4, 9, 0, tzinfo=UTC)
        # ... but an admin can post today's at once.
        now = await scheduler.run_daily(GUILD, manual=True)
        assert now.status is PostStatus.POSTED and world.poster.days() == [date(2031, 3, 3)]
        again = await scheduler.run_daily(GUILD, manual=True)
        assert again.status is PostStatus.ALREADY_POSTED and len(world.poster.posts) == 1
    finally:
        await scheduler.shutdown()


async def test_manual_post_before_the_posting_time_is_refused(world: World) -> None:
    await world.setup_daily(daily_time="09:00")
    scheduler = world.scheduler()
    scheduler.poster = world.poster
    result = await scheduler.run_daily(GUILD, manual=True)  # 06:00: yesterday's is open
    assert result.status is PostStatus.NOT_DUE
    assert result.opens_at == datetime(2031, 3, 3, 9, 0, tzinfo=UTC)
    assert world.poster.posts == []


async def test_concurrent_runs_post_once(world: World) -> None:
    await world.setup_daily(daily_time="05:00")
    a, b = world.scheduler(), world.scheduler()  # two processes on the same store
    a.poster = b.poster = world.poster
    results = await asyncio.gather(a.run_daily(GUILD), b.run_daily(GUILD), a.run_daily(GUILD))
    assert len(world.poster.posts) == 1
    assert sorted(r.status for r in results).count(PostStatus.POSTED) == 1


async def test_a_stale_claim_is_taken_over_and_a_landed_post_adopted(world: World) -> None:
    await world.setup_daily(daily_time="05:00")
    day = date(2031, 3, 3)
    daily = await world.service.daily_question(GUILD, day)
    # A run claimed at 05:00 and died right after its message landed.
    await world.store.claim_daily_post(GUILD, day, daily.question.id, "dead", T0, T0)
    scheduler = world.scheduler()
    scheduler.poster = world.poster
    held = await scheduler.run_daily(GUILD)
    assert held.status is PostStatus.BUSY  # within the lease: the other run may be alive
    world.poster.landed[(GUILD, day)] = PostedDaily(42, 555, 555)
    world.clock.advance(minutes=3)
    adopted = await scheduler.run_daily(GUILD)
    assert adopted.status is PostStatus.POSTED and world.poster.posts == []
    assert adopted.post is not None and adopted.post.message_id == 555


async def test_a_stale_claim_without_a_post_is_posted(world: World) -> None:
    await world.setup_daily(daily_time="05:00")
    day = date(2031, 3, 3)
    await world.store.claim_daily_post(GUILD, day, "q-0", "dead", T0, T0)
    world.clock.advance(minutes=3)
    scheduler = world.scheduler()
    scheduler.poster = world.poster
    assert (await scheduler.run_daily(GUILD)).status is PostStatus.POSTED
    assert world.poster.days() == [day]


async def test_a_failed_post_releases_its_claim(world: World) -> None:
    await world.setup_daily(daily_time="05:00")
    scheduler = world.scheduler()
    scheduler.poster = world.poster
    world.poster.fail = True
    assert (await scheduler.run_daily(GUILD)).status is PostStatus.FAILED
    assert await world.store.get_daily_post(GUILD, date(2031, 3, 3)) is None
    world.poster.fail = False
    assert (await scheduler.run_daily(GUILD)).status is PostStatus.POSTED


def _retry(scheduler: DailyScheduler, kind: str, day: date):
    (job,) = [j for j in scheduler.jobs() if j.id == retry_job_id(kind, GUILD, day)]
    return job


async def test_a_transient_failure_releases_the_claim_and_retries(world: World, running) -> None:
    await world.setup_daily(daily_time="07:00")
    await running.apply_settings(GUILD)
    world.clock.set(datetime(2031, 3, 3, 7, 0, tzinfo=UTC))
    day = date(2031, 3, 3)
    world.poster.raises = [PostFailedError("Discord is down", transient=True)]
    assert (await running.run_daily(GUILD)).status is PostStatus.FAILED
    assert await world.store.get_daily_post(GUILD, day) is None  # released at once
    job = _retry(running, "daily", day)
    assert job.args == (running.name, GUILD, "2031-03-03", 1)
    assert job.trigger.run_date == world.clock.now() + timedelta(minutes=1)
    await retry_daily_job(*job.args)  # what APScheduler runs a minute later
    assert world.poster.days() == [day]


async def test_an_uncertain_post_is_looked_for_before_posting_again(world: World, running) -> None:
    await world.setup_daily(daily_time="07:00")
    await running.apply_settings(GUILD)
    world.clock.set(datetime(2031, 3, 3, 7, 0, tzinfo=UTC))
    day = date(2031, 3, 3)
    world.poster.raises = [PostUncertainError("502 Bad Gateway")]
    assert (await running.run_daily(GUILD)).status is PostStatus.FAILED
    held = await world.store.get_daily_post(GUILD, day)
    assert held is not None and not held.posted  # the claim is kept: it may have landed
    job = _retry(running, "daily", day)
    assert job.trigger.run_date >= held.claimed_at + running.lease  # once the claim is stale
    world.poster.landed[(GUILD, day)] = PostedDaily(42, 777, 777)  # ... and it had landed
    world.clock.advance(minutes=3)
    await retry_daily_job(*job.args)
    assert world.poster.posts == []
    post = await world.store.get_daily_post(GUILD, day)
    assert post is not None and post.posted and post.message_id == 777


async def test_retries_give_up_after_a_few_attempts(world: World, running) -> None:
    await world.setup_daily(daily_time="07:00")
    await running.apply_settings(GUILD)
    world.clock.set(datetime(2031, 3, 3, 7, 0, tzinfo=UTC))
    day = date(2031, 3, 3)
    world.poster.raises = [PostFailedError("down", transient=True)] * (MAX_RETRIES + 1)
    await running.run_daily(GUILD)
    for attempt in range(1, MAX_RETRIES + 1):
        job = _retry(running, "daily", day)
        assert job.args[-1] == attempt
        job.remove()
        await retry_daily_job(*job.args)
    assert not [j for j in running.jobs() if j.id.startswith("retry:")]
    assert world.poster.posts == []


async def test_recap_failures(world: World, running) -> None:
    await world.setup_daily(daily_time="07:00", window_hours=1)
    await running.apply_settings(GUILD)
    world.clock.set(datetime(2031, 3, 3, 7, 0, tzinfo=UTC))
    day = date(2031, 3, 3)
    await running.run_daily(GUILD)
    world.clock.advance(hours=1)
    # Transient: released and retried; uncertain: kept and looked for; permanent: given up.
    world.poster.recap_raises = [
        PostFailedError("down", transient=True),
        PostUncertainError("502"),
        PostFailedError("thread deleted"),
    ]
    assert await running.run_recap(GUILD, day) is RecapStatus.FAILED
    job = _retry(running, "recap", day)
    assert job.args == (running.name, GUILD, "2031-03-03", 1)
    await run_recap_job(*job.args)
    post = await world.store.get_daily_post(GUILD, day)
    assert post is not None and post.recap_token is not None and not post.recapped
    world.clock.advance(minutes=3)
    await run_recap_job(*_retry(running, "recap", day).args)  # takes over, finds none, posts
    post = await world.store.get_daily_post(GUILD, day)
    assert post is not None and post.recapped and post.recap_message_id is None
    assert world.poster.recaps == []  # the permanent failure is recorded: never retried
    assert await running.run_recap(GUILD, day) is RecapStatus.DONE


async def test_recap_once_with_the_answers(world: World) -> None:
    await world.setup_daily(daily_time="05:00", window_hours=2)
    scheduler = world.scheduler()
    scheduler.poster = world.poster
    result = await scheduler.run_daily(GUILD)
    day = date(2031, 3, 3)
    assert result.status is PostStatus.POSTED
    daily = await world.service.daily_question(GUILD, day)
    for member, answer in ((7, "term0 and term1."), (8, "only term1 here.")):
        await world.service.submit_answer(
            Submission(GUILD, member, daily.question.id, answer, f"k{member}", daily_date=day)
        )
    assert await scheduler.run_recap(GUILD, day) is RecapStatus.NOT_DUE
    world.clock.set(daily.closes_at)
    statuses = await asyncio.gather(*(scheduler.run_recap(GUILD, day) for _ in range(3)))
    assert sorted(statuses) == sorted([RecapStatus.POSTED, RecapStatus.DONE, RecapStatus.DONE])
    ((post, recap),) = world.poster.recaps
    assert post.message_id == result.post.message_id if result.post else False
    assert recap.participants == 2 and recap.newly_closed
    assert [s.member_id for s in recap.top_scorers] == [7, 8]


async def test_start_up_recaps_windows_that_closed_while_down(world: World) -> None:
    await world.setup_daily(daily_time="07:00", window_hours=2)
    first = world.scheduler()
    await first.start(world.poster)  # 06:00
    world.clock.set(datetime(2031, 3, 3, 7, 0, tzinfo=UTC))
    await run_daily_job(first.name, GUILD)  # what the cron job does at 07:00
    assert world.poster.days() == [date(2031, 3, 3)]
    assert any(j.id == recap_job_id(GUILD, date(2031, 3, 3)) for j in first.jobs())
    await first.shutdown()
    world.clock.advance(hours=3)  # the window closed while the bot was down
    for _ in range(2):  # two restarts: one recap
        again = world.scheduler()
        await again.start(world.poster)
        await again.shutdown()
    assert len(world.poster.recaps) == 1


async def test_a_stale_recap_claim_adopts_a_landed_recap(world: World) -> None:
    await world.setup_daily(daily_time="06:00", window_hours=1)
    scheduler = world.scheduler()
    scheduler.poster = world.poster
    assert (await scheduler.run_daily(GUILD)).status is PostStatus.POSTED
    day = date(2031, 3, 3)
    world.clock.advance(hours=2)
    await world.store.claim_daily_recap(GUILD, day, "dead", world.clock.now(), T0)
    assert await scheduler.run_recap(GUILD, day) is RecapStatus.BUSY
    world.poster.landed_recaps[(GUILD, day)] = 999
    world.clock.advance(minutes=3)
    assert await scheduler.run_recap(GUILD, day) is RecapStatus.POSTED
    assert world.poster.recaps == []
    post = await world.store.get_daily_post(GUILD, day)
    assert post is not None and post.recap_message_id == 999


async def test_turning_the_daily_off_removes_the_job(world: World, running) -> None:
    await world.setup_daily(daily_time="09:00", timezone="Europe/Berlin")
    await running.apply_settings(GUILD)
    (job,) = running.jobs()
    assert job.id == daily_job_id(GUILD)
    assert str(job.trigger.timezone) == "Europe/Berlin" and "hour='9'" in str(job.trigger)
    await world.service.configure_guild(GUILD, daily_channel_id=None)
    await running.apply_settings(GUILD)
    assert running.jobs() == []
    status = await running.status(GUILD)
    assert not status.scheduled and status.next_post_at is None


async def test_only_this_process_shards_are_scheduled(world: World) -> None:
    mine, theirs = GUILD, GUILD + (1 << 22)  # shards 0 and 1 of 2
    await world.setup_daily(mine, daily_time="07:00")
    await world.setup_daily(theirs, daily_time="07:00")
    scheduler = world.scheduler(shard_count=2, shard_ids=[0])
    await scheduler.start(world.poster)
    try:
        assert [j.id for j in scheduler.jobs()] == [daily_job_id(mine)]
        world.clock.set(datetime(2031, 3, 3, 7, 0, tzinfo=UTC))
        await run_daily_job(scheduler.name, mine)
        await run_daily_job(scheduler.name, theirs)
        assert [d.guild_id for _, d in world.poster.posts] == [mine]
        assert (await scheduler.run_daily(theirs)).status is PostStatus.NOT_MINE
    finally:
        await scheduler.shutdown()


async def test_a_run_with_no_matching_question_posts_nothing(world: World) -> None:
    await world.setup_daily(daily_time="05:00", topics=["career"])
    scheduler = world.scheduler()
    scheduler.poster = world.poster
    assert (await scheduler.run_daily(GUILD)).status is PostStatus.NO_QUESTION
    assert world.poster.posts == []


# -- APScheduler itself ------------------------------------------------------------------------


async def test_jobs_persist_in_sqlite_across_restarts(world: World) -> None:
    await world.setup_daily(daily_time="09:00", timezone="America/New_York")
    first = world.scheduler()
    await first.start(world.poster)
    (job,) = first.jobs()
    since = job.kwargs["since"]
    await first.shutdown()

    world.clock.advance(days=2)
    second = world.scheduler()
    await second.start(world.poster)
    try:
        (again,) = daily_jobs(second)
        assert again.id == daily_job_id(GUILD) and again.kwargs["since"] == since
        assert str(again.trigger) == str(job.trigger)
        assert str(again.trigger.timezone) == "America/New_York"
        assert again.misfire_grace_time == 3600 and again.coalesce
        assert again.func_ref == "bot.scheduler:run_daily_job"
        # Changing the time keeps the set-up instant; turning it off and on resets it.
        await world.service.configure_guild(GUILD, daily_time="18:30")
        await second.apply_settings(GUILD)
        (moved,) = daily_jobs(second)
        assert moved.kwargs["since"] == since and "hour='18'" in str(moved.trigger)
        await world.service.configure_guild(GUILD, daily_channel_id=None)
        await second.apply_settings(GUILD)
        assert daily_jobs(second) == []
        await world.setup_daily()
        await second.apply_settings(GUILD)
        (fresh,) = daily_jobs(second)
        assert fresh.kwargs["since"] == world.clock.now().isoformat() != since
    finally:
        await second.shutdown()


async def test_apscheduler_fires_a_retry_once_the_claim_lease_runs_out(tmp_path: Path) -> None:
    """A real (short) APScheduler trigger: another run's fresh claim makes ``/daily now`` back
    off and schedule a retry at the lease's end; APScheduler fires it and the post is made."""
    clock = SystemClock()
    world = World(tmp_path, clock)  # type: ignore[arg-type]
    now = clock.now()
    await world.setup_daily(daily_time=now.strftime("%H:%M"), window_hours=1)
    day = now.date()
    daily = await world.service.daily_question(GUILD, day)
    await world.store.claim_daily_post(GUILD, day, daily.question.id, "other", now, now)
    scheduler = world.scheduler(lease=timedelta(seconds=0.2))
    await scheduler.start(world.poster)
    try:
        held = await scheduler.run_daily(GUILD, manual=True)
        assert held.status is PostStatus.BUSY and world.poster.posts == []
        assert any(j.id.startswith("retry:daily:") for j in scheduler.jobs())
        for _ in range(500):
            if world.poster.posts:
                break
            await asyncio.sleep(0.01)
        assert world.poster.days() == [day]
        assert not any(j.id.startswith("retry:") for j in scheduler.jobs())
    finally:
        await scheduler.shutdown()


async def test_job_functions_find_their_runtime(world: World) -> None:
    await world.setup_daily(daily_time="07:00", window_hours=1)
    scheduler = world.scheduler()
    await run_daily_job(scheduler.name, GUILD)  # not running: logged and skipped
    await scheduler.start(world.poster)
    try:
        assert runtime(scheduler.name) is scheduler
        world.clock.set(datetime(2031, 3, 3, 7, 0, tzinfo=UTC))
        await run_daily_job(scheduler.name, GUILD)
        await run_daily_job(scheduler.name, GUILD)
        world.clock.advance(hours=2)
        await run_recap_job(scheduler.name, GUILD, "2031-03-03")
        await run_recap_job(scheduler.name, GUILD, "2031-03-03")
        assert len(world.poster.posts) == 1 and len(world.poster.recaps) == 1
    finally:
        await scheduler.shutdown()
    assert runtime(scheduler.name) is None


# -- the daily-post claims on every store backend --------------------------------------------


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
async def post_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[object]:
    if request.param == "memory":
        yield InMemoryStore()
        return
    if request.param == "sqlite":
        sql = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'posts.db'}")
        try:
            yield sql
        finally:
            await sql.close()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(_dsn(PG_URL))
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        sql = await open_store(PG_URL, schema=schema)
        try:
            yield sql
        finally:
            await sql.close()
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()


DAY = date(2031, 3, 3)


async def test_post_claims_contract(post_store) -> None:
    s = post_store
    t = T0
    stale = t - timedelta(minutes=2)
    assert await s.get_daily_post(GUILD, DAY) is None
    assert await s.claim_daily_post(GUILD, DAY, "q-1", "a", t, stale) is ClaimOutcome.NEW
    assert await s.claim_daily_post(GUILD, DAY, "q-1", "b", t, stale) is ClaimOutcome.HELD
    later = t + timedelta(minutes=5)
    assert (
        await s.claim_daily_post(GUILD, DAY, "q-1", "b", later, later - timedelta(minutes=2))
        is ClaimOutcome.TAKEN_OVER
    )
    kwargs = {"channel_id": 42, "message_id": 7, "thread_id": 7, "at": later}
    assert not await s.finish_daily_post(GUILD, DAY, "a", **kwargs)  # lost its claim
    assert await s.finish_daily_post(GUILD, DAY, "b", **kwargs)
    assert not await s.finish_daily_post(GUILD, DAY, "b", **kwargs)
    post = await s.get_daily_post(GUILD, DAY)
    assert post.posted and (post.channel_id, post.message_id, post.thread_id) == (42, 7, 7)
    assert post.question_id == "q-1" and post.claim_token == "b" and post.posted_at == later
    far = later + timedelta(days=1)
    assert await s.claim_daily_post(GUILD, DAY, "q-1", "c", far, far) is ClaimOutcome.DONE
    assert not await s.release_daily_post(GUILD, DAY, "b")  # finished: never released

    # Another day: a released claim can be claimed afresh.
    other = DAY + timedelta(days=1)
    assert await s.claim_daily_post(GUILD, other, "q-2", "x", t, stale) is ClaimOutcome.NEW
    assert not await s.release_daily_post(GUILD, other, "y")
    assert await s.release_daily_post(GUILD, other, "x")
    assert await s.get_daily_post(GUILD, other) is None
    assert await s.claim_daily_post(GUILD, other, "q-2", "z", t, stale) is ClaimOutcome.NEW


async def test_recap_claims_contract(post_store) -> None:
    s = post_store
    t = T0
    stale = t - timedelta(minutes=2)
    assert await s.claim_daily_recap(GUILD, DAY, "r", t, stale) is ClaimOutcome.DONE  # no post
    await s.claim_daily_post(GUILD, DAY, "q-1", "a", t, stale)
    assert await s.claim_daily_recap(GUILD, DAY, "r", t, stale) is ClaimOutcome.DONE  # unposted
    await s.finish_daily_post(GUILD, DAY, "a", channel_id=1, message_id=2, thread_id=None, at=t)
    assert [p.local_date for p in await s.owed_daily_recaps()] == [DAY]
    assert await s.claim_daily_recap(GUILD, DAY, "r1", t, stale) is ClaimOutcome.NEW
    assert await s.claim_daily_recap(GUILD, DAY, "r2", t, stale) is ClaimOutcome.HELD
    assert await s.release_daily_recap(GUILD, DAY, "r1")
    assert await s.claim_daily_recap(GUILD, DAY, "r2", t, stale) is ClaimOutcome.NEW
    later = t + timedelta(minutes=5)
    assert (
        await s.claim_daily_recap(GUILD, DAY, "r3", later, later - timedelta(minutes=2))
        is ClaimOutcome.TAKEN_OVER
    )
    assert not await s.finish_daily_recap(GUILD, DAY, "r2", message_id=9, at=later)
    assert await s.finish_daily_recap(GUILD, DAY, "r3", message_id=9, at=later)
    post = await s.get_daily_post(GUILD, DAY)
    assert post.recapped and post.recap_message_id == 9 and post.thread_id is None
    assert await s.owed_daily_recaps() == []
    assert await s.claim_daily_recap(GUILD, DAY, "r4", later, later) is ClaimOutcome.DONE
    assert not await s.release_daily_recap(GUILD, DAY, "r3")
