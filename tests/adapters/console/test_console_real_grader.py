"""ONE end-to-end check of the terminal with the real grader (real model, shipped question)."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

from bot.bank import check_bank
from bot.cli.practice import run_practice
from bot.config import REPO_ROOT, Settings


class _Pipe(io.StringIO):
    def isatty(self) -> bool:
        return False


async def test_json_grade_of_a_shipped_question_with_the_real_grader(
    embedder, tmp_path: Path
) -> None:
    from bot.core.grading import EmbeddingGrader
    from bot.evaluation.memory_retriever import MemoryRubricRetriever

    bank, _ = check_bank(REPO_ROOT / "knowledge")
    question = sorted(bank.questions.values(), key=lambda q: q.id)[0]
    citations = {
        p.source: c
        for p in question.key_points
        if p.source and (c := bank.citation(p.source)) is not None
    }
    grader = EmbeddingGrader(embedder, MemoryRubricRetriever(embedder, [question], citations))
    # A paraphrase-free but honest answer: every key point stated in the member's words.
    answer = " ".join(p.statement for p in question.key_points)
    args = argparse.Namespace(
        topic=None, difficulty=None, question_id=question.id, json=True, key="real-1"
    )
    stdout = io.StringIO()
    code = await run_practice(
        args,
        Settings(data_dir=tmp_path),
        grader_factory=lambda _s: grader,
        questions_factory=lambda _s: [question],
        stdin=_Pipe(answer),
        stdout=stdout,
    )
    assert code == 0
    data = json.loads(stdout.getvalue())
    assert data["question_id"] == question.id
    assert data["grade"]["score"] > 0
    assert any(p["status"] != "missed" for p in data["grade"]["points"])
    assert data["points_awarded"] == data["points"]["awarded"] >= 0
