"""Gaming answers never earn more points than an honest answer (issue 7, "Bad input and gaming").

Every case of ``gaming.py`` goes through the path that awards points in production: the
practice service (``bot.app.build_service``) over SQLite, with the real grader (all-MiniLM-L6-v2,
rubrics read back from a Chroma index of the shipped knowledge) and the shipped calibration. The
honest and the gamed answer are submitted by two fresh members, so no rule about earlier
attempts (one scored attempt per day, review, hints) touches either; a ``daily_copy`` case runs a
real daily in its own server: one member answers, a second pastes that answer, a third answers
in their own words.

The assertions are relative (gamed points <= honest points), so they hold for any calibration
that ranks a real answer above a trick. ``pytest tests/reliability/test_gaming.py -s`` prints
the uplift report.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.app import build_grader, build_service
from bot.bank import Bank, load_bank
from bot.config import REPO_ROOT, Settings
from bot.core import text as tx
from bot.core.grading import EmbeddingGrader
from bot.core.models import Grade
from bot.core.practice import AnswerOutcome, PracticeService, Submission
from bot.core.scoring import AttemptMode, is_genuine
from bot.core.store_ports import DailyRecord
from bot.retrieval.embeddings import SentenceEmbedder
from ingest.cli import ingest
from tests.fakes import FakeClock
from tests.reliability.gaming import KINDS, NOT_SURE, GamingCase, cases

PRACTICE_GUILD = 7
DAILY_GUILD_BASE = 7000


@dataclass(frozen=True, slots=True)
class Pair:
    """What the honest and the gamed answer of one case were awarded."""

    case: GamingCase
    honest: AnswerOutcome
    gamed: AnswerOutcome

    @property
    def uplift(self) -> int:
        """Points the trick earned beyond the honest answer (<= 0 is the goal)."""
        return self.gamed.points.total - self.honest.points.total

    @property
    def score_uplift(self) -> float:
        """The same on the grader's 0-10 score, before the points policy (forfeits) applies."""
        return round(self.gamed.grade.score - self.honest.grade.score, 1)


def _flags(grade: Grade) -> str:
    return ",".join(str(f) for f in grade.flags) or "-"


async def _submit(
    service: PracticeService,
    guild: int,
    member: int,
    qid: str,
    answer: str,
    daily: date | None = None,
) -> AnswerOutcome:
    return await service.submit_answer(
        Submission(guild, member, qid, answer, str(uuid.uuid4()), daily_date=daily)
    )


async def _run(settings: Settings, grader: EmbeddingGrader, bank: Bank) -> dict[str, Pair]:
    clock = FakeClock()
    service, store = await build_service(settings, grader=grader, clock=clock, bank=bank)
    pairs: dict[str, Pair] = {}
    try:
        for n, case in enumerate(cases()):
            question = bank.questions[case.question_id]
            gamed = case.gamed_text(question)
            if case.kind == "daily_copy":
                guild = DAILY_GUILD_BASE + n
                day = await service.today(guild)
                now = clock.now()
                await store.create_daily(
                    DailyRecord(
                        guild, day, question.id, now - timedelta(hours=1), now + timedelta(hours=23)
                    )
                )
                # The other member answers first; the copier pastes that answer.
                await _submit(service, guild, 1, question.id, gamed, day)
                honest = await _submit(service, guild, 2, question.id, case.honest, day)
                copied = await _submit(service, guild, 3, question.id, gamed, day)
                assert honest.mode is copied.mode is AttemptMode.DAILY
            else:
                honest = await _submit(service, PRACTICE_GUILD, 2 * n + 1, question.id, case.honest)
                copied = await _submit(service, PRACTICE_GUILD, 2 * n + 2, question.id, gamed)
                assert honest.mode is copied.mode is AttemptMode.PRACTICE
            pairs[case.id] = Pair(case, honest, copied)
    finally:
        await store.close()
    return pairs


@pytest.fixture(scope="module")
def bank() -> Bank:
    return load_bank(REPO_ROOT / "knowledge")


@pytest.fixture(scope="module")
def pairs(
    tmp_path_factory: pytest.TempPathFactory, embedder: SentenceEmbedder, bank: Bank
) -> dict[str, Pair]:
    """Every case graded and scored once (the model and the index are shared by all tests)."""
    data: Path = tmp_path_factory.mktemp("gaming")
    settings = Settings(data_dir=data, _env_file=None)
    report = ingest(settings, [])
    assert not report.problems, report.problems
    return asyncio.run(_run(settings, build_grader(settings), bank))


def test_corpus_is_broad(bank: Bank) -> None:
    every = cases()
    assert len(every) >= 50
    assert len({c.question_id for c in every}) >= 20
    assert {c.kind for c in every} == set(KINDS)
    assert len({c.id for c in every}) == len(every)
    for case in every:
        question = bank.questions[case.question_id]
        assert case.gamed_text(question) != case.honest, case.id
        # Honest answers are the member's own words: hardly any word 4-gram of the model answer.
        assert tx.copied_fraction(case.honest, question.model_answer) < 0.2, case.id
        assert len(case.gamed_text(question)) <= 4000, case.id


def test_honest_baselines_are_genuine_and_earn_points(pairs: dict[str, Pair]) -> None:
    """Comparisons against a baseline that earns nothing by accident would prove little."""
    weak = {}
    for pair in pairs.values():
        honest = pair.case.honest
        if honest in ("", NOT_SURE):
            continue
        if not is_genuine(pair.honest.grade) or pair.honest.points.total == 0:
            weak[pair.case.id] = (pair.honest.grade.score, _flags(pair.honest.grade))
    assert not weak, f"honest baselines that earned nothing: {weak}"


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in cases()])
def test_gamed_answer_earns_no_more_than_the_honest_one(
    case: GamingCase, pairs: dict[str, Pair]
) -> None:
    pair = pairs[case.id]
    assert pair.gamed.points.total <= pair.honest.points.total, (
        f"{case.id} ({case.question_id}, {case.note}): gamed {pair.gamed.points.total} points "
        f"(score {pair.gamed.grade.score}, flags {_flags(pair.gamed.grade)}) > honest "
        f"{pair.honest.points.total} (score {pair.honest.grade.score}, "
        f"flags {_flags(pair.honest.grade)})"
    )


def report(pairs: dict[str, Pair]) -> str:
    """Per kind: cases, max and mean uplift in points and in score; then every case that gained."""
    by_kind: dict[str, list[Pair]] = defaultdict(list)
    for pair in pairs.values():
        by_kind[pair.case.kind].append(pair)
    lines = [
        f"{'kind':22} {'cases':>5} {'max pts':>8} {'mean pts':>9} {'max score':>10} "
        f"{'forfeited':>9}"
    ]
    for kind in KINDS:
        group = by_kind.get(kind, [])
        if not group:
            continue
        ups = [p.uplift for p in group]
        forfeited = sum(not is_genuine(p.gamed.grade) for p in group)
        lines.append(
            f"{kind:22} {len(group):5d} {max(ups):+8d} {sum(ups) / len(ups):+9.1f} "
            f"{max(p.score_uplift for p in group):+10.1f} {forfeited:9d}"
        )
    every = list(pairs.values())
    lines.append(
        f"overall: {len(every)} cases, max uplift {max(p.uplift for p in every):+d} points, "
        f"{sum(p.uplift <= 0 for p in every)} earn no more than their baseline "
        f"({sum(p.uplift < 0 for p in every)} less)"
    )
    for p in every:
        if p.uplift > 0:
            lines.append(
                f"  {p.case.id:24} {p.case.question_id:36} honest {p.honest.points.total:3d} "
                f"({p.honest.grade.score:4.1f}) gamed {p.gamed.points.total:3d} "
                f"({p.gamed.grade.score:4.1f}, {_flags(p.gamed.grade)})"
            )
    return "\n".join(lines)


def test_uplift_report(pairs: dict[str, Pair]) -> None:
    """Prints the report (``-s``); the largest uplift must be 0."""
    print("\n" + report(pairs))
    assert max(p.uplift for p in pairs.values()) <= 0
