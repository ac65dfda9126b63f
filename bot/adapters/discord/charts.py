"""The ``/stats`` chart: score over time and mastery by topic, as PNG bytes.

Rendering is CPU work (tens of milliseconds, more on the first call while matplotlib loads), so
callers run :func:`stats_chart` in a worker thread. It uses matplotlib's object API with the Agg
canvas directly, never ``pyplot``: pyplot keeps global state and is not safe across threads.
The wording (titles, axis labels) comes from the caller's render module.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True, slots=True)
class ChartText:
    """The chart's wording."""

    history_title: str
    history_axis: str
    mastery_title: str
    mastery_axis: str
    no_data: str


def stats_chart(
    history: Sequence[tuple[datetime, float]],
    mastery: Sequence[tuple[str, float]],
    text: ChartText,
) -> bytes:
    """A two-panel PNG: score fractions over time (left), mastery per topic (right).

    Args:
        history: ``(when, fraction)`` of the latest answers, oldest first.
        mastery: ``(topic name, fraction)`` pairs, best first (at most 12 are drawn).
        text: Titles and labels.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2, width_ratios=(3, 2))

    left.set_title(text.history_title)
    left.set_ylabel(text.history_axis)
    left.set_ylim(0, 100)
    left.grid(alpha=0.3)
    if history:
        when = [w for w, _ in history]
        scores = [round(100 * f, 1) for _, f in history]
        left.plot(when, scores, marker="o", linewidth=1.5, color="#5865F2")
        locator = AutoDateLocator()  # type: ignore[no-untyped-call]
        left.xaxis.set_major_locator(locator)
        formatter = ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]
        left.xaxis.set_major_formatter(formatter)
    else:
        left.text(0.5, 0.5, text.no_data, ha="center", va="center", transform=left.transAxes)

    right.set_title(text.mastery_title)
    right.set_xlabel(text.mastery_axis)
    right.set_xlim(0, 100)
    shown = list(mastery)[:12]
    if shown:
        names = [_short(name) for name, _ in reversed(shown)]
        values = [round(100 * m, 1) for _, m in reversed(shown)]
        right.barh(names, values, color="#57F287")
        right.tick_params(axis="y", labelsize=8)
    else:
        right.text(0.5, 0.5, text.no_data, ha="center", va="center", transform=right.transAxes)

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _short(name: str, limit: int = 28) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"
