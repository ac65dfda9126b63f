"""Per-server and per-member settings, with every default declared in one place.

The store keeps only what an admin changed (``to_overrides``), so a new default reaches every
server that never touched that knob, and a stored value that no longer parses falls back to
its default instead of taking the server down.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import time, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from bot.core.errors import InvalidSettingError
from bot.core.models import Difficulty
from bot.core.ratelimit import RateLimit
from bot.core.schedule import Period, zone

log = logging.getLogger(__name__)

DEFAULT_MULTIPLIERS: Mapping[Difficulty, float] = MappingProxyType(
    {Difficulty.EASY: 1.0, Difficulty.MEDIUM: 1.25, Difficulty.HARD: 1.5}
)


def _doc(text: str) -> dict[str, str]:
    return {"doc": text}


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """One server's settings. Every field has a declared default (see ``field`` docs)."""

    daily_channel_id: int | None = field(
        default=None, metadata=_doc("Channel the daily question is posted in (None: no daily).")
    )
    daily_time: time = field(
        default=time(9, 0), metadata=_doc("Local wall-clock time the daily question is posted.")
    )
    timezone: str = field(
        default="UTC", metadata=_doc("IANA timezone of the server's calendar (days, periods).")
    )
    topics: tuple[str, ...] = field(
        default=(), metadata=_doc("Topics the daily draws from (empty: every topic).")
    )
    difficulty: Difficulty | None = field(
        default=None, metadata=_doc("Difficulty of the daily (None: any).")
    )
    window_hours: int = field(
        default=24, metadata=_doc("How long the daily stays open for scored answers (1-168 h).")
    )
    daily_no_repeat_days: int = field(
        default=60, metadata=_doc("A question is not reused as the daily within this many days.")
    )
    recent_days: int = field(
        default=7, metadata=_doc("Practice avoids questions the member saw in this many days.")
    )
    daily_points: int = field(
        default=100, metadata=_doc("Points for a perfect daily answer at easy difficulty.")
    )
    practice_points: int = field(
        default=40, metadata=_doc("Points for a perfect practice answer at easy difficulty.")
    )
    review_points: int = field(
        default=40, metadata=_doc("Points for a perfect answer to a due review question.")
    )
    hint_cost: int = field(default=10, metadata=_doc("Points each hint costs (never below 0)."))
    difficulty_multipliers: Mapping[Difficulty, float] = field(
        default_factory=lambda: DEFAULT_MULTIPLIERS,
        metadata=_doc("Point multiplier per difficulty."),
    )
    week_start: int = field(
        default=0, metadata=_doc("First day of the leaderboard week: 0 Monday ... 6 Sunday.")
    )
    streak_grace_days: int = field(
        default=1, metadata=_doc("Missed days in a row that do not break a streak.")
    )
    review_threshold: float = field(
        default=0.6, metadata=_doc("Answers scoring below this fraction enter the review queue.")
    )
    rank_period: Period = field(
        default=Period.WEEK, metadata=_doc("Board whose rank change is shown after an answer.")
    )
    answer_limit: int = field(
        default=5,
        metadata=_doc("Graded answers a member may send per answer window (0: no limit)."),
    )
    answer_window_seconds: int = field(
        default=60, metadata=_doc("Length of the answer rate-limit window, in seconds.")
    )

    def __post_init__(self) -> None:
        """Validate the whole object; raises ``InvalidSettingError`` naming the bad field."""
        zone(self.timezone)
        _check(1 <= self.window_hours <= 168, "window_hours", self.window_hours)
        _check(self.daily_no_repeat_days >= 0, "daily_no_repeat_days", self.daily_no_repeat_days)
        _check(self.recent_days >= 0, "recent_days", self.recent_days)
        for name in ("daily_points", "practice_points", "review_points", "hint_cost"):
            _check(getattr(self, name) >= 0, name, getattr(self, name))
        _check(0 <= self.week_start <= 6, "week_start", self.week_start)
        _check(0 <= self.streak_grace_days <= 7, "streak_grace_days", self.streak_grace_days)
        _check(0.0 < self.review_threshold <= 1.0, "review_threshold", self.review_threshold)
        _check(0 <= self.answer_limit <= 1000, "answer_limit", self.answer_limit)
        _check(
            1 <= self.answer_window_seconds <= 86400,
            "answer_window_seconds",
            self.answer_window_seconds,
        )
        multipliers = self.difficulty_multipliers
        _check(
            set(multipliers) == set(Difficulty) and all(v > 0 for v in multipliers.values()),
            "difficulty_multipliers",
            dict(multipliers),
        )
        # The promise "practice scores less than the daily" must hold for every pairing of
        # difficulties, or a hard practice question would out-earn an easy daily.
        # Compared after rounding, exactly as points are awarded (4 x 1.2 rounds up to 5).
        low, high = min(multipliers.values()), max(multipliers.values())
        daily_floor = math.floor(self.daily_points * low + 0.5)
        for name in ("practice_points", "review_points"):
            _check(
                getattr(self, name) == 0
                or math.floor(getattr(self, name) * high + 0.5) < daily_floor,
                name,
                getattr(self, name),
                reason="must stay below daily_points at every difficulty",
            )

    @property
    def answer_rate(self) -> RateLimit:
        """The per-member limit on graded answers (``answer_limit`` per window)."""
        return RateLimit(self.answer_limit, timedelta(seconds=self.answer_window_seconds))

    def multiplier(self, difficulty: Difficulty) -> float:
        """Point multiplier for a question of ``difficulty``."""
        return self.difficulty_multipliers[difficulty]

    def with_changes(self, **changes: Any) -> GuildSettings:
        """A copy with ``changes`` applied (values parsed like stored ones).

        Raises:
            InvalidSettingError: Unknown setting name or invalid value.
        """
        parsed: dict[str, Any] = {}
        for name, value in changes.items():
            if name not in _PARSERS:
                raise InvalidSettingError(f"unknown setting {name!r}", setting=name, value=value)
            parsed[name] = _parse(name, value)
        return replace(self, **parsed)

    def to_overrides(self) -> dict[str, Any]:
        """The JSON-ready values that differ from the defaults."""
        default = GuildSettings()
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value != getattr(default, f.name):
                out[f.name] = _dump(value)
        return out

    @classmethod
    def from_overrides(cls, overrides: Mapping[str, Any]) -> GuildSettings:
        """Rebuild settings from stored overrides; unknown or broken entries fall back."""
        settings = cls()
        for name, value in overrides.items():
            if name not in _PARSERS:
                log.warning("ignoring unknown stored guild setting %r", name)
                continue
            try:
                settings = settings.with_changes(**{name: value})
            except InvalidSettingError:
                log.warning("stored guild setting %r is invalid; using its default", name)
        return settings

    @staticmethod
    def describe() -> dict[str, tuple[Any, str]]:
        """Every setting with its default and description (for help screens and docs)."""
        default = GuildSettings()
        return {
            f.name: (_dump(getattr(default, f.name)), str(f.metadata.get("doc", "")))
            for f in fields(GuildSettings)
        }


@dataclass(frozen=True, slots=True)
class MemberSettings:
    """One member's settings in one server.

    Attributes:
        leaderboard_opt_out: Hide this member from every leaderboard and recap.
    """

    leaderboard_opt_out: bool = False


def _check(ok: bool, name: str, value: object, reason: str = "out of range") -> None:
    if not ok:
        raise InvalidSettingError(
            f"{name}={value!r}: {reason}", setting=name, value=value, reason=reason
        )


def _parse_time(value: Any) -> time:
    if isinstance(value, time):
        return value.replace(tzinfo=None, second=0, microsecond=0)
    hours, _, minutes = str(value).strip().partition(":")
    return time(int(hours), int(minutes or 0))


def _parse_topics(value: Any) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(sorted({str(t).strip() for t in items if str(t).strip()}))


def _parse_difficulty(value: Any) -> Difficulty | None:
    if value is None or value == "" or value == "any":
        return None
    return Difficulty(str(value).lower())


def _parse_multipliers(value: Any) -> Mapping[Difficulty, float]:
    merged = dict(DEFAULT_MULTIPLIERS)
    merged.update({Difficulty(str(k)): float(v) for k, v in dict(value).items()})
    return MappingProxyType(merged)


def _parse_optional_int(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


def _parse_bool_int(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError("expected a number")
    return int(value)


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "daily_channel_id": _parse_optional_int,
    "daily_time": _parse_time,
    "timezone": lambda v: str(zone(str(v)).key),
    "topics": _parse_topics,
    "difficulty": _parse_difficulty,
    "window_hours": _parse_bool_int,
    "daily_no_repeat_days": _parse_bool_int,
    "recent_days": _parse_bool_int,
    "daily_points": _parse_bool_int,
    "practice_points": _parse_bool_int,
    "review_points": _parse_bool_int,
    "hint_cost": _parse_bool_int,
    "difficulty_multipliers": _parse_multipliers,
    "week_start": _parse_bool_int,
    "streak_grace_days": _parse_bool_int,
    "review_threshold": float,
    "rank_period": lambda v: Period(str(v)),
    "answer_limit": _parse_bool_int,
    "answer_window_seconds": _parse_bool_int,
}


def _parse(name: str, value: Any) -> Any:
    try:
        return _PARSERS[name](value)
    except InvalidSettingError:
        raise
    except (TypeError, ValueError, KeyError) as exc:
        raise InvalidSettingError(f"{name}={value!r}: {exc}", setting=name, value=value) from exc


def _dump(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return str(value)
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    return value
