"""Agreement metrics between predicted and human scores (numpy only, checked against scipy)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def pearson(x: Sequence[float] | FloatArray, y: Sequence[float] | FloatArray) -> float:
    """Pearson correlation; NaN when either side is constant or shorter than 2."""
    a, b = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if a.size < 2 or a.std() == 0 or b.std() == 0:
        return float("nan")
    a, b = a - a.mean(), b - b.mean()
    return float((a @ b) / np.sqrt((a @ a) * (b @ b)))


def rank(x: Sequence[float] | FloatArray) -> FloatArray:
    """Ranks starting at 1, ties given their average rank (as scipy.stats.rankdata)."""
    a = np.asarray(x, dtype=np.float64)
    order = np.argsort(a, kind="mergesort")
    ranks = np.empty(a.size, dtype=np.float64)
    sorted_a = a[order]
    i = 0
    while i < a.size:
        j = i
        while j + 1 < a.size and sorted_a[j + 1] == sorted_a[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return ranks


def spearman(x: Sequence[float] | FloatArray, y: Sequence[float] | FloatArray) -> float:
    """Spearman rank correlation (Pearson of average ranks)."""
    return pearson(rank(x), rank(y))


def rmse(pred: Sequence[float] | FloatArray, truth: Sequence[float] | FloatArray) -> float:
    """Root mean squared error."""
    a, b = np.asarray(pred, dtype=np.float64), np.asarray(truth, dtype=np.float64)
    return float(np.sqrt(np.mean((a - b) ** 2))) if a.size else float("nan")


def accuracy(pred: Sequence[str], truth: Sequence[str]) -> float:
    """Share of exact label matches."""
    return (
        float(np.mean([p == t for p, t in zip(pred, truth, strict=True)]))
        if truth
        else float("nan")
    )


def macro_f1(
    pred: Sequence[str], truth: Sequence[str], labels: Sequence[str] | None = None
) -> float:
    """Unweighted mean of per-class F1 over ``labels`` (default: the classes in ``truth``).

    Matches ``sklearn.metrics.f1_score(average="macro", labels=...)``: a class that is never
    predicted and never true is skipped only when it is absent from ``labels``.
    """
    classes = list(labels) if labels is not None else sorted(set(truth))
    f1s = []
    for c in classes:
        tp = sum(p == c and t == c for p, t in zip(pred, truth, strict=True))
        fp = sum(p == c and t != c for p, t in zip(pred, truth, strict=True))
        fn = sum(p != c and t == c for p, t in zip(pred, truth, strict=True))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    return float(np.mean(f1s)) if f1s else float("nan")


def ordered_labels(labels: Sequence[str], fractions: Sequence[float]) -> list[str]:
    """The distinct labels ordered from worst to best by their mean human score fraction."""
    sums: dict[str, list[float]] = {}
    for lab, f in zip(labels, fractions, strict=True):
        sums.setdefault(lab, []).append(f)
    return sorted(sums, key=lambda k: (float(np.mean(sums[k])), k))


def scheme_name(labels: Sequence[str]) -> str:
    """A stable key for a label set, e.g. ``"correct|incorrect"``."""
    return "|".join(sorted(set(labels)))


def threshold_labels(
    fractions: Sequence[float] | FloatArray, order: Sequence[str], cuts: Sequence[float]
) -> list[str]:
    """Label each predicted fraction: below ``cuts[0]`` -> ``order[0]`` and so on upward."""
    out = []
    for f in np.asarray(fractions, dtype=np.float64):
        out.append(order[int(np.searchsorted(np.asarray(cuts), f, side="right"))])
    return out


def fit_cuts(
    fractions: Sequence[float] | FloatArray, truth: Sequence[str], order: Sequence[str]
) -> list[float]:
    """Cut points (one fewer than classes) maximising macro-F1, by grid search (deterministic)."""
    grid = np.round(np.arange(0.02, 1.0, 0.02), 2)
    k = len(order) - 1
    best: tuple[float, list[float]] = (-1.0, [0.5] * k)
    if k == 1:
        candidates = [[float(g)] for g in grid]
    else:
        candidates = (
            [[float(a), float(b)] for a in grid for b in grid if b > a]
            if k == 2
            else [[float(x) for x in np.linspace(0, 1, k + 2)[1:-1]]]
        )
    for cuts in candidates:
        f1 = macro_f1(threshold_labels(fractions, order, cuts), truth, order)
        if f1 > best[0] + 1e-12:
            best = (f1, cuts)
    return best[1]


@dataclass(frozen=True, slots=True)
class Metrics:
    """Agreement of predictions with human scores on one dataset split."""

    n: int
    pearson: float
    spearman: float
    rmse: float
    accuracy: float | None = None
    macro_f1: float | None = None

    def as_dict(self) -> dict[str, float | int | None]:
        """JSON-friendly dict (NaN becomes None)."""
        out: dict[str, float | int | None] = {}
        for k in ("n", "pearson", "spearman", "rmse", "accuracy", "macro_f1"):
            v = getattr(self, k)
            out[k] = None if isinstance(v, float) and np.isnan(v) else v
        return out


def compute_metrics(
    predicted: Sequence[float],
    human: Sequence[float],
    predicted_labels: Sequence[str] | None = None,
    human_labels: Sequence[str] | None = None,
    label_order: Sequence[str] | None = None,
    predicted_fraction: Sequence[float] | None = None,
    human_fraction: Sequence[float] | None = None,
) -> Metrics:
    """All metrics for one split.

    RMSE is on the dataset's own scale (``predicted`` and ``human``). Pearson and Spearman are on
    score / max_score when the fractions are given: questions with different maxima (SAF has
    0.5 to 3.5) are then comparable, and the published baselines are computed that way.
    """
    acc = f1 = None
    if predicted_labels is not None and human_labels is not None:
        acc = accuracy(predicted_labels, human_labels)
        f1 = macro_f1(predicted_labels, human_labels, label_order)
    px = predicted_fraction if predicted_fraction is not None else predicted
    hx = human_fraction if human_fraction is not None else human
    return Metrics(
        n=len(predicted),
        pearson=pearson(px, hx),
        spearman=spearman(px, hx),
        rmse=rmse(predicted, human),
        accuracy=acc,
        macro_f1=f1,
    )
