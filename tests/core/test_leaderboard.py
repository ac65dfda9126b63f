"""Ranking: deterministic tie-breaks; groups by points per active member."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from bot.core.leaderboard import (
    GroupTotal,
    MemberTotal,
    page_count,
    paginate,
    rank_groups,
    rank_members,
)

members = st.lists(
    st.builds(MemberTotal, st.integers(1, 10**18), st.integers(0, 500), st.integers(0, 50)),
    unique_by=lambda t: t.member_id,
    max_size=40,
)
groups = st.lists(
    st.builds(
        lambda gid, size, active, points: GroupTotal(
            gid, f"g{gid}", size, min(active, size), points if min(active, size) else 0
        ),
        st.integers(1, 10**6),
        st.integers(0, 30),
        st.integers(0, 30),
        st.integers(0, 3000),
    ),
    unique_by=lambda g: g.group_id,
    max_size=25,
)


@given(members, st.randoms())
def test_member_ranking_is_a_deterministic_total_order(totals, rnd) -> None:
    ranked = rank_members(totals)
    shuffled = list(totals)
    rnd.shuffle(shuffled)
    assert rank_members(shuffled) == ranked
    assert [r.rank for r in ranked] == list(range(1, len(totals) + 1))
    for a, b in itertools.pairwise(ranked):
        assert (a.points, -a.attempts, -a.subject_id) > (b.points, -b.attempts, -b.subject_id)


@given(groups, st.randoms())
def test_group_ranking_by_points_per_active_member(totals, rnd) -> None:
    ranked = rank_groups(totals)
    shuffled = list(totals)
    rnd.shuffle(shuffled)
    assert rank_groups(shuffled) == ranked
    for a, b in itertools.pairwise(ranked):
        assert a.per_member >= b.per_member - 1e-9


def test_a_small_keen_group_beats_a_big_one() -> None:
    ranked = rank_groups([GroupTotal(1, "big", 30, 20, 1000), GroupTotal(2, "small", 3, 3, 180)])
    assert [r.name for r in ranked] == ["small", "big"]
    assert ranked[0].per_member == 60.0


def test_ties() -> None:
    ranked = rank_members([MemberTotal(5, 10, 2), MemberTotal(3, 10, 2), MemberTotal(9, 10, 1)])
    assert [r.subject_id for r in ranked] == [9, 3, 5]
    g = rank_groups([GroupTotal(2, "b", 2, 2, 20), GroupTotal(1, "a", 1, 1, 10)])
    assert [r.name for r in g] == ["b", "a"]  # same per member: more points first


def test_pagination() -> None:
    rows = rank_members([MemberTotal(i, i, 0) for i in range(1, 26)])
    assert page_count(25, 10) == 3 and page_count(0, 10) == 1
    assert [r.rank for r in paginate(rows, 3, 10)] == [21, 22, 23, 24, 25]
