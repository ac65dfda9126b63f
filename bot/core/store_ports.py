"""Store ports: what the practice engine needs from persistence, as Protocols.

``bot.store`` implements them with SQL (SQLite or PostgreSQL); ``tests/fakes.py`` implements
them in memory. Both pass the same contract suite (``tests/store``). Records are plain frozen
dataclasses so nothing SQL-shaped leaks into the domain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol

from bot.core.groups import Group
from bot.core.guild_settings import MemberSettings
from bot.core.leaderboard import GroupTotal, MemberTotal
from bot.core.models import Question
from bot.core.review import ReviewItem
from bot.core.schedule import DateRange
from bot.core.scoring import AttemptMode
from bot.core.streaks import StreakState


@dataclass(frozen=True, slots=True)
class DailyAnswer:
    """The text of an answer to a server's daily question, kept while that daily is open.

    Later answers to the same daily are compared with it (a member pasting another member's
    answer earns nothing). The text is deleted when the daily closes, and by forget-me; it is
    never shown to anyone.

    Attributes:
        local_date: The daily's local date.
        text: The answer as submitted.
    """

    local_date: date
    text: str


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One answer as recorded.

    Attributes:
        guild_id: The server.
        member_id: Who answered.
        question_id: What they answered.
        topic: The question's topic (kept for per-topic stats).
        mode: Daily, practice or review.
        idempotency_key: Unique per (server, member): a redelivery carries the same key.
        created_at: When it was recorded (UTC).
        local_date: The server's local date at ``created_at``.
        daily_date: For the one scored attempt at a daily: that daily's date (else None).
        scored: Whether this attempt was eligible for points.
        fraction: Score as a fraction of the maximum.
        points: Points awarded.
        genuine: A real attempt (not empty, gibberish, injection or pasted).
        outcome: JSON-ready snapshot of everything shown to the member, replayed on a
            duplicate delivery.
        daily_answer: For an attempt at an open daily (scored or not): its text, stored with
            the attempt and deleted when the daily closes.
    """

    guild_id: int
    member_id: int
    question_id: str
    topic: str
    mode: AttemptMode
    idempotency_key: str
    created_at: datetime
    local_date: date
    daily_date: date | None
    scored: bool
    fraction: float
    points: int
    genuine: bool
    outcome: Mapping[str, Any]
    daily_answer: DailyAnswer | None = None


@dataclass(frozen=True, slots=True)
class StoredAttempt:
    """A recorded attempt with its store id."""

    id: int
    record: AttemptRecord


@dataclass(frozen=True, slots=True)
class QuestionState:
    """A member's open question: hints taken and whether the model answer was shown.

    It lives until the member is asked that question again, so the hints and a reveal apply
    to every answer given in between.
    """

    question_id: str
    asked_at: datetime
    hints_used: int = 0
    revealed: bool = False


@dataclass(frozen=True, slots=True)
class DailyRecord:
    """A server's daily question for one local date."""

    guild_id: int
    local_date: date
    question_id: str
    opens_at: datetime
    closes_at: datetime
    closed_at: datetime | None = None


class PracticeStore(Protocol):
    """Everything the practice engine persists. Each method is one transaction."""

    # -- attempts -------------------------------------------------------------------------
    async def find_attempt(self, guild_id: int, member_id: int, key: str) -> StoredAttempt | None:
        """The attempt recorded with idempotency ``key``, if any."""
        ...

    async def record_attempt(
        self,
        attempt: AttemptRecord,
        *,
        streak: StreakState | None,
        review: ReviewItem | None,
        drop_review: bool,
    ) -> int:
        """Record an attempt with its consequences atomically; return its id.

        Adds the points to the member's day total, replaces the streak (when given), and
        upserts (``review``) or deletes (``drop_review``) the question's review item.

        Raises:
            DuplicateSubmissionError: The idempotency key was already recorded.
            DailyAlreadyScoredError: ``daily_date`` is set and the member already has a scored
                attempt at that daily.
        """
        ...

    async def scored_on(self, guild_id: int, member_id: int, question_id: str, day: date) -> bool:
        """Whether the member has a scored attempt at the question on local ``day``."""
        ...

    async def last_seen(
        self, guild_id: int, member_id: int, since: datetime
    ) -> dict[str, datetime]:
        """When the member last saw each question since ``since`` (asked or answered)."""
        ...

    async def member_attempts(
        self, guild_id: int, member_id: int, limit: int
    ) -> list[StoredAttempt]:
        """The member's latest attempts, newest first."""
        ...

    async def daily_attempts(self, guild_id: int, day: date) -> list[StoredAttempt]:
        """Scored attempts at the daily of ``day``, oldest first."""
        ...

    # -- open questions, hints, reveals ---------------------------------------------------
    async def get_question_state(
        self, guild_id: int, member_id: int, question_id: str
    ) -> QuestionState | None:
        """The member's state for that question, if any."""
        ...

    async def save_question_state(
        self, guild_id: int, member_id: int, state: QuestionState
    ) -> None:
        """Create or replace the member's state for ``state.question_id``."""
        ...

    # -- streaks and review ---------------------------------------------------------------
    async def get_streak(self, guild_id: int, member_id: int) -> StreakState:
        """The member's stored streak (empty when none)."""
        ...

    async def review_items(self, guild_id: int, member_id: int, limit: int) -> list[ReviewItem]:
        """The member's review queue, soonest due first."""
        ...

    async def get_review_item(
        self, guild_id: int, member_id: int, question_id: str
    ) -> ReviewItem | None:
        """The member's queue entry for that question."""
        ...

    # -- leaderboards ---------------------------------------------------------------------
    async def member_board(
        self, guild_id: int, dates: DateRange | None, offset: int, limit: int
    ) -> tuple[list[MemberTotal], int]:
        """A page of member totals in ``dates`` (all time when None), ranked like
        ``bot.core.leaderboard.rank_members``, without opted-out members; plus the count
        of ranked members."""
        ...

    async def member_total(
        self, guild_id: int, member_id: int, dates: DateRange | None
    ) -> MemberTotal | None:
        """The member's total in ``dates`` (None if no attempts there or opted out)."""
        ...

    async def rank_of(self, guild_id: int, total: MemberTotal, dates: DateRange | None) -> int:
        """The 1-based rank ``total`` has (or would have) among the other ranked members."""
        ...

    async def group_totals(self, guild_id: int, dates: DateRange | None) -> list[GroupTotal]:
        """Every group of the server with its members' points in ``dates``."""
        ...

    # -- groups ---------------------------------------------------------------------------
    async def create_group(
        self, guild_id: int, name: str, key: str, creator_id: int, at: datetime
    ) -> Group:
        """Create a group and make the creator its first member.

        Raises:
            GroupNameTakenError: A group with that key exists in the server.
            AlreadyInGroupError: The creator is in a group already.
        """
        ...

    async def find_group(self, guild_id: int, key: str) -> Group | None:
        """The group whose name key is ``key``."""
        ...

    async def member_group(self, guild_id: int, member_id: int) -> Group | None:
        """The member's group in the server."""
        ...

    async def join_group(self, guild_id: int, group_id: int, member_id: int, at: datetime) -> None:
        """Add the member to the group.

        Raises:
            AlreadyInGroupError: The member is in a group already.
            GroupNotFoundError: The group no longer exists.
        """
        ...

    async def leave_group(self, guild_id: int, member_id: int) -> Group | None:
        """Remove the member from their group; return it (None if they had none)."""
        ...

    async def list_groups(self, guild_id: int) -> list[Group]:
        """The server's groups with member counts, by name key."""
        ...

    async def rename_group(self, guild_id: int, group_id: int, name: str, key: str) -> None:
        """Rename a group.

        Raises:
            GroupNameTakenError: Another group has that key.
        """
        ...

    async def delete_group(self, guild_id: int, group_id: int) -> None:
        """Delete a group and its memberships."""
        ...

    # -- settings -------------------------------------------------------------------------
    async def get_guild_overrides(self, guild_id: int) -> dict[str, Any]:
        """The server's stored setting overrides (empty when none)."""
        ...

    async def save_guild_overrides(
        self, guild_id: int, overrides: Mapping[str, Any], at: datetime
    ) -> None:
        """Replace the server's stored overrides."""
        ...

    async def configured_guilds(self) -> list[int]:
        """Servers with stored settings."""
        ...

    async def get_member_settings(self, guild_id: int, member_id: int) -> MemberSettings:
        """The member's settings (defaults when none stored)."""
        ...

    async def save_member_settings(
        self, guild_id: int, member_id: int, settings: MemberSettings
    ) -> None:
        """Store the member's settings."""
        ...

    # -- daily questions ------------------------------------------------------------------
    async def get_daily(self, guild_id: int, day: date) -> DailyRecord | None:
        """The daily of local ``day``, if chosen."""
        ...

    async def create_daily(self, record: DailyRecord) -> DailyRecord:
        """Store the daily unless one exists for that day; return the stored one."""
        ...

    async def recent_dailies(self, guild_id: int, since: date) -> list[DailyRecord]:
        """Dailies of local dates ``>= since``."""
        ...

    async def close_daily(self, guild_id: int, day: date, at: datetime) -> bool:
        """Mark the daily closed and delete its answer texts; True only for the call that
        closed it."""
        ...

    async def daily_answers(self, guild_id: int, day: date) -> list[tuple[int, str]]:
        """``(member id, text)`` of every answer recorded at the open daily of ``day``,
        oldest first (empty once it closed)."""
        ...

    # -- privacy --------------------------------------------------------------------------
    async def forget_member(self, guild_id: int, member_id: int) -> dict[str, int]:
        """Delete everything about the member in the server in one transaction.

        Returns:
            Rows deleted per kind (attempts, daily_answers, days, streaks, reviews, states,
            memberships, settings) and groups whose creator was cleared.
        """
        ...


class GuildQuestionStore(Protocol):
    """A server's own questions (visible only there)."""

    async def add_question(self, question: Question, at: datetime) -> None:
        """Add or replace a server question (``question.guild_id`` must be set)."""
        ...

    async def remove_question(self, guild_id: int, question_id: str) -> bool:
        """Remove a server question; True if it existed."""
        ...

    async def list_questions(self, guild_id: int) -> list[Question]:
        """The server's own questions, by id."""
        ...


class ClaimOutcome(StrEnum):
    """What a claim on a daily post (or recap) found; only ``NEW`` and ``TAKEN_OVER`` may post."""

    NEW = "new"
    """Nobody had claimed it: post."""
    TAKEN_OVER = "taken_over"
    """An earlier claim went stale without finishing (its process died mid-post): make sure
    that attempt did not land after all, then post."""
    HELD = "held"
    """Another run holds a fresh claim: do nothing now (retry once its lease runs out)."""
    DONE = "done"
    """Already posted: do nothing."""


@dataclass(frozen=True, slots=True)
class DailyPost:
    """Where and whether a server's daily question of one local date was posted, and its recap.

    Attributes:
        guild_id: The server.
        local_date: The daily's local date.
        question_id: The daily's question.
        claim_token: Token of the run that claimed (or made) the post.
        claimed_at: When that claim was taken (UTC).
        channel_id: Channel of the post (set once posted).
        message_id: The post's message (set once posted).
        thread_id: The discussion thread opened on it (None if it could not be opened).
        posted_at: When the post was recorded (None while only claimed).
        recap_token: Token of the run that claimed the recap.
        recap_claimed_at: When the recap was claimed.
        recap_message_id: The recap's message.
        recap_posted_at: When the recap was recorded (None while owed).
    """

    guild_id: int
    local_date: date
    question_id: str
    claim_token: str
    claimed_at: datetime
    channel_id: int | None = None
    message_id: int | None = None
    thread_id: int | None = None
    posted_at: datetime | None = None
    recap_token: str | None = None
    recap_claimed_at: datetime | None = None
    recap_message_id: int | None = None
    recap_posted_at: datetime | None = None

    @property
    def posted(self) -> bool:
        """The daily question is on show."""
        return self.posted_at is not None

    @property
    def recapped(self) -> bool:
        """The recap is on show."""
        return self.recap_posted_at is not None


class DailyPostStore(Protocol):
    """Claims and records of daily posts and recaps (exactly once per server and local day).

    A claim is granted to one run at a time; an unfinished claim older than ``stale_before``
    may be taken over (its run is presumed dead). Finishing requires still holding the claim.
    """

    async def claim_daily_post(
        self,
        guild_id: int,
        day: date,
        question_id: str,
        token: str,
        at: datetime,
        stale_before: datetime,
    ) -> ClaimOutcome:
        """Claim the right to post the daily of ``day``."""
        ...

    async def finish_daily_post(
        self,
        guild_id: int,
        day: date,
        token: str,
        *,
        channel_id: int,
        message_id: int,
        thread_id: int | None,
        at: datetime,
    ) -> bool:
        """Record the post; False if ``token`` no longer holds the claim (nothing recorded)."""
        ...

    async def release_daily_post(self, guild_id: int, day: date, token: str) -> bool:
        """Drop an unfinished claim held by ``token`` (the post failed); True if dropped."""
        ...

    async def get_daily_post(self, guild_id: int, day: date) -> DailyPost | None:
        """The post record of ``day``, claimed or finished."""
        ...

    async def claim_daily_recap(
        self, guild_id: int, day: date, token: str, at: datetime, stale_before: datetime
    ) -> ClaimOutcome:
        """Claim the right to post the recap of a posted daily (``DONE`` also when the daily
        was never posted: there is nothing to recap)."""
        ...

    async def finish_daily_recap(
        self, guild_id: int, day: date, token: str, *, message_id: int | None, at: datetime
    ) -> bool:
        """Record the recap; False if ``token`` no longer holds the claim."""
        ...

    async def release_daily_recap(self, guild_id: int, day: date, token: str) -> bool:
        """Drop an unfinished recap claim held by ``token``; True if dropped."""
        ...

    async def owed_daily_recaps(self) -> list[DailyPost]:
        """Posted dailies of every server whose recap is not recorded yet, oldest first."""
        ...
