"""A tiny, valid knowledge base to ingest in a temp dir (the shipped one takes ~30 s to embed)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.config import Settings

NOTE = """\
---
title: Overfitting basics
topic: ml-foundations
---
# Overfitting basics

A short note used by the ingest tests.

## Recognising overfitting

Training loss keeps falling while validation loss rises: the model memorises noise.

## Early stopping

Stop training when the validation loss has not improved for a few epochs and keep the best
checkpoint.
"""

QUESTIONS = """\
questions:
  - id: tiny-overfit
    topic: ml-foundations
    difficulty: easy
    kind: explain
    question: What does it mean when validation loss rises while training loss falls?
    model_answer: >-
      The model is overfitting. It memorises the training data, so it keeps improving there
      while getting worse on held-out data. Early stopping keeps the checkpoint with the best
      validation loss.
    key_points:
      - id: memorises
        weight: 2
        statement: The model memorises noise in the training data instead of general patterns.
        terms: [overfitting, memorises]
        source: overfitting-basics#Recognising overfitting
      - id: early-stop
        weight: 1
        statement: Early stopping keeps the checkpoint with the best validation loss.
        terms: [early stopping, best checkpoint]
        source: overfitting-basics#Early stopping
    hints: [Compare the two curves.]
"""


def write(path: Path, text: str) -> Path:
    """Write ``text`` (dedented) to ``path``, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    """A knowledge dir with an article, one note and one question."""
    root = tmp_path / "knowledge"
    write(
        root / "article.md", "---\ntitle: The article\n---\n# The article\n\n## Why\n\nBecause.\n"
    )
    write(root / "notes" / "overfitting-basics.md", NOTE)
    write(root / "questions" / "basics.yaml", QUESTIONS)
    return root


@pytest.fixture
def settings(tmp_path: Path, knowledge: Path) -> Settings:
    """Settings pointing at the temp knowledge base and a temp data dir."""
    return Settings(data_dir=tmp_path / "data", knowledge_dir=knowledge, _env_file=None)
