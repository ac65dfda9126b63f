"""Grading latency beside its floor: embedding the same answer sentences with the model alone.

``interview-bot bench grade`` prints p50/p95 of ``EmbeddingGrader.grade`` on 150-250-word
answers with the model warm and the question's context cached (the steady state of a live
session), next to p50/p95 of ``embedder.embed(sentences)`` on exactly the same sentences, and
the ratios. Measurements alternate grade / floor so drift in machine load hits both alike.
"""

from __future__ import annotations

import statistics
import time
from typing import TYPE_CHECKING, Any

from bot.core import text as tx
from bot.core.grading import EmbeddingGrader, load_params
from bot.core.models import Difficulty, KeyPoint, Question
from bot.core.ports import Embedder

if TYPE_CHECKING:
    from bot.config import Settings

BENCH_QUESTION = Question(
    id="bench-overfitting-early-stopping",
    topic="ml-foundations",
    difficulty=Difficulty.MEDIUM,
    prompt="Your validation loss starts rising after epoch 8 while training loss keeps falling. "
    "What is happening, and how would early stopping and other regularisation help?",
    model_answer="The model is overfitting: it starts to memorise the training set, so training "
    "loss keeps falling while validation loss rises and the generalisation gap grows. Early "
    "stopping monitors validation loss and keeps the checkpoint with the best value, stopping "
    "once it has not improved for a patience of a few epochs. Weight decay penalises large "
    "weights and dropout randomly zeroes activations, both making memorisation harder. More or "
    "augmented data also reduces overfitting. Judge every choice on a held-out validation set.",
    key_points=(
        KeyPoint(
            "diagnose",
            "The model is overfitting: training loss falls while validation "
            "loss rises, so the generalisation gap grows.",
            2,
            ("overfitting", "generalisation gap", "memorising"),
        ),
        KeyPoint(
            "early-stop",
            "Early stopping keeps the checkpoint with the best validation "
            "loss and stops after a patience of several epochs without improvement.",
            2,
            ("early stopping", "patience", "best checkpoint"),
        ),
        KeyPoint(
            "regularise",
            "Weight decay and dropout regularise the model and make memorisation harder.",
            1,
            ("weight decay", "dropout", "l2 penalty"),
        ),
        KeyPoint(
            "data",
            "More or augmented training data reduces overfitting.",
            1,
            ("data augmentation", "more data"),
        ),
    ),
)

_SENTENCES = (
    "The widening gap between the two curves after epoch eight is the classic sign of overfitting.",
    "Training loss keeps going down because the network is memorising quirks and noise of the "
    "training sample rather than the pattern that generalises.",
    "Validation loss going up means that the model's predictions on unseen data are getting "
    "worse, often because it becomes overconfident on examples it gets wrong.",
    "Early stopping watches the validation loss after every epoch and remembers the best "
    "checkpoint seen so far.",
    "If the validation loss does not improve for a patience of, say, three to five epochs, "
    "training stops and we restore the weights from that best checkpoint.",
    "This acts as a regulariser, because it limits how far the optimiser can move towards "
    "memorising the training set.",
    "I would also add weight decay, which pulls every weight towards zero and favours "
    "smoother functions.",
    "Dropout is another option that randomly zeroes activations during training, so no unit "
    "can rely on a specific partner.",
    "Collecting more data or using data augmentation makes memorisation harder as well.",
    "Finally, I would judge all of these choices on a held-out validation set that played no "
    "part in training.",
    "In practice I would log both curves, pick the patience from how noisy the validation loss "
    "is, and check that the final model beats a simple baseline.",
    "If both losses stayed high instead, that would be underfitting, and the fix would be more "
    "capacity rather than more regularisation.",
)


def bench_answers() -> list[str]:
    """A few 150-250-word answers (rotations of the same well-formed sentences)."""
    answers = []
    for shift in range(4):
        sents = (list(_SENTENCES[shift:]) + list(_SENTENCES[:shift]))[: 9 + shift]
        text = " ".join(sents)
        while tx.word_count(text) > 250:
            sents = sents[:-1]
            text = " ".join(sents)
        answers.append(text)
    return answers


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[idx]


def run_grade_bench(
    embedder: Embedder, runs: int = 200, warmup: int = 10, use_chroma: bool = True
) -> dict[str, Any]:
    """Measure grading latency and the model-only floor; return the figures.

    Args:
        embedder: The real embedder (warm after the first call).
        runs: Timed grades (and as many timed floor embeddings).
        warmup: Untimed rounds first (model warm-up, context cache filled).
        use_chroma: Read the rubric through a temporary Chroma collection (the production
            path); otherwise an in-memory retriever.
    """
    from contextlib import AbstractContextManager

    from bot.evaluation.harness import chroma_retriever, memory_retriever

    answers = bench_answers()
    sentences = [tx.split_sentences(a) for a in answers]
    factory = chroma_retriever if use_chroma else memory_retriever
    ctx: AbstractContextManager[Any] = factory(embedder, [BENCH_QUESTION])
    grade_ms: list[float] = []
    floor_ms: list[float] = []
    with ctx as retriever:
        grader = EmbeddingGrader(embedder, retriever, load_params())
        for i in range(warmup):
            grader.grade(BENCH_QUESTION, answers[i % len(answers)])
            embedder.embed(sentences[i % len(answers)])
        for i in range(runs):
            k = i % len(answers)
            t0 = time.perf_counter()
            grader.grade(BENCH_QUESTION, answers[k])
            t1 = time.perf_counter()
            embedder.embed(sentences[k])
            t2 = time.perf_counter()
            grade_ms.append((t1 - t0) * 1000)
            floor_ms.append((t2 - t1) * 1000)
    g50, g95 = statistics.median(grade_ms), _pct(grade_ms, 0.95)
    f50, f95 = statistics.median(floor_ms), _pct(floor_ms, 0.95)
    return {
        "runs": runs,
        "answer_words": [tx.word_count(a) for a in answers],
        "answer_sentences": [len(s) for s in sentences],
        "retriever": "chroma" if use_chroma else "memory",
        "grade_p50_ms": round(g50, 1),
        "grade_p95_ms": round(g95, 1),
        "floor_p50_ms": round(f50, 1),
        "floor_p95_ms": round(f95, 1),
        "ratio_p50": round(g50 / f50, 3) if f50 else None,
        "ratio_p95": round(g95 / f95, 3) if f95 else None,
    }


def format_grade_bench(r: dict[str, Any]) -> str:
    """Human-readable lines for the figures of :func:`run_grade_bench`."""
    return "\n".join(
        [
            f"answers: {min(r['answer_words'])}-{max(r['answer_words'])} words, "
            f"{min(r['answer_sentences'])}-{max(r['answer_sentences'])} sentences; "
            f"{r['runs']} runs; rubric via {r['retriever']}",
            f"grade      p50 {r['grade_p50_ms']:.1f} ms   p95 {r['grade_p95_ms']:.1f} ms",
            f"model only p50 {r['floor_p50_ms']:.1f} ms   p95 {r['floor_p95_ms']:.1f} ms",
            f"ratio      p50 {r['ratio_p50']:.2f}x     p95 {r['ratio_p95']:.2f}x",
        ]
    )


def run_grade_bench_cli(settings: Settings, runs: int = 200) -> dict[str, Any]:
    """``bench grade``: run with the shared embedder, print the figures, return them."""
    from bot.retrieval.embeddings import get_embedder

    result = run_grade_bench(get_embedder(), runs=runs)
    print(format_grade_bench(result))
    return result
