"""SQLAlchemy Core tables mirroring the migrated schema (used to build queries).

The DDL lives in the numbered migrations; these definitions only describe it to SQLAlchemy,
and a contract test checks both agree column for column.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both backends.

    PostgreSQL stores ``timestamptz``; SQLite stores UTC as sortable ISO text. Either way the
    domain only ever receives aware UTC datetimes, and a naive one is refused on the way in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Normalise to UTC (SQLite: naive UTC, since it stores no offset)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Always hand back aware UTC."""
        if value is None:
            return None
        if not isinstance(value, datetime):  # pragma: no cover - drivers return datetimes
            value = datetime.fromisoformat(str(value))
        result: datetime = value
        return result.replace(tzinfo=UTC) if result.tzinfo is None else result.astimezone(UTC)


metadata = MetaData()

guild_settings = Table(
    "guild_settings",
    metadata,
    Column("guild_id", BigInteger, primary_key=True, autoincrement=False),
    Column("overrides", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

member_settings = Table(
    "member_settings",
    metadata,
    Column("guild_id", BigInteger, primary_key=True, autoincrement=False),
    Column("member_id", BigInteger, primary_key=True, autoincrement=False),
    Column("leaderboard_opt_out", Boolean, nullable=False),
)

attempts = Table(
    "attempts",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("guild_id", BigInteger, nullable=False),
    Column("member_id", BigInteger, nullable=False),
    Column("question_id", Text, nullable=False),
    Column("topic", Text, nullable=False),
    Column("mode", Text, nullable=False),
    Column("idempotency_key", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("local_date", Date, nullable=False),
    Column("daily_date", Date),
    Column("scored", Boolean, nullable=False),
    Column("fraction", Float, nullable=False),
    Column("points", Integer, nullable=False),
    Column("genuine", Boolean, nullable=False),
    Column("outcome", Text, nullable=False),
)

daily_points = Table(
    "daily_points",
    metadata,
    Column("guild_id", BigInteger, primary_key=True, autoincrement=False),
    Column("local_date", Date, primary_key=True),
    Column("member_id", BigInteger, primary_key=True, autoincrement=False),
    Column("points", Integer, nullable=False),
    Column("attempts", Integer, nullable=False),
)

member_totals = Table(
    "member_totals",
    metadata,
    Column("guild_id", BigInteger, primary_key=True, autoincrement=False),
    Column("member_id", BigInteger, primary_key=True, autoincrement=False),
    Column("points", Integer, nullable=False),
    Column("attempts", Integer, nullable=False),
)

streaks = Table(
    "streaks",
    metadata,
    Column("guild_id", BigInteger, primary_key=True, autoincrement=False),
    Column("member_id", BigInteger, primary_key=True, autoincrement=False),
    Column("current_days", Integer, nullable=False),
    Column("best_days", Integer, nullable=False),
    Column("last_day", Date),
)

review_items = Table(
    "review_items",
    metadata,
    Column("guild_id", BigInteger, primary_key=True, autoincrement=False),
    Column("member_id", BigInteger, primary_key=True, autoincrement=False),
    Column("question_id", Text, primary_key=True),
    Column("due", Date, nullable=False),
    Column("interval_days", Integer, nullable=False),
    Column("repetitions", Integer, nullable=False),
    Column("ease", Float, nullable=False),
    Column("last_fraction", Float, nullable=False),
)

question_states = Table(
    "question_states",
    metadata,
    Column("guild_id", BigInteger, primary_key=True, autoincrement=False),
    Column("member_id", BigInteger, primary_key=True, autoincrement=False),
    Column("question_id", Text, primary_key=True),
    Column("asked_at", UTCDateTime, nullable=False),
    Column("hints_used", Integer, nullable=False),
    Column("revealed", Boolean, nullable=False),
)

study_groups = Table(
    "study_groups",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("guild_id", BigInteger, nullable=False),
    Column("name", Text, nullable=False),
    Column("name_key", Text, nullable=False),
    Column("created_by", BigInteger),
    Column("created_at", UTCDateTime, nullable=False),
)

group_members = Table(
    "group_members",
    metadata,
    Column("guild_id", BigInteger, primary_key=True, autoincrement=False),
    Column("member_id", BigInteger, primary_key=True, autoincrement=False),
    Column("group_id", BigInteger, ForeignKey("study_groups.id"), nullable=False),
    Column("joined_at", UTCDateTime, nullable=False),
)

daily_questions = Table(
    "daily_questions",
    metadata,
    Column("guild_id", BigInteger, primary_key=True, autoincrement=False),
    Column("local_date", Date, primary_key=True),
    Column("question_id", Text, nullable=False),
    Column("opens_at", UTCDateTime, nullable=False),
    Column("closes_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime),
)

daily_answers = Table(
    "daily_answers",
    metadata,
    Column("guild_id", BigInteger, primary_key=True, autoincrement=False),
    Column("local_date", Date, primary_key=True),
    Column("attempt_id", BigInteger, primary_key=True, autoincrement=False),
    Column("member_id", BigInteger, nullable=False),
    Column("answer", Text, nullable=False),
)

guild_questions = Table(
    "guild_questions",
    metadata,
    Column("guild_id", BigInteger, primary_key=True, autoincrement=False),
    Column("question_id", Text, primary_key=True),
    Column("topic", Text, nullable=False),
    Column("difficulty", Text, nullable=False),
    Column("data", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
