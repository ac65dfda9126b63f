"""APScheduler glue for the daily question: one cron job per server, recaps when windows close.

What is due and when comes from ``bot.core.schedule`` (the only module doing guild-local time);
this module turns those decisions into APScheduler jobs and makes every run idempotent, so the
daily question is posted exactly once per server and local day and its recap exactly once:

- Each run *claims* the post in the store (``DailyPostStore``) before posting and records the
  channel, message and thread ids after. Two runs (a cron job firing twice in the repeated hour
  of an autumn DST change, a catch-up at start-up racing a cron run, two processes) cannot both
  post. A claim whose process died mid-post goes stale after a short lease; the run that takes
  it over first looks in the channel for a post that did land.
- Jobs live in an SQLAlchemy job store (SQLite under the data directory), with a real misfire
  grace time and coalescing, so one run is made for a post that fell due while the bot was
  briefly down. Longer downtime is covered by the start-up catch-up: ``reconcile`` posts the
  daily still inside its answer window, never an expired one, and recaps every window that
  closed meanwhile.
- With ``SHARD_COUNT``/``SHARD_IDS`` set, a process schedules only its own servers.

Job callables are module-level coroutines (a persistent job store pickles a reference to them,
not a bound method); they find the live ``DailyScheduler`` by name in a registry.

Posting itself is the front-end's business: a ``DailyPoster`` (the Discord cog) posts the
question with its Answer button, opens the thread, and posts the recap.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bot.core.errors import NoQuestionAvailableError, QuestionNotFoundError
from bot.core.guild_settings import GuildSettings
from bot.core.schedule import daily_window, local_date, local_to_utc, next_daily_date, zone
from bot.core.store_ports import ClaimOutcome, DailyPost, DailyPostStore

if TYPE_CHECKING:
    from apscheduler.job import Job
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from bot.config import Settings
    from bot.core.ports import Clock
    from bot.core.practice import DailyQuestion, DailyRecap, PracticeService

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
"""How long a claim is honoured before another run may take over (a post takes seconds)."""

MISFIRE_GRACE = timedelta(hours=1)
"""A job that fell due while the process was down still runs if it is at most this late."""

RETRY_DELAY = timedelta(minutes=1)
"""First retry after a failed post or recap; each further retry waits twice as long."""

MAX_RETRIES = 5
"""Retries of one failed post or recap (1+2+4+8+16 minutes) before waiting for the next run."""

MAX_WINDOW_DAYS = 8
"""A window lasts at most 168 hours: no daily older than this many local days can be open."""

JOBSTORE_FILE = "scheduler.db"

_MARGIN = timedelta(seconds=1)
"""A retry runs this long after a claim's lease ran out (so the claim is surely stale)."""

_DAILY = "daily"
_RECAP = "recap"
_RETRY = "retry"


# -- policy (pure) ---------------------------------------------------------------------------


def on_shards(guild_id: int, shard_count: int | None, shard_ids: Sequence[int] | None) -> bool:
    """Whether ``guild_id`` belongs to this process (Discord's shard formula).

    Without both sharding settings the process runs every shard, so every server is its own.
    """
    if not shard_count or shard_ids is None:
        return True
    return (guild_id >> 22) % shard_count in set(shard_ids)


def due_daily_date(now: datetime, at: time, window_hours: int, tz: str) -> date | None:
    """The local date whose daily question should be on show at ``now``, if any.

    That is the latest daily that has opened (its local posting time has passed), provided its
    answer window has not closed; an older daily is never due (a newer one replaced it).
    The opening instants come from ``bot.core.schedule``, so a posting time skipped by a
    spring-forward change opens just after the gap, and a repeated autumn hour opens once.
    """
    today = local_date(now, tz)
    for back in range(MAX_WINDOW_DAYS + 1):
        day = today - timedelta(days=back)
        opens, closes = daily_window(day, at, window_hours, tz)
        if opens <= now:
            return day if now < closes else None
    return None  # pragma: no cover - yesterday's opening is always in the past


def next_post_at(now: datetime, at: time, tz: str) -> datetime:
    """The instant of the next posting at or after ``now`` (UTC)."""
    return local_to_utc(next_daily_date(now, at, tz), at, tz)


def cron_fields(at: time) -> dict[str, int]:
    """The cron fields of a daily posting time (the trigger's timezone is the server's)."""
    return {"hour": at.hour, "minute": at.minute}


def daily_job_id(guild_id: int) -> str:
    """Id of a server's daily cron job."""
    return f"{_DAILY}:{guild_id}"


def recap_job_id(guild_id: int, day: date) -> str:
    """Id of the one-off job that recaps the daily of ``day``."""
    return f"{_RECAP}:{guild_id}:{day.isoformat()}"


def retry_job_id(kind: str, guild_id: int, day: date) -> str:
    """Id of the one-off job that retries a post or recap held by another run's claim."""
    return f"{_RETRY}:{kind}:{guild_id}:{day.isoformat()}"


def jobstore_table(shard_count: int | None, shard_ids: Sequence[int] | None) -> str:
    """The job-store table of this process's shard set.

    APScheduler 3 cannot share one job table between schedulers (each would run every job), so
    processes running different shards keep their jobs apart in one database file.
    """
    if not shard_count or shard_ids is None:
        return "apscheduler_jobs"
    shards = "_".join(str(s) for s in sorted(set(shard_ids)))
    return f"apscheduler_jobs_{shard_count}_{shards}"


# -- the front-end port ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PostedDaily:
    """Where a daily question landed."""

    channel_id: int
    message_id: int
    thread_id: int | None


class PostFailedError(Exception):
    """Nothing was posted: the channel is gone or the bot lacks a permission (permanent), or
    Discord failed for now (``transient``: worth retrying a little later)."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        """Say why, and whether a retry may succeed."""
        super().__init__(message)
        self.transient = transient


class PostUncertainError(Exception):
    """Discord failed while the post was being made: it may or may not have landed."""


class DailyPoster(Protocol):
    """Posts dailies and recaps on the chat platform (implemented by the Discord cog)."""

    async def post_daily(self, channel_id: int, daily: DailyQuestion) -> PostedDaily:
        """Post the question with its Answer button and open its thread.

        Raises:
            PostFailedError: Nothing was posted.
            PostUncertainError: The post may have landed (a retry looks for it first).
        """
        ...

    async def find_daily(self, channel_id: int, daily: DailyQuestion) -> PostedDaily | None:
        """A post of ``daily`` already in the channel (made by a run that died), if any."""
        ...

    async def post_recap(self, post: DailyPost, recap: DailyRecap) -> int | None:
        """Post the recap (in the thread) and close the post; returns the recap's message id.

        Raises:
            PostFailedError: Nothing was posted.
            PostUncertainError: The recap may have landed (a retry looks for it first).
        """
        ...

    async def find_recap(self, post: DailyPost) -> int | None:
        """The id of a recap of ``post`` already posted (by a run that died), if any."""
        ...


# -- results ---------------------------------------------------------------------------------


class PostStatus(StrEnum):
    """What a run of the daily job did."""

    POSTED = "posted"
    ALREADY_POSTED = "already_posted"
    NOT_DUE = "not_due"
    NOT_CONFIGURED = "not_configured"
    BUSY = "busy"
    NO_QUESTION = "no_question"
    FAILED = "failed"
    NOT_MINE = "not_mine"


@dataclass(frozen=True, slots=True)
class PostResult:
    """The outcome of a daily run (``/daily now`` renders it)."""

    status: PostStatus
    day: date | None = None
    post: DailyPost | None = None
    opens_at: datetime | None = None


class RecapStatus(StrEnum):
    """What a run of the recap job did."""

    POSTED = "posted"
    DONE = "done"
    NOT_DUE = "not_due"
    BUSY = "busy"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class DailyStatus:
    """A server's daily schedule for ``/daily status``."""

    settings: GuildSettings
    scheduled: bool
    next_post_at: datetime | None
    today: date
    current: DailyQuestion | None
    current_post: DailyPost | None


# -- the runtime -----------------------------------------------------------------------------

_RUNTIMES: dict[str, DailyScheduler] = {}


class DailyScheduler:
    """Runs the daily question of every configured server on this process's shards.

    Args:
        service: The practice service (settings, daily choice, recap).
        store: Where post claims are kept (the SQL store, or the in-memory fake).
        clock: The source of "now" for every decision (APScheduler only wakes us up).
        jobstore_url: SQLAlchemy (sync) URL of the persistent job store; None keeps jobs in
            memory (tests).
        shard_count: Total shards (with ``shard_ids``: only those shards' servers run here).
        shard_ids: The shards of this process.
        name: Registry name the persisted jobs use to find this runtime.
        lease: How long a claim is honoured before a takeover.
        misfire_grace: How late a job may still run after downtime.
    """

    def __init__(
        self,
        service: PracticeService,
        store: DailyPostStore,
        clock: Clock,
        *,
        jobstore_url: str | None = None,
        shard_count: int | None = None,
        shard_ids: Sequence[int] | None = None,
        name: str = "default",
        lease: timedelta = LEASE,
        misfire_grace: timedelta = MISFIRE_GRACE,
    ) -> None:
        """Prepare the runtime; nothing runs before ``start``."""
        self.service = service
        self.store = store
        self.clock = clock
        self.jobstore_url = jobstore_url
        self.shard_count = shard_count
        self.shard_ids = tuple(shard_ids) if shard_ids is not None else None
        self.name = name
        self.lease = lease
        self.misfire_grace = misfire_grace
        self.poster: DailyPoster | None = None
        self._scheduler: AsyncIOScheduler | None = None
        self._instance = uuid.uuid4().hex[:12]
        self._runs = 0
        # One run per server at a time inside this process; the store claim covers the rest.
        self._locks: dict[int, asyncio.Lock] = {}

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        service: PracticeService,
        store: DailyPostStore,
        clock: Clock,
        **kwargs: Any,
    ) -> DailyScheduler:
        """The runtime the bot uses: jobs in SQLite under the data dir, the bot's shards."""
        return cls(
            service,
            store,
            clock,
            jobstore_url=jobstore_url(settings.data_dir),
            shard_count=settings.shard_count,
            shard_ids=settings.shard_ids,
            **kwargs,
        )

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether ``start`` ran and ``shutdown`` did not."""
        return self._scheduler is not None

    def owns(self, guild_id: int) -> bool:
        """Whether ``guild_id`` is scheduled by this process."""
        return on_shards(guild_id, self.shard_count, self.shard_ids)

    async def start(self, poster: DailyPoster) -> None:
        """Start APScheduler with the persisted jobs, then reconcile and catch up."""
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        if self._scheduler is not None:
            raise RuntimeError("the daily scheduler is already running")
        other = _RUNTIMES.get(self.name)
        if other is not None and other is not self:
            raise RuntimeError(f"another daily scheduler named {self.name!r} is running")
        self.poster = poster
        jobstores: dict[str, Any] = {}
        if self.jobstore_url is not None:
            from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

            jobstores["default"] = SQLAlchemyJobStore(
                url=self.jobstore_url, tablename=jobstore_table(self.shard_count, self.shard_ids)
            )
        scheduler = AsyncIOScheduler(
            jobstores=jobstores,
            job_defaults={
                "misfire_grace_time": int(self.misfire_grace.total_seconds()),
                "coalesce": True,
                "max_instances": 1,
            },
            timezone="UTC",
        )
        _RUNTIMES[self.name] = self
        self._scheduler = scheduler
        # Start paused: the reconcile below decides first what is due (our catch-up makes the
        # posts, so APScheduler's own misfire runs then find the work done).
        scheduler.start(paused=True)
        try:
            await self.reconcile()
        except Exception:
            # The cron jobs still run; only this catch-up is lost (the next start redoes it).
            log.exception("the daily scheduler's start-up catch-up failed")
        finally:
            # ``shutdown`` may have run meanwhile (the bot closed while catching up).
            if self._scheduler is scheduler and scheduler.running:
                scheduler.resume()
        if self._scheduler is scheduler:
            log.info("daily scheduler started (%d job(s))", len(scheduler.get_jobs()))

    async def shutdown(self) -> None:
        """Stop APScheduler (jobs stay in the store for the next start)."""
        scheduler, self._scheduler = self._scheduler, None
        if _RUNTIMES.get(self.name) is self:
            del _RUNTIMES[self.name]
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)
            # AsyncIOScheduler shuts down on the next loop iteration; let it close its store.
            await asyncio.sleep(0)

    def jobs(self) -> list[Job]:
        """The scheduled jobs (for status and tests)."""
        return self._scheduler.get_jobs() if self._scheduler is not None else []

    # -- reconciling jobs with settings ---------------------------------------------------

    async def reconcile(self) -> None:
        """Make the jobs match the servers' settings, post what is due, recap what closed."""
        configured = [(g, s) for g, s in await self.service.daily_guilds() if self.owns(g)]
        wanted = {g for g, _ in configured}
        for job in self.jobs():
            kind, _, rest = job.id.partition(":")
            if kind == _DAILY and int(rest) not in wanted:
                job.remove()
        for guild_id, settings in configured:
            self._ensure_daily_job(guild_id, settings)
        for guild_id, _ in configured:
            try:
                await self.run_daily(guild_id)
            except Exception:
                # One server's failure must not keep every other server's daily from running.
                log.exception("server %s: the start-up catch-up failed", guild_id)
        await self.catch_up_recaps()

    async def apply_settings(self, guild_id: int) -> GuildSettings:
        """Re-schedule one server after its admins changed the daily (setup or off)."""
        settings = await self.service.guild_settings(guild_id)
        if self._scheduler is None or not self.owns(guild_id):
            return settings
        if settings.daily_channel_id is None:
            job = self._scheduler.get_job(daily_job_id(guild_id))
            if job is not None:
                job.remove()
        else:
            self._ensure_daily_job(guild_id, settings)
        return settings

    def _ensure_daily_job(self, guild_id: int, settings: GuildSettings) -> None:
        from apscheduler.triggers.cron import CronTrigger

        assert self._scheduler is not None
        trigger = CronTrigger(**cron_fields(settings.daily_time), timezone=zone(settings.timezone))
        job = self._scheduler.get_job(daily_job_id(guild_id))
        if job is not None and _same_cron(job.trigger, trigger):
            return
        # ``since``: a newly configured daily never catches up on a day before its set-up.
        since = job.kwargs.get("since") if job is not None else None
        self._scheduler.add_job(
            "bot.scheduler:run_daily_job",
            trigger=trigger,
            id=daily_job_id(guild_id),
            name=f"daily question of server {guild_id}",
            args=[self.name, guild_id],
            kwargs={"since": since or self.clock.now().isoformat()},
            replace_existing=True,
        )

    def _since(self, guild_id: int) -> datetime | None:
        job = self._scheduler.get_job(daily_job_id(guild_id)) if self._scheduler else None
        raw = job.kwargs.get("since") if job is not None else None
        return datetime.fromisoformat(raw) if raw else None

    def _schedule_once(self, job_id: str, when: datetime, func: str, args: list[Any]) -> None:
        if self._scheduler is None:
            return
        from apscheduler.triggers.date import DateTrigger

        self._scheduler.add_job(
            func,
            trigger=DateTrigger(run_date=when),
            id=job_id,
            args=args,
            replace_existing=True,
        )

    # -- the daily post -------------------------------------------------------------------

    def _token(self) -> str:
        self._runs += 1
        return f"{self._instance}-{self._runs}"

    def _lock(self, guild_id: int) -> asyncio.Lock:
        return self._locks.setdefault(guild_id, asyncio.Lock())

    async def run_daily(
        self, guild_id: int, *, manual: bool = False, day: date | None = None, attempt: int = 0
    ) -> PostResult:
        """Post the server's due daily question unless it is already posted.

        Args:
            guild_id: The server.
            manual: An admin asked (``/daily now``): today's daily is posted as soon as its
                posting time has passed, even on the day the daily was set up.
            day: Retry the post of this local date (another run held it, or a post failed):
                posted if its window is still open.
            attempt: How many retries of a failed post came before this one.
        """
        if not self.owns(guild_id):
            return PostResult(PostStatus.NOT_MINE)
        async with self._lock(guild_id):
            return await self._run_daily(guild_id, manual, day, attempt)

    async def _run_daily(
        self, guild_id: int, manual: bool, retry: date | None, attempt: int
    ) -> PostResult:
        settings = await self.service.guild_settings(guild_id)
        channel_id = settings.daily_channel_id
        if channel_id is None:
            return PostResult(PostStatus.NOT_CONFIGURED)
        now = self.clock.now()
        at, tz = settings.daily_time, settings.timezone
        if retry is not None:
            day = retry  # its window is checked against the day's record below
        elif manual:
            # Only today's daily, and only once its posting time has passed: an admin asking
            # at 07:00 for a 09:00 daily must not get yesterday's, about to close.
            day = local_date(now, tz)
            opens, closes = daily_window(day, at, settings.window_hours, tz)
            if not opens <= now < closes:
                return PostResult(PostStatus.NOT_DUE, day, opens_at=next_post_at(now, at, tz))
        else:
            due = due_daily_date(now, at, settings.window_hours, tz)
            if due is None:
                return PostResult(PostStatus.NOT_DUE, opens_at=next_post_at(now, at, tz))
            day = due
            opens, _ = daily_window(day, at, settings.window_hours, tz)
            since = self._since(guild_id)
            if since is not None and opens < since:
                # Set up after this day's posting time: its first daily is the next one.
                return PostResult(PostStatus.NOT_DUE, day, opens_at=next_post_at(now, at, tz))
        existing = await self.store.get_daily_post(guild_id, day)
        if existing is not None and existing.posted:
            return PostResult(PostStatus.ALREADY_POSTED, day, existing)
        try:
            daily = await self.service.daily_question(guild_id, day)
        except NoQuestionAvailableError:
            log.warning("server %s: no question matches its daily topics/difficulty", guild_id)
            return PostResult(PostStatus.NO_QUESTION, day)
        if not daily.opens_at <= now < daily.closes_at or daily.closed:
            # The day's record keeps the window it was created with (settings changed since).
            return PostResult(PostStatus.NOT_DUE, day, opens_at=daily.opens_at)
        token = self._token()
        outcome = await self.store.claim_daily_post(
            guild_id, day, daily.question.id, token, now, now - self.lease
        )
        if outcome is ClaimOutcome.DONE:
            return PostResult(PostStatus.ALREADY_POSTED, day, await self._post(guild_id, day))
        if outcome is ClaimOutcome.HELD:
            held = await self._post(guild_id, day)
            self._schedule_once(
                retry_job_id(_DAILY, guild_id, day),
                held.claimed_at + self.lease + _MARGIN,
                "bot.scheduler:retry_daily_job",
                [self.name, guild_id, day.isoformat()],
            )
            return PostResult(PostStatus.BUSY, day, held)
        return await self._make_post(guild_id, day, channel_id, daily, token, outcome, attempt)

    async def _make_post(
        self,
        guild_id: int,
        day: date,
        channel_id: int,
        daily: DailyQuestion,
        token: str,
        outcome: ClaimOutcome,
        attempt: int,
    ) -> PostResult:
        poster = self._require_poster()
        posted: PostedDaily | None = None
        try:
            if outcome is ClaimOutcome.TAKEN_OVER:
                # The previous run died mid-post: its message may have landed before it did.
                posted = await poster.find_daily(channel_id, daily)
                if posted is not None:
                    log.info(
                        "server %s: adopting the daily post of %s made before a crash",
                        guild_id,
                        day,
                    )
            if posted is None:
                posted = await poster.post_daily(channel_id, daily)
        except PostFailedError as exc:
            await self.store.release_daily_post(guild_id, day, token)
            log.warning("server %s: cannot post the daily of %s: %s", guild_id, day, exc)
            if exc.transient:
                self._retry_post(guild_id, day, attempt, RETRY_DELAY * 2**attempt)
            return PostResult(PostStatus.FAILED, day)
        except Exception as exc:
            # Unknown state (the message may have landed): keep the claim; the retry takes
            # it over once stale and looks for the message first.
            if isinstance(exc, PostUncertainError):
                log.warning("server %s: posting the daily of %s failed: %s", guild_id, day, exc)
            else:
                log.exception("server %s: posting the daily of %s failed", guild_id, day)
            self._retry_post(
                guild_id, day, attempt, max(RETRY_DELAY * 2**attempt, self.lease + _MARGIN)
            )
            return PostResult(PostStatus.FAILED, day)
        recorded = await self.store.finish_daily_post(
            guild_id,
            day,
            token,
            channel_id=posted.channel_id,
            message_id=posted.message_id,
            thread_id=posted.thread_id,
            at=self.clock.now(),
        )
        if not recorded:  # pragma: no cover - needs a post slower than the lease
            log.warning("server %s: lost the claim on the daily of %s while posting", guild_id, day)
        post = await self._post(guild_id, day)
        log.info("server %s: posted the daily of %s (%s)", guild_id, day, daily.question.id)
        self._schedule_once(
            recap_job_id(guild_id, day),
            daily.closes_at,
            "bot.scheduler:run_recap_job",
            [self.name, guild_id, day.isoformat()],
        )
        return PostResult(PostStatus.POSTED, day, post)

    def _retry_post(self, guild_id: int, day: date, attempt: int, delay: timedelta) -> None:
        if attempt >= MAX_RETRIES:
            log.warning("server %s: giving up on the daily of %s for now", guild_id, day)
            return
        self._schedule_once(
            retry_job_id(_DAILY, guild_id, day),
            self.clock.now() + delay,
            "bot.scheduler:retry_daily_job",
            [self.name, guild_id, day.isoformat(), attempt + 1],
        )

    async def _post(self, guild_id: int, day: date) -> DailyPost:
        post = await self.store.get_daily_post(guild_id, day)
        if post is None:  # pragma: no cover - read right after a claim on it
            raise RuntimeError(f"daily post of {day} for server {guild_id} vanished")
        return post

    def _require_poster(self) -> DailyPoster:
        if self.poster is None:
            raise RuntimeError("the daily scheduler has no poster: call start(poster) first")
        return self.poster

    # -- the recap ------------------------------------------------------------------------

    async def catch_up_recaps(self) -> None:
        """Recap every posted daily whose window closed; schedule the others' recaps."""
        now = self.clock.now()
        for post in await self.store.owed_daily_recaps():
            if not self.owns(post.guild_id):
                continue
            try:
                daily = await self.service.daily_question(post.guild_id, post.local_date)
            except QuestionNotFoundError:
                daily = None
            if daily is None or now >= daily.closes_at:
                try:
                    await self.run_recap(post.guild_id, post.local_date)
                except Exception:
                    log.exception(
                        "server %s: the recap of %s failed", post.guild_id, post.local_date
                    )
            else:
                self._schedule_once(
                    recap_job_id(post.guild_id, post.local_date),
                    daily.closes_at,
                    "bot.scheduler:run_recap_job",
                    [self.name, post.guild_id, post.local_date.isoformat()],
                )

    async def run_recap(self, guild_id: int, day: date, *, attempt: int = 0) -> RecapStatus:
        """Close the daily of ``day`` and post its recap, once.

        Args:
            guild_id: The server.
            day: The daily's local date.
            attempt: How many retries of a failed recap came before this one.
        """
        if not self.owns(guild_id):
            return RecapStatus.DONE
        async with self._lock(guild_id):
            return await self._run_recap(guild_id, day, attempt)

    async def _run_recap(self, guild_id: int, day: date, attempt: int) -> RecapStatus:
        post = await self.store.get_daily_post(guild_id, day)
        if post is None or not post.posted or post.recapped:
            return RecapStatus.DONE
        now = self.clock.now()
        try:
            daily = await self.service.daily_question(guild_id, day)
        except QuestionNotFoundError:
            daily = None  # the server removed the question: nothing left to recap
        if daily is not None and now < daily.closes_at:
            return RecapStatus.NOT_DUE
        token = self._token()
        outcome = await self.store.claim_daily_recap(guild_id, day, token, now, now - self.lease)
        if outcome is ClaimOutcome.DONE:
            return RecapStatus.DONE
        if outcome is ClaimOutcome.HELD:
            held = await self._post(guild_id, day)
            since = held.recap_claimed_at or now
            self._schedule_once(
                retry_job_id(_RECAP, guild_id, day),
                since + self.lease + _MARGIN,
                "bot.scheduler:run_recap_job",
                [self.name, guild_id, day.isoformat()],
            )
            return RecapStatus.BUSY
        if daily is None:
            log.warning(
                "server %s: the question of the daily of %s is gone; no recap", guild_id, day
            )
            await self.store.finish_daily_recap(guild_id, day, token, message_id=None, at=now)
            return RecapStatus.FAILED
        poster = self._require_poster()
        try:
            recap = await self.service.close_daily(guild_id, day)
            found = await poster.find_recap(post) if outcome is ClaimOutcome.TAKEN_OVER else None
            message_id = found if found is not None else await poster.post_recap(post, recap)
        except PostFailedError as exc:
            log.warning("server %s: cannot post the recap of %s: %s", guild_id, day, exc)
            if exc.transient and attempt < MAX_RETRIES:
                await self.store.release_daily_recap(guild_id, day, token)
                self._retry_recap(guild_id, day, attempt, RETRY_DELAY * 2**attempt)
            else:
                # Permanent (channel and thread gone): record it so no run tries again.
                await self.store.finish_daily_recap(
                    guild_id, day, token, message_id=None, at=self.clock.now()
                )
            return RecapStatus.FAILED
        except Exception as exc:
            # Unknown state: keep the claim; the retry takes it over once stale and looks
            # for a recap that landed first.
            if isinstance(exc, PostUncertainError):
                log.warning("server %s: posting the recap of %s failed: %s", guild_id, day, exc)
            else:
                log.exception("server %s: recapping the daily of %s failed", guild_id, day)
            self._retry_recap(
                guild_id, day, attempt, max(RETRY_DELAY * 2**attempt, self.lease + _MARGIN)
            )
            return RecapStatus.FAILED
        await self.store.finish_daily_recap(
            guild_id, day, token, message_id=message_id, at=self.clock.now()
        )
        log.info(
            "server %s: recapped the daily of %s (%d participant(s))",
            guild_id,
            day,
            recap.participants,
        )
        return RecapStatus.POSTED

    def _retry_recap(self, guild_id: int, day: date, attempt: int, delay: timedelta) -> None:
        if attempt >= MAX_RETRIES:
            log.warning("server %s: giving up on the recap of %s for now", guild_id, day)
            return
        self._schedule_once(
            retry_job_id(_RECAP, guild_id, day),
            self.clock.now() + delay,
            "bot.scheduler:run_recap_job",
            [self.name, guild_id, day.isoformat(), attempt + 1],
        )

    # -- status ---------------------------------------------------------------------------

    async def status(self, guild_id: int) -> DailyStatus:
        """The server's daily schedule, for ``/daily status``."""
        settings = await self.service.guild_settings(guild_id)
        now = self.clock.now()
        today = local_date(now, settings.timezone)
        configured = settings.daily_channel_id is not None
        scheduled = (
            self._scheduler is not None
            and self._scheduler.get_job(daily_job_id(guild_id)) is not None
        )
        current = await self.service.current_daily(guild_id)
        current_post = (
            await self.store.get_daily_post(guild_id, current.local_date) if current else None
        )
        return DailyStatus(
            settings=settings,
            scheduled=scheduled,
            next_post_at=(
                next_post_at(now, settings.daily_time, settings.timezone) if configured else None
            ),
            today=today,
            current=current,
            current_post=current_post,
        )


def jobstore_url(data_dir: Path) -> str:
    """The job store's SQLAlchemy URL: SQLite (sync driver) under ``data_dir``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / JOBSTORE_FILE}"


def _same_cron(current: Any, wanted: Any) -> bool:
    return str(current) == str(wanted) and str(current.timezone) == str(wanted.timezone)


def runtime(name: str = "default") -> DailyScheduler | None:
    """The running scheduler registered under ``name`` (the job callables' lookup)."""
    return _RUNTIMES.get(name)


# -- job callables (module level: the persistent job store pickles references to them) -------


async def run_daily_job(name: str, guild_id: int, since: str | None = None) -> None:
    """APScheduler entry point: post the server's due daily question (idempotent)."""
    del since  # read from the job itself, so a re-set-up updates it
    live = _RUNTIMES.get(name)
    if live is None:
        log.warning("daily job for server %s ran with no scheduler %r running", guild_id, name)
        return
    try:
        await live.run_daily(guild_id)
    except Exception:
        log.exception("daily job for server %s failed", guild_id)


async def retry_daily_job(name: str, guild_id: int, day: str, attempt: int = 0) -> None:
    """APScheduler entry point: retry the post of ``day`` (another run held it, or it failed)."""
    live = _RUNTIMES.get(name)
    if live is None:
        log.warning("daily retry for server %s ran with no scheduler %r running", guild_id, name)
        return
    try:
        await live.run_daily(guild_id, day=date.fromisoformat(day), attempt=attempt)
    except Exception:
        log.exception("daily retry for server %s (%s) failed", guild_id, day)


async def run_recap_job(name: str, guild_id: int, day: str, attempt: int = 0) -> None:
    """APScheduler entry point: post the recap of the server's daily of ``day`` (idempotent)."""
    live = _RUNTIMES.get(name)
    if live is None:
        log.warning("recap job for server %s ran with no scheduler %r running", guild_id, name)
        return
    try:
        await live.run_recap(guild_id, date.fromisoformat(day), attempt=attempt)
    except Exception:
        log.exception("recap job for server %s (%s) failed", guild_id, day)
