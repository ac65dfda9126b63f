"""The practice engine: the one service every front-end (Discord, terminal) calls.

``PracticeService`` owns the rules (which question to ask, how an answer scores, streaks,
review, boards, groups, dailies, privacy) and talks to the outside only through ports: a
``Grader``, a ``QuestionCatalog``, a ``PracticeStore`` and a ``Clock``. It never sees a Discord
type or SQL, and never blocks the event loop: grading (CPU-bound) runs in a worker thread.

Front-ends render the frozen result objects returned here; every user-facing word lives in
their render modules.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from bot.core import review as sr
from bot.core import streaks
from bot.core import text as tx
from bot.core.errors import (
    AlreadyInGroupError,
    DailyAlreadyScoredError,
    DailyMismatchError,
    DailyNotFoundError,
    DailyNotOpenError,
    DuplicateSubmissionError,
    GroupNotFoundError,
    NoQuestionAvailableError,
    NotInGroupError,
    QuestionNotFoundError,
    RateLimitedError,
)
from bot.core.groups import Group, check_can_manage, clean_name, name_key
from bot.core.guild_settings import GuildSettings, MemberSettings
from bot.core.leaderboard import (
    DEFAULT_PAGE_SIZE,
    MemberTotal,
    Scope,
    StandingRow,
    Standings,
    page_count,
    paginate,
    rank_groups,
)
from bot.core.models import Citation, Difficulty, Grade, PointStatus, Question
from bot.core.ports import Clock, Grader, QuestionCatalog
from bot.core.questions import matching, pick_daily, pick_question
from bot.core.ratelimit import SlidingWindowLimiter
from bot.core.review import ReviewItem
from bot.core.schedule import DateRange, Period, daily_window, local_date, period_range
from bot.core.scoring import AttemptMode, PointsBreakdown, ZeroReason, award, is_genuine
from bot.core.serialize import citation_from_dict, grade_from_dict, grade_to_dict
from bot.core.store_ports import (
    AttemptRecord,
    DailyAnswer,
    DailyRecord,
    PracticeStore,
    QuestionState,
    StoredAttempt,
)
from bot.core.streaks import StreakInfo

log = logging.getLogger(__name__)

STATS_ATTEMPTS = 500
"""Stats look at a member's latest attempts only, so /stats stays fast for heavy users."""

MASTERY_WINDOW = 5
"""Mastery of a topic is the mean of the latest this-many attempts in it."""

DAILY_LOOKBACK_DAYS = 8
"""A daily window is at most 168 hours: look this many days back for one still open."""

DAILY_COPY_SHARE = 0.8
"""A daily answer is a copy when this share of its content 3-grams comes from one answer another
member already sent to the same daily (``text.copied_share``). Measured: a verbatim or lightly
edited copy (articles or every fifth word deleted) scores 0.85-1.0; two honest answers to the
same question in the gaming corpus at most 0.36; of the 18,984 student answers of the
evaluation sets, each compared with every earlier answer to its question, 0.71 % reach 0.8
(121 of the 134 in the SAF homework set, where students shared pasted slides or each other's
text).
A copy earns nothing and does not use up the member's scored attempt."""

# Zero reasons that still use up the "one scored attempt": the answer was genuine and fair,
# it just earned nothing (a poor answer, or every point spent on hints).
_CONSUMING = frozenset({None, ZeroReason.NO_SCORE, ZeroReason.HINTS})


@dataclass(frozen=True, slots=True)
class Submission:
    """An answer delivered by a front-end.

    Attributes:
        guild_id: The server (the console uses ``0``).
        member_id: Who answered (the console uses ``0``).
        question_id: The question answered.
        answer: The free-text answer.
        idempotency_key: Same key = same submission: a redelivery is recorded once (Discord
            uses the interaction id; the console a fresh UUID per answer).
        daily_date: Set when answering a server's daily question of that local date.
    """

    guild_id: int
    member_id: int
    question_id: str
    answer: str
    idempotency_key: str
    daily_date: date | None = None


@dataclass(frozen=True, slots=True)
class AskResult:
    """A question put to a member.

    Attributes:
        question: The question (front-ends show ``prompt`` only).
        mode: Practice, or review when it is due in the member's review queue.
        hints_available: How many hints can still be taken.
        hints_used: Hints already taken for it.
        review_due: The review due date (review mode).
    """

    question: Question
    mode: AttemptMode
    hints_available: int
    hints_used: int = 0
    review_due: date | None = None


@dataclass(frozen=True, slots=True)
class RankChange:
    """The member's position on the server's rank board before and after an answer.

    ``before`` is None when the member was not on the board yet.
    """

    period: Period
    before: int | None
    after: int
    points: int


@dataclass(frozen=True, slots=True)
class AnswerOutcome:
    """Everything a front-end needs to render a graded answer.

    Attributes:
        attempt_id: The store id of the recorded attempt.
        question: The question answered.
        grade: The grader's verdict (points covered/missed, evidence, citations).
        mode: Daily, practice or review.
        points: How the points were computed and how many were awarded.
        scored: This attempt was the scored one (daily: one per member).
        streak: The streak after this answer.
        rank: Rank change on the server's rank board (None when opted out).
        review_due: When the question is next due for review (None: not queued).
        recorded_at: When it was recorded (UTC).
        local_date: The server's local date of the answer.
        late: A daily answer that arrived after the window closed (scored as practice).
        duplicate: This is a redelivery: the original outcome, recorded once.
    """

    attempt_id: int
    question: Question
    grade: Grade
    mode: AttemptMode
    points: PointsBreakdown
    scored: bool
    streak: StreakInfo
    rank: RankChange | None
    review_due: date | None
    recorded_at: datetime
    local_date: date
    late: bool = False
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class HintResult:
    """A hint for an open question.

    Attributes:
        question_id: The question.
        number: 1-based hint number.
        text: The hint's text (a written hint), or None.
        source: ``note-id#Heading`` of a section to read (when written hints ran out).
        cost: Points the next answer loses for it (0 once the question is answered).
        exhausted: No hint was left: nothing shown, nothing charged.
    """

    question_id: str
    number: int
    text: str | None
    source: str | None
    cost: int
    exhausted: bool = False


@dataclass(frozen=True, slots=True)
class RevealResult:
    """The model answer, and whether seeing it cost the member the question's points."""

    question_id: str
    model_answer: str
    forfeits: bool


@dataclass(frozen=True, slots=True)
class ReviewEntry:
    """A review-queue entry with its question."""

    question: Question
    item: ReviewItem
    due_now: bool


@dataclass(frozen=True, slots=True)
class TopicStats:
    """A member's record in one topic."""

    topic: str
    attempts: int
    average: float
    mastery: float


@dataclass(frozen=True, slots=True)
class WeakPoint:
    """A rubric point the member keeps missing."""

    question_id: str
    point_id: str
    statement: str
    missed: int
    seen: int
    citation: Citation | None


@dataclass(frozen=True, slots=True)
class MemberStats:
    """A member's progress in one server.

    Attributes:
        attempts: Genuine attempts (all time).
        average: Mean score fraction over the latest attempts.
        total_points: All-time points.
        rank: All-time rank (None when opted out or without points).
        streak: Current and best streak.
        topics: Per-topic record, best first.
        weakest_points: Most-missed rubric points.
        history: ``(when, fraction)`` of the latest attempts, oldest first.
        review_due: Review items due now.
        group: Name of the member's study group.
    """

    guild_id: int
    member_id: int
    attempts: int
    average: float
    total_points: int
    rank: int | None
    streak: StreakInfo
    topics: tuple[TopicStats, ...]
    weakest_points: tuple[WeakPoint, ...]
    history: tuple[tuple[datetime, float], ...]
    review_due: int
    group: str | None


@dataclass(frozen=True, slots=True)
class DailyQuestion:
    """A server's daily question for one local date."""

    guild_id: int
    local_date: date
    question: Question
    opens_at: datetime
    closes_at: datetime
    closed: bool


@dataclass(frozen=True, slots=True)
class MissedPoint:
    """A rubric point and how many daily participants missed it."""

    point_id: str
    statement: str
    missed: int
    citation: Citation | None


@dataclass(frozen=True, slots=True)
class TopScorer:
    """A top daily answer (opted-out members are never listed)."""

    member_id: int
    fraction: float
    points: int


@dataclass(frozen=True, slots=True)
class DailyRecap:
    """What the recap post shows when a daily window closes.

    Attributes:
        participants: Members with a scored attempt.
        average: Mean score fraction of those attempts (0 with no participants).
        most_missed: Points missed most often, most first.
        top_scorers: Best answers, best first.
        newly_closed: True only for the call that closed the daily (post the recap once).
    """

    guild_id: int
    local_date: date
    question: Question
    participants: int
    average: float
    most_missed: tuple[MissedPoint, ...]
    top_scorers: tuple[TopScorer, ...]
    newly_closed: bool


class PracticeService:
    """Interview practice: ask, grade, score, rank, review; for any front-end.

    Args:
        store: Persistence (SQL in production, in-memory in tests).
        catalog: The questions visible per server.
        grader: Grades answers (synchronous, CPU-bound: called in a worker thread).
        clock: The source of "now".
        rng: Randomness for practice picks (seed it in tests).
        limiter: Counts graded answers per (server, member) against each server's
            ``answer_rate`` (one per process by default; see ``bot.core.ratelimit``).
    """

    def __init__(
        self,
        store: PracticeStore,
        catalog: QuestionCatalog,
        grader: Grader,
        clock: Clock,
        rng: random.Random | None = None,
        limiter: SlidingWindowLimiter | None = None,
    ) -> None:
        """Wire the service to its ports."""
        self._store = store
        self._catalog = catalog
        self._grader = grader
        self._clock = clock
        self._limiter = limiter or SlidingWindowLimiter()
        # Choice of practice question only: not security-sensitive.
        self._rng = rng or random.Random()  # noqa: S311

    # -- settings ---------------------------------------------------------------------------

    async def guild_settings(self, guild_id: int) -> GuildSettings:
        """The server's settings (declared defaults plus what its admins changed)."""
        return GuildSettings.from_overrides(await self._store.get_guild_overrides(guild_id))

    async def configure_guild(self, guild_id: int, **changes: Any) -> GuildSettings:
        """Change server settings; returns the new settings.

        Raises:
            InvalidSettingError: Unknown name or invalid value (nothing is saved).
        """
        settings = (await self.guild_settings(guild_id)).with_changes(**changes)
        await self._store.save_guild_overrides(guild_id, settings.to_overrides(), self._clock.now())
        return settings

    async def member_settings(self, guild_id: int, member_id: int) -> MemberSettings:
        """The member's settings in the server."""
        return await self._store.get_member_settings(guild_id, member_id)

    async def set_leaderboard_opt_out(
        self, guild_id: int, member_id: int, opt_out: bool
    ) -> MemberSettings:
        """Hide (or show again) the member on this server's boards and recaps."""
        current = await self._store.get_member_settings(guild_id, member_id)
        updated = replace(current, leaderboard_opt_out=opt_out)
        await self._store.save_member_settings(guild_id, member_id, updated)
        return updated

    async def today(self, guild_id: int) -> date:
        """The server's local date now."""
        settings = await self.guild_settings(guild_id)
        return local_date(self._clock.now(), settings.timezone)

    # -- questions --------------------------------------------------------------------------

    async def topics(self, guild_id: int) -> dict[str, dict[Difficulty, int]]:
        """Question counts per topic and difficulty visible in the server."""
        counts: dict[str, dict[Difficulty, int]] = defaultdict(lambda: dict.fromkeys(Difficulty, 0))
        for q in await self._catalog.questions(guild_id):
            counts[q.topic][q.difficulty] += 1
        return dict(sorted(counts.items()))

    async def question(self, guild_id: int, question_id: str) -> Question:
        """A question visible in the server.

        Raises:
            QuestionNotFoundError: No such question there.
        """
        q = await self._catalog.get(guild_id, question_id)
        if q is None:
            raise QuestionNotFoundError(question_id=question_id)
        return q

    async def ask(
        self,
        guild_id: int,
        member_id: int,
        topic: str | None = None,
        difficulty: Difficulty | None = None,
    ) -> AskResult:
        """Pick a practice question the member has not seen recently.

        Raises:
            NoQuestionAvailableError: Nothing matches the topic and difficulty.
        """
        settings = await self.guild_settings(guild_id)
        now = self._clock.now()
        candidates = matching(
            await self._catalog.questions(guild_id), [topic] if topic else (), difficulty
        )
        open_daily = await self._open_daily(guild_id, now)
        if open_daily is not None and len(candidates) > 1:
            # Practising today's daily would spoil it; keep it out while its window is open.
            candidates = [q for q in candidates if q.id != open_daily.question_id]
        last_seen = await self._store.last_seen(
            guild_id, member_id, now - timedelta(days=settings.recent_days)
        )
        chosen = pick_question(candidates, last_seen, self._rng)
        if chosen is None:
            raise NoQuestionAvailableError(topic=topic, difficulty=difficulty)
        return await self._open(guild_id, member_id, chosen, settings, now)

    async def ask_question(self, guild_id: int, member_id: int, question_id: str) -> AskResult:
        """Put a specific question to the member (e.g. "try this one again")."""
        settings = await self.guild_settings(guild_id)
        q = await self.question(guild_id, question_id)
        return await self._open(guild_id, member_id, q, settings, self._clock.now())

    async def _open(
        self,
        guild_id: int,
        member_id: int,
        question: Question,
        settings: GuildSettings,
        now: datetime,
    ) -> AskResult:
        # A new ask starts a clean slate: no hints taken, model answer not yet seen.
        await self._store.save_question_state(
            guild_id, member_id, QuestionState(question_id=question.id, asked_at=now)
        )
        item = await self._store.get_review_item(guild_id, member_id, question.id)
        today = local_date(now, settings.timezone)
        due = item is not None and item.due <= today
        return AskResult(
            question=question,
            mode=AttemptMode.REVIEW if due else AttemptMode.PRACTICE,
            hints_available=len(_hint_sources(question)),
            review_due=item.due if item is not None else None,
        )

    async def follow_up(self, guild_id: int, question_id: str, index: int = 0) -> str | None:
        """The question's follow-up number ``index`` (cycling), or None if it has none."""
        q = await self.question(guild_id, question_id)
        return q.follow_ups[index % len(q.follow_ups)] if q.follow_ups else None

    async def hint(self, guild_id: int, member_id: int, question_id: str) -> HintResult:
        """The next hint for a question; costs points unless it was already answered today."""
        q = await self.question(guild_id, question_id)
        settings = await self.guild_settings(guild_id)
        now = self._clock.now()
        state = await self._store.get_question_state(guild_id, member_id, question_id)
        state = state or QuestionState(question_id=question_id, asked_at=now)
        sources = _hint_sources(q)
        if state.hints_used >= len(sources):
            return HintResult(question_id, state.hints_used, None, None, 0, exhausted=True)
        await self._store.save_question_state(
            guild_id, member_id, replace(state, hints_used=state.hints_used + 1)
        )
        answered = await self._store.scored_on(
            guild_id, member_id, question_id, local_date(now, settings.timezone)
        )
        kind, value = sources[state.hints_used]
        return HintResult(
            question_id=question_id,
            number=state.hints_used + 1,
            text=value if kind == "text" else None,
            source=value if kind == "source" else None,
            cost=0 if answered else settings.hint_cost,
        )

    async def reveal(self, guild_id: int, member_id: int, question_id: str) -> RevealResult:
        """Show the model answer. Every answer to it until it is asked again earns 0 points."""
        q = await self.question(guild_id, question_id)
        settings = await self.guild_settings(guild_id)
        now = self._clock.now()
        state = await self._store.get_question_state(guild_id, member_id, question_id)
        state = state or QuestionState(question_id=question_id, asked_at=now)
        await self._store.save_question_state(guild_id, member_id, replace(state, revealed=True))
        answered = await self._store.scored_on(
            guild_id, member_id, question_id, local_date(now, settings.timezone)
        )
        return RevealResult(question_id, q.model_answer, forfeits=not answered)

    # -- answering --------------------------------------------------------------------------

    async def submit_answer(self, submission: Submission) -> AnswerOutcome:
        """Grade, score and record an answer; a redelivered submission is recorded once.

        Raises:
            QuestionNotFoundError: The question is not visible in the server.
            DailyNotFoundError: The submission names a daily that does not exist.
            DailyMismatchError: That daily asked another question.
            DailyNotOpenError: That daily is not posted yet.
            RateLimitedError: The member sent more graded answers than the server's
                ``answer_rate`` allows; nothing was graded or recorded.
        """
        sub = submission
        question = await self.question(sub.guild_id, sub.question_id)
        existing = await self._store.find_attempt(sub.guild_id, sub.member_id, sub.idempotency_key)
        if existing is not None:
            return _replay(existing, question)

        settings = await self.guild_settings(sub.guild_id)
        now = self._clock.now()
        today = local_date(now, settings.timezone)
        mode, late = await self._mode(sub, now, today)
        # Only answers that reach the grader count (a redelivery was replayed above, a refused
        # daily raised): grading is the cost the limit protects.
        wait = self._limiter.acquire((sub.guild_id, sub.member_id), now, settings.answer_rate)
        if wait is not None:
            seconds = wait.total_seconds()
            raise RateLimitedError(
                "too many graded answers",
                retry_after=seconds,
                wait_seconds=max(1, math.ceil(seconds)),
                limit=settings.answer_limit,
                window_seconds=settings.answer_window_seconds,
            )
        item = await self._store.get_review_item(sub.guild_id, sub.member_id, question.id)
        state = await self._store.get_question_state(sub.guild_id, sub.member_id, question.id)

        # The grader is synchronous CPU work (embedding): keep it off the event loop.
        grade = await asyncio.to_thread(self._grader.grade, question, sub.answer)
        genuine = is_genuine(grade)

        blocked: ZeroReason | None = None
        if mode is not AttemptMode.DAILY and await self._store.scored_on(
            sub.guild_id, sub.member_id, question.id, today
        ):
            blocked = ZeroReason.ALREADY_SCORED_TODAY
        daily_answer = (
            DailyAnswer(sub.daily_date, sub.answer)
            if mode is AttemptMode.DAILY and sub.daily_date is not None
            else None
        )
        if daily_answer is not None and genuine and await self._copies_daily_answer(sub):
            # Another member's answer pasted: no points, no streak day, no review, and the
            # member's one scored attempt stays open for an answer of their own.
            blocked = ZeroReason.COPIED_DAILY
            genuine = False

        streak_before = await self._store.get_streak(sub.guild_id, sub.member_id)
        streak_after = (
            streaks.advance(streak_before, today, settings.streak_grace_days)
            if genuine
            else streak_before
        )
        new_item: ReviewItem | None = item
        if genuine and (item is None or item.due <= today):
            new_item = sr.schedule(
                item, question.id, grade.fraction, today, settings.review_threshold
            )
        drop_review = item is not None and new_item is None

        dates = period_range(settings.rank_period, today, settings.week_start)
        before_total = await self._store.member_total(sub.guild_id, sub.member_id, dates)
        opted_out = (
            await self._store.get_member_settings(sub.guild_id, sub.member_id)
        ).leaderboard_opt_out

        for attempt_blocked in (blocked, ZeroReason.DAILY_ALREADY_SCORED):
            points = award(
                grade,
                settings=settings,
                mode=mode,
                difficulty=question.difficulty,
                hints_used=state.hints_used if state else 0,
                revealed=state.revealed if state else False,
                scorable=attempt_blocked,
            )
            scored = points.zero_reason in _CONSUMING
            rank = None
            if not opted_out:
                rank = await self._rank_change(
                    sub, settings.rank_period, dates, before_total, points.total, genuine
                )
            outcome = AnswerOutcome(
                attempt_id=0,
                question=question,
                grade=grade,
                mode=mode,
                points=points,
                scored=scored,
                streak=streaks.info(streak_before, streak_after, today, settings.streak_grace_days),
                rank=rank,
                review_due=new_item.due if new_item is not None else None,
                recorded_at=now,
                local_date=today,
                late=late,
            )
            record = AttemptRecord(
                guild_id=sub.guild_id,
                member_id=sub.member_id,
                question_id=question.id,
                topic=question.topic,
                mode=mode,
                idempotency_key=sub.idempotency_key,
                created_at=now,
                local_date=today,
                daily_date=sub.daily_date if mode is AttemptMode.DAILY and scored else None,
                scored=scored,
                fraction=grade.fraction,
                points=points.total,
                genuine=genuine,
                outcome=outcome_to_dict(outcome),
                daily_answer=daily_answer,
            )
            try:
                attempt_id = await self._store.record_attempt(
                    record,
                    streak=streak_after if genuine else None,
                    review=new_item if new_item is not item else None,
                    drop_review=drop_review,
                )
            except DailyAlreadyScoredError:
                # The member already has their one scored daily attempt: grade it, record
                # it, award nothing.
                continue
            except DuplicateSubmissionError:
                # Another process recorded the same delivery between our check and insert.
                again = await self._store.find_attempt(
                    sub.guild_id, sub.member_id, sub.idempotency_key
                )
                if again is None:  # pragma: no cover - the store just said it exists
                    raise
                return _replay(again, question)
            return replace(outcome, attempt_id=attempt_id)
        raise AssertionError("unreachable: the unscored retry cannot hit the daily constraint")

    async def _copies_daily_answer(self, sub: Submission) -> bool:
        """Whether ``sub`` copies an answer another member already sent to the same daily."""
        if sub.daily_date is None:
            return False
        others = [
            text
            for member, text in await self._store.daily_answers(sub.guild_id, sub.daily_date)
            if member != sub.member_id
        ]
        if not others:
            return False
        # CPU work over every earlier answer: off the event loop, like grading.
        return await asyncio.to_thread(_copies_any, sub.answer, others)

    async def _mode(self, sub: Submission, now: datetime, today: date) -> tuple[AttemptMode, bool]:
        if sub.daily_date is not None:
            daily = await self._store.get_daily(sub.guild_id, sub.daily_date)
            if daily is None:
                raise DailyNotFoundError(day=sub.daily_date)
            if daily.question_id != sub.question_id:
                raise DailyMismatchError(day=sub.daily_date, question_id=sub.question_id)
            if now < daily.opens_at:
                raise DailyNotOpenError(day=sub.daily_date, opens_at=daily.opens_at)
            if daily.closed_at is None and now < daily.closes_at:
                return AttemptMode.DAILY, False
            return AttemptMode.PRACTICE, True
        item = await self._store.get_review_item(sub.guild_id, sub.member_id, sub.question_id)
        if item is not None and item.due <= today:
            return AttemptMode.REVIEW, False
        return AttemptMode.PRACTICE, False

    async def _rank_change(
        self,
        sub: Submission,
        period: Period,
        dates: DateRange | None,
        before: MemberTotal | None,
        points: int,
        genuine: bool,
    ) -> RankChange | None:
        rank_before = (
            await self._store.rank_of(sub.guild_id, before, dates) if before is not None else None
        )
        if before is None and not genuine and points == 0:
            return None  # nothing recorded on the board: the member is still not on it
        after = MemberTotal(
            member_id=sub.member_id,
            points=(before.points if before else 0) + points,
            attempts=(before.attempts if before else 0) + (1 if genuine else 0),
        )
        rank_after = await self._store.rank_of(sub.guild_id, after, dates)
        return RankChange(period, rank_before, rank_after, after.points)

    # -- review -----------------------------------------------------------------------------

    async def review_queue(
        self, guild_id: int, member_id: int, limit: int = 25
    ) -> list[ReviewEntry]:
        """The member's review queue: due items first (most overdue first), then upcoming."""
        today = await self.today(guild_id)
        items = sr.order_queue(await self._store.review_items(guild_id, member_id, limit), today)
        entries = []
        for item in items:
            q = await self._catalog.get(guild_id, item.question_id)
            if q is not None:  # a removed server question silently leaves the queue view
                entries.append(ReviewEntry(q, item, item.due <= today))
        return entries

    async def review_next(self, guild_id: int, member_id: int) -> AskResult | None:
        """Ask the most overdue review question, or None when nothing is due."""
        for entry in await self.review_queue(guild_id, member_id):
            if entry.due_now:
                return await self.ask_question(guild_id, member_id, entry.question.id)
        return None

    # -- leaderboards and stats -------------------------------------------------------------

    async def standings(
        self,
        guild_id: int,
        period: Period = Period.WEEK,
        scope: Scope = Scope.MEMBERS,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
        viewer_id: int | None = None,
    ) -> Standings:
        """A page of the server's board for a local-calendar period.

        Args:
            guild_id: The server.
            period: Today, this week, this month or all time (server's calendar).
            scope: Members, or study groups (ranked by points per active member).
            page: 1-based page (clamped to the last page).
            page_size: Rows per page.
            viewer_id: Also report this member's own row (or their group's).
        """
        settings = await self.guild_settings(guild_id)
        today = local_date(self._clock.now(), settings.timezone)
        dates = period_range(period, today, settings.week_start)
        page = max(1, page)
        if scope is Scope.GROUPS:
            ranked = rank_groups(await self._store.group_totals(guild_id, dates))
            pages = page_count(len(ranked), page_size)
            page = min(page, pages)
            viewer_row = None
            if viewer_id is not None:
                group = await self._store.member_group(guild_id, viewer_id)
                if group is not None:
                    viewer_row = next((r for r in ranked if r.subject_id == group.id), None)
            return Standings(
                period, scope, dates, page, pages, len(ranked),
                paginate(ranked, page, page_size), viewer_row,
            )  # fmt: skip
        offset = (page - 1) * page_size
        totals, total = await self._store.member_board(guild_id, dates, offset, page_size)
        pages = page_count(total, page_size)
        if page > pages:
            page = pages
            offset = (page - 1) * page_size
            totals, total = await self._store.member_board(guild_id, dates, offset, page_size)
        rows = tuple(
            StandingRow(
                rank=offset + i + 1,
                subject_id=t.member_id,
                points=t.points,
                attempts=t.attempts,
                per_member=float(t.points),
            )
            for i, t in enumerate(totals)
        )
        viewer = None
        if viewer_id is not None:
            mine = await self._store.member_total(guild_id, viewer_id, dates)
            if mine is not None:
                viewer = StandingRow(
                    rank=await self._store.rank_of(guild_id, mine, dates),
                    subject_id=viewer_id,
                    points=mine.points,
                    attempts=mine.attempts,
                    per_member=float(mine.points),
                )
        return Standings(period, scope, dates, page, pages, total, rows, viewer)

    async def member_stats(self, guild_id: int, member_id: int) -> MemberStats:
        """The member's progress: attempts, averages by topic, streak, weak points, history."""
        settings = await self.guild_settings(guild_id)
        today = local_date(self._clock.now(), settings.timezone)
        attempts = await self._store.member_attempts(guild_id, member_id, STATS_ATTEMPTS)
        genuine = [a for a in attempts if a.record.genuine]
        by_topic: dict[str, list[float]] = defaultdict(list)
        for a in genuine:  # newest first
            by_topic[a.record.topic].append(a.record.fraction)
        topics = sorted(
            (
                TopicStats(
                    topic=t,
                    attempts=len(fs),
                    average=sum(fs) / len(fs),
                    mastery=sum(fs[:MASTERY_WINDOW]) / len(fs[:MASTERY_WINDOW]),
                )
                for t, fs in by_topic.items()
            ),
            key=lambda s: (-s.mastery, s.topic),
        )
        total = await self._store.member_total(guild_id, member_id, None)
        rank = await self._store.rank_of(guild_id, total, None) if total is not None else None
        group = await self._store.member_group(guild_id, member_id)
        due = [
            i for i in await self._store.review_items(guild_id, member_id, 500) if i.due <= today
        ]
        return MemberStats(
            guild_id=guild_id,
            member_id=member_id,
            attempts=total.attempts if total is not None else len(genuine),
            average=sum(a.record.fraction for a in genuine) / len(genuine) if genuine else 0.0,
            total_points=total.points if total is not None else 0,
            rank=rank,
            streak=streaks.status(
                await self._store.get_streak(guild_id, member_id),
                today,
                settings.streak_grace_days,
            ),
            topics=tuple(topics),
            weakest_points=tuple(_weak_points(genuine)),
            history=tuple((a.record.created_at, a.record.fraction) for a in reversed(genuine)),
            review_due=len(due),
            group=group.name if group is not None else None,
        )

    # -- study groups -----------------------------------------------------------------------

    async def create_group(self, guild_id: int, member_id: int, name: str) -> Group:
        """Create a study group; the creator joins it.

        Raises:
            InvalidGroupNameError, GroupNameTakenError, AlreadyInGroupError.
        """
        display = clean_name(name)
        current = await self._store.member_group(guild_id, member_id)
        if current is not None:
            raise AlreadyInGroupError(group=current.name)
        return await self._store.create_group(
            guild_id, display, name_key(display), member_id, self._clock.now()
        )

    async def join_group(self, guild_id: int, member_id: int, name: str) -> Group:
        """Join a group by name (a member is in at most one group per server).

        Raises:
            GroupNotFoundError, AlreadyInGroupError.
        """
        group = await self._group(guild_id, name)
        current = await self._store.member_group(guild_id, member_id)
        if current is not None:
            raise AlreadyInGroupError(group=current.name)
        await self._store.join_group(guild_id, group.id, member_id, self._clock.now())
        return group

    async def leave_group(self, guild_id: int, member_id: int) -> Group:
        """Leave the member's group. Raises ``NotInGroupError`` if they have none."""
        group = await self._store.leave_group(guild_id, member_id)
        if group is None:
            raise NotInGroupError()
        return group

    async def list_groups(self, guild_id: int) -> list[Group]:
        """The server's groups with member counts."""
        return await self._store.list_groups(guild_id)

    async def member_group(self, guild_id: int, member_id: int) -> Group | None:
        """The member's group in the server, if any."""
        return await self._store.member_group(guild_id, member_id)

    async def rename_group(
        self, guild_id: int, actor_id: int, name: str, new_name: str, *, is_admin: bool = False
    ) -> Group:
        """Rename a group (its creator or a server admin).

        Raises:
            GroupNotFoundError, NotAllowedError, InvalidGroupNameError, GroupNameTakenError.
        """
        group = await self._group(guild_id, name)
        check_can_manage(group, actor_id, is_admin=is_admin)
        display = clean_name(new_name)
        await self._store.rename_group(guild_id, group.id, display, name_key(display))
        return replace(group, name=display)

    async def delete_group(
        self, guild_id: int, actor_id: int, name: str, *, is_admin: bool = False
    ) -> Group:
        """Delete a group (its creator or a server admin); its members become groupless.

        Raises:
            GroupNotFoundError, NotAllowedError.
        """
        group = await self._group(guild_id, name)
        check_can_manage(group, actor_id, is_admin=is_admin)
        await self._store.delete_group(guild_id, group.id)
        return group

    async def _group(self, guild_id: int, name: str) -> Group:
        group = await self._store.find_group(guild_id, name_key(name))
        if group is None:
            raise GroupNotFoundError(name=name)
        return group

    # -- privacy ----------------------------------------------------------------------------

    async def forget_member(self, guild_id: int, member_id: int) -> dict[str, int]:
        """Delete the member's answers, scores, streak, reviews and group membership in the
        server, in one transaction. Returns what was deleted, per kind."""
        report = await self._store.forget_member(guild_id, member_id)
        log.info("forgot member in guild %s: %s", guild_id, report)
        return report

    # -- the daily question -----------------------------------------------------------------

    async def daily_guilds(self) -> list[tuple[int, GuildSettings]]:
        """Servers with a daily channel configured, with their settings (for the scheduler)."""
        out = []
        for guild_id in await self._store.configured_guilds():
            settings = await self.guild_settings(guild_id)
            if settings.daily_channel_id is not None:
                out.append((guild_id, settings))
        return out

    async def daily_question(self, guild_id: int, day: date | None = None) -> DailyQuestion:
        """The server's daily question of local ``day`` (default today), choosing it if needed.

        The choice avoids questions used as the daily within ``daily_no_repeat_days`` and is
        stable for (server, day), so concurrent callers agree; the store keeps the first.

        Raises:
            NoQuestionAvailableError: No question matches the daily's topics and difficulty.
        """
        settings = await self.guild_settings(guild_id)
        day = day or local_date(self._clock.now(), settings.timezone)
        record = await self._store.get_daily(guild_id, day)
        if record is None:
            candidates = matching(
                await self._catalog.questions(guild_id), settings.topics, settings.difficulty
            )
            since = day - timedelta(days=settings.daily_no_repeat_days)
            last_used: dict[str, date] = {}
            for d in await self._store.recent_dailies(guild_id, since):
                if d.local_date < day and d.local_date > last_used.get(d.question_id, date.min):
                    last_used[d.question_id] = d.local_date
            chosen = pick_daily(candidates, last_used, guild_id, day)
            if chosen is None:
                raise NoQuestionAvailableError(topic=",".join(settings.topics) or None)
            opens, closes = daily_window(
                day, settings.daily_time, settings.window_hours, settings.timezone
            )
            record = await self._store.create_daily(
                DailyRecord(guild_id, day, chosen.id, opens, closes)
            )
        return await self._daily(record)

    async def current_daily(self, guild_id: int) -> DailyQuestion | None:
        """The daily whose window is open now, if any (the latest when several overlap)."""
        record = await self._open_daily(guild_id, self._clock.now())
        return await self._daily(record) if record is not None else None

    async def _open_daily(self, guild_id: int, now: datetime) -> DailyRecord | None:
        settings = await self.guild_settings(guild_id)
        today = local_date(now, settings.timezone)
        recent = await self._store.recent_dailies(
            guild_id, today - timedelta(days=DAILY_LOOKBACK_DAYS)
        )
        open_now = [d for d in recent if d.closed_at is None and d.opens_at <= now < d.closes_at]
        return max(open_now, key=lambda d: d.local_date) if open_now else None

    async def _daily(self, record: DailyRecord) -> DailyQuestion:
        return DailyQuestion(
            guild_id=record.guild_id,
            local_date=record.local_date,
            question=await self.question(record.guild_id, record.question_id),
            opens_at=record.opens_at,
            closes_at=record.closes_at,
            closed=record.closed_at is not None,
        )

    async def close_daily(
        self, guild_id: int, day: date, *, top: int = 3, missed: int = 3
    ) -> DailyRecap:
        """Close the daily of ``day`` and compute its recap.

        Safe to call more than once: only the call that closed it gets ``newly_closed``.

        Raises:
            DailyNotFoundError: There was no daily that day.
        """
        record = await self._store.get_daily(guild_id, day)
        if record is None:
            raise DailyNotFoundError(day=day)
        newly = await self._store.close_daily(guild_id, day, self._clock.now())
        question = await self.question(guild_id, record.question_id)
        attempts = await self._store.daily_attempts(guild_id, day)
        missed_counts: Counter[str] = Counter()
        for a in attempts:
            grade = a.record.outcome.get("grade", {})
            for p in grade.get("points", ()):
                if p.get("status") == PointStatus.MISSED:
                    missed_counts[str(p["point_id"])] += 1
        by_point = {k.id: k for k in question.key_points}
        citations = _citations(attempts)
        most_missed = tuple(
            MissedPoint(
                point_id=pid,
                statement=by_point[pid].statement if pid in by_point else pid,
                missed=count,
                citation=citations.get(pid),
            )
            for pid, count in sorted(missed_counts.items(), key=lambda kv: (-kv[1], kv[0]))[:missed]
        )
        ranked = sorted(
            attempts,
            key=lambda a: (-a.record.fraction, a.record.created_at, a.record.member_id),
        )
        scorers: list[TopScorer] = []
        for a in ranked:
            if len(scorers) >= top:
                break
            settings = await self._store.get_member_settings(guild_id, a.record.member_id)
            if not settings.leaderboard_opt_out:
                scorers.append(TopScorer(a.record.member_id, a.record.fraction, a.record.points))
        fractions = [a.record.fraction for a in attempts]
        return DailyRecap(
            guild_id=guild_id,
            local_date=day,
            question=question,
            participants=len({a.record.member_id for a in attempts}),
            average=sum(fractions) / len(fractions) if fractions else 0.0,
            most_missed=most_missed,
            top_scorers=tuple(scorers),
            newly_closed=newly,
        )


def _hint_sources(question: Question) -> list[tuple[str, str]]:
    """Written hints first, then the note sections of the heaviest key points."""
    sources: list[tuple[str, str]] = [("text", h) for h in question.hints]
    seen: set[str] = set()
    for kp in sorted(question.key_points, key=lambda k: (-k.weight, k.id)):
        if kp.source and kp.source not in seen:
            seen.add(kp.source)
            sources.append(("source", kp.source))
    return sources


def _citations(attempts: list[StoredAttempt]) -> dict[str, Citation]:
    found: dict[str, Citation] = {}
    for a in attempts:
        for p in a.record.outcome.get("grade", {}).get("points", ()):
            c = citation_from_dict(p.get("citation"))
            if c is not None:
                found.setdefault(str(p["point_id"]), c)
    return found


def _weak_points(attempts: list[StoredAttempt], limit: int = 5) -> list[WeakPoint]:
    seen: Counter[tuple[str, str]] = Counter()
    missed: Counter[tuple[str, str]] = Counter()
    info: dict[tuple[str, str], tuple[str, Citation | None]] = {}
    for a in attempts:
        for p in a.record.outcome.get("grade", {}).get("points", ()):
            key = (a.record.question_id, str(p["point_id"]))
            seen[key] += 1
            if p.get("status") != PointStatus.COVERED:
                missed[key] += 1
            info.setdefault(key, (str(p["statement"]), citation_from_dict(p.get("citation"))))
    worst = sorted(missed, key=lambda k: (-missed[k], -seen[k], k))[:limit]
    return [WeakPoint(k[0], k[1], info[k][0], missed[k], seen[k], info[k][1]) for k in worst]


# -- snapshots -------------------------------------------------------------------------------


def _copies_any(answer: str, others: list[str]) -> bool:
    """Whether ``answer`` is a (near-)copy of any one of ``others`` (see DAILY_COPY_SHARE)."""
    return any(tx.copied_share(answer, [other]) >= DAILY_COPY_SHARE for other in others)


def outcome_to_dict(outcome: AnswerOutcome) -> dict[str, Any]:
    """The JSON-ready form of an outcome (stored for replays; printed by ``--json``)."""
    p, s, r = outcome.points, outcome.streak, outcome.rank
    return {
        "attempt_id": outcome.attempt_id,
        "question_id": outcome.question.id,
        "topic": outcome.question.topic,
        "difficulty": str(outcome.question.difficulty),
        "mode": str(outcome.mode),
        "grade": grade_to_dict(outcome.grade),
        "points": {
            "awarded": p.total,
            "base": p.base,
            "hint_penalty": p.hint_penalty,
            "hints_used": p.hints_used,
            "max": p.max_points,
            "zero_reason": str(p.zero_reason) if p.zero_reason else None,
        },
        "scored": outcome.scored,
        "streak": {
            "current": s.current,
            "best": s.best,
            "extended": s.extended,
            "grace_used": s.grace_used,
        },
        "rank": (
            None
            if r is None
            else {"period": str(r.period), "before": r.before, "after": r.after, "points": r.points}
        ),
        "review_due": outcome.review_due.isoformat() if outcome.review_due else None,
        "recorded_at": outcome.recorded_at.isoformat(),
        "local_date": outcome.local_date.isoformat(),
        "late": outcome.late,
        "duplicate": outcome.duplicate,
    }


def outcome_from_dict(d: Mapping[str, Any], question: Question, attempt_id: int) -> AnswerOutcome:
    """Rebuild an outcome from ``outcome_to_dict`` data (for a redelivered submission)."""
    p, s, r = d["points"], d["streak"], d.get("rank")
    return AnswerOutcome(
        attempt_id=attempt_id,
        question=question,
        grade=grade_from_dict(d["grade"]),
        mode=AttemptMode(d["mode"]),
        points=PointsBreakdown(
            base=int(p["base"]),
            hint_penalty=int(p["hint_penalty"]),
            total=int(p["awarded"]),
            zero_reason=ZeroReason(p["zero_reason"]) if p.get("zero_reason") else None,
            hints_used=int(p.get("hints_used", 0)),
            max_points=int(p.get("max", 0)),
        ),
        scored=bool(d["scored"]),
        streak=StreakInfo(
            current=int(s["current"]),
            best=int(s["best"]),
            extended=bool(s.get("extended", False)),
            grace_used=bool(s.get("grace_used", False)),
        ),
        rank=(
            None
            if r is None
            else RankChange(Period(r["period"]), r["before"], int(r["after"]), int(r["points"]))
        ),
        review_due=date.fromisoformat(d["review_due"]) if d.get("review_due") else None,
        recorded_at=datetime.fromisoformat(d["recorded_at"]),
        local_date=date.fromisoformat(d["local_date"]),
        late=bool(d.get("late", False)),
        duplicate=True,
    )


def _replay(existing: StoredAttempt, question: Question) -> AnswerOutcome:
    return outcome_from_dict(existing.record.outcome, question, existing.id)
