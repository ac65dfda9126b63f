"""The Chroma knowledge index: one collection, pinned to the model and chunker that built it.

chromadb is used directly for writes and metadata checks: ingest upserts PRECOMPUTED vectors in
large batches (embedding once, in our own batched factory) and needs exact id/metadata control,
which LangChain's ``Chroma.add_texts`` hides (it would re-embed). Reads that are similarity search
go through LangChain's ``Chroma`` vector store (``as_langchain``) over the same collection, with
our embedder: the collection itself never has an embedding function, so Chroma's default (which
downloads a model) is never used.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.core.ports import Vectors

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection
    from langchain_chroma import Chroma

    from bot.config import Settings
    from bot.retrieval.embeddings import SentenceEmbedder

log = logging.getLogger(__name__)

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

CHUNKER_VERSION = "md-headers-1"
Metadata = Mapping[str, str | int | float | bool]
_WRITE_BATCH = 512


class IndexMismatchError(RuntimeError):
    """The collection was built with another embedding model or chunker."""


class IndexMissingError(RuntimeError):
    """The knowledge index has not been built yet."""


@dataclass(frozen=True, slots=True)
class StoredChunk:
    """A chunk as read back from the index."""

    id: str
    text: str
    metadata: dict[str, Any]
    vector: Vectors | None = None


def chroma_client(settings: Settings) -> ClientAPI:
    """A Chroma client: HTTP when ``CHROMA_HOST`` is set, else persistent on disk. Telemetry off."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        return chromadb.HttpClient(
            host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
        )
    path = settings.resolved_chroma_path
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


class KnowledgeIndex:
    """The knowledge collection, pinned to ``model_name`` and ``CHUNKER_VERSION``."""

    def __init__(self, client: ClientAPI, name: str, model_name: str) -> None:
        """Wrap collection ``name`` of ``client`` (not opened until used)."""
        self._client = client
        self.name = name
        self.model_name = model_name
        self._collection: Collection | None = None

    @property
    def pins(self) -> dict[str, str]:
        """Collection metadata that must match for the index to be usable."""
        return {"embedding_model": self.model_name, "chunker": CHUNKER_VERSION}

    def exists(self) -> bool:
        """Whether the collection has been created."""
        return self.name in {
            c if isinstance(c, str) else c.name for c in self._client.list_collections()
        }

    def open(self, create: bool = False) -> Collection:
        """Open (or create) the collection, refusing one built with another model or chunker.

        Raises:
            IndexMissingError: it does not exist and ``create`` is false.
            IndexMismatchError: it was built with another embedding model or chunker.
        """
        if self._collection is not None:
            return self._collection
        if not create and not self.exists():
            raise IndexMissingError(
                f"the knowledge index {self.name!r} does not exist yet: run `python -m ingest`"
            )
        collection = self._client.get_or_create_collection(
            name=self.name,
            embedding_function=None,
            metadata={"hnsw:space": "cosine", **self.pins},
        )
        found = collection.metadata or {}
        for key, wanted in self.pins.items():
            if found.get(key) != wanted:
                raise IndexMismatchError(
                    f"the knowledge index {self.name!r} was built with {key} "
                    f"{found.get(key)!r}, but this bot uses {wanted!r}: rerun "
                    "`python -m ingest --rebuild` to rebuild it"
                )
        self._collection = collection
        return collection

    def drop(self) -> None:
        """Delete the collection (``--rebuild``)."""
        if self.exists():
            self._client.delete_collection(self.name)
        self._collection = None

    def count(self) -> int:
        """Number of chunks stored."""
        return int(self.open().count())

    def ids_by_source(self, roots: Sequence[str] | None = None) -> dict[str, set[str]]:
        """Map each stored source to its chunk ids (optionally only under the given roots)."""
        collection = self.open()
        where: Any = None
        if roots:
            where = {"root": roots[0]} if len(roots) == 1 else {"root": {"$in": list(roots)}}
        result = collection.get(where=where, include=["metadatas"])
        by_source: dict[str, set[str]] = {}
        for chunk_id, meta in zip(result["ids"], result["metadatas"] or [], strict=True):
            by_source.setdefault(str((meta or {}).get("source", "")), set()).add(chunk_id)
        return by_source

    def upsert(
        self,
        ids: Sequence[str],
        texts: Sequence[str],
        metadatas: Sequence[Metadata],
        vectors: Vectors,
    ) -> None:
        """Write chunks with precomputed vectors, in batches."""
        collection = self.open(create=True)
        for start in range(0, len(ids), _WRITE_BATCH):
            end = start + _WRITE_BATCH
            collection.upsert(
                ids=list(ids[start:end]),
                documents=list(texts[start:end]),
                metadatas=[dict(m) for m in metadatas[start:end]],
                embeddings=vectors[start:end],
            )

    def delete(self, ids: Sequence[str]) -> None:
        """Delete chunks by id, in batches."""
        collection = self.open()
        for start in range(0, len(ids), _WRITE_BATCH):
            collection.delete(ids=list(ids[start : start + _WRITE_BATCH]))

    def get(self, where: Mapping[str, Any], with_vectors: bool = False) -> list[StoredChunk]:
        """Chunks whose metadata match ``where`` (a Chroma filter)."""
        include: Any = (
            ["documents", "metadatas", "embeddings"]
            if with_vectors
            else [
                "documents",
                "metadatas",
            ]
        )
        result = self.open().get(where=dict(where), include=include)
        return list(_stored(result, with_vectors))

    def query(
        self, vector: Vectors, k: int, where: Mapping[str, Any] | None = None
    ) -> list[tuple[StoredChunk, float]]:
        """The ``k`` nearest chunks to ``vector`` with their cosine similarity."""
        result = self.open().query(
            query_embeddings=[vector.tolist()],
            n_results=k,
            where=dict(where) if where else None,
            include=["documents", "metadatas", "distances"],
        )
        chunks = list(
            _stored(
                {
                    "ids": result["ids"][0],
                    "documents": (result["documents"] or [[]])[0],
                    "metadatas": (result["metadatas"] or [[]])[0],
                },
                False,
            )
        )
        distances = (result["distances"] or [[]])[0]
        return [(c, 1.0 - float(d)) for c, d in zip(chunks, distances, strict=True)]

    def as_langchain(self, embedder: SentenceEmbedder) -> Chroma:
        """The same collection as a LangChain vector store, embedding queries with ``embedder``."""
        from langchain_chroma import Chroma

        self.open()
        return Chroma(
            client=self._client,
            collection_name=self.name,
            embedding_function=embedder,
            collection_metadata={"hnsw:space": "cosine", **self.pins},
        )


def _stored(result: Mapping[str, Any], with_vectors: bool) -> Iterator[StoredChunk]:
    import numpy as np

    ids = result["ids"]
    documents = result.get("documents") or [""] * len(ids)
    metadatas = result.get("metadatas") or [{}] * len(ids)
    embeddings = result.get("embeddings") if with_vectors else None
    for index, chunk_id in enumerate(ids):
        vector = None
        if embeddings is not None:
            vector = np.asarray(embeddings[index], dtype=np.float32)
        yield StoredChunk(
            id=chunk_id,
            text=documents[index] or "",
            metadata=dict(metadatas[index] or {}),
            vector=vector,
        )
