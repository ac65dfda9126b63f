"""In-memory fakes of the core ports, shared by the test suites.

``InMemoryStore`` implements ``PracticeStore`` with dicts and mirrors the SQL store's rules
exactly (the store contract suite runs against it too, so it cannot drift). ``FakeGrader`` is
deterministic and instant: a key point counts as covered when the answer contains one of its
terms. ``FakeClock`` is moved by hand.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.core.errors import (
    AlreadyInGroupError,
    DailyAlreadyScoredError,
    DuplicateSubmissionError,
    GroupNameTakenError,
    GroupNotFoundError,
)
from bot.core.groups import Group
from bot.core.guild_settings import MemberSettings
from bot.core.leaderboard import GroupTotal, MemberTotal, member_key
from bot.core.models import (
    Citation,
    Difficulty,
    Grade,
    GradeFlag,
    KeyPoint,
    PointResult,
    PointStatus,
    Question,
)
from bot.core.review import ReviewItem
from bot.core.schedule import DateRange
from bot.core.store_ports import (
    AttemptRecord,
    ClaimOutcome,
    DailyPost,
    DailyRecord,
    QuestionState,
    StoredAttempt,
)
from bot.core.streaks import StreakState

START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, now: datetime = START) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current

    def set(self, when: datetime) -> None:
        self.current = when


def make_question(
    qid: str = "q-overfit",
    topic: str = "ml-foundations",
    difficulty: Difficulty = Difficulty.EASY,
    points: int = 2,
    guild_id: int | None = None,
) -> Question:
    """A small question whose key point ``i`` is covered by the word ``term<i>``."""
    return Question(
        id=qid,
        topic=topic,
        difficulty=difficulty,
        prompt=f"Explain {qid}.",
        model_answer=f"The model answer for {qid} mentions "
        + " and ".join(f"term{i}" for i in range(points))
        + ".",
        key_points=tuple(
            KeyPoint(
                id=f"p{i}",
                statement=f"Point {i} of {qid}.",
                weight=float(i + 1),
                terms=(f"term{i}",),
                source=f"note-{topic}#Section {i}",
            )
            for i in range(points)
        ),
        hints=(f"Think about term0 for {qid}.",),
        follow_ups=(f"What comes after {qid}?",),
        guild_id=guild_id,
    )


class FakeGrader:
    """Deterministic keyword grader.

    Flags: empty answers, "ignore previous instructions" (injection), "qwzx" (gibberish), and
    an answer equal to the model answer (copied).
    """

    def __init__(self) -> None:
        self.calls = 0
        self.threads: set[int] = set()

    def grade(self, question: Question, answer: str) -> Grade:
        self.calls += 1
        self.threads.add(threading.get_ident())
        text = answer.lower()
        flags: list[GradeFlag] = []
        if not text.strip():
            flags.append(GradeFlag.EMPTY)
        if "ignore previous" in text:
            flags.append(GradeFlag.INJECTION)
        if "qwzx" in text:
            flags.append(GradeFlag.GIBBERISH)
        if answer.strip() == question.model_answer.strip():
            flags.append(GradeFlag.COPIED_REFERENCE)
        sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", answer) if s.strip()]
        results = []
        total = sum(k.weight for k in question.key_points) or 1.0
        got = 0.0
        for kp in question.key_points:
            hit = next((s for s in sentences if any(t in s.lower() for t in kp.terms)), None)
            note, _, heading = (kp.source or "").partition("#")
            results.append(
                PointResult(
                    point_id=kp.id,
                    statement=kp.statement,
                    status=PointStatus.COVERED if hit else PointStatus.MISSED,
                    score=1.0 if hit else 0.0,
                    evidence=hit,
                    citation=Citation(note, note.replace("-", " ").title(), heading)
                    if note
                    else None,
                )
            )
            got += kp.weight if hit else 0.0
        return Grade(
            score=round(10.0 * got / total, 2),
            confidence=0.9,
            points=tuple(results),
            flags=tuple(flags),
        )


@dataclass
class _Group:
    id: int
    guild_id: int
    name: str
    key: str
    created_by: int | None
    created_at: datetime


@dataclass
class InMemoryStore:
    """``PracticeStore`` + ``GuildQuestionStore`` in memory (single process)."""

    attempts: dict[int, AttemptRecord] = field(default_factory=dict)
    days: dict[tuple[int, date, int], list[int]] = field(default_factory=dict)
    streaks: dict[tuple[int, int], StreakState] = field(default_factory=dict)
    reviews: dict[tuple[int, int, str], ReviewItem] = field(default_factory=dict)
    states: dict[tuple[int, int, str], QuestionState] = field(default_factory=dict)
    groups: dict[int, _Group] = field(default_factory=dict)
    memberships: dict[tuple[int, int], int] = field(default_factory=dict)
    guild_overrides: dict[int, dict[str, Any]] = field(default_factory=dict)
    member_settings: dict[tuple[int, int], MemberSettings] = field(default_factory=dict)
    dailies: dict[tuple[int, date], DailyRecord] = field(default_factory=dict)
    guild_questions: dict[tuple[int, str], Question] = field(default_factory=dict)
    daily_posts: dict[tuple[int, date], DailyPost] = field(default_factory=dict)
    # attempt id -> (guild, daily date, member, text), like the SQL table daily_answers
    daily_texts: dict[int, tuple[int, date, int, str]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def close(self) -> None:
        return None

    # attempts
    async def find_attempt(self, guild_id, member_id, key):
        for aid, a in self.attempts.items():
            if (a.guild_id, a.member_id, a.idempotency_key) == (guild_id, member_id, key):
                return StoredAttempt(aid, a)
        return None

    async def record_attempt(self, attempt, *, streak, review, drop_review):
        a = attempt
        if await self.find_attempt(a.guild_id, a.member_id, a.idempotency_key):
            raise DuplicateSubmissionError(a.idempotency_key)
        if a.daily_date is not None and any(
            (b.guild_id, b.member_id, b.daily_date) == (a.guild_id, a.member_id, a.daily_date)
            for b in self.attempts.values()
        ):
            raise DailyAlreadyScoredError(str(a.daily_date))
        aid = next(self._ids)
        # Like the SQL stores: instants come back in UTC whatever zone they went in with.
        if a.daily_answer is not None:
            d = a.daily_answer
            self.daily_texts[aid] = (a.guild_id, d.local_date, a.member_id, d.text)
        a = replace(a, created_at=a.created_at.astimezone(UTC), daily_answer=None)
        self.attempts[aid] = a
        if a.genuine or a.points:
            row = self.days.setdefault((a.guild_id, a.local_date, a.member_id), [0, 0])
            row[0] += a.points
            row[1] += 1 if a.genuine else 0
        if streak is not None:
            self.streaks[(a.guild_id, a.member_id)] = streak
        key = (a.guild_id, a.member_id, a.question_id)
        if review is not None:
            self.reviews[key] = replace(review, question_id=a.question_id)
        elif drop_review:
            self.reviews.pop(key, None)
        return aid

    async def scored_on(self, guild_id, member_id, question_id, day):
        return any(
            (a.guild_id, a.member_id, a.question_id, a.local_date)
            == (guild_id, member_id, question_id, day)
            and a.scored
            for a in self.attempts.values()
        )

    async def last_seen(self, guild_id, member_id, since):
        seen: dict[str, datetime] = {}
        for a in self.attempts.values():
            if (a.guild_id, a.member_id) == (guild_id, member_id) and a.created_at >= since:
                seen[a.question_id] = max(seen.get(a.question_id, a.created_at), a.created_at)
        for (g, m, q), s in self.states.items():
            if (g, m) == (guild_id, member_id) and s.asked_at >= since:
                seen[q] = max(seen.get(q, s.asked_at), s.asked_at)
        return seen

    async def member_attempts(self, guild_id, member_id, limit):
        mine = [
            StoredAttempt(i, a)
            for i, a in self.attempts.items()
            if (a.guild_id, a.member_id) == (guild_id, member_id)
        ]
        mine.sort(key=lambda s: (s.record.created_at, s.id), reverse=True)
        return mine[:limit]

    async def daily_attempts(self, guild_id, day):
        found = [
            StoredAttempt(i, a)
            for i, a in self.attempts.items()
            if a.guild_id == guild_id and a.daily_date == day
        ]
        return sorted(found, key=lambda s: (s.record.created_at, s.id))

    # states
    async def get_question_state(self, guild_id, member_id, question_id):
        return self.states.get((guild_id, member_id, question_id))

    async def save_question_state(self, guild_id, member_id, state):
        state = replace(state, asked_at=state.asked_at.astimezone(UTC))
        self.states[(guild_id, member_id, state.question_id)] = state

    # streaks, review
    async def get_streak(self, guild_id, member_id):
        return self.streaks.get((guild_id, member_id), StreakState())

    async def review_items(self, guild_id, member_id, limit):
        items = [i for (g, m, _), i in self.reviews.items() if (g, m) == (guild_id, member_id)]
        return sorted(items, key=lambda i: (i.due, i.question_id))[:limit]

    async def get_review_item(self, guild_id, member_id, question_id):
        return self.reviews.get((guild_id, member_id, question_id))

    # boards
    def _totals(self, guild_id: int, dates: DateRange | None) -> dict[int, MemberTotal]:
        totals: dict[int, list[int]] = {}
        for (g, day, m), (points, attempts) in self.days.items():
            if g == guild_id and (dates is None or day in dates):
                row = totals.setdefault(m, [0, 0])
                row[0] += points
                row[1] += attempts
        return {
            m: MemberTotal(m, p, a)
            for m, (p, a) in totals.items()
            if not self.member_settings.get((guild_id, m), MemberSettings()).leaderboard_opt_out
        }

    async def member_board(self, guild_id, dates, offset, limit):
        ranked = sorted(self._totals(guild_id, dates).values(), key=member_key)
        return ranked[offset : offset + limit], len(ranked)

    async def member_total(self, guild_id, member_id, dates):
        return self._totals(guild_id, dates).get(member_id)

    async def rank_of(self, guild_id, total, dates):
        others = [t for m, t in self._totals(guild_id, dates).items() if m != total.member_id]
        return 1 + sum(member_key(o) < member_key(total) for o in others)

    async def group_totals(self, guild_id, dates):
        all_totals: dict[int, list[int]] = {}
        for (g, day, m), (points, _) in self.days.items():
            if g == guild_id and (dates is None or day in dates):
                all_totals.setdefault(m, [0])[0] += points
        out = []
        for g in self.groups.values():
            if g.guild_id != guild_id:
                continue
            members = [m for (gg, m), gid in self.memberships.items() if gid == g.id]
            active = [m for m in members if m in all_totals]
            out.append(
                GroupTotal(
                    g.id, g.name, len(members), len(active), sum(all_totals[m][0] for m in active)
                )
            )
        return out

    # groups
    def _public(self, g: _Group) -> Group:
        count = sum(1 for gid in self.memberships.values() if gid == g.id)
        return Group(g.id, g.guild_id, g.name, g.created_by, g.created_at, members=count)

    async def create_group(self, guild_id, name, key, creator_id, at):
        if any(g.guild_id == guild_id and g.key == key for g in self.groups.values()):
            raise GroupNameTakenError(name=name)
        if (guild_id, creator_id) in self.memberships:
            raise AlreadyInGroupError()
        gid = next(self._ids)
        self.groups[gid] = _Group(gid, guild_id, name, key, creator_id, at)
        self.memberships[(guild_id, creator_id)] = gid
        return self._public(self.groups[gid])

    async def find_group(self, guild_id, key):
        for g in self.groups.values():
            if g.guild_id == guild_id and g.key == key:
                return self._public(g)
        return None

    async def member_group(self, guild_id, member_id):
        gid = self.memberships.get((guild_id, member_id))
        return self._public(self.groups[gid]) if gid is not None else None

    async def join_group(self, guild_id, group_id, member_id, at):
        if group_id not in self.groups or self.groups[group_id].guild_id != guild_id:
            raise GroupNotFoundError(group_id=group_id)
        if (guild_id, member_id) in self.memberships:
            raise AlreadyInGroupError()
        self.memberships[(guild_id, member_id)] = group_id

    async def leave_group(self, guild_id, member_id):
        group = await self.member_group(guild_id, member_id)
        self.memberships.pop((guild_id, member_id), None)
        return group

    async def list_groups(self, guild_id):
        found = [self._public(g) for g in self.groups.values() if g.guild_id == guild_id]
        return sorted(found, key=lambda g: self.groups[g.id].key)

    async def rename_group(self, guild_id, group_id, name, key):
        if any(
            g.guild_id == guild_id and g.key == key and g.id != group_id
            for g in self.groups.values()
        ):
            raise GroupNameTakenError(name=name)
        g = self.groups[group_id]
        g.name, g.key = name, key

    async def delete_group(self, guild_id, group_id):
        self.groups.pop(group_id, None)
        for k in [k for k, gid in self.memberships.items() if gid == group_id]:
            del self.memberships[k]

    # settings
    async def get_guild_overrides(self, guild_id):
        return dict(self.guild_overrides.get(guild_id, {}))

    async def save_guild_overrides(self, guild_id, overrides: Mapping[str, Any], at):
        self.guild_overrides[guild_id] = dict(overrides)

    async def configured_guilds(self):
        return sorted(self.guild_overrides)

    async def get_member_settings(self, guild_id, member_id):
        return self.member_settings.get((guild_id, member_id), MemberSettings())

    async def save_member_settings(self, guild_id, member_id, settings):
        self.member_settings[(guild_id, member_id)] = settings

    # dailies
    async def get_daily(self, guild_id, day):
        return self.dailies.get((guild_id, day))

    async def create_daily(self, record):
        return self.dailies.setdefault((record.guild_id, record.local_date), record)

    async def recent_dailies(self, guild_id, since):
        return sorted(
            (d for (g, day), d in self.dailies.items() if g == guild_id and day >= since),
            key=lambda d: d.local_date,
        )

    async def daily_answers(self, guild_id, day):
        return [
            (m, text)
            for _, (g, d, m, text) in sorted(self.daily_texts.items())
            if (g, d) == (guild_id, day)
        ]

    async def close_daily(self, guild_id, day, at):
        for aid in [k for k, (g, d, _, _) in self.daily_texts.items() if (g, d) == (guild_id, day)]:
            del self.daily_texts[aid]
        d = self.dailies.get((guild_id, day))
        if d is None or d.closed_at is not None:
            return False
        self.dailies[(guild_id, day)] = replace(d, closed_at=at)
        return True

    # privacy
    async def forget_member(self, guild_id, member_id):
        def drop(d: dict, match) -> int:
            keys = [k for k, v in d.items() if match(k, v)]
            for k in keys:
                del d[k]
            return len(keys)

        gm = (guild_id, member_id)
        had_total = any((g, m) == gm for g, _, m in self.days)
        report = {
            "attempts": drop(self.attempts, lambda k, a: (a.guild_id, a.member_id) == gm),
            "daily_answers": drop(self.daily_texts, lambda k, v: (v[0], v[2]) == gm),
            "days": drop(self.days, lambda k, v: (k[0], k[2]) == gm),
            "totals": int(had_total),
            "streaks": drop(self.streaks, lambda k, v: k == gm),
            "reviews": drop(self.reviews, lambda k, v: k[:2] == gm),
            "states": drop(self.states, lambda k, v: k[:2] == gm),
            "memberships": drop(self.memberships, lambda k, v: k == gm),
            "settings": drop(self.member_settings, lambda k, v: k == gm),
        }
        orphaned = 0
        for g in self.groups.values():
            if g.guild_id == guild_id and g.created_by == member_id:
                g.created_by = None
                orphaned += 1
        report["groups_orphaned"] = orphaned
        return report

    # server questions
    async def add_question(self, question, at):
        if question.guild_id is None:
            raise ValueError("a server question needs its guild_id")
        self.guild_questions[(question.guild_id, question.id)] = question

    async def remove_question(self, guild_id, question_id):
        return self.guild_questions.pop((guild_id, question_id), None) is not None

    async def list_questions(self, guild_id):
        return [q for (g, _), q in sorted(self.guild_questions.items()) if g == guild_id]

    async def questions(self, guild_id):
        return await self.list_questions(guild_id)

    async def get(self, guild_id, question_id):
        return self.guild_questions.get((guild_id, question_id))

    # daily posts (migration 0003)
    async def claim_daily_post(self, guild_id, day, question_id, token, at, stale_before):
        key = (guild_id, day)
        post = self.daily_posts.get(key)
        if post is None:
            self.daily_posts[key] = DailyPost(guild_id, day, question_id, token, at)
            return ClaimOutcome.NEW
        if post.posted:
            return ClaimOutcome.DONE
        if post.claimed_at >= stale_before:
            return ClaimOutcome.HELD
        self.daily_posts[key] = replace(post, claim_token=token, claimed_at=at)
        return ClaimOutcome.TAKEN_OVER

    async def finish_daily_post(
        self, guild_id, day, token, *, channel_id, message_id, thread_id, at
    ):
        post = self.daily_posts.get((guild_id, day))
        if post is None or post.posted or post.claim_token != token:
            return False
        self.daily_posts[(guild_id, day)] = replace(
            post, channel_id=channel_id, message_id=message_id, thread_id=thread_id, posted_at=at
        )
        return True

    async def release_daily_post(self, guild_id, day, token):
        post = self.daily_posts.get((guild_id, day))
        if post is None or post.posted or post.claim_token != token:
            return False
        del self.daily_posts[(guild_id, day)]
        return True

    async def get_daily_post(self, guild_id, day):
        return self.daily_posts.get((guild_id, day))

    async def claim_daily_recap(self, guild_id, day, token, at, stale_before):
        post = self.daily_posts.get((guild_id, day))
        if post is None or not post.posted or post.recapped:
            return ClaimOutcome.DONE
        if post.recap_claimed_at is not None and post.recap_claimed_at >= stale_before:
            return ClaimOutcome.HELD
        outcome = ClaimOutcome.NEW if post.recap_token is None else ClaimOutcome.TAKEN_OVER
        self.daily_posts[(guild_id, day)] = replace(post, recap_token=token, recap_claimed_at=at)
        return outcome

    async def finish_daily_recap(self, guild_id, day, token, *, message_id, at):
        post = self.daily_posts.get((guild_id, day))
        if post is None or post.recapped or post.recap_token != token:
            return False
        self.daily_posts[(guild_id, day)] = replace(
            post, recap_message_id=message_id, recap_posted_at=at
        )
        return True

    async def release_daily_recap(self, guild_id, day, token):
        post = self.daily_posts.get((guild_id, day))
        if post is None or post.recapped or post.recap_token != token:
            return False
        self.daily_posts[(guild_id, day)] = replace(post, recap_token=None, recap_claimed_at=None)
        return True

    async def owed_daily_recaps(self):
        return sorted(
            (p for p in self.daily_posts.values() if p.posted and not p.recapped),
            key=lambda p: (p.local_date, p.guild_id),
        )
