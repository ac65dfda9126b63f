"""Human-graded short-answer datasets (JSONL) and their conversion to bank-style questions.

Rows carry ``question_id, question, reference_answer, answer, score, max_score`` and optional
extras (``split``, ``label_2way``/``label_3way``/``verification_feedback``, ``reference_answers``).
Each dataset question becomes a ``Question`` whose key points are the reference answer's
sentences, so evaluation exercises exactly the grading path the bot uses.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.core.grading import reference_question
from bot.core.models import Question

# How a dataset names its class label; the first present column wins. 2-way labels come
# first: they are ordinal (correct > incorrect), while 3-way "contradictory" is not.
LABEL_COLUMNS = ("label_2way", "verification_feedback", "label_3way")


@dataclass(frozen=True, slots=True)
class AsagRow:
    """One graded answer.

    Attributes:
        line: 0-based line number in the dataset file.
        question_id: The dataset's question id.
        question: Question text.
        reference_answer: The primary reference answer.
        reference_answers: All reference answers (the primary first).
        answer: The student's answer.
        score: Human score on the dataset's scale.
        max_score: Highest score possible for the question.
        label: Class label when the dataset has one (e.g. ``correct``), else None.
        split: Split name, if any.
    """

    line: int
    question_id: str
    question: str
    reference_answer: str
    reference_answers: tuple[str, ...]
    answer: str
    score: float | None
    max_score: float
    label: str | None
    split: str | None

    @property
    def fraction(self) -> float | None:
        """Human score as a fraction of ``max_score``."""
        if self.score is None or not self.max_score:
            return None
        return self.score / self.max_score


def load_rows(path: Path | str, split: str | None = None) -> list[AsagRow]:
    """Read a JSONL dataset, keeping only ``split`` when given.

    Args:
        path: The ``.jsonl`` file.
        split: Keep rows whose ``split`` equals this (all rows when None).

    Returns:
        Rows in file order; ``line`` is the row's 0-based line number in the file.
    """
    rows: list[AsagRow] = []
    with Path(path).open(encoding="utf-8") as fh:
        for i, raw in enumerate(fh):
            if not raw.strip():
                continue
            d = json.loads(raw)
            if split is not None and d.get("split") != split:
                continue
            primary = str(d.get("reference_answer") or "")
            refs = [str(r) for r in (d.get("reference_answers") or []) if r]
            ordered = tuple(dict.fromkeys([primary, *refs]).keys()) if primary else tuple(refs)
            label = next((str(d[c]).lower() for c in LABEL_COLUMNS if d.get(c)), None)
            score = d.get("score")
            rows.append(
                AsagRow(
                    line=i,
                    question_id=str(d["question_id"]),
                    question=str(d.get("question") or ""),
                    reference_answer=primary or (refs[0] if refs else ""),
                    reference_answers=ordered,
                    answer=str(d.get("answer") or ""),
                    score=float(score) if score is not None else None,
                    max_score=float(d.get("max_score") or 1.0),
                    label=label,
                    split=d.get("split"),
                )
            )
    return rows


def question_from_rows(rows: Sequence[AsagRow]) -> Question:
    """Build a bank-style ``Question`` from one dataset question's rows.

    Key points are the sentences of the primary reference answer, with their content words as
    terms; further reference answers (Beetle and SciEntsBank list alternatives) become accepted
    phrasings (see ``bot.core.grading.reference_question``).
    """
    first = rows[0]
    return reference_question(
        first.question,
        first.reference_answer,
        question_id=first.question_id,
        alternatives=first.reference_answers[1:],
    )


def questions_from_rows(rows: Iterable[AsagRow]) -> dict[str, Question]:
    """One ``Question`` per distinct question id, in first-seen order."""
    grouped: dict[str, list[AsagRow]] = {}
    for r in rows:
        grouped.setdefault(r.question_id, []).append(r)
    return {qid: question_from_rows(rs) for qid, rs in grouped.items()}
