"""Fixtures of the reliability tests: the same real bot and fake Discord as the adapter tests.

The Discord fixtures (``world``, ``bot``, ``deps``, ``make_bot``, ...) are the adapter suite's
(``tests/adapters/discord/conftest.py``), imported so both suites test the same wiring: the
real bot over the real practice service and a SQLite store, with ``FakeGrader`` and
``FakeClock``. ERROR records of the ``bot`` and ``discord`` loggers fail a test.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest

from bot.adapters.discord.client import BotDeps, InterviewBot
from bot.adapters.discord.cogs import questions as questions_cog
from bot.core.grading import EmbeddingGrader, load_params
from bot.evaluation.bench import BENCH_QUESTION
from bot.retrieval.embeddings import SentenceEmbedder
from tests.adapters.discord.conftest import (
    bank,
    bot,
    clock,
    deps,
    fakediscord_error_loggers,
    grader,
    make_bot,
    settings,
    world,
)

__all__ = [
    "bank",
    "bot",
    "clock",
    "deps",
    "fakediscord_error_loggers",
    "grader",
    "make_bot",
    "settings",
    "world",
]


@pytest.fixture
def questions_without_index(
    monkeypatch: pytest.MonkeyPatch, deps: BotDeps, bot: InterviewBot
) -> None:
    """``/question add`` stores questions without embedding them (no Chroma; FakeGrader).

    Validation, storage and every later flow stay real. Patched in the module the running bot
    loaded (``load_extension`` imports a fresh copy of the cog).
    """

    async def add_questions(store: Any, index: Any, embedder: Any, questions: Any, at: Any) -> int:
        for question in questions:
            await store.add_question(question, at)
        return 0

    monkeypatch.setattr(sys.modules[questions_cog.__name__], "add_questions", add_questions)
    monkeypatch.setattr(deps, "get_index", lambda: None)
    monkeypatch.setattr(deps, "get_embedder", lambda: None)


@pytest.fixture(scope="session")
def real_grader(embedder: SentenceEmbedder) -> Iterator[EmbeddingGrader]:
    """The production grader: the real model, a realistic question's rubric read back from a
    temporary Chroma collection (the production path)."""
    from bot.retrieval.rubric import temporary_rubric_retriever

    with temporary_rubric_retriever(embedder, [BENCH_QUESTION]) as retriever:
        yield EmbeddingGrader(embedder, retriever, load_params())
