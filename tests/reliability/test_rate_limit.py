"""Per-member rate limits on grading: the pure policy, the service, Discord and the terminal.

Grading is the one expensive operation, so each server allows ``answer_limit`` graded answers
per ``answer_window_seconds`` per member (5 per minute by default); one more is refused with the
exact wait, and nothing is graded or recorded for it.
"""

from __future__ import annotations

import asyncio
import io
import random
from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console

from bot.adapters.console import ConsoleSession
from bot.adapters.console.session import grade_once
from bot.adapters.discord.client import BotDeps, InterviewBot
from bot.adapters.discord.render.errors import duration
from bot.core.errors import InvalidSettingError, QuestionNotFoundError, RateLimitedError
from bot.core.guild_settings import GuildSettings
from bot.core.practice import PracticeService, Submission
from bot.core.questions import StaticCatalog
from bot.core.ratelimit import SWEEP_EVERY, RateLimit, SlidingWindowLimiter
from tests.adapters.discord.conftest import World, answer_question, run_slash
from tests.fakes import FakeClock, FakeGrader, InMemoryStore, make_question

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
PER_MINUTE = RateLimit(5, timedelta(seconds=60))


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


# -- the policy ---------------------------------------------------------------------------------


def test_allows_the_limit_then_says_exactly_how_long_to_wait() -> None:
    limiter = SlidingWindowLimiter()
    for s in (0, 10, 20, 30, 40):
        assert limiter.acquire("k", at(s), PER_MINUTE) is None
    assert limiter.acquire("k", at(50), PER_MINUTE) == timedelta(seconds=10)
    assert limiter.acquire("k", at(59.5), PER_MINUTE) == timedelta(seconds=0.5)
    # The answer at 0 s has left the window at 60 s: one slot, and only one, frees up.
    assert limiter.acquire("k", at(60), PER_MINUTE) is None
    assert limiter.acquire("k", at(61), PER_MINUTE) == timedelta(seconds=9)


def test_refusals_are_not_counted() -> None:
    limiter = SlidingWindowLimiter()
    for _ in range(5):
        assert limiter.acquire("k", at(0), PER_MINUTE) is None
    for s in range(1, 60):  # hammering while limited does not push the wait further out
        assert limiter.acquire("k", at(s), PER_MINUTE) == timedelta(seconds=60 - s)
    assert limiter.acquire("k", at(60), PER_MINUTE) is None


def test_keys_are_independent_and_zero_means_unlimited() -> None:
    limiter = SlidingWindowLimiter()
    for _ in range(5):
        limiter.acquire(("g1", "m1"), at(0), PER_MINUTE)
    assert limiter.acquire(("g1", "m1"), at(1), PER_MINUTE) is not None
    assert limiter.acquire(("g1", "m2"), at(1), PER_MINUTE) is None
    assert limiter.acquire(("g2", "m1"), at(1), PER_MINUTE) is None
    unlimited = RateLimit(0, timedelta(seconds=60))
    assert all(limiter.acquire("u", at(0), unlimited) is None for _ in range(1000))
    assert limiter.retry_after(("g1", "m1"), at(1), PER_MINUTE) == timedelta(seconds=59)


def test_a_lowered_limit_and_a_clock_stepping_back_stay_sensible() -> None:
    limiter = SlidingWindowLimiter()
    for s in range(5):
        limiter.acquire("k", at(s), PER_MINUTE)
    two = RateLimit(2, timedelta(seconds=60))
    assert limiter.acquire("k", at(10), two) == timedelta(seconds=53)  # waits for the 4th
    # A clock set back an hour never promises more than one window of waiting.
    assert limiter.acquire("k", at(-3600), PER_MINUTE) == timedelta(seconds=60)


def test_idle_members_are_forgotten() -> None:
    limiter = SlidingWindowLimiter()
    for n in range(SWEEP_EVERY - 1):
        limiter.acquire(n, at(0), PER_MINUTE)
    assert len(limiter) == SWEEP_EVERY - 1
    limiter.acquire("late", at(3600), PER_MINUTE)  # the sweep runs on this acquisition
    assert len(limiter) == 1


def test_nonsense_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        RateLimit(-1, timedelta(seconds=1))
    with pytest.raises(ValueError, match="positive"):
        RateLimit(1, timedelta(0))
    assert GuildSettings().answer_rate == PER_MINUTE
    for bad in (
        {"answer_limit": -1},
        {"answer_limit": 1001},
        {"answer_window_seconds": 0},
        {"answer_limit": True},
    ):
        with pytest.raises(InvalidSettingError):
            GuildSettings().with_changes(**bad)


# -- the service --------------------------------------------------------------------------------

G, M = 42, 7
QUESTIONS = [make_question(f"q{i}") for i in range(3)]


def build() -> tuple[PracticeService, InMemoryStore, FakeClock, FakeGrader]:
    store, clock, grader = InMemoryStore(), FakeClock(T0), FakeGrader()
    service = PracticeService(store, StaticCatalog(QUESTIONS), grader, clock, random.Random(1))
    return service, store, clock, grader


def sub(key: str, member: int = M, guild: int = G, qid: str = "q0") -> Submission:
    return Submission(guild, member, qid, "term0 term1.", key)


async def test_the_sixth_answer_in_a_minute_is_refused_with_the_wait_and_not_graded() -> None:
    service, store, clock, grader = build()
    for n in range(5):
        await service.submit_answer(sub(f"k{n}"))
        clock.advance(seconds=2)
    with pytest.raises(RateLimitedError) as refused:
        await service.submit_answer(sub("k5"))
    error = refused.value
    assert error.code == "rate_limited"
    assert error.retry_after == pytest.approx(50.0)
    assert error.details["wait_seconds"] == 50
    assert error.details["limit"] == 5 and error.details["window_seconds"] == 60
    assert grader.calls == 5 and len(store.attempts) == 5  # nothing graded, nothing recorded
    clock.advance(seconds=50)
    assert not (await service.submit_answer(sub("k5"))).duplicate


async def test_redeliveries_and_refusals_before_grading_do_not_count() -> None:
    service, _, _, grader = build()
    first = await service.submit_answer(sub("same"))
    for _ in range(10):  # Discord redelivering one interaction: replayed, never limited
        assert (await service.submit_answer(sub("same"))).attempt_id == first.attempt_id
    for n in range(10):  # unknown questions are refused before the limit is consulted
        with pytest.raises(QuestionNotFoundError):
            await service.submit_answer(sub(f"bad{n}", qid="nope"))
    for n in range(4):
        await service.submit_answer(sub(f"k{n}"))
    assert grader.calls == 5
    with pytest.raises(RateLimitedError):
        await service.submit_answer(sub("k9"))


async def test_other_members_and_servers_are_not_affected() -> None:
    service, _, _, _ = build()
    for n in range(5):
        await service.submit_answer(sub(f"k{n}"))
    with pytest.raises(RateLimitedError):
        await service.submit_answer(sub("x"))
    await service.submit_answer(sub("other-member", member=M + 1))
    await service.submit_answer(sub("other-server", guild=G + 1))


async def test_each_server_sets_its_own_limit() -> None:
    service, _, clock, _ = build()
    await service.configure_guild(G, answer_limit=2, answer_window_seconds=30)
    await service.configure_guild(G + 1, answer_limit=0)
    for n in range(2):
        await service.submit_answer(sub(f"a{n}"))
    with pytest.raises(RateLimitedError) as refused:
        await service.submit_answer(sub("a2"))
    assert refused.value.details["wait_seconds"] == 30
    for n in range(50):  # no limit at all there
        await service.submit_answer(sub(f"b{n}", guild=G + 1))
    clock.advance(seconds=30)
    await service.submit_answer(sub("a2"))


async def test_simultaneous_answers_cannot_share_the_last_slot() -> None:
    service, store, _, grader = build()
    results = await asyncio.gather(
        *(service.submit_answer(sub(f"c{n}")) for n in range(12)), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, RateLimitedError)]
    assert len(refused) == 7 and grader.calls == 5 and len(store.attempts) == 5


def test_waits_read_naturally() -> None:
    assert [duration(s) for s in (0, 1, 12, 60, 61, 125)] == [
        "1 second",
        "1 second",
        "12 seconds",
        "1 minute",
        "1 minute 1 second",
        "2 minutes 5 seconds",
    ]


# -- Discord ------------------------------------------------------------------------------------


async def test_discord_says_how_long_to_wait_then_grades_again(
    world: World, bot: InterviewBot, deps: BotDeps, clock: FakeClock
) -> None:
    server, alice = world.server, world.alice
    question = await run_slash(server, alice, world.channel, "practice")
    for _ in range(5):
        graded = await answer_question(server, alice, question, "term0 term1.")
        assert graded.embed["title"].startswith("Your grade")
        clock.advance(seconds=3)
    refused = await answer_question(server, alice, question, "term0 term1.")
    assert refused.ephemeral and not refused.pings_anyone
    assert refused.embed["title"] == "Not so fast"
    text = refused.embed["description"]
    assert "at most 5 answers every 1 minute" in text
    assert "Try again in **45 seconds**" in text
    # Another member is not held up; after the wait the same member is graded again.
    other = await run_slash(server, world.bob, world.channel, "practice")
    other_grade = await answer_question(server, world.bob, other, "term0.")
    assert other_grade.embed["title"].startswith("Your grade")
    clock.advance(seconds=45)
    again = await answer_question(server, alice, question, "term0 term1.")
    assert again.embed["title"].startswith("Your grade")
    stats = await deps.service.member_stats(world.guild.id, alice.id)
    assert stats.attempts == 6  # the refused one was never recorded


# -- the terminal -------------------------------------------------------------------------------


async def test_the_terminal_keeps_the_answer_and_resubmits_it_after_the_wait() -> None:
    service, store, clock, _ = build()
    await service.configure_guild(0, answer_limit=1)
    script = ["term0 first answer.", ".", "n", "term0 term1 second answer.", ".", "q"]
    out = io.StringIO()
    retries = 0

    def read_line(_prompt: str) -> str:
        nonlocal retries
        if out.getvalue().rstrip().endswith("or type /skip."):
            retries += 1
            if retries == 2:
                clock.advance(seconds=61)  # the member waited before pressing Enter again
            return ""
        if not script:
            raise EOFError
        return script.pop(0)

    console = Console(file=out, width=200, force_terminal=False, color_system=None)
    code = await ConsoleSession(service, console, read_line).run()
    text = out.getvalue()
    assert code == 0 and retries == 2 and not script
    assert text.count("Too many answers in a row (the limit is 1 per 60 seconds)") == 2
    assert "try again in 60 s" in text
    assert len([a for a in store.attempts.values() if a.guild_id == 0]) == 2  # nothing lost
    result = await grade_once(service, "q0", "term0 once more.")
    assert result["error"] == "rate_limited"
    assert "try again in" in str(result["message"])
