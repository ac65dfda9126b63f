"""Micro-batching for the embedder: many concurrent ``embed`` calls, one model call.

The grader embeds each answer's sentences with one ``Embedder.embed`` call, from a worker thread
(the practice service runs it with ``asyncio.to_thread``). When many members submit at once,
those calls would reach the model one by one, each a small batch, and throughput would stay at
the model's small-batch speed. :class:`BatchingEmbedder` sits between the grader and the model
and merges concurrent calls, "group commit" style:

* a caller that finds the model idle becomes the *leader*: it takes every call queued so far (up
  to ``max_batch`` texts, oldest first), runs ONE inner ``embed`` on their concatenated texts and
  hands each caller its own rows;
* callers arriving while the model is busy queue up and wait; the next leader takes them all.

So an idle bot adds no latency (a lone call is run at once, alone), and under load each model
call carries everything that arrived during the previous one, which is what moves throughput
from the batch-1 speed towards the batched floor. Results are the same vectors the inner
embedder gives for each call alone, up to float rounding from padding inside a batch.

Waiting callers each hold a worker thread, so the pool that runs grading must be larger than the
default asyncio executor (``min(32, cpus + 4)``: 6 threads on 2 cores); see
:func:`worker_executor`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from bot.core.ports import Embedder, Vectors

log = logging.getLogger(__name__)

DEFAULT_MAX_BATCH = 64
"""Texts per model call: room for a dozen answers of ~5 sentences (``bench load`` compares the
model's speed at batch 1, 8 and 32: docs/performance.md#load), while one call stays short:
about a quarter of a second at the best batch-32 speed measured on 2 cores (~275 sentences/s),
about a second when other jobs load the machine."""

DEFAULT_WORKERS = 32
"""Worker threads for blocking work (grading): enough callers to fill a batch while the
previous one runs (about 2 x 64 texts at ~5-10 sentences per answer), bounded so a burst
cannot create an unbounded number of threads."""


@dataclass(slots=True)
class BatchStats:
    """What the batcher has done so far (for benchmarks and logs).

    Attributes:
        calls: ``embed`` calls served (empty calls excluded).
        batches: Inner model calls made.
        texts: Texts embedded.
        largest_batch: Most texts in one model call.
        most_calls: Most callers served by one model call.
        model_seconds: Wall time spent inside the inner embedder.
    """

    calls: int = 0
    batches: int = 0
    texts: int = 0
    largest_batch: int = 0
    most_calls: int = 0
    model_seconds: float = 0.0

    @property
    def calls_per_batch(self) -> float:
        """Average callers served by one model call (1.0: no coalescing happened)."""
        return self.calls / self.batches if self.batches else 0.0


class _Call:
    """One caller's texts and, once its batch ran, its rows or the batch's error."""

    __slots__ = ("done", "error", "result", "texts")

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.result: Vectors | None = None
        self.error: BaseException | None = None
        self.done = False


class BatchingEmbedder:
    """An ``Embedder`` that coalesces concurrent calls into one call of ``inner``.

    Thread-safe; meant to be called from many worker threads at once. Batches reach the inner
    embedder one at a time (an empty call goes straight through: it computes nothing).
    """

    def __init__(
        self,
        inner: Embedder,
        *,
        max_batch: int = DEFAULT_MAX_BATCH,
        max_wait_ms: float = 0.0,
    ) -> None:
        """Wrap ``inner``.

        Args:
            inner: The real embedder (e.g. ``SentenceEmbedder``).
            max_batch: Most texts per inner call; a single larger call still runs, alone.
            max_wait_ms: How long a leader lingers for more callers before running a batch
                that is not full. 0 (the default) never waits: batches form from what queued
                up during the previous model call, so an idle bot adds no latency.
        """
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        if max_wait_ms < 0:
            raise ValueError("max_wait_ms cannot be negative")
        self._inner = inner
        self._max_batch = max_batch
        self._max_wait = max_wait_ms / 1000.0
        self._cond = threading.Condition()
        self._queue: deque[_Call] = deque()
        self._busy = False
        self._stats = BatchStats()

    @property
    def model_name(self) -> str:
        """The inner embedder's model (batching does not change the vectors)."""
        return self._inner.model_name

    @property
    def inner(self) -> Embedder:
        """The wrapped embedder."""
        return self._inner

    @property
    def pending(self) -> int:
        """Calls queued and not yet taken into a batch."""
        with self._cond:
            return len(self._queue)

    @property
    def stats(self) -> BatchStats:
        """A snapshot of the counters."""
        with self._cond:
            s = self._stats
            return BatchStats(
                s.calls, s.batches, s.texts, s.largest_batch, s.most_calls, s.model_seconds
            )

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts`` (possibly together with other callers' texts); ``(len, dim)`` rows.

        Raises whatever the inner embedder raised for the batch this call was part of.
        """
        if not texts:
            return self._inner.embed([])
        call = _Call(list(texts))
        with self._cond:
            self._queue.append(call)
            if self._max_wait:
                self._cond.notify_all()  # a lingering leader may want this call
        while True:
            with self._cond:
                while self._busy and not call.done:
                    self._cond.wait()
                if call.done:
                    break
                # The model is idle and our call is still queued: lead the next batch.
                self._busy = True
                if self._max_wait:
                    self._linger()
                batch = self._take()
            try:
                self._run(batch)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
        if call.error is not None:
            raise call.error
        assert call.result is not None
        return call.result

    def _linger(self) -> None:
        """Wait up to ``max_wait`` for the queue to fill a batch (lock held)."""
        remaining = self._max_wait
        deadline = time.monotonic() + remaining
        while remaining > 0 and sum(len(c.texts) for c in self._queue) < self._max_batch:
            self._cond.wait(remaining)
            remaining = deadline - time.monotonic()

    def _take(self) -> list[_Call]:
        """Oldest queued calls up to ``max_batch`` texts, at least one (lock held)."""
        batch = [self._queue.popleft()]
        size = len(batch[0].texts)
        while self._queue and size + len(self._queue[0].texts) <= self._max_batch:
            call = self._queue.popleft()
            batch.append(call)
            size += len(call.texts)
        return batch

    def _run(self, batch: list[_Call]) -> None:
        """One inner call for the whole batch, rows handed back per caller (lock not held)."""
        texts = [t for call in batch for t in call.texts]
        started = time.perf_counter()
        try:
            vectors = np.asarray(self._inner.embed(texts), dtype=np.float32)
            if vectors.shape[0] != len(texts):
                raise RuntimeError(
                    f"embedder returned {vectors.shape[0]} rows for {len(texts)} texts"
                )
        except BaseException as exc:
            # Every caller of the batch gets the error (each re-raises it in its own thread).
            # Even a KeyboardInterrupt must mark them done: a caller whose call was taken
            # would otherwise wait forever (or try to lead a batch its call is not in).
            log.warning("embedding batch of %d texts failed: %s", len(texts), exc)
            with self._cond:
                for call in batch:
                    call.error, call.done = exc, True
            if not isinstance(exc, Exception):
                raise
            return
        with self._cond:
            start = 0
            for call in batch:
                end = start + len(call.texts)
                # A copy, so no caller keeps the whole batch alive or sees another's rows.
                call.result = vectors[start:end].copy()
                call.done = True
                start = end
            s = self._stats
            s.calls += len(batch)
            s.batches += 1
            s.texts += len(texts)
            s.largest_batch = max(s.largest_batch, len(texts))
            s.most_calls = max(s.most_calls, len(batch))
            s.model_seconds += time.perf_counter() - started


def worker_executor(max_workers: int = DEFAULT_WORKERS) -> ThreadPoolExecutor:
    """A bounded thread pool for the bot's blocking work (install as the loop's default).

    ``asyncio.to_thread`` (which the practice service uses for grading) runs on the event
    loop's default executor, which asyncio sizes at ``min(32, cpus + 4)``: 6 threads on a
    2-core machine, so at most 6 answers could wait for a shared batch. Installing this pool
    with ``loop.set_default_executor`` lets enough graders queue up to fill a batch without
    touching the service, and keeps a hard bound on threads.

    Args:
        max_workers: Pool size.
    """
    if max_workers < 1:
        raise ValueError("max_workers must be at least 1")
    return ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="bot-worker")
