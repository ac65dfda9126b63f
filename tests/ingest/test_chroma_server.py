"""The scale-out path: ingest and read back through a real Chroma server (``chroma run``)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.retrieval import embeddings
from bot.retrieval.vectorstore import KnowledgeIndex, chroma_client
from ingest.cli import ingest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[int]:
    """A real Chroma server on a free loopback port, stopped after the test."""
    port = _free_port()
    chroma = Path(sys.executable).with_name("chroma")
    process = subprocess.Popen(
        [str(chroma), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1",
         "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={"ANONYMIZED_TELEMETRY": "False", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert process.poll() is None, "chroma server exited"
            time.sleep(0.2)
        else:
            pytest.fail("chroma server did not start in 60 s")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_ingest_through_a_chroma_server_is_idempotent(
    chroma_server: int, settings: Settings, embedder: embeddings.SentenceEmbedder
) -> None:
    remote = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": chroma_server})
    first = ingest(remote, [])
    assert first.embedded == first.chunks > 0
    second = ingest(remote, [])
    assert second.embedded == 0 and second.chunks == first.chunks

    index = KnowledgeIndex(chroma_client(remote), remote.chroma_collection, embeddings.MODEL_NAME)
    points = index.get({"question_id": "tiny-overfit"}, with_vectors=True)
    assert len(points) == 2
    assert all(p.vector is not None and p.vector.shape == (384,) for p in points)
    # Nothing was written locally: the server holds the index.
    assert not remote.resolved_chroma_path.exists()
