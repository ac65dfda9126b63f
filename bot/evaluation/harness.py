"""The evaluation harness: grade a human-graded dataset and measure agreement.

Every dataset question goes through the same retrieval path as bank questions: its key points
are indexed into a temporary Chroma collection and read back by the Chroma rubric retriever.
Answer sentences are embedded up front in large batches (what makes thousands of rows take
minutes, not tens of minutes); grading then looks those vectors up through the ``Embedder``
port, so each row is graded by exactly the code that grades a live answer.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.core import text as tx
from bot.core.grading import EmbeddingGrader, GraderParams, load_params
from bot.core.models import Grade, Question
from bot.core.ports import Embedder, RubricRetriever, Vectors
from bot.evaluation.datasets import AsagRow, questions_from_rows
from bot.evaluation.metrics import (
    Metrics,
    compute_metrics,
    ordered_labels,
    scheme_name,
    spearman,
    threshold_labels,
)

RetrieverFactory = Callable[[Embedder, Sequence[Question]], AbstractContextManager[RubricRetriever]]


class PrecomputedEmbedder:
    """An ``Embedder`` that serves vectors computed earlier in bulk, embedding only misses.

    The vectors are the inner embedder's own, so grading through it gives the same numbers as
    grading through the inner embedder directly.
    """

    def __init__(self, inner: Embedder, batch_size: int = 256) -> None:
        """Wrap ``inner``; call :meth:`prime` with the texts you will need."""
        self._inner = inner
        self._batch = batch_size
        self._store: dict[str, Vectors] = {}

    @property
    def model_name(self) -> str:
        """The inner embedder's model."""
        return self._inner.model_name

    def prime(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> None:
        """Embed the distinct ``texts`` not yet stored, in length-sorted batches."""
        todo = sorted({t for t in texts if t not in self._store}, key=lambda t: (len(t), t))
        for start in range(0, len(todo), self._batch):
            chunk = todo[start : start + self._batch]
            for t, v in zip(chunk, self._inner.embed(chunk), strict=True):
                self._store[t] = v
            if progress:
                progress(len(chunk))

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Vectors of ``texts`` (stored ones looked up, the rest embedded now)."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._store]
        if missing:
            for t, v in zip(missing, self._inner.embed(missing), strict=True):
                self._store[t] = v
        if not texts:
            return self._inner.embed([])
        return np.vstack([self._store[t] for t in texts]).astype(np.float32)


def chroma_retriever(
    embedder: Embedder, questions: Sequence[Question]
) -> AbstractContextManager[RubricRetriever]:
    """The production retrieval path over a throw-away Chroma collection."""
    from bot.retrieval.rubric import temporary_rubric_retriever

    return temporary_rubric_retriever(embedder, questions)


@contextlib.contextmanager
def memory_retriever(
    embedder: Embedder, questions: Sequence[Question]
) -> Iterator[RubricRetriever]:
    """An in-memory retriever (fitting and unit tests; same vectors as Chroma)."""
    from bot.evaluation.memory_retriever import MemoryRubricRetriever

    yield MemoryRubricRetriever(embedder, questions)


@dataclass(slots=True)
class Prediction:
    """One graded row."""

    line: int
    question_id: str
    fraction: float
    predicted: float
    flags: list[str] = field(default_factory=list)
    grade: Grade | None = None
    human: float | None = None


@dataclass(slots=True)
class EvalResult:
    """Predictions and metrics for one dataset (split)."""

    method: str
    predictions: list[Prediction]
    metrics: Metrics
    label_order: list[str] | None = None

    def summary(self) -> dict[str, Any]:
        """JSON-friendly summary.

        For the grader it also reports how well ``confidence`` flags bad grades: the Spearman
        correlation between confidence and absolute error (negative is good).
        """
        out: dict[str, Any] = {"method": self.method, **self.metrics.as_dict()}
        if self.label_order:
            out["labels"] = self.label_order
        graded = [p for p in self.predictions if p.grade is not None and p.human is not None]
        if graded:
            conf = [p.grade.confidence for p in graded if p.grade is not None]
            err = [abs(p.fraction - (p.human or 0.0)) for p in graded]
            out["confidence_mean"] = round(float(np.mean(conf)), 4)
            rho = spearman(conf, err)
            out["confidence_vs_abs_error_spearman"] = None if np.isnan(rho) else round(rho, 4)
        return out


def _progress(total: int, desc: str, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=desc,
        unit="row" if "grad" in desc else "text",
        file=sys.stderr,
        disable=not enabled,
        leave=False,
    )


def grade_rows(
    rows: Sequence[AsagRow],
    embedder: Embedder,
    params: GraderParams | None = None,
    retriever_factory: RetrieverFactory = chroma_retriever,
    progress: bool = True,
) -> list[Prediction]:
    """Grade every row with the ``EmbeddingGrader`` through the given retrieval path."""
    questions = questions_from_rows(rows)
    cached = PrecomputedEmbedder(embedder)
    texts = [s for r in rows for s in tx.split_sentences(r.answer)]
    with _progress(len(set(texts)), "embedding", progress) as bar:
        cached.prime(texts, bar.update)
    out: list[Prediction] = []
    with retriever_factory(cached, list(questions.values())) as retriever:
        grader = EmbeddingGrader(cached, retriever, params)
        with _progress(len(rows), "grading", progress) as bar:
            for r in rows:
                g = grader.grade(questions[r.question_id], r.answer)
                frac = g.score / g.max_score
                out.append(
                    Prediction(
                        r.line,
                        r.question_id,
                        frac,
                        frac * r.max_score,
                        [str(f) for f in g.flags],
                        g,
                        r.fraction,
                    )
                )
                bar.update(1)
    return out


def cosine_rows(
    rows: Sequence[AsagRow], embedder: Embedder, progress: bool = True
) -> list[Prediction]:
    """The plain baseline: cosine of the whole answer and the reference answer."""
    cached = PrecomputedEmbedder(embedder)
    texts = [t for r in rows for t in (r.answer, r.reference_answer)]
    with _progress(len(set(texts)), "embedding", progress) as bar:
        cached.prime(texts, bar.update)
    out = []
    for r in rows:
        if not r.answer.strip():
            frac = 0.0
        else:
            v = cached.embed([r.answer, r.reference_answer])
            frac = max(0.0, min(1.0, float(v[0] @ v[1])))
        out.append(Prediction(r.line, r.question_id, frac, frac * r.max_score))
    return out


def evaluate(
    rows: Sequence[AsagRow],
    embedder: Embedder,
    method: str = "grader",
    params: GraderParams | None = None,
    retriever_factory: RetrieverFactory = chroma_retriever,
    progress: bool = True,
) -> EvalResult:
    """Grade ``rows`` with ``method`` (``grader`` or ``cosine``) and compute the metrics.

    Labelled rows are also classified by thresholding the predicted fraction with the cut points
    fitted on train (``label_cuts`` in the parameters), giving accuracy and macro-F1.
    """
    params = params or load_params()
    if method == "grader":
        preds = grade_rows(rows, embedder, params, retriever_factory, progress)
    elif method == "cosine":
        preds = cosine_rows(rows, embedder, progress)
    else:
        raise ValueError(f"unknown method {method!r} (grader or cosine)")
    scored = [(p, r) for p, r in zip(preds, rows, strict=True) if r.score is not None]
    predicted = [p.predicted for p, _ in scored]
    human = [float(r.score) for _, r in scored if r.score is not None]
    labels = [r.label for _, r in scored]
    order = None
    pred_labels = human_labels = None
    if scored and all(lab is not None for lab in labels):
        human_labels = [str(lab) for lab in labels]
        order = ordered_labels(human_labels, [r.fraction or 0.0 for _, r in scored])
        cuts_table = params.label_cuts if method == "grader" else params.cosine_label_cuts
        cuts = cuts_table.get(scheme_name(human_labels))
        if cuts is None or len(cuts) != len(order) - 1:
            cuts = [float(x) for x in np.linspace(0, 1, len(order) + 1)[1:-1]]
        pred_labels = threshold_labels([p.fraction for p, _ in scored], order, cuts)
    metrics = compute_metrics(
        predicted,
        human,
        pred_labels,
        human_labels,
        order,
        predicted_fraction=[p.fraction for p, _ in scored],
        human_fraction=[r.fraction or 0.0 for _, r in scored],
    )
    return EvalResult(method, preds, metrics, order)


def write_predictions(path: Path, predictions: Sequence[Prediction]) -> None:
    """One JSON line per input row: line, question_id, predicted (dataset scale), flags."""
    with path.open("w", encoding="utf-8") as fh:
        for p in predictions:
            fh.write(
                json.dumps(
                    {
                        "line": p.line,
                        "question_id": p.question_id,
                        "predicted": round(p.predicted, 4),
                        "flags": p.flags,
                    }
                )
                + "\n"
            )


def plot(
    path: Path, rows: Sequence[AsagRow], predictions: Sequence[Prediction], title: str
) -> None:
    """Scatter of predicted vs human score fraction, with a little jitter on discrete labels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    human = np.array([r.fraction if r.fraction is not None else np.nan for r in rows])
    pred = np.array([p.fraction for p in predictions])
    jitter = np.random.default_rng(0).uniform(-0.02, 0.02, size=human.size)
    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    ax.scatter(human + jitter, pred, s=6, alpha=0.35)
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
    ax.set_xlabel("human score / max")
    ax.set_ylabel("predicted score / 10")
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-0.05, 1.05)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
