"""Evaluation metrics on a tiny fixture, checked against numpy and scipy."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from bot.core.grading import _CEILING_FEATURES, GraderParams, calibrated_fraction, load_params
from bot.evaluation import metrics as m
from bot.evaluation.datasets import load_rows, questions_from_rows
from bot.evaluation.fit import _predict
from bot.evaluation.harness import evaluate, memory_retriever, write_predictions
from tests.core.test_grading import HashEmbedder

PRED = [0.1, 0.4, 0.4, 0.9, 0.75, 0.2, 0.6, 0.6]
HUMAN = [0.0, 0.5, 0.25, 1.0, 1.0, 0.0, 0.5, 0.75]


def test_pearson_spearman_rmse_match_scipy() -> None:
    assert m.pearson(PRED, HUMAN) == pytest.approx(stats.pearsonr(PRED, HUMAN)[0])
    assert m.spearman(PRED, HUMAN) == pytest.approx(stats.spearmanr(PRED, HUMAN)[0])
    assert m.rmse(PRED, HUMAN) == pytest.approx(np.sqrt(np.mean((np.array(PRED) - HUMAN) ** 2)))
    assert np.allclose(m.rank(PRED), stats.rankdata(PRED))


def test_constant_input_gives_nan() -> None:
    assert np.isnan(m.pearson([1, 1, 1], [0, 1, 2]))


def test_accuracy_and_macro_f1_by_hand() -> None:
    truth = ["correct", "correct", "incorrect", "incorrect", "incorrect"]
    pred = ["correct", "incorrect", "incorrect", "incorrect", "correct"]
    assert m.accuracy(pred, truth) == pytest.approx(3 / 5)
    # correct: tp=1 fp=1 fn=1 -> 0.5; incorrect: tp=2 fp=1 fn=1 -> 2/3
    assert m.macro_f1(pred, truth) == pytest.approx((0.5 + 2 / 3) / 2)


def test_thresholds_and_cut_fitting() -> None:
    order = ["incorrect", "partially correct", "correct"]
    assert m.threshold_labels([0.1, 0.5, 0.95], order, [0.3, 0.8]) == order
    fr = [0.1, 0.2, 0.6, 0.7, 0.9]
    truth = ["incorrect", "incorrect", "correct", "correct", "correct"]
    cuts = m.fit_cuts(fr, truth, ["incorrect", "correct"])
    assert m.macro_f1(m.threshold_labels(fr, ["incorrect", "correct"], cuts), truth) == 1.0
    assert m.ordered_labels(truth, [0, 0, 1, 1, 1]) == ["incorrect", "correct"]


def test_fit_model_matches_the_core_mapping() -> None:
    params = load_params()
    theta = np.r_[params.score_bias, params.score_weights]
    x = np.array([[0.5, 0.3, -0.5, 0.6], [0.0, 0.0, -3.0, 0.0], list(_CEILING_FEATURES)])
    expected = [calibrated_fraction(tuple(row), params) for row in x]
    assert np.allclose(_predict(theta, x), expected)


def _fixture(tmp_path: Path) -> Path:
    rows = []
    ref1 = (
        "Overfitting means the model memorises the training data. "
        "Early stopping halts training at the best validation loss."
    )
    ref2 = "A bigger batch gives a less noisy gradient estimate."
    answers = [
        (
            "q1",
            ref1,
            "The model memorises the training data, and early stopping halts at the best "
            "validation loss.",
            2.0,
            "correct",
        ),
        ("q1", ref1, "It memorises training data.", 1.0, "partially correct"),
        ("q1", ref1, "I like trains.", 0.0, "incorrect"),
        (
            "q1",
            ref1,
            "Early stopping halts training when validation loss is best.",
            1.0,
            "partially correct",
        ),
        ("q2", ref2, "Bigger batches make the gradient estimate less noisy.", 1.0, "correct"),
        ("q2", ref2, "The gradient is noisy.", 0.5, "partially correct"),
        ("q2", ref2, "Nothing.", 0.0, "incorrect"),
    ]
    for qid, ref, ans, score, label in answers:
        rows.append(
            {
                "question_id": qid,
                "question": f"Question {qid}?",
                "reference_answer": ref,
                "answer": ans,
                "score": score,
                "max_score": 2.0 if qid == "q1" else 1.0,
                "verification_feedback": label,
                "split": "test",
            }
        )
    path = tmp_path / "tiny.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_harness_metrics_on_a_tiny_fixture(tmp_path: Path) -> None:
    rows = load_rows(_fixture(tmp_path))
    assert len(questions_from_rows(rows)) == 2
    params = GraderParams.from_mapping({**json.loads(load_params().to_json()), "label_cuts": {}})
    result = evaluate(rows, HashEmbedder(), "grader", params, memory_retriever, progress=False)
    pred = [p.predicted for p in result.predictions]
    human = [r.score for r in rows]
    pred_frac = [p.fraction for p in result.predictions]
    human_frac = [r.fraction for r in rows]
    assert result.metrics.n == 7
    # correlations on score / max_score, RMSE on the dataset's own scale
    assert result.metrics.pearson == pytest.approx(stats.pearsonr(pred_frac, human_frac)[0])
    assert result.metrics.spearman == pytest.approx(stats.spearmanr(pred_frac, human_frac)[0])
    assert result.metrics.rmse == pytest.approx(
        np.sqrt(np.mean((np.array(pred) - np.array(human)) ** 2))
    )
    # predicted is on the dataset's scale: score / 10 x max_score
    for p, r in zip(result.predictions, rows, strict=True):
        assert p.predicted == pytest.approx(p.grade.score / 10 * r.max_score if p.grade else 0)
    assert result.label_order == ["incorrect", "partially correct", "correct"]
    assert result.metrics.macro_f1 is not None and 0.0 <= result.metrics.macro_f1 <= 1.0

    out = tmp_path / "pred.jsonl"
    write_predictions(out, result.predictions)
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["line"] for x in lines] == list(range(7))
    assert set(lines[0]) == {"line", "question_id", "predicted", "flags"}


def test_cosine_baseline_on_the_fixture(tmp_path: Path) -> None:
    rows = load_rows(_fixture(tmp_path), split="test")
    result = evaluate(
        rows, HashEmbedder(), "cosine", load_params(), memory_retriever, progress=False
    )
    assert result.metrics.n == 7
    assert all(0.0 <= p.fraction <= 1.0 for p in result.predictions)
