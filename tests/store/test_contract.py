"""One contract for every store: memory (the test fake), SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.errors import (
    AlreadyInGroupError,
    DailyAlreadyScoredError,
    DuplicateSubmissionError,
    GroupNameTakenError,
    GroupNotFoundError,
)
from bot.core.guild_settings import MemberSettings
from bot.core.leaderboard import MemberTotal, rank_members
from bot.core.review import ReviewItem
from bot.core.schedule import DateRange
from bot.core.scoring import AttemptMode
from bot.core.store_ports import AttemptRecord, DailyAnswer, DailyRecord, QuestionState
from bot.core.streaks import StreakState
from tests.fakes import make_question

G = 2**62 + 7  # a large snowflake: ids must survive BIGINT round trips
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
D0 = date(2026, 3, 2)


def attempt(
    member: int = 1,
    key: str = "k",
    *,
    guild: int = G,
    question: str = "q1",
    points: int = 10,
    day: date = D0,
    at: datetime = T0,
    daily: date | None = None,
    genuine: bool = True,
    scored: bool = True,
    fraction: float = 0.5,
) -> AttemptRecord:
    return AttemptRecord(
        guild_id=guild,
        member_id=member,
        question_id=question,
        topic="ml-foundations",
        mode=AttemptMode.DAILY if daily else AttemptMode.PRACTICE,
        idempotency_key=key,
        created_at=at,
        local_date=day,
        daily_date=daily,
        scored=scored,
        fraction=fraction,
        points=points,
        genuine=genuine,
        outcome={"grade": {"points": [{"point_id": "p0", "status": "missed"}]}, "n": 1.5},
    )


async def record(store, a: AttemptRecord, **kw) -> int:
    return await store.record_attempt(
        a,
        streak=kw.get("streak"),
        review=kw.get("review"),
        drop_review=kw.get("drop_review", False),
    )


async def test_attempt_round_trip(store) -> None:
    a = attempt(at=datetime(2026, 3, 2, 23, 30, 15, 123456, tzinfo=UTC))
    aid = await record(store, a)
    found = await store.find_attempt(G, 1, "k")
    assert found is not None and found.id == aid
    assert found.record == a
    assert found.record.created_at.tzinfo is not None
    assert await store.find_attempt(G, 2, "k") is None
    assert await store.scored_on(G, 1, "q1", D0)
    assert not await store.scored_on(G, 1, "q1", D0 + timedelta(days=1))
    assert not await store.scored_on(G, 1, "q2", D0)


async def test_duplicate_key_is_recorded_once(store) -> None:
    await record(store, attempt(points=10))
    with pytest.raises(DuplicateSubmissionError):
        await record(store, attempt(points=10), streak=StreakState(5, 5, D0))
    total = await store.member_total(G, 1, None)
    assert total == MemberTotal(1, 10, 1)
    assert await store.get_streak(G, 1) == StreakState()
    # the same key is fine for another member or server
    await record(store, attempt(member=2))
    await record(store, attempt(guild=G + 1))


async def test_one_scored_attempt_per_daily(store) -> None:
    await record(store, attempt(key="a", daily=D0, points=50))
    with pytest.raises(DailyAlreadyScoredError):
        await record(store, attempt(key="b", daily=D0, points=50))
    assert (await store.member_total(G, 1, None)).points == 50
    # unscored attempts at the same daily carry no daily_date and always record
    await record(store, attempt(key="c", points=0, scored=False))
    assert [a.record.idempotency_key for a in await store.daily_attempts(G, D0)] == ["a"]
    await record(store, attempt(key="d", daily=D0, member=2))


async def test_concurrent_duplicate_deliveries_record_once(store) -> None:
    results = await asyncio.gather(
        *(record(store, attempt(key="same")) for _ in range(5)), return_exceptions=True
    )
    ids = [r for r in results if isinstance(r, int)]
    assert len(ids) == 1
    assert all(isinstance(r, DuplicateSubmissionError) for r in results if r not in ids)
    assert (await store.member_total(G, 1, None)).points == 10


async def test_streak_and_review_are_written_with_the_attempt(store) -> None:
    item = ReviewItem("q1", D0 + timedelta(days=1), 1, 0, 2.5, 0.2)
    await record(store, attempt(key="a"), streak=StreakState(3, 7, D0), review=item)
    assert await store.get_streak(G, 1) == StreakState(3, 7, D0)
    assert await store.get_review_item(G, 1, "q1") == item
    moved = replace(item, due=D0 + timedelta(days=6), repetitions=2, ease=2.6)
    await record(store, attempt(key="b"), review=moved)
    assert await store.review_items(G, 1, 10) == [moved]
    await record(store, attempt(key="c"), drop_review=True)
    assert await store.get_review_item(G, 1, "q1") is None


async def test_review_queue_order_and_limit(store) -> None:
    for i, days in enumerate([5, 1, 3]):
        item = ReviewItem(f"q{i}", D0 + timedelta(days=days))
        await record(store, attempt(key=f"k{i}", question=f"q{i}"), review=item)
    items = await store.review_items(G, 1, 2)
    assert [i.question_id for i in items] == ["q1", "q2"]


async def test_question_state_and_last_seen(store) -> None:
    assert await store.get_question_state(G, 1, "q1") is None
    state = QuestionState("q1", T0, hints_used=2, revealed=True)
    await store.save_question_state(G, 1, state)
    assert await store.get_question_state(G, 1, "q1") == state
    await store.save_question_state(G, 1, QuestionState("q1", T0 + timedelta(hours=1)))
    assert (await store.get_question_state(G, 1, "q1")).hints_used == 0
    await record(store, attempt(question="q2", at=T0 + timedelta(hours=2)))
    await record(store, attempt(key="old", question="q3", at=T0 - timedelta(days=30)))
    seen = await store.last_seen(G, 1, T0 - timedelta(days=1))
    assert seen == {"q1": T0 + timedelta(hours=1), "q2": T0 + timedelta(hours=2)}


async def test_member_board_ranks_like_the_core(store) -> None:
    # member: (points per day for 3 days)
    data = {1: [10, 0, 5], 2: [15, 0, 0], 3: [0, 0, 0], 4: [5, 5, 5], 5: [15, 0, 0]}
    n = 0
    for member, per_day in data.items():
        for offset, points in enumerate(per_day):
            n += 1
            await record(
                store, attempt(member, f"k{n}", points=points, day=D0 + timedelta(days=offset))
            )
    await store.save_member_settings(G, 5, MemberSettings(leaderboard_opt_out=True))
    totals = [MemberTotal(m, sum(p), 3) for m, p in data.items() if m != 5]
    expected = rank_members(totals)
    rows, count = await store.member_board(G, None, 0, 10)
    assert count == 4
    assert [(t.member_id, t.points) for t in rows] == [(r.subject_id, r.points) for r in expected]
    page2, count2 = await store.member_board(G, None, 2, 2)
    assert [t.member_id for t in page2] == [r.subject_id for r in expected[2:4]]
    assert count2 == 4
    beyond, count3 = await store.member_board(G, None, 10, 10)
    assert beyond == [] and count3 == 4
    for row in expected:
        total = await store.member_total(G, row.subject_id, None)
        assert await store.rank_of(G, total, None) == row.rank
    assert await store.member_total(G, 5, None) is None  # opted out
    # a hypothetical total ranks among the others
    assert await store.rank_of(G, MemberTotal(99, 1000, 1), None) == 1
    assert await store.rank_of(G, MemberTotal(99, 0, 99), None) == 5
    # the period filter works on local dates
    day1, _ = await store.member_board(G, DateRange(D0, D0), 0, 10)
    assert [(t.member_id, t.points) for t in day1] == [(2, 15), (1, 10), (4, 5), (3, 0)]
    assert await store.member_board(G, DateRange(D0 + timedelta(9), D0 + timedelta(9)), 0, 5) == (
        [],
        0,
    )
    assert await store.member_board(G + 1, None, 0, 10) == ([], 0)


async def test_flagged_attempts_do_not_count_as_activity(store) -> None:
    await record(store, attempt(key="x", points=0, genuine=False, scored=False))
    assert await store.member_total(G, 1, None) is None
    assert await store.member_board(G, None, 0, 10) == ([], 0)


async def test_groups_lifecycle(store) -> None:
    g = await store.create_group(G, "ML Crew", "ml crew", 1, T0)
    assert (g.name, g.created_by, g.members) == ("ML Crew", 1, 1)
    with pytest.raises(GroupNameTakenError):
        await store.create_group(G, "ml crew", "ml crew", 2, T0)
    with pytest.raises(AlreadyInGroupError):
        await store.create_group(G, "Other", "other", 1, T0)
    assert await store.find_group(G, "other") is None  # the failed create left nothing
    await store.join_group(G, g.id, 2, T0)
    with pytest.raises(AlreadyInGroupError):
        await store.join_group(G, g.id, 2, T0)
    other = await store.create_group(G, "Other", "other", 3, T0)
    with pytest.raises(AlreadyInGroupError):
        await store.join_group(G, other.id, 2, T0)
    with pytest.raises(GroupNotFoundError):
        await store.join_group(G + 1, g.id, 2, T0)  # wrong server
    listed = await store.list_groups(G)
    assert [(x.name, x.members) for x in listed] == [("ML Crew", 2), ("Other", 1)]
    assert (await store.member_group(G, 2)).id == g.id
    assert await store.find_group(G, "ml crew") == replace(g, members=2)
    with pytest.raises(GroupNameTakenError):
        await store.rename_group(G, other.id, "ML crew", "ml crew")
    await store.rename_group(G, other.id, "Others", "others")
    assert (await store.find_group(G, "others")).name == "Others"
    left = await store.leave_group(G, 2)
    assert left is not None and left.id == g.id
    assert await store.leave_group(G, 2) is None
    await store.delete_group(G, g.id)
    assert await store.member_group(G, 1) is None
    assert [x.name for x in await store.list_groups(G)] == ["Others"]
    # same name in another server is fine
    await store.create_group(G + 1, "ML Crew", "ml crew", 1, T0)


async def test_group_totals_count_active_members(store) -> None:
    a = await store.create_group(G, "A", "a", 1, T0)
    await store.join_group(G, a.id, 2, T0)
    await store.join_group(G, a.id, 3, T0)
    b = await store.create_group(G, "B", "b", 4, T0)
    await store.create_group(G, "Empty", "empty", 6, T0)
    await store.leave_group(G, 6)
    await record(store, attempt(1, "k1", points=30))
    await record(store, attempt(2, "k2", points=10, day=D0 - timedelta(days=3)))
    await record(store, attempt(4, "k4", points=25))
    await record(store, attempt(5, "k5", points=99))  # in no group
    totals = {t.name: t for t in await store.group_totals(G, None)}
    assert (totals["A"].members, totals["A"].active_members, totals["A"].points) == (3, 2, 40)
    assert (totals["B"].members, totals["B"].active_members, totals["B"].points) == (1, 1, 25)
    assert (totals["Empty"].members, totals["Empty"].points) == (0, 0)
    today = {t.name: t for t in await store.group_totals(G, DateRange(D0, D0))}
    assert (today["A"].active_members, today["A"].points) == (1, 30)
    assert b.id in {t.group_id for t in today.values()}


async def test_settings_round_trip(store) -> None:
    assert await store.get_guild_overrides(G) == {}
    await store.save_guild_overrides(G, {"timezone": "Asia/Tokyo", "topics": ["a"]}, T0)
    assert await store.get_guild_overrides(G) == {"timezone": "Asia/Tokyo", "topics": ["a"]}
    await store.save_guild_overrides(G, {"window_hours": 12}, T0)
    assert await store.get_guild_overrides(G) == {"window_hours": 12}
    assert await store.configured_guilds() == [G]
    assert await store.get_member_settings(G, 1) == MemberSettings()
    await store.save_member_settings(G, 1, MemberSettings(leaderboard_opt_out=True))
    assert (await store.get_member_settings(G, 1)).leaderboard_opt_out
    assert not (await store.get_member_settings(G + 1, 1)).leaderboard_opt_out


async def test_dailies(store) -> None:
    first = DailyRecord(G, D0, "q1", T0, T0 + timedelta(hours=24))
    assert await store.create_daily(first) == first
    assert await store.create_daily(replace(first, question_id="q2")) == first  # first wins
    assert await store.get_daily(G, D0) == first
    await store.create_daily(replace(first, local_date=D0 + timedelta(days=1), question_id="q3"))
    recent = await store.recent_dailies(G, D0 + timedelta(days=1))
    assert [d.question_id for d in recent] == ["q3"]
    assert await store.close_daily(G, D0, T0 + timedelta(hours=25))
    assert not await store.close_daily(G, D0, T0 + timedelta(hours=26))
    assert (await store.get_daily(G, D0)).closed_at == T0 + timedelta(hours=25)
    assert not await store.close_daily(G, D0 - timedelta(days=5), T0)


async def test_daily_answer_texts_are_kept_while_the_daily_is_open(store) -> None:
    def text(member: int, key: str, words: str, **kw) -> AttemptRecord:
        return replace(
            attempt(member, key, **kw), daily_answer=DailyAnswer(D0, words), mode=AttemptMode.DAILY
        )

    await store.create_daily(DailyRecord(G, D0, "q1", T0, T0 + timedelta(hours=24)))
    await record(store, text(2, "a", "first answer", daily=D0))
    await record(store, text(1, "b", "second answer", daily=D0))
    await record(store, text(1, "c", "an unscored retry", scored=False, points=0))
    await record(store, text(1, "b", "x", guild=G + 1))
    await record(store, attempt(3, "d", daily=D0))  # no text given: none kept
    # A refused attempt keeps nothing (its transaction rolled back).
    with pytest.raises(DuplicateSubmissionError):
        await record(store, text(2, "a", "redelivered"))
    with pytest.raises(DailyAlreadyScoredError):
        await record(store, text(2, "e", "a second scored one", daily=D0))
    assert await store.daily_answers(G, D0) == [
        (2, "first answer"),
        (1, "second answer"),
        (1, "an unscored retry"),
    ]
    assert await store.daily_answers(G, D0 + timedelta(days=1)) == []
    # The attempt itself reads back as before: the text lives beside it.
    found = await store.find_attempt(G, 2, "a")
    assert found is not None and found.record.daily_answer is None

    report = await store.forget_member(G, 1)
    assert report["daily_answers"] == 2
    assert await store.daily_answers(G, D0) == [(2, "first answer")]
    assert await store.daily_answers(G + 1, D0) == [(1, "x")]  # other server untouched
    assert await store.close_daily(G, D0, T0 + timedelta(hours=24))
    assert await store.daily_answers(G, D0) == []
    assert await store.daily_answers(G + 1, D0) == [(1, "x")]


async def test_forget_member_removes_everything_in_that_server_only(store) -> None:
    g = await store.create_group(G, "A", "a", 1, T0)
    await store.join_group(G, g.id, 2, T0)
    item = ReviewItem("q1", D0)
    await record(store, attempt(1, "k1"), streak=StreakState(1, 1, D0), review=item)
    await record(store, attempt(1, "k1", guild=G + 1), streak=StreakState(1, 1, D0))
    await record(store, attempt(2, "k2"))
    await store.save_question_state(G, 1, QuestionState("q1", T0))
    await store.save_member_settings(G, 1, MemberSettings(leaderboard_opt_out=True))
    report = await store.forget_member(G, 1)
    assert report == {
        "attempts": 1,
        "daily_answers": 0,
        "days": 1,
        "totals": 1,
        "streaks": 1,
        "reviews": 1,
        "states": 1,
        "memberships": 1,
        "settings": 1,
        "groups_orphaned": 1,
    }
    assert await store.find_attempt(G, 1, "k1") is None
    assert await store.member_total(G, 1, None) is None
    assert await store.get_streak(G, 1) == StreakState()
    assert await store.member_group(G, 1) is None
    assert (await store.find_group(G, "a")).created_by is None
    assert await store.find_attempt(G + 1, 1, "k1") is not None  # other server untouched
    assert await store.find_attempt(G, 2, "k2") is not None  # other member untouched


async def test_server_questions(store) -> None:
    q = make_question("custom-1", guild_id=G)
    await store.add_question(q, T0)
    assert await store.list_questions(G) == [q]
    assert await store.get(G, "custom-1") == q
    assert await store.get(G + 1, "custom-1") is None
    assert await store.questions(G + 1) == []
    await store.add_question(replace(q, prompt="Changed?"), T0)
    assert (await store.get(G, "custom-1")).prompt == "Changed?"
    assert await store.remove_question(G, "custom-1")
    assert not await store.remove_question(G, "custom-1")
    with pytest.raises(ValueError, match="guild_id"):
        await store.add_question(make_question("shipped"), T0)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    rows=st.lists(
        st.tuples(st.integers(1, 6), st.integers(0, 40), st.integers(0, 9)),
        min_size=1,
        max_size=25,
    ),
    start=st.integers(0, 9),
    length=st.integers(0, 9),
)
async def test_board_property_matches_core_ranking(store, rows, start, length) -> None:
    # Each example uses a fresh server id so examples never see each other's rows.
    guild = test_board_property_matches_core_ranking.counter = (
        getattr(test_board_property_matches_core_ranking, "counter", 1000) + 1
    )
    expected: dict[int, list[int]] = {}
    dates = DateRange(D0 + timedelta(start), D0 + timedelta(start + length))
    for i, (member, points, offset) in enumerate(rows):
        day = D0 + timedelta(offset)
        await record(store, attempt(member, f"p{i}", guild=guild, points=points, day=day))
        if day in dates:
            row = expected.setdefault(member, [0, 0])
            row[0] += points
            row[1] += 1
    ranked = rank_members(MemberTotal(m, p, a) for m, (p, a) in expected.items())
    got, count = await store.member_board(guild, dates, 0, 100)
    assert count == len(ranked)
    assert [(t.member_id, t.points, t.attempts) for t in got] == [
        (r.subject_id, r.points, r.attempts) for r in ranked
    ]


async def test_timestamps_come_back_as_aware_utc(store) -> None:
    from zoneinfo import ZoneInfo

    local = datetime.combine(D0, time(23, 45), tzinfo=ZoneInfo("America/Los_Angeles"))
    await record(store, attempt(at=local))
    found = await store.find_attempt(G, 1, "k")
    assert found.record.created_at == local
    assert found.record.created_at.utcoffset() == timedelta(0)
