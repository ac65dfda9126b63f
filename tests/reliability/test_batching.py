"""The micro-batching embedder: concurrent calls merge into one model call, results unchanged.

Coalescing is made deterministic with a gated inner embedder: its first call blocks until the
test has queued the other callers, so the test knows exactly which batches must form. No test
here measures time (throughput is ``interview-bot bench load``'s job).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from bot.core import text as tx
from bot.core.grading import EmbeddingGrader, load_params
from bot.core.ports import Vectors
from bot.evaluation.bench import BENCH_QUESTION, bench_answers
from bot.evaluation.memory_retriever import MemoryRubricRetriever
from bot.retrieval.batching import BatchingEmbedder, worker_executor
from bot.retrieval.embeddings import SentenceEmbedder
from bot.testing.embedders import GatedEmbedder, HashEmbedder


def wait_for(predicate: Callable[[], bool], what: str) -> None:
    """Wait (bounded) for another thread to reach a state; not a timing assertion."""
    deadline = time.monotonic() + 30
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.001)


def run_concurrently(
    batcher: BatchingEmbedder, gated: GatedEmbedder, calls: list[list[str]]
) -> list[Vectors]:
    """Call 0 leads (and blocks in the model); calls 1.. queue behind it; then release."""
    with ThreadPoolExecutor(len(calls)) as pool:
        first = pool.submit(batcher.embed, calls[0])
        assert gated.entered.wait(30)
        rest = [pool.submit(batcher.embed, c) for c in calls[1:]]
        wait_for(lambda: batcher.pending == len(calls) - 1, "the callers to queue")
        gated.release.set()
        return [first.result(30), *(f.result(30) for f in rest)]


def sentences_of_answers() -> list[list[str]]:
    return [tx.split_sentences(a) for a in bench_answers()]


def test_a_lone_call_runs_at_once_in_its_own_thread() -> None:
    inner = HashEmbedder()
    batcher = BatchingEmbedder(inner)
    out = batcher.embed(["one sentence", "two sentences"])
    assert inner.calls == [2]
    np.testing.assert_array_equal(out, inner.embed(["one sentence", "two sentences"]))
    assert batcher.stats.batches == 1 and batcher.stats.calls_per_batch == 1.0
    assert batcher.pending == 0


def test_callers_waiting_on_a_busy_model_share_one_call_in_arrival_order() -> None:
    gated = GatedEmbedder(HashEmbedder())
    batcher = BatchingEmbedder(gated, max_batch=64)
    calls = [[f"caller {i} sentence {j}" for j in range(i % 3 + 1)] for i in range(9)]
    results = run_concurrently(batcher, gated, calls)

    # The first caller ran alone; the eight that queued meanwhile went in ONE model call,
    # oldest first, and each got exactly its own rows.
    assert gated.batches[0] == calls[0]
    assert len(gated.batches) == 2
    assert gated.batches[1] == [t for c in calls[1:] for t in c]
    for texts, got in zip(calls, results, strict=True):
        np.testing.assert_array_equal(got, HashEmbedder().embed(texts))
    stats = batcher.stats
    assert (stats.calls, stats.batches, stats.most_calls) == (9, 2, 8)
    assert gated.max_active == 1  # the model is never called concurrently


def test_batches_respect_max_batch_and_an_oversized_call_runs_alone() -> None:
    gated = GatedEmbedder(HashEmbedder())
    batcher = BatchingEmbedder(gated, max_batch=5)
    calls = [["lead"], ["a1", "a2"], ["b1", "b2"], ["c1", "c2"], [f"big{i}" for i in range(7)]]
    run_concurrently(batcher, gated, calls)
    assert gated.batches == [
        ["lead"],
        ["a1", "a2", "b1", "b2"],  # 4 texts; adding c would exceed 5
        ["c1", "c2"],  # the oversized call cannot join: it goes next, alone
        [f"big{i}" for i in range(7)],
    ]


def test_a_failing_batch_fails_each_of_its_callers_and_the_next_batch_works() -> None:
    class Failing(GatedEmbedder):
        def embed(self, texts: Sequence[str]) -> Vectors:
            out = super().embed(texts)
            if any("boom" in t for t in texts):
                raise RuntimeError("model exploded")
            return out

    gated = Failing(HashEmbedder())
    batcher = BatchingEmbedder(gated)
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(batcher.embed, ["fine"])
        assert gated.entered.wait(30)
        doomed = [pool.submit(batcher.embed, ["boom"]), pool.submit(batcher.embed, ["also"])]
        wait_for(lambda: batcher.pending == 2, "two callers to queue")
        gated.release.set()
        assert first.result(30).shape == (1, 384)
        for future in doomed:
            with pytest.raises(RuntimeError, match="model exploded"):
                future.result(30)
    assert batcher.embed(["after"]).shape == (1, 384)


class Abort(BaseException):
    """Not an ``Exception``: like a KeyboardInterrupt raised inside the model."""


def test_a_batch_aborted_by_a_base_exception_still_releases_every_caller() -> None:
    class Aborting(GatedEmbedder):
        def embed(self, texts: Sequence[str]) -> Vectors:
            out = super().embed(texts)
            if any("abort" in t for t in texts):
                raise Abort
            return out

    gated = Aborting(HashEmbedder())
    batcher = BatchingEmbedder(gated)
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(batcher.embed, ["fine"])
        assert gated.entered.wait(30)
        # Two queued callers: whichever leads runs both, and the batch aborts.
        doomed = [pool.submit(batcher.embed, ["abort"]), pool.submit(batcher.embed, ["other"])]
        wait_for(lambda: batcher.pending == 2, "two callers to queue")
        gated.release.set()
        assert first.result(30).shape == (1, 384)
        for future in doomed:
            with pytest.raises(Abort):
                future.result(30)
    assert len(gated.batches) == 2
    assert batcher.pending == 0
    assert batcher.embed(["after"]).shape == (1, 384)


def test_empty_input_never_reaches_the_queue() -> None:
    inner = HashEmbedder()
    out = BatchingEmbedder(inner).embed([])
    assert out.shape == (0, 384)


def test_a_lingering_leader_collects_late_callers() -> None:
    inner = HashEmbedder()
    batcher = BatchingEmbedder(inner, max_batch=3, max_wait_ms=10_000)
    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(batcher.embed, [f"t{i}"]) for i in range(3)]
        # The batch is full at three texts, so the leader stops lingering at once.
        for f in futures:
            f.result(30)
    assert inner.calls == [3]


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="max_batch"):
        BatchingEmbedder(HashEmbedder(), max_batch=0)
    with pytest.raises(ValueError, match="max_wait_ms"):
        BatchingEmbedder(HashEmbedder(), max_wait_ms=-1)
    with pytest.raises(ValueError, match="max_workers"):
        worker_executor(0)
    pool = worker_executor(3)
    try:
        assert pool._max_workers == 3
    finally:
        pool.shutdown()


def test_batched_vectors_equal_unbatched_ones_with_the_real_model(
    embedder: SentenceEmbedder,
) -> None:
    answers = sentences_of_answers()
    calls = [answers[0], *answers, ["Short one."], answers[2][:3]]
    gated = GatedEmbedder(embedder)
    batcher = BatchingEmbedder(gated, max_batch=256)
    results = run_concurrently(batcher, gated, calls)
    assert len(gated.batches) == 2  # everything after the first call went in one model call
    for texts, got in zip(calls, results, strict=True):
        alone = embedder.embed(texts)
        assert got.shape == alone.shape and got.dtype == np.float32
        # Padding inside a bigger batch changes float rounding only.
        np.testing.assert_allclose(got, alone, atol=1e-5)


def test_the_grader_gives_the_same_grades_through_the_batcher(
    embedder: SentenceEmbedder,
) -> None:
    retriever = MemoryRubricRetriever(embedder, [BENCH_QUESTION])
    plain = EmbeddingGrader(embedder, retriever, load_params())
    gated = GatedEmbedder(embedder, armed=False)
    batcher = BatchingEmbedder(gated)
    batched = EmbeddingGrader(batcher, retriever, load_params())
    batched.context(BENCH_QUESTION)  # the per-question embedding, so grades embed answers only
    gated.armed = True
    answers = [*bench_answers(), "Overfitting. Use dropout.", "Early stopping keeps the best."]
    with ThreadPoolExecutor(len(answers)) as pool:
        futures = [pool.submit(batched.grade, BENCH_QUESTION, answers[0])]
        assert gated.entered.wait(30)
        futures += [pool.submit(batched.grade, BENCH_QUESTION, a) for a in answers[1:]]
        wait_for(lambda: batcher.pending == len(answers) - 1, "the graders to queue")
        gated.release.set()
        grades = [f.result(30) for f in futures]
    assert len(gated.batches) == 3  # context, the first answer, then all the others at once
    for answer, grade in zip(answers, grades, strict=True):
        expected = plain.grade(BENCH_QUESTION, answer)
        assert grade.flags == expected.flags
        assert grade.fraction == pytest.approx(expected.fraction, abs=1e-4)
        assert [p.status for p in grade.points] == [p.status for p in expected.points]
