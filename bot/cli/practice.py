"""``interview-bot practice``: interview practice in the terminal (no Discord needed).

Interactive by default. Scriptable: with standard input not a terminal,
``interview-bot practice --question-id ID --json < answer.txt`` grades that one answer and
prints one JSON object (the grade plus the points awarded). The terminal plays as the local
member 0 of the local server 0, in the same database as the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TextIO

from bot.config import Settings

if TYPE_CHECKING:
    from rich.console import Console

    from bot.core.models import Question
    from bot.core.ports import Grader

log = logging.getLogger(__name__)

GraderFactory = Callable[[Settings], "Grader"]
QuestionsFactory = Callable[[Settings], "Sequence[Question]"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``practice`` command."""
    parser = sub.add_parser(
        "practice",
        help="practise interview questions in the terminal",
        description=(
            "Practise in the terminal: answer, get a cited grade, points and streak. "
            "With --json (stdin not a terminal) grade one answer and print JSON."
        ),
    )
    parser.add_argument("--topic", help="only questions of this topic id")
    parser.add_argument(
        "--difficulty", choices=["easy", "medium", "hard"], help="only this difficulty"
    )
    parser.add_argument("--question-id", help="start with (or, with --json, grade) this question")
    parser.add_argument(
        "--json",
        action="store_true",
        help="grade the answer read from standard input and print one JSON object",
    )
    parser.add_argument(
        "--key",
        help="idempotency key of the --json submission (same key: recorded once)",
    )
    parser.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(run_practice(args, settings, grader_factory=_indexed_grader))


def start_terminal_session(settings: Settings) -> int:
    """The interactive session ``make run`` starts without a Discord token (index ready)."""
    args = argparse.Namespace(topic=None, difficulty=None, question_id=None, json=False, key=None)
    return asyncio.run(run_practice(args, settings))


def _default_grader(settings: Settings) -> Grader:
    from bot.app import build_grader

    return build_grader(settings)


def _indexed_grader(settings: Settings) -> Grader:
    # `practice` may be the first command run on a fresh clone: make sure the rubric index
    # exists (a fast no-op when it is current) before building the grader on it.
    from bot.app import ensure_index

    ensure_index(settings)
    return _default_grader(settings)


def _shipped_questions(settings: Settings) -> Sequence[Question]:
    from bot.bank import check_bank

    bank, problems = check_bank(settings.knowledge_dir)
    if problems:
        # Practising with the questions that did load beats refusing to start; the
        # problems are reported by `interview-bot knowledge check` and the tests.
        from bot.adapters.console import render

        log.warning(render.BANK_PROBLEMS.format(count=len(problems)))
    return list(bank.questions.values())


async def run_practice(
    args: argparse.Namespace,
    settings: Settings,
    *,
    grader_factory: GraderFactory | None = None,
    questions_factory: QuestionsFactory | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    console: Console | None = None,
    read_line: Callable[[str], str] | None = None,
) -> int:
    """Run the practice command (tests inject the grader, questions and I/O).

    Args:
        args: Parsed ``practice`` arguments.
        settings: The bot's settings (database URL, knowledge directory).
        grader_factory: Builds the grader (default: ``bot.app.build_grader``).
        questions_factory: The shipped questions (default: the bank under ``knowledge_dir``).
        stdin: Input stream (default ``sys.stdin``).
        stdout: Output stream (default ``sys.stdout``).
        console: A rich console for the interactive session (default: on ``stdout``).
        read_line: Line reader for the interactive session (default: from ``stdin``).

    Returns:
        The process exit code.
    """
    from rich.console import Console

    from bot.adapters.console import render
    from bot.adapters.console.session import ConsoleSession, grade_once
    from bot.core.clock import SystemClock
    from bot.core.models import Difficulty
    from bot.core.practice import PracticeService
    from bot.core.questions import CompositeCatalog, StaticCatalog
    from bot.store import open_store

    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    if args.json:
        if not args.question_id:
            print(render.JSON_NEEDS_QUESTION, file=sys.stderr)
            return 2
        if stdin.isatty():
            print(render.JSON_NEEDS_PIPE, file=sys.stderr)
            return 2
    grader = (grader_factory or _default_grader)(settings)
    questions = (questions_factory or _shipped_questions)(settings)
    store = await open_store(settings.resolved_database_url)
    try:
        service = PracticeService(
            store,
            CompositeCatalog(StaticCatalog(questions), store),
            grader,
            SystemClock(),
        )
        if args.json:
            result = await grade_once(service, args.question_id, stdin.read(), key=args.key)
            stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
            return 1 if "error" in result else 0
        session = ConsoleSession(
            service,
            console or Console(file=stdout),
            read_line or _line_reader(stdin),
            topic=args.topic,
            difficulty=Difficulty(args.difficulty) if args.difficulty else None,
        )
        return await session.run(question_id=args.question_id)
    finally:
        await store.close()


def _line_reader(stdin: TextIO) -> Callable[[str], str]:
    if stdin is sys.stdin and stdin.isatty():
        return input

    def read(_prompt: str) -> str:
        line = stdin.readline()
        if not line:
            raise EOFError
        return line.rstrip("\n")

    return read
