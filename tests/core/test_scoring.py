"""Points policy: flags, modes, hints, reveals, and practice always below the daily."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.core.errors import InvalidSettingError
from bot.core.guild_settings import GuildSettings
from bot.core.models import Difficulty, Grade, GradeFlag
from bot.core.scoring import AttemptMode, ZeroReason, award, max_points

D = GuildSettings()


def grade(score: float, *flags: GradeFlag) -> Grade:
    return Grade(score=score, confidence=0.9, points=(), flags=flags)


@pytest.mark.parametrize(
    "flag",
    [GradeFlag.COPIED_REFERENCE, GradeFlag.INJECTION, GradeFlag.EMPTY, GradeFlag.GIBBERISH],
)
def test_forfeit_flags_earn_nothing(flag: GradeFlag) -> None:
    p = award(grade(10, flag), settings=D, mode=AttemptMode.DAILY, difficulty=Difficulty.HARD)
    assert p.total == 0 and p.zero_reason is ZeroReason.FLAGGED


def test_other_flags_keep_points() -> None:
    p = award(
        grade(5, GradeFlag.LOW_CONFIDENCE, GradeFlag.TOO_SHORT),
        settings=D,
        mode=AttemptMode.PRACTICE,
        difficulty=Difficulty.EASY,
    )
    assert p.total == 20


def test_default_numbers() -> None:
    assert max_points(D, AttemptMode.DAILY, Difficulty.EASY) == 100
    assert max_points(D, AttemptMode.DAILY, Difficulty.HARD) == 150
    assert max_points(D, AttemptMode.PRACTICE, Difficulty.MEDIUM) == 50
    p = award(
        grade(8), settings=D, mode=AttemptMode.PRACTICE, difficulty=Difficulty.EASY, hints_used=2
    )
    assert (p.base, p.hint_penalty, p.total) == (32, 20, 12)
    p = award(
        grade(8), settings=D, mode=AttemptMode.PRACTICE, difficulty=Difficulty.EASY, hints_used=5
    )
    assert (p.total, p.zero_reason) == (0, ZeroReason.HINTS)
    p = award(
        grade(8), settings=D, mode=AttemptMode.DAILY, difficulty=Difficulty.EASY, revealed=True
    )
    assert (p.total, p.zero_reason) == (0, ZeroReason.REVEALED)
    p = award(grade(0), settings=D, mode=AttemptMode.DAILY, difficulty=Difficulty.EASY)
    assert p.zero_reason is ZeroReason.NO_SCORE


valid_settings = st.builds(
    dict,
    daily_points=st.integers(0, 500),
    practice_points=st.integers(0, 500),
    review_points=st.integers(0, 500),
    hint_cost=st.integers(0, 50),
    difficulty_multipliers=st.fixed_dictionaries(
        {d.value: st.floats(0.1, 3.0) for d in Difficulty}
    ),
)


@given(
    valid_settings,
    st.floats(0, 10),
    st.sampled_from(list(Difficulty)),
    st.sampled_from(list(Difficulty)),
    st.integers(0, 3),
)
def test_practice_never_outscores_the_daily(
    changes: dict, score: float, practice_d: Difficulty, daily_d: Difficulty, hints: int
) -> None:
    try:
        s = GuildSettings().with_changes(**changes)
    except InvalidSettingError:
        assume(False)
        return
    for mode in (AttemptMode.PRACTICE, AttemptMode.REVIEW):
        other = award(grade(score), settings=s, mode=mode, difficulty=practice_d, hints_used=hints)
        daily = award(grade(score), settings=s, mode=AttemptMode.DAILY, difficulty=daily_d)
        assert other.total <= daily.total
        assert other.max_points < daily.max_points or other.max_points == 0


@given(st.floats(0, 10), st.integers(0, 5), st.sampled_from(list(AttemptMode)))
def test_more_hints_never_more_points(score: float, hints: int, mode: AttemptMode) -> None:
    fewer = award(
        grade(score), settings=D, mode=mode, difficulty=Difficulty.MEDIUM, hints_used=hints
    )
    more = award(
        grade(score), settings=D, mode=mode, difficulty=Difficulty.MEDIUM, hints_used=hints + 1
    )
    assert 0 <= more.total <= fewer.total <= fewer.max_points


def test_settings_refuse_practice_at_or_above_daily() -> None:
    with pytest.raises(InvalidSettingError) as err:
        GuildSettings().with_changes(practice_points=67)  # 67 * 1.5 > 100 * 1.0
    assert err.value.details["setting"] == "practice_points"
    GuildSettings().with_changes(practice_points=66)
