"""A daily answer copied from another member's answer to the same daily earns nothing.

Through the public service (``PracticeService``) with the in-memory store; the SQL stores keep
the same texts under the same contract (``tests/store/test_contract.py``), and
``tests/reliability/test_gaming.py`` runs the copies through the real grader on SQLite.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from bot.core.practice import AnswerOutcome, PracticeService, Submission
from bot.core.questions import CompositeCatalog, StaticCatalog
from bot.core.scoring import AttemptMode, ZeroReason
from tests.fakes import FakeClock, FakeGrader, InMemoryStore, make_question

G = 42
OTHER_G = 43
OPEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # the daily opens at 09:00 UTC by default

# The first member's answer (covers every point of the three-point fake question).
ORIGINAL = (
    "The validation loss rising while training loss keeps falling is overfitting: term0 shows "
    "the network memorising noise in its small training set. I would stop early at the best "
    "checkpoint, which is term1, and add augmentation with random crops and flips plus weight "
    "decay, which is term2, before reporting results on a held-out test split."
)
# Another member's honest answer to the same question, in their own words.
OWN = (
    "The gap between the curves says the model learns quirks of its data rather than general "
    "patterns (term0). Keeping the weights from the epoch with the lowest held-out loss (term1) "
    "and making the images more varied (term2) are what I would try first."
)


def without_articles(text: str) -> str:
    return " ".join(w for w in text.split() if w.lower() not in {"a", "an", "the"})


def every_fifth_word_dropped(text: str) -> str:
    return " ".join(w for i, w in enumerate(text.split(), 1) if i % 5)


async def setup() -> tuple[PracticeService, InMemoryStore, FakeClock, str, date]:
    store, clock = InMemoryStore(), FakeClock(OPEN)
    catalog = CompositeCatalog(StaticCatalog([make_question("d1", points=3)]), store)
    service = PracticeService(store, catalog, FakeGrader(), clock, random.Random(1))
    for guild in (G, OTHER_G):
        await service.configure_guild(guild, daily_channel_id=1)
    daily = await service.daily_question(G)
    await service.daily_question(OTHER_G)
    return service, store, clock, daily.question.id, daily.local_date


_keys = iter(range(10**9))


async def answer(
    service: PracticeService, member: int, text: str, qid: str, day: date | None, guild: int = G
) -> AnswerOutcome:
    return await service.submit_answer(
        Submission(guild, member, qid, text, f"k{next(_keys)}", daily_date=day)
    )


async def test_a_pasted_daily_answer_earns_nothing_and_the_original_keeps_its_points() -> None:
    service, store, _, qid, day = await setup()
    first = await answer(service, 1, ORIGINAL, qid, day)
    own = await answer(service, 2, OWN, qid, day)
    copy = await answer(service, 3, ORIGINAL, qid, day)

    assert first.mode is AttemptMode.DAILY and first.scored and first.points.total > 0
    assert own.scored and own.points.total == first.points.total  # honest: full marks too
    assert copy.mode is AttemptMode.DAILY
    assert copy.grade == first.grade  # graded like any answer; the points are what it loses
    assert (copy.points.total, copy.points.zero_reason) == (0, ZeroReason.COPIED_DAILY)
    assert not copy.scored
    assert copy.streak.current == 0 and copy.review_due is None  # not a genuine attempt
    assert (await service.member_stats(G, 1)).total_points == first.points.total
    assert (await service.member_stats(G, 3)).total_points == 0

    # The copier's scored attempt is still open for an answer in their own words.
    redo = await answer(
        service, 3, "Overfitting (term0): stop earlier (term1), augment (term2).", qid, day
    )
    assert redo.scored and redo.points.total > 0
    assert {a.record.member_id for a in await store.daily_attempts(G, day)} == {1, 2, 3}


async def test_edited_copies_are_copies_too() -> None:
    service, _, _, qid, day = await setup()
    await answer(service, 1, ORIGINAL, qid, day)
    for member, edited in (
        (2, without_articles(ORIGINAL)),
        (3, every_fifth_word_dropped(ORIGINAL)),
        (4, "My answer: " + ORIGINAL.replace("I would", "we should")),
    ):
        out = await answer(service, member, edited, qid, day)
        assert out.points.zero_reason is ZeroReason.COPIED_DAILY, edited


async def test_only_other_members_answers_of_that_daily_in_that_server_count() -> None:
    service, _, clock, qid, day = await setup()
    await answer(service, 1, ORIGINAL, qid, day)
    # The same member sending their answer again: no copy (their one scored attempt is in).
    again = await answer(service, 1, ORIGINAL, qid, day)
    assert again.points.zero_reason is ZeroReason.DAILY_ALREADY_SCORED
    # The same text in another server's daily, and as practice here, is not compared.
    elsewhere_q = (await service.daily_question(OTHER_G)).question.id
    elsewhere = await answer(service, 5, ORIGINAL, elsewhere_q, day, guild=OTHER_G)
    assert elsewhere.scored and elsewhere.points.total > 0
    practice = await answer(service, 6, ORIGINAL, qid, None)
    assert practice.mode is AttemptMode.PRACTICE and practice.points.total > 0
    # A short answer never counts as a copy: too few words to tell.
    await answer(service, 7, "term0 term1 term2.", qid, day)
    short = await answer(service, 8, "term0 term1 term2.", qid, day)
    assert short.scored and short.points.total > 0
    # After the window a daily answer is practice: nothing compared, nothing kept.
    clock.set(OPEN + timedelta(days=1))
    late = await answer(service, 9, ORIGINAL, qid, day)
    assert late.late and late.points.zero_reason is None


async def test_answer_texts_go_when_the_daily_closes_and_on_forget_me() -> None:
    service, store, clock, qid, day = await setup()
    other_q = (await service.daily_question(OTHER_G)).question.id
    await answer(service, 1, ORIGINAL, qid, day)
    await answer(service, 2, OWN, qid, day)
    await answer(service, 1, OWN, other_q, day, guild=OTHER_G)
    assert [m for m, _ in await store.daily_answers(G, day)] == [1, 2]

    report = await service.forget_member(G, 1)
    assert report["daily_answers"] == 1
    assert await store.daily_answers(G, day) == [(2, OWN)]
    assert await store.daily_answers(OTHER_G, day) == [(1, OWN)]  # other server untouched
    # The forgotten answer can no longer be matched: a paste of it now earns points.
    assert (await answer(service, 3, ORIGINAL, qid, day)).points.total > 0

    clock.set(OPEN + timedelta(days=1))
    assert (await service.close_daily(G, day)).newly_closed
    assert await store.daily_answers(G, day) == []
    assert await store.daily_answers(OTHER_G, day) == [(1, OWN)]
