"""The SQL implementation of the practice engine's store ports (SQLite and PostgreSQL).

Every public method is one transaction. Writes that must be atomic (an attempt with its points,
streak and review update; forgetting a member) happen inside a single ``BEGIN``. Dialect
differences are confined to ``_insert`` (``ON CONFLICT`` comes from the dialect's own insert
construct) and the engine set-up.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Date,
    Select,
    Table,
    Text,
    and_,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core.errors import (
    AlreadyInGroupError,
    DailyAlreadyScoredError,
    DuplicateSubmissionError,
    GroupNameTakenError,
    GroupNotFoundError,
)
from bot.core.groups import Group
from bot.core.guild_settings import MemberSettings
from bot.core.leaderboard import GroupTotal, MemberTotal
from bot.core.models import Question
from bot.core.review import ReviewItem
from bot.core.schedule import DateRange
from bot.core.scoring import AttemptMode
from bot.core.serialize import question_from_dict, question_to_dict
from bot.core.store_ports import (
    AttemptRecord,
    ClaimOutcome,
    DailyPost,
    DailyRecord,
    QuestionState,
    StoredAttempt,
)
from bot.core.streaks import StreakState
from bot.store.engine import WRITE, create_engine
from bot.store.migrate import migrate
from bot.store.schema import (
    UTCDateTime,
    attempts,
    daily_answers,
    daily_points,
    daily_questions,
    group_members,
    guild_questions,
    guild_settings,
    member_settings,
    member_totals,
    metadata,
    question_states,
    review_items,
    streaks,
    study_groups,
)

# Migration 0003. Declared here, on the shared metadata, so the schema-agreement test checks it
# like every other table.
daily_posts = Table(
    "daily_posts",
    metadata,
    Column("guild_id", BigInteger, primary_key=True, autoincrement=False),
    Column("local_date", Date, primary_key=True),
    Column("question_id", Text, nullable=False),
    Column("claim_token", Text, nullable=False),
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("channel_id", BigInteger),
    Column("message_id", BigInteger),
    Column("thread_id", BigInteger),
    Column("posted_at", UTCDateTime),
    Column("recap_token", Text),
    Column("recap_claimed_at", UTCDateTime),
    Column("recap_message_id", BigInteger),
    Column("recap_posted_at", UTCDateTime),
)


class SqlStore:
    """``PracticeStore`` + ``GuildQuestionStore`` over SQLAlchemy async.

    Also a ``QuestionCatalog`` of the servers' own questions, for ``CompositeCatalog``.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        """Use ``engine`` (already migrated: see ``open_store``)."""
        self.engine = engine
        self._writer = engine.execution_options(**WRITE)
        self.dialect = engine.dialect.name

    async def close(self) -> None:
        """Dispose of the connection pool."""
        await self.engine.dispose()

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        async with self._writer.begin() as conn:
            yield conn

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    def _insert(self, table: Table) -> Any:
        # Both dialect insert constructs offer on_conflict_do_nothing / _do_update.
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    async def _upsert(
        self,
        conn: AsyncConnection,
        table: Table,
        values: Mapping[str, Any],
        keys: list[str],
        updates: Mapping[str, Any] | None = None,
    ) -> None:
        stmt = self._insert(table).values(**values)
        set_ = (
            dict(updates)
            if updates is not None
            else {k: stmt.excluded[k] for k in values if k not in keys}
        )
        await conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=set_))

    # -- attempts -----------------------------------------------------------------------------

    async def find_attempt(self, guild_id: int, member_id: int, key: str) -> StoredAttempt | None:
        """The attempt recorded with idempotency ``key``, if any."""
        async with self._read() as conn:
            row = (
                await conn.execute(
                    select(attempts).where(
                        attempts.c.guild_id == guild_id,
                        attempts.c.member_id == member_id,
                        attempts.c.idempotency_key == key,
                    )
                )
            ).first()
        return _attempt(row._mapping) if row is not None else None

    async def record_attempt(
        self,
        attempt: AttemptRecord,
        *,
        streak: StreakState | None,
        review: ReviewItem | None,
        drop_review: bool,
    ) -> int:
        """Record an attempt with its points, streak and review update atomically."""
        a = attempt
        try:
            async with self._write() as conn:
                result = await conn.execute(
                    insert(attempts)
                    .values(
                        guild_id=a.guild_id,
                        member_id=a.member_id,
                        question_id=a.question_id,
                        topic=a.topic,
                        mode=str(a.mode),
                        idempotency_key=a.idempotency_key,
                        created_at=a.created_at,
                        local_date=a.local_date,
                        daily_date=a.daily_date,
                        scored=a.scored,
                        fraction=a.fraction,
                        points=a.points,
                        genuine=a.genuine,
                        outcome=json.dumps(a.outcome, separators=(",", ":")),
                    )
                    .returning(attempts.c.id)
                )
                attempt_id = int(result.scalar_one())
                if a.daily_answer is not None:
                    await conn.execute(
                        insert(daily_answers).values(
                            guild_id=a.guild_id,
                            local_date=a.daily_answer.local_date,
                            attempt_id=attempt_id,
                            member_id=a.member_id,
                            answer=a.daily_answer.text,
                        )
                    )
                if a.genuine or a.points:
                    await self._add_points(conn, a)
                if streak is not None:
                    await self._upsert(
                        conn,
                        streaks,
                        {
                            "guild_id": a.guild_id,
                            "member_id": a.member_id,
                            "current_days": streak.current,
                            "best_days": streak.best,
                            "last_day": streak.last_day,
                        },
                        ["guild_id", "member_id"],
                    )
                if review is not None:
                    await self._upsert(
                        conn,
                        review_items,
                        {
                            "guild_id": a.guild_id,
                            "member_id": a.member_id,
                            "question_id": a.question_id,
                            "due": review.due,
                            "interval_days": review.interval_days,
                            "repetitions": review.repetitions,
                            "ease": review.ease,
                            "last_fraction": review.last_fraction,
                        },
                        ["guild_id", "member_id", "question_id"],
                    )
                elif drop_review:
                    await conn.execute(
                        delete(review_items).where(
                            review_items.c.guild_id == a.guild_id,
                            review_items.c.member_id == a.member_id,
                            review_items.c.question_id == a.question_id,
                        )
                    )
        except IntegrityError as exc:
            if await self.find_attempt(a.guild_id, a.member_id, a.idempotency_key) is not None:
                raise DuplicateSubmissionError(a.idempotency_key) from exc
            if a.daily_date is not None:
                raise DailyAlreadyScoredError(str(a.daily_date)) from exc
            raise
        return attempt_id

    async def _add_points(self, conn: AsyncConnection, a: AttemptRecord) -> None:
        # The per-day roll-up serves period boards; the running total serves all time.
        delta = {"points": a.points, "attempts": 1 if a.genuine else 0}
        for table, keys in (
            (daily_points, ["guild_id", "local_date", "member_id"]),
            (member_totals, ["guild_id", "member_id"]),
        ):
            values: dict[str, Any] = {"guild_id": a.guild_id, "member_id": a.member_id, **delta}
            if table is daily_points:
                values["local_date"] = a.local_date
            stmt = self._insert(table).values(**values)
            await conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=keys,
                    set_={
                        "points": table.c.points + stmt.excluded.points,
                        "attempts": table.c.attempts + stmt.excluded.attempts,
                    },
                )
            )

    async def scored_on(self, guild_id: int, member_id: int, question_id: str, day: date) -> bool:
        """Whether the member has a scored attempt at the question on local ``day``."""
        async with self._read() as conn:
            row = (
                await conn.execute(
                    select(attempts.c.id)
                    .where(
                        attempts.c.guild_id == guild_id,
                        attempts.c.member_id == member_id,
                        attempts.c.question_id == question_id,
                        attempts.c.local_date == day,
                        attempts.c.scored == true(),
                    )
                    .limit(1)
                )
            ).first()
        return row is not None

    async def last_seen(
        self, guild_id: int, member_id: int, since: datetime
    ) -> dict[str, datetime]:
        """When the member last saw each question since ``since`` (asked or answered)."""
        seen: dict[str, datetime] = {}
        async with self._read() as conn:
            answered = await conn.execute(
                select(attempts.c.question_id, func.max(attempts.c.created_at))
                .where(
                    attempts.c.guild_id == guild_id,
                    attempts.c.member_id == member_id,
                    attempts.c.created_at >= since,
                )
                .group_by(attempts.c.question_id)
            )
            asked = await conn.execute(
                select(question_states.c.question_id, question_states.c.asked_at).where(
                    question_states.c.guild_id == guild_id,
                    question_states.c.member_id == member_id,
                    question_states.c.asked_at >= since,
                )
            )
            for qid, at in [*answered.all(), *asked.all()]:
                # func.max loses the column type on some backends: normalise here.
                when = _utc(at)
                if qid not in seen or when > seen[qid]:
                    seen[qid] = when
        return seen

    async def member_attempts(
        self, guild_id: int, member_id: int, limit: int
    ) -> list[StoredAttempt]:
        """The member's latest attempts, newest first."""
        async with self._read() as conn:
            rows = await conn.execute(
                select(attempts)
                .where(attempts.c.guild_id == guild_id, attempts.c.member_id == member_id)
                .order_by(attempts.c.created_at.desc(), attempts.c.id.desc())
                .limit(limit)
            )
            return [_attempt(r._mapping) for r in rows]

    async def daily_attempts(self, guild_id: int, day: date) -> list[StoredAttempt]:
        """Scored attempts at the daily of ``day``, oldest first."""
        async with self._read() as conn:
            rows = await conn.execute(
                select(attempts)
                .where(attempts.c.guild_id == guild_id, attempts.c.daily_date == day)
                .order_by(attempts.c.created_at, attempts.c.id)
            )
            return [_attempt(r._mapping) for r in rows]

    # -- open questions -----------------------------------------------------------------------

    async def get_question_state(
        self, guild_id: int, member_id: int, question_id: str
    ) -> QuestionState | None:
        """The member's state for that question, if any."""
        async with self._read() as conn:
            row = (
                await conn.execute(
                    select(question_states).where(
                        question_states.c.guild_id == guild_id,
                        question_states.c.member_id == member_id,
                        question_states.c.question_id == question_id,
                    )
                )
            ).first()
        if row is None:
            return None
        m = row._mapping
        return QuestionState(
            question_id=m["question_id"],
            asked_at=m["asked_at"],
            hints_used=int(m["hints_used"]),
            revealed=bool(m["revealed"]),
        )

    async def save_question_state(
        self, guild_id: int, member_id: int, state: QuestionState
    ) -> None:
        """Create or replace the member's state for ``state.question_id``."""
        async with self._write() as conn:
            await self._upsert(
                conn,
                question_states,
                {
                    "guild_id": guild_id,
                    "member_id": member_id,
                    "question_id": state.question_id,
                    "asked_at": state.asked_at,
                    "hints_used": state.hints_used,
                    "revealed": state.revealed,
                },
                ["guild_id", "member_id", "question_id"],
            )

    # -- streaks and review -------------------------------------------------------------------

    async def get_streak(self, guild_id: int, member_id: int) -> StreakState:
        """The member's stored streak (empty when none)."""
        async with self._read() as conn:
            row = (
                await conn.execute(
                    select(streaks).where(
                        streaks.c.guild_id == guild_id, streaks.c.member_id == member_id
                    )
                )
            ).first()
        if row is None:
            return StreakState()
        m = row._mapping
        return StreakState(int(m["current_days"]), int(m["best_days"]), m["last_day"])

    async def review_items(self, guild_id: int, member_id: int, limit: int) -> list[ReviewItem]:
        """The member's review queue, soonest due first."""
        async with self._read() as conn:
            rows = await conn.execute(
                select(review_items)
                .where(review_items.c.guild_id == guild_id, review_items.c.member_id == member_id)
                .order_by(review_items.c.due, review_items.c.question_id)
                .limit(limit)
            )
            return [_review(r._mapping) for r in rows]

    async def get_review_item(
        self, guild_id: int, member_id: int, question_id: str
    ) -> ReviewItem | None:
        """The member's queue entry for that question."""
        async with self._read() as conn:
            row = (
                await conn.execute(
                    select(review_items).where(
                        review_items.c.guild_id == guild_id,
                        review_items.c.member_id == member_id,
                        review_items.c.question_id == question_id,
                    )
                )
            ).first()
        return _review(row._mapping) if row is not None else None

    # -- leaderboards -------------------------------------------------------------------------

    def _per_member(self, guild_id: int, dates: DateRange | None) -> Any:
        """Per-member (member_id, points, attempts) in the period, as a subquery."""
        if dates is None:
            return (
                select(member_totals.c.member_id, member_totals.c.points, member_totals.c.attempts)
                .where(member_totals.c.guild_id == guild_id)
                .subquery("t")
            )
        return (
            select(
                daily_points.c.member_id.label("member_id"),
                func.sum(daily_points.c.points).label("points"),
                func.sum(daily_points.c.attempts).label("attempts"),
            )
            .where(
                daily_points.c.guild_id == guild_id,
                daily_points.c.local_date.between(dates.start, dates.end),
            )
            .group_by(daily_points.c.member_id)
            .subquery("t")
        )

    def _totals(self, guild_id: int, dates: DateRange | None) -> Select[Any]:
        """Per-member totals in the period, opted-out members excluded."""
        sub = self._per_member(guild_id, dates)
        opted_out = exists().where(
            member_settings.c.guild_id == guild_id,
            member_settings.c.member_id == sub.c.member_id,
            member_settings.c.leaderboard_opt_out == true(),
        )
        # Filtering after the GROUP BY checks each member once, not each of their days.
        return select(sub.c.member_id, sub.c.points, sub.c.attempts).where(~opted_out)

    async def member_board(
        self, guild_id: int, dates: DateRange | None, offset: int, limit: int
    ) -> tuple[list[MemberTotal], int]:
        """A page of ranked member totals and the number of ranked members."""
        totals = self._totals(guild_id, dates).subquery("ranked")
        query = (
            select(
                totals.c.member_id,
                totals.c.points,
                totals.c.attempts,
                func.count().over().label("total"),
            )
            .order_by(totals.c.points.desc(), totals.c.attempts.asc(), totals.c.member_id.asc())
            .offset(offset)
            .limit(limit)
        )
        async with self._read() as conn:
            rows = (await conn.execute(query)).all()
            if rows:
                count = int(rows[0].total)
            elif offset == 0:
                count = 0
            else:
                count = int(
                    (await conn.execute(select(func.count()).select_from(totals))).scalar_one()
                )
        return [MemberTotal(int(r.member_id), int(r.points), int(r.attempts)) for r in rows], count

    async def member_total(
        self, guild_id: int, member_id: int, dates: DateRange | None
    ) -> MemberTotal | None:
        """The member's total in ``dates`` (None if absent or opted out)."""
        sub = self._per_member(guild_id, dates)
        async with self._read() as conn:
            opted = (
                await conn.execute(
                    select(member_settings.c.leaderboard_opt_out).where(
                        member_settings.c.guild_id == guild_id,
                        member_settings.c.member_id == member_id,
                    )
                )
            ).scalar()
            if opted:
                return None
            row = (
                await conn.execute(
                    select(sub.c.points, sub.c.attempts).where(sub.c.member_id == member_id)
                )
            ).first()
        if row is None:
            return None
        return MemberTotal(member_id, int(row[0]), int(row[1]))

    async def rank_of(self, guild_id: int, total: MemberTotal, dates: DateRange | None) -> int:
        """The rank ``total`` has (or would have) among the other ranked members."""
        t = self._totals(guild_id, dates).subquery("others")
        ahead = or_(
            t.c.points > total.points,
            and_(
                t.c.points == total.points,
                or_(
                    t.c.attempts < total.attempts,
                    and_(t.c.attempts == total.attempts, t.c.member_id < total.member_id),
                ),
            ),
        )
        async with self._read() as conn:
            count = (
                await conn.execute(
                    select(func.count()).where(t.c.member_id != total.member_id, ahead)
                )
            ).scalar_one()
        return int(count) + 1

    async def group_totals(self, guild_id: int, dates: DateRange | None) -> list[GroupTotal]:
        """Every group of the server with its current members' points in ``dates``."""
        per_member = self._per_member(guild_id, dates)
        query = (
            select(
                study_groups.c.id,
                study_groups.c.name,
                func.count(group_members.c.member_id).label("members"),
                func.count(per_member.c.member_id).label("active"),
                func.coalesce(func.sum(per_member.c.points), 0).label("points"),
            )
            .select_from(
                study_groups.outerjoin(
                    group_members, group_members.c.group_id == study_groups.c.id
                ).outerjoin(per_member, per_member.c.member_id == group_members.c.member_id)
            )
            .where(study_groups.c.guild_id == guild_id)
            .group_by(study_groups.c.id, study_groups.c.name)
        )
        async with self._read() as conn:
            rows = (await conn.execute(query)).all()
        return [
            GroupTotal(int(r.id), r.name, int(r.members), int(r.active), int(r.points))
            for r in rows
        ]

    # -- groups -------------------------------------------------------------------------------

    async def create_group(
        self, guild_id: int, name: str, key: str, creator_id: int, at: datetime
    ) -> Group:
        """Create a group with its creator as first member."""
        async with self._write() as conn:
            try:
                async with conn.begin_nested():
                    group_id = (
                        await conn.execute(
                            insert(study_groups)
                            .values(
                                guild_id=guild_id,
                                name=name,
                                name_key=key,
                                created_by=creator_id,
                                created_at=at,
                            )
                            .returning(study_groups.c.id)
                        )
                    ).scalar_one()
            except IntegrityError as exc:
                raise GroupNameTakenError(name=name) from exc
            try:
                async with conn.begin_nested():
                    await conn.execute(
                        insert(group_members).values(
                            guild_id=guild_id, member_id=creator_id, group_id=group_id, joined_at=at
                        )
                    )
            except IntegrityError as exc:
                raise AlreadyInGroupError() from exc
        return Group(int(group_id), guild_id, name, creator_id, at, members=1)

    async def find_group(self, guild_id: int, key: str) -> Group | None:
        """The group whose name key is ``key``."""
        return await self._one_group(
            study_groups.c.guild_id == guild_id, study_groups.c.name_key == key
        )

    async def member_group(self, guild_id: int, member_id: int) -> Group | None:
        """The member's group in the server."""
        mine = select(group_members.c.group_id).where(
            group_members.c.guild_id == guild_id, group_members.c.member_id == member_id
        )
        return await self._one_group(
            study_groups.c.guild_id == guild_id, study_groups.c.id.in_(mine.scalar_subquery())
        )

    def _groups_query(self, *where: ColumnElement[bool]) -> Select[Any]:
        return (
            select(study_groups, func.count(group_members.c.member_id).label("members"))
            .select_from(
                study_groups.outerjoin(group_members, group_members.c.group_id == study_groups.c.id)
            )
            .where(*where)
            .group_by(*study_groups.c)
            .order_by(study_groups.c.name_key)
        )

    async def _one_group(self, *where: ColumnElement[bool]) -> Group | None:
        async with self._read() as conn:
            row = (await conn.execute(self._groups_query(*where))).first()
        return _group(row._mapping) if row is not None else None

    async def join_group(self, guild_id: int, group_id: int, member_id: int, at: datetime) -> None:
        """Add the member to the group."""
        async with self._write() as conn:
            found = (
                await conn.execute(
                    select(study_groups.c.id).where(
                        study_groups.c.id == group_id, study_groups.c.guild_id == guild_id
                    )
                )
            ).first()
            if found is None:
                raise GroupNotFoundError(group_id=group_id)
            try:
                async with conn.begin_nested():
                    await conn.execute(
                        insert(group_members).values(
                            guild_id=guild_id, member_id=member_id, group_id=group_id, joined_at=at
                        )
                    )
            except IntegrityError as exc:
                raise AlreadyInGroupError() from exc

    async def leave_group(self, guild_id: int, member_id: int) -> Group | None:
        """Remove the member from their group; return it."""
        group = await self.member_group(guild_id, member_id)
        if group is None:
            return None
        async with self._write() as conn:
            await conn.execute(
                delete(group_members).where(
                    group_members.c.guild_id == guild_id, group_members.c.member_id == member_id
                )
            )
        return group

    async def list_groups(self, guild_id: int) -> list[Group]:
        """The server's groups with member counts, by name key."""
        async with self._read() as conn:
            rows = await conn.execute(self._groups_query(study_groups.c.guild_id == guild_id))
            return [_group(r._mapping) for r in rows]

    async def rename_group(self, guild_id: int, group_id: int, name: str, key: str) -> None:
        """Rename a group."""
        try:
            async with self._write() as conn:
                await conn.execute(
                    update(study_groups)
                    .where(study_groups.c.id == group_id, study_groups.c.guild_id == guild_id)
                    .values(name=name, name_key=key)
                )
        except IntegrityError as exc:
            raise GroupNameTakenError(name=name) from exc

    async def delete_group(self, guild_id: int, group_id: int) -> None:
        """Delete a group and its memberships."""
        async with self._write() as conn:
            await conn.execute(delete(group_members).where(group_members.c.group_id == group_id))
            await conn.execute(
                delete(study_groups).where(
                    study_groups.c.id == group_id, study_groups.c.guild_id == guild_id
                )
            )

    # -- settings -----------------------------------------------------------------------------

    async def get_guild_overrides(self, guild_id: int) -> dict[str, Any]:
        """The server's stored setting overrides."""
        async with self._read() as conn:
            raw = (
                await conn.execute(
                    select(guild_settings.c.overrides).where(guild_settings.c.guild_id == guild_id)
                )
            ).scalar()
        data = json.loads(raw) if raw else {}
        return dict(data) if isinstance(data, dict) else {}

    async def save_guild_overrides(
        self, guild_id: int, overrides: Mapping[str, Any], at: datetime
    ) -> None:
        """Replace the server's stored overrides."""
        async with self._write() as conn:
            await self._upsert(
                conn,
                guild_settings,
                {"guild_id": guild_id, "overrides": json.dumps(dict(overrides)), "updated_at": at},
                ["guild_id"],
            )

    async def configured_guilds(self) -> list[int]:
        """Servers with stored settings."""
        async with self._read() as conn:
            rows = await conn.execute(select(guild_settings.c.guild_id).order_by("guild_id"))
            return [int(r[0]) for r in rows]

    async def get_member_settings(self, guild_id: int, member_id: int) -> MemberSettings:
        """The member's settings (defaults when none stored)."""
        async with self._read() as conn:
            opted = (
                await conn.execute(
                    select(member_settings.c.leaderboard_opt_out).where(
                        member_settings.c.guild_id == guild_id,
                        member_settings.c.member_id == member_id,
                    )
                )
            ).scalar()
        return MemberSettings(leaderboard_opt_out=bool(opted))

    async def save_member_settings(
        self, guild_id: int, member_id: int, settings: MemberSettings
    ) -> None:
        """Store the member's settings."""
        async with self._write() as conn:
            await self._upsert(
                conn,
                member_settings,
                {
                    "guild_id": guild_id,
                    "member_id": member_id,
                    "leaderboard_opt_out": settings.leaderboard_opt_out,
                },
                ["guild_id", "member_id"],
            )

    # -- daily questions ----------------------------------------------------------------------

    async def get_daily(self, guild_id: int, day: date) -> DailyRecord | None:
        """The daily of local ``day``, if chosen."""
        async with self._read() as conn:
            row = (
                await conn.execute(
                    select(daily_questions).where(
                        daily_questions.c.guild_id == guild_id,
                        daily_questions.c.local_date == day,
                    )
                )
            ).first()
        return _daily(row._mapping) if row is not None else None

    async def create_daily(self, record: DailyRecord) -> DailyRecord:
        """Store the daily unless one exists for that day; return the stored one."""
        async with self._write() as conn:
            await conn.execute(
                self._insert(daily_questions)
                .values(
                    guild_id=record.guild_id,
                    local_date=record.local_date,
                    question_id=record.question_id,
                    opens_at=record.opens_at,
                    closes_at=record.closes_at,
                    closed_at=record.closed_at,
                )
                .on_conflict_do_nothing(index_elements=["guild_id", "local_date"])
            )
        stored = await self.get_daily(record.guild_id, record.local_date)
        if stored is None:  # pragma: no cover - written just above
            raise RuntimeError("daily question vanished right after it was stored")
        return stored

    async def recent_dailies(self, guild_id: int, since: date) -> list[DailyRecord]:
        """Dailies of local dates ``>= since``."""
        async with self._read() as conn:
            rows = await conn.execute(
                select(daily_questions)
                .where(
                    daily_questions.c.guild_id == guild_id, daily_questions.c.local_date >= since
                )
                .order_by(daily_questions.c.local_date)
            )
            return [_daily(r._mapping) for r in rows]

    async def close_daily(self, guild_id: int, day: date, at: datetime) -> bool:
        """Mark the daily closed and delete its answer texts; True only for the closing call."""
        async with self._write() as conn:
            result = await conn.execute(
                update(daily_questions)
                .where(
                    daily_questions.c.guild_id == guild_id,
                    daily_questions.c.local_date == day,
                    daily_questions.c.closed_at.is_(None),
                )
                .values(closed_at=at)
            )
            await conn.execute(
                delete(daily_answers).where(
                    daily_answers.c.guild_id == guild_id, daily_answers.c.local_date == day
                )
            )
            return bool(result.rowcount == 1)

    async def daily_answers(self, guild_id: int, day: date) -> list[tuple[int, str]]:
        """``(member id, text)`` of the answers at the open daily of ``day``, oldest first."""
        async with self._read() as conn:
            rows = await conn.execute(
                select(daily_answers.c.member_id, daily_answers.c.answer)
                .where(daily_answers.c.guild_id == guild_id, daily_answers.c.local_date == day)
                .order_by(daily_answers.c.attempt_id)
            )
            return [(int(member), str(text)) for member, text in rows]

    # -- privacy ------------------------------------------------------------------------------

    async def forget_member(self, guild_id: int, member_id: int) -> dict[str, int]:
        """Delete everything about the member in the server in one transaction."""
        report: dict[str, int] = {}
        async with self._write() as conn:
            for name, table in (
                ("attempts", attempts),
                ("daily_answers", daily_answers),
                ("days", daily_points),
                ("totals", member_totals),
                ("streaks", streaks),
                ("reviews", review_items),
                ("states", question_states),
                ("memberships", group_members),
                ("settings", member_settings),
            ):
                result = await conn.execute(
                    delete(table).where(
                        table.c.guild_id == guild_id, table.c.member_id == member_id
                    )
                )
                report[name] = int(result.rowcount)
            result = await conn.execute(
                update(study_groups)
                .where(study_groups.c.guild_id == guild_id, study_groups.c.created_by == member_id)
                .values(created_by=None)
            )
            report["groups_orphaned"] = int(result.rowcount)
        return report

    # -- server questions ---------------------------------------------------------------------

    async def add_question(self, question: Question, at: datetime) -> None:
        """Add or replace a server question (``question.guild_id`` must be set)."""
        if question.guild_id is None:
            raise ValueError("a server question needs its guild_id")
        async with self._write() as conn:
            await self._upsert(
                conn,
                guild_questions,
                {
                    "guild_id": question.guild_id,
                    "question_id": question.id,
                    "topic": question.topic,
                    "difficulty": str(question.difficulty),
                    "data": json.dumps(question_to_dict(question)),
                    "created_at": at,
                },
                ["guild_id", "question_id"],
            )

    async def remove_question(self, guild_id: int, question_id: str) -> bool:
        """Remove a server question; True if it existed."""
        async with self._write() as conn:
            result = await conn.execute(
                delete(guild_questions).where(
                    guild_questions.c.guild_id == guild_id,
                    guild_questions.c.question_id == question_id,
                )
            )
            return bool(result.rowcount)

    async def list_questions(self, guild_id: int) -> list[Question]:
        """The server's own questions, by id."""
        async with self._read() as conn:
            rows = await conn.execute(
                select(guild_questions.c.data)
                .where(guild_questions.c.guild_id == guild_id)
                .order_by(guild_questions.c.question_id)
            )
            return [question_from_dict(json.loads(r[0])) for r in rows]

    async def questions(self, guild_id: int) -> list[Question]:
        """``QuestionCatalog``: the server's own questions."""
        return await self.list_questions(guild_id)

    async def get(self, guild_id: int, question_id: str) -> Question | None:
        """``QuestionCatalog``: one of the server's own questions."""
        async with self._read() as conn:
            raw = (
                await conn.execute(
                    select(guild_questions.c.data).where(
                        guild_questions.c.guild_id == guild_id,
                        guild_questions.c.question_id == question_id,
                    )
                )
            ).scalar()
        return question_from_dict(json.loads(raw)) if raw else None

    # -- daily posts (migration 0003) ---------------------------------------------------------

    def _post_key(self, guild_id: int, day: date) -> ColumnElement[bool]:
        return and_(daily_posts.c.guild_id == guild_id, daily_posts.c.local_date == day)

    async def claim_daily_post(
        self,
        guild_id: int,
        day: date,
        question_id: str,
        token: str,
        at: datetime,
        stale_before: datetime,
    ) -> ClaimOutcome:
        """Claim the right to post the daily of ``day`` (see ``DailyPostStore``)."""
        key = self._post_key(guild_id, day)
        async with self._write() as conn:
            inserted = await conn.execute(
                self._insert(daily_posts)
                .values(
                    guild_id=guild_id,
                    local_date=day,
                    question_id=question_id,
                    claim_token=token,
                    claimed_at=at,
                )
                .on_conflict_do_nothing(index_elements=["guild_id", "local_date"])
            )
            if inserted.rowcount == 1:
                return ClaimOutcome.NEW
            row = (await conn.execute(select(daily_posts).where(key))).first()
            if row is None:  # pragma: no cover - the conflicting row cannot vanish mid-transaction
                return ClaimOutcome.HELD
            post = _daily_post(row._mapping)
            if post.posted:
                return ClaimOutcome.DONE
            if post.claimed_at >= stale_before:
                return ClaimOutcome.HELD
            # Compare-and-set on the stale token: of two runs taking over, one wins.
            taken = await conn.execute(
                update(daily_posts)
                .where(
                    key,
                    daily_posts.c.claim_token == post.claim_token,
                    daily_posts.c.posted_at.is_(None),
                )
                .values(claim_token=token, claimed_at=at)
            )
            return ClaimOutcome.TAKEN_OVER if taken.rowcount == 1 else ClaimOutcome.HELD

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
        """Record the post; False if ``token`` no longer holds the claim."""
        async with self._write() as conn:
            result = await conn.execute(
                update(daily_posts)
                .where(
                    self._post_key(guild_id, day),
                    daily_posts.c.claim_token == token,
                    daily_posts.c.posted_at.is_(None),
                )
                .values(
                    channel_id=channel_id, message_id=message_id, thread_id=thread_id, posted_at=at
                )
            )
            return bool(result.rowcount == 1)

    async def release_daily_post(self, guild_id: int, day: date, token: str) -> bool:
        """Drop an unfinished claim held by ``token``."""
        async with self._write() as conn:
            result = await conn.execute(
                delete(daily_posts).where(
                    self._post_key(guild_id, day),
                    daily_posts.c.claim_token == token,
                    daily_posts.c.posted_at.is_(None),
                )
            )
            return bool(result.rowcount == 1)

    async def get_daily_post(self, guild_id: int, day: date) -> DailyPost | None:
        """The post record of ``day``, claimed or finished."""
        async with self._read() as conn:
            row = (
                await conn.execute(select(daily_posts).where(self._post_key(guild_id, day)))
            ).first()
        return _daily_post(row._mapping) if row is not None else None

    async def claim_daily_recap(
        self, guild_id: int, day: date, token: str, at: datetime, stale_before: datetime
    ) -> ClaimOutcome:
        """Claim the right to post the recap of a posted daily."""
        key = self._post_key(guild_id, day)
        async with self._write() as conn:
            row = (await conn.execute(select(daily_posts).where(key))).first()
            if row is None:
                return ClaimOutcome.DONE
            post = _daily_post(row._mapping)
            if not post.posted or post.recapped:
                return ClaimOutcome.DONE
            if post.recap_claimed_at is not None and post.recap_claimed_at >= stale_before:
                return ClaimOutcome.HELD
            previous = (
                daily_posts.c.recap_token.is_(None)
                if post.recap_token is None
                else daily_posts.c.recap_token == post.recap_token
            )
            taken = await conn.execute(
                update(daily_posts)
                .where(key, previous, daily_posts.c.recap_posted_at.is_(None))
                .values(recap_token=token, recap_claimed_at=at)
            )
            if taken.rowcount != 1:
                return ClaimOutcome.HELD
            return ClaimOutcome.NEW if post.recap_token is None else ClaimOutcome.TAKEN_OVER

    async def finish_daily_recap(
        self, guild_id: int, day: date, token: str, *, message_id: int | None, at: datetime
    ) -> bool:
        """Record the recap; False if ``token`` no longer holds the claim."""
        async with self._write() as conn:
            result = await conn.execute(
                update(daily_posts)
                .where(
                    self._post_key(guild_id, day),
                    daily_posts.c.recap_token == token,
                    daily_posts.c.recap_posted_at.is_(None),
                )
                .values(recap_message_id=message_id, recap_posted_at=at)
            )
            return bool(result.rowcount == 1)

    async def release_daily_recap(self, guild_id: int, day: date, token: str) -> bool:
        """Drop an unfinished recap claim held by ``token``."""
        async with self._write() as conn:
            result = await conn.execute(
                update(daily_posts)
                .where(
                    self._post_key(guild_id, day),
                    daily_posts.c.recap_token == token,
                    daily_posts.c.recap_posted_at.is_(None),
                )
                .values(recap_token=None, recap_claimed_at=None)
            )
            return bool(result.rowcount == 1)

    async def owed_daily_recaps(self) -> list[DailyPost]:
        """Posted dailies of every server whose recap is not recorded yet, oldest first."""
        async with self._read() as conn:
            rows = await conn.execute(
                select(daily_posts)
                .where(
                    daily_posts.c.recap_posted_at.is_(None), daily_posts.c.posted_at.is_not(None)
                )
                .order_by(daily_posts.c.local_date, daily_posts.c.guild_id)
            )
            return [_daily_post(r._mapping) for r in rows]


async def open_store(url: str, *, schema: str | None = None, migrate_now: bool = True) -> SqlStore:
    """Create the engine for ``url``, apply pending migrations, return the store.

    Args:
        url: Database URL (``Settings.resolved_database_url``).
        schema: PostgreSQL schema to use (must exist); None for the default.
        migrate_now: Apply migrations (the bot always does; tools may skip).
    """
    engine = create_engine(url, schema=schema)
    if migrate_now:
        await migrate(engine)
    return SqlStore(engine)


def _utc(value: Any) -> datetime:
    if isinstance(value, str):  # pragma: no cover - func.max keeps the column type
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):  # pragma: no cover - max() over rows is never NULL
        raise TypeError(f"expected a datetime, got {value!r}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _attempt(m: RowMapping) -> StoredAttempt:
    return StoredAttempt(
        id=int(m["id"]),
        record=AttemptRecord(
            guild_id=int(m["guild_id"]),
            member_id=int(m["member_id"]),
            question_id=m["question_id"],
            topic=m["topic"],
            mode=AttemptMode(m["mode"]),
            idempotency_key=m["idempotency_key"],
            created_at=m["created_at"],
            local_date=m["local_date"],
            daily_date=m["daily_date"],
            scored=bool(m["scored"]),
            fraction=float(m["fraction"]),
            points=int(m["points"]),
            genuine=bool(m["genuine"]),
            outcome=json.loads(m["outcome"]),
        ),
    )


def _review(m: RowMapping) -> ReviewItem:
    return ReviewItem(
        question_id=m["question_id"],
        due=m["due"],
        interval_days=int(m["interval_days"]),
        repetitions=int(m["repetitions"]),
        ease=float(m["ease"]),
        last_fraction=float(m["last_fraction"]),
    )


def _group(m: RowMapping) -> Group:
    return Group(
        id=int(m["id"]),
        guild_id=int(m["guild_id"]),
        name=m["name"],
        created_by=int(m["created_by"]) if m["created_by"] is not None else None,
        created_at=m["created_at"],
        members=int(m["members"]),
    )


def _daily(m: RowMapping) -> DailyRecord:
    return DailyRecord(
        guild_id=int(m["guild_id"]),
        local_date=m["local_date"],
        question_id=m["question_id"],
        opens_at=m["opens_at"],
        closes_at=m["closes_at"],
        closed_at=m["closed_at"],
    )


def _daily_post(m: RowMapping) -> DailyPost:
    def _int(name: str) -> int | None:
        return int(m[name]) if m[name] is not None else None

    return DailyPost(
        guild_id=int(m["guild_id"]),
        local_date=m["local_date"],
        question_id=m["question_id"],
        claim_token=m["claim_token"],
        claimed_at=m["claimed_at"],
        channel_id=_int("channel_id"),
        message_id=_int("message_id"),
        thread_id=_int("thread_id"),
        posted_at=m["posted_at"],
        recap_token=m["recap_token"],
        recap_claimed_at=m["recap_claimed_at"],
        recap_message_id=_int("recap_message_id"),
        recap_posted_at=m["recap_posted_at"],
    )


__all__ = ["SqlStore", "open_store"]
