"""Shared fixtures. The real embedding model is loaded once per test session (a few seconds)."""

from __future__ import annotations

import os

import pytest

# Never reach for the network or phone home, whatever a test imports.
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from bot.retrieval.embeddings import SentenceEmbedder, get_embedder

pytest_plugins = ["tests.fakediscord.fixtures"]


@pytest.fixture(scope="session")
def embedder() -> SentenceEmbedder:
    """The real all-MiniLM-L6-v2 embedder, shared by every test that needs the model."""
    return get_embedder()
