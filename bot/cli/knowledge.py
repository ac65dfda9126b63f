"""``interview-bot knowledge check|stats``: validate and count the shipped knowledge base."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from typing import Any

from bot.bank import TOPICS, Bank, check_bank
from bot.config import Settings
from bot.core.models import Difficulty


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``knowledge`` command."""
    parser = sub.add_parser("knowledge", help="validate or count the knowledge base")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser("check", help="validate every note and question file")
    check.set_defaults(handler=_check)
    stats = actions.add_parser("stats", help="count questions, notes, key points and words")
    stats.add_argument("--json", action="store_true", help="print one JSON object")
    stats.set_defaults(handler=_stats)


def _check(args: argparse.Namespace, settings: Settings) -> int:
    bank, problems = check_bank(settings.knowledge_dir)
    for problem in problems:
        print(problem)
    status = "FAILED" if problems else "ok"
    print(
        f"knowledge check {status}: {len(bank.notes)} notes, {len(bank.questions)} questions, "
        f"{len(problems)} problem(s)"
    )
    return 1 if problems else 0


def bank_stats(bank: Bank) -> dict[str, Any]:
    """Counts of the bank, as printed by ``knowledge stats --json``."""
    by_topic: dict[str, dict[str, int]] = {
        topic: {d.value: 0 for d in Difficulty} for topic in TOPICS
    }
    for question in bank.questions.values():
        by_topic.setdefault(question.topic, {d.value: 0 for d in Difficulty})
        by_topic[question.topic][question.difficulty.value] += 1
    kinds = Counter(q.kind for q in bank.questions.values())
    question_words = sum(
        len(q.prompt.split()) + len(q.model_answer.split()) for q in bank.questions.values()
    )
    note_words = sum(n.words for n in bank.notes.values())
    article = bank.root / "article.md"
    article_words = len(article.read_text(encoding="utf-8").split()) if article.exists() else 0
    return {
        "questions": len(bank.questions),
        "notes": len(bank.notes),
        "key_points": sum(len(q.key_points) for q in bank.questions.values()),
        "topics": by_topic,
        "kinds": dict(sorted(kinds.items())),
        "words": {
            "notes": note_words,
            "questions": question_words,
            "article": article_words,
            "total": note_words + question_words + article_words,
        },
    }


def _stats(args: argparse.Namespace, settings: Settings) -> int:
    bank, problems = check_bank(settings.knowledge_dir)
    stats = bank_stats(bank)
    stats["problems"] = len(problems)
    if args.json:
        print(json.dumps(stats))
        return 0
    print(
        f"{stats['questions']} questions, {stats['notes']} notes, "
        f"{stats['key_points']} key points, {stats['words']['total']} words"
    )
    print(f"{'topic':<20}{'easy':>6}{'medium':>8}{'hard':>6}")
    for topic, counts in stats["topics"].items():
        print(f"{topic:<20}{counts['easy']:>6}{counts['medium']:>8}{counts['hard']:>6}")
    print("kinds: " + ", ".join(f"{k} {n}" for k, n in stats["kinds"].items()))
    if problems:
        print(f"{len(problems)} problem(s): run `interview-bot knowledge check`")
    return 0
