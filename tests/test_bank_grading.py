"""The whole shipped bank through the real grader and the real Chroma index.

Every question's model answer must grade near the top; an empty answer, an answer that only
repeats the question and an off-topic answer (the model answer of a question on another topic)
must grade near the bottom. A question that fails is fixed in knowledge/, never excluded here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import build_grader
from bot.bank import Bank, load_bank
from bot.config import REPO_ROOT, Settings
from bot.core.grading import EmbeddingGrader
from bot.core.models import Question
from bot.retrieval.embeddings import SentenceEmbedder
from ingest.cli import ingest

TOP = 7.5
BOTTOM = 2.0


@pytest.fixture(scope="module")
def bank() -> Bank:
    return load_bank(REPO_ROOT / "knowledge")


@pytest.fixture(scope="module")
def grader(tmp_path_factory: pytest.TempPathFactory, embedder: SentenceEmbedder) -> EmbeddingGrader:
    data: Path = tmp_path_factory.mktemp("bank-index")
    settings = Settings(data_dir=data, _env_file=None)
    report = ingest(settings, [])
    assert not report.problems, report.problems
    return build_grader(settings)


def test_every_model_answer_grades_near_the_top(bank: Bank, grader: EmbeddingGrader) -> None:
    low = {}
    for qid, question in sorted(bank.questions.items()):
        grade = grader.grade(question, question.model_answer)
        if grade.score < TOP:
            low[qid] = grade.score
    assert not low, f"model answers below {TOP}: {low}"


def test_empty_and_parroted_answers_grade_near_the_bottom(
    bank: Bank, grader: EmbeddingGrader
) -> None:
    high = {}
    for qid, question in sorted(bank.questions.items()):
        for kind, answer in (("empty", ""), ("parroted", question.prompt)):
            grade = grader.grade(question, answer)
            if grade.score > BOTTOM:
                high[f"{qid} ({kind})"] = grade.score
    assert not high, f"answers that should score near 0 scored above {BOTTOM}: {high}"


def off_topic_answer(bank: Bank, question: Question) -> Question:
    """The first question after ``question`` (in id order, wrapping) on another topic."""
    ids = sorted(bank.questions)
    start = ids.index(question.id)
    for qid in ids[start + 1 :] + ids[:start]:
        other = bank.questions[qid]
        if other.topic != question.topic:
            return other
    raise AssertionError("the bank has a single topic")


def test_off_topic_answers_grade_near_the_bottom(bank: Bank, grader: EmbeddingGrader) -> None:
    high = {}
    for qid, question in sorted(bank.questions.items()):
        other = off_topic_answer(bank, question)
        grade = grader.grade(question, other.model_answer)
        if grade.score > BOTTOM:
            high[f"{qid} answered with {other.id}"] = grade.score
    assert not high, f"off-topic answers scored above {BOTTOM}: {high}"
