"""`interview-bot eval` end to end on a tiny fixture: real model, temporary Chroma collection."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
from pathlib import Path

from scipy import stats

from bot.cli.grading import _eval
from bot.config import Settings
from bot.retrieval.embeddings import SentenceEmbedder
from tests.evaluation.test_metrics import _fixture


def _args(dataset: Path, tmp_path: Path, method: str) -> argparse.Namespace:
    return argparse.Namespace(
        action=None,
        dataset=dataset,
        split="test",
        method=method,
        json=True,
        plot=tmp_path / f"{method}.png",
        predictions=tmp_path / f"{method}.jsonl",
        limit=None,
        retriever="chroma",
        out=None,
        data_dir=None,
    )


def test_eval_command_prints_metrics_and_writes_predictions(
    embedder: SentenceEmbedder, tmp_path: Path
) -> None:
    dataset = _fixture(tmp_path)
    rows = [json.loads(x) for x in dataset.read_text().splitlines()]
    for method in ("grader", "cosine"):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert _eval(_args(dataset, tmp_path, method), Settings()) == 0
        summary = json.loads(out.getvalue().strip().splitlines()[-1])
        assert {"n", "pearson", "spearman", "rmse", "accuracy", "macro_f1"} <= set(summary)
        assert summary["n"] == len(rows)
        preds = [json.loads(x) for x in (tmp_path / f"{method}.jsonl").read_text().splitlines()]
        assert [p["line"] for p in preds] == list(range(len(rows)))
        predicted = [p["predicted"] / r["max_score"] for p, r in zip(preds, rows, strict=True)]
        human = [r["score"] / r["max_score"] for r in rows]
        assert abs(summary["pearson"] - stats.pearsonr(predicted, human)[0]) < 1e-3
        assert abs(summary["spearman"] - stats.spearmanr(predicted, human)[0]) < 1e-3
        assert (tmp_path / f"{method}.png").stat().st_size > 1000
