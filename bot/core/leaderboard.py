"""Leaderboard ranking: members and study groups, with deterministic tie-breaks.

Members rank by points, then by fewer attempts (the same points earned more efficiently rank
higher), then by member id, so two servers computing the same board always agree. Groups rank
by points per ACTIVE member (a member who answered in the period), so a group of three keen
people can beat a group of thirty; ties go to more total points, then to the older group. The
SQL store orders members the same way in the database (for speed); the contract tests check
it against ``rank_members``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from bot.core.schedule import DateRange, Period

DEFAULT_PAGE_SIZE = 10


class Scope(StrEnum):
    """What a board ranks."""

    MEMBERS = "members"
    GROUPS = "groups"


@dataclass(frozen=True, slots=True)
class MemberTotal:
    """A member's points in a period (opted-out members never appear)."""

    member_id: int
    points: int
    attempts: int


@dataclass(frozen=True, slots=True)
class GroupTotal:
    """A group's points in a period.

    Attributes:
        group_id: The group.
        name: Its display name.
        members: Current members.
        active_members: Current members with at least one attempt in the period.
        points: Points those members earned in the period.
    """

    group_id: int
    name: str
    members: int
    active_members: int
    points: int


@dataclass(frozen=True, slots=True)
class StandingRow:
    """One line of a board.

    Attributes:
        rank: 1-based position (unique: ties are broken).
        subject_id: Member id or group id.
        points: Points in the period.
        attempts: Attempts in the period (members).
        name: Group name (groups).
        members: Group size (groups).
        active_members: Members who answered in the period (groups).
        per_member: Points per active member (groups; equals ``points`` for members).
    """

    rank: int
    subject_id: int
    points: int
    attempts: int = 0
    name: str | None = None
    members: int = 0
    active_members: int = 0
    per_member: float = 0.0


@dataclass(frozen=True, slots=True)
class Standings:
    """A page of a board, plus where the viewer stands."""

    period: Period
    scope: Scope
    dates: DateRange | None
    page: int
    pages: int
    total: int
    rows: tuple[StandingRow, ...]
    viewer: StandingRow | None = None


def member_key(total: MemberTotal) -> tuple[int, int, int]:
    """Sort key of the member order: points desc, attempts asc, id asc."""
    return (-total.points, total.attempts, total.member_id)


def rank_members(totals: Iterable[MemberTotal]) -> list[StandingRow]:
    """Rank members; the result does not depend on the input order."""
    ordered = sorted(totals, key=member_key)
    return [
        StandingRow(
            rank=i + 1,
            subject_id=t.member_id,
            points=t.points,
            attempts=t.attempts,
            per_member=float(t.points),
        )
        for i, t in enumerate(ordered)
    ]


def per_active_member(total: GroupTotal) -> Fraction:
    """Exact points per active member (0 for a group nobody in which answered)."""
    return Fraction(total.points, total.active_members) if total.active_members else Fraction(0)


def group_key(total: GroupTotal) -> tuple[Fraction, int, int]:
    """Sort key of the group order: per active member desc, points desc, id asc."""
    return (-per_active_member(total), -total.points, total.group_id)


def rank_groups(totals: Iterable[GroupTotal]) -> list[StandingRow]:
    """Rank groups by points per active member; the result does not depend on input order."""
    ordered = sorted(totals, key=group_key)
    return [
        StandingRow(
            rank=i + 1,
            subject_id=g.group_id,
            points=g.points,
            name=g.name,
            members=g.members,
            active_members=g.active_members,
            per_member=float(per_active_member(g)),
        )
        for i, g in enumerate(ordered)
    ]


def page_count(total: int, page_size: int) -> int:
    """Number of pages for ``total`` rows (at least 1)."""
    return max(1, -(-total // page_size))


def paginate(rows: Sequence[StandingRow], page: int, page_size: int) -> tuple[StandingRow, ...]:
    """Rows of 1-based ``page``."""
    start = (page - 1) * page_size
    return tuple(rows[start : start + page_size])
