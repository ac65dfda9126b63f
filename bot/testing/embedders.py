"""A deterministic stand-in for the model, for tests and harnesses that restart the bot often.

Loading the real model costs 8-14 s per process (docs/reliability.md#crash-and-restart), so a
test that restarts the bot twenty times swaps in :class:`HashEmbedder`: the real grader,
service, store and Discord adapter run unchanged; only the vectors are fake.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Sequence

import numpy as np

from bot.core.ports import Embedder, Vectors

DIMENSIONS = 384
_WORD = re.compile(r"[a-z0-9]+")


class HashEmbedder:
    """Implements the ``Embedder`` port with hashed bags of words (unit vectors).

    Texts sharing words get similar vectors, so grades are not pure noise; the same text always
    gets the same vector, whatever else is in the batch.
    """

    def __init__(self, seconds_per_text: float = 0.0) -> None:
        """Create it; ``seconds_per_text`` sleeps per text to mimic the model's cost (the sleep
        releases the GIL, like torch does while it computes)."""
        self.seconds_per_text = seconds_per_text
        self.calls: list[int] = []

    @property
    def model_name(self) -> str:
        """Not a real model: an index built with it is refused by the real one."""
        return "test/hash-embedder"

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Unit vectors of shape ``(len(texts), 384)``."""
        self.calls.append(len(texts))
        if self.seconds_per_text and texts:
            time.sleep(self.seconds_per_text * len(texts))
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()) or [""]:
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % DIMENSIONS] += 1.0
            out[row] /= np.linalg.norm(out[row])
        return out


class GatedEmbedder:
    """Delegates to ``inner``, but the first call after arming blocks until ``release`` is set.

    Makes batching deterministic in tests: while the gated call holds the model, every other
    caller queues up in the ``BatchingEmbedder``, so the test knows which batches will form.

    Attributes:
        batches: The texts of every call, in order.
        entered: Set once the gated call is waiting.
        release: Set it to let the gated call proceed.
        max_active: Most calls ever running at once (a batcher must keep this at 1).
    """

    def __init__(self, inner: Embedder, *, armed: bool = True, timeout: float = 60.0) -> None:
        """Wrap ``inner``; ``armed``: gate the very first call."""
        self.inner = inner
        self.armed = armed
        self.timeout = timeout
        self.batches: list[list[str]] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()

    @property
    def model_name(self) -> str:
        """The inner model's name."""
        return self.inner.model_name

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Record the call, wait at the gate if armed, then delegate."""
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            gated, self.armed = self.armed, False
            self.batches.append(list(texts))
        try:
            if gated:
                self.entered.set()
                if not self.release.wait(self.timeout):
                    raise TimeoutError("the gated embed call was never released")
            return self.inner.embed(texts)
        finally:
            with self._lock:
                self.active -= 1
