"""Property: boards sum exactly the answers whose LOCAL date is in the period, in any zone."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.leaderboard import MemberTotal, Scope, rank_members
from bot.core.practice import PracticeService, Submission
from bot.core.questions import StaticCatalog
from bot.core.schedule import Period, local_date, period_range
from tests.fakes import FakeClock, FakeGrader, InMemoryStore, make_question

ZONES = ["Europe/London", "America/New_York", "Pacific/Auckland", "Australia/Lord_Howe", "UTC"]
# Around the March/April and October/November DST changes of both hemispheres.
ANCHORS = [
    datetime(2026, 3, 7, 12, tzinfo=UTC),
    datetime(2026, 3, 28, 12, tzinfo=UTC),
    datetime(2026, 4, 4, 12, tzinfo=UTC),
    datetime(2026, 10, 24, 12, tzinfo=UTC),
    datetime(2026, 10, 31, 12, tzinfo=UTC),
]
QUESTIONS = [make_question(f"q{i}", points=2) for i in range(40)]
ANSWERS = ["term0.", "term1.", "term0 and term1.", "nothing."]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tz=st.sampled_from(ZONES),
    anchor=st.sampled_from(ANCHORS),
    week_start=st.integers(0, 6),
    events=st.lists(
        st.tuples(st.integers(1, 5), st.integers(0, 14 * 24 * 60), st.integers(0, 3)),
        min_size=1,
        max_size=25,
    ),
    now_minutes=st.integers(0, 16 * 24 * 60),
)
async def test_periods_and_ranking_follow_the_local_calendar(
    tz, anchor, week_start, events, now_minutes
) -> None:
    store, clock = InMemoryStore(), FakeClock(anchor)
    service = PracticeService(
        store, StaticCatalog(QUESTIONS), FakeGrader(), clock, random.Random(0)
    )
    await service.configure_guild(1, timezone=tz, week_start=week_start)
    earned: list[tuple[int, datetime, int]] = []
    for n, (member, minutes, answer) in enumerate(sorted(events, key=lambda e: e[1])):
        at = anchor + timedelta(minutes=minutes)
        clock.set(at)
        out = await service.submit_answer(
            Submission(1, member, QUESTIONS[n].id, ANSWERS[answer], f"k{n}")
        )
        assert out.local_date == local_date(at, tz)
        earned.append((member, at, out.points.total))
    now = anchor + timedelta(minutes=now_minutes)
    clock.set(now)
    today = local_date(now, tz)
    for period in Period:
        dates = period_range(period, today, week_start)
        totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for member, at, points in earned:
            if dates is None or local_date(at, tz) in dates:
                totals[member][0] += points
                totals[member][1] += 1
        expected = rank_members(MemberTotal(m, p, a) for m, (p, a) in totals.items())
        board = await service.standings(1, period, Scope.MEMBERS, page_size=100)
        assert [(r.subject_id, r.points, r.rank) for r in board.rows] == [
            (r.subject_id, r.points, r.rank) for r in expected
        ]
