"""The terminal front-end, driven with scripted input (fake grader, real SQLite store)."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from bot.adapters.console import CONSOLE_GUILD_ID, CONSOLE_MEMBER_ID, ConsoleSession
from bot.cli import build_parser
from bot.cli.practice import run_practice
from bot.config import Settings
from bot.core.practice import PracticeService
from bot.core.questions import StaticCatalog
from tests.fakes import FakeClock, FakeGrader, InMemoryStore, make_question

QUESTIONS = [make_question("q-alpha", points=2), make_question("q-beta", points=3)]


class _Script:
    """Scripted input lines; EOFError once exhausted."""

    def __init__(self, *lines: str) -> None:
        self.lines = list(lines)

    def __call__(self, _prompt: str) -> str:
        if not self.lines:
            raise EOFError
        return self.lines.pop(0)


def _console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=120, force_terminal=False, color_system=None), out


def _service(store: InMemoryStore | None = None) -> tuple[PracticeService, InMemoryStore]:
    store = store or InMemoryStore()
    return PracticeService(store, StaticCatalog(QUESTIONS), FakeGrader(), FakeClock()), store


async def test_answer_is_graded_with_evidence_citations_points_and_streak() -> None:
    service, store = _service()
    console, out = _console()
    script = _script = _Script("The first idea: term0 matters.", "And term1 too.", ".", "q")
    code = await ConsoleSession(service, console, script).run(question_id="q-alpha")
    text = out.getvalue()
    assert code == 0
    assert "Explain q-alpha." in text
    assert "Score 10.0 / 10" in text
    assert "covered" in text
    assert "“The first idea: term0 matters.”" in text  # evidence quoted
    assert "+40 points" in text
    assert "Streak: 1 day(s)" in text
    assert "You entered the board for this week at #1" in text
    assert not _script.lines
    assert len(store.attempts) == 1
    (attempt,) = store.attempts.values()
    assert (attempt.guild_id, attempt.member_id) == (CONSOLE_GUILD_ID, CONSOLE_MEMBER_ID)


async def test_missed_points_show_where_to_read_and_queue_for_review() -> None:
    service, _ = _service()
    console, out = _console()
    await ConsoleSession(service, console, _Script("Nothing relevant here.", ".", "q")).run(
        question_id="q-beta"
    )
    text = out.getvalue()
    assert "missed" in text
    assert "See: Note Ml Foundations > Section 2" in text
    assert "No points this time" in text
    assert "Queued for review" in text


async def test_hint_before_answering_costs_points_and_reveal_forfeits() -> None:
    service, _ = _service()
    console, out = _console()
    script = _Script("/hint", "term0 and term1.", ".", "n", "/reveal", "term0.", ".", "q")
    await ConsoleSession(service, console, script).run(question_id="q-alpha")
    text = out.getvalue()
    assert "Hint 1 (−10 points on your answer): Think about term0 for q-alpha." in text
    assert "+30 points of 40 (hints −10)" in text
    assert "Model answer" in text
    assert "earn no points until it is asked again" in text
    assert "No points: you saw the model answer before answering." in text


async def test_menu_offers_follow_up_stats_leaderboard_and_model_answer() -> None:
    service, _ = _service()
    console, out = _console()
    script = _Script("term0.", ".", "f", "s", "l", "l all groups", "m", "h", "zzz", "q")
    await ConsoleSession(service, console, script).run(question_id="q-alpha")
    text = out.getvalue()
    assert "Follow-up" in text and "What comes after q-alpha?" in text
    assert "Your progress" in text and "ml-foundations" in text
    assert "Members — this week" in text and "you" in text
    assert "Nobody is on the board for all time yet." in text  # no groups yet
    assert "The model answer for q-alpha" in text
    assert "Hint 1: Think about term0" in text  # after answering: free
    assert "Unknown choice 'zzz'" in text
    assert "Bye" in text


async def test_skip_next_and_end_of_input() -> None:
    service, store = _service()
    console, out = _console()
    code = await ConsoleSession(service, console, _Script("/skip", "term0", ".", "n")).run()
    assert code == 0
    assert "Skipped." in out.getvalue()
    assert len(store.attempts) == 1
    assert out.getvalue().count("Explain q-") == 3  # skipped, answered, then the next one


async def test_history_is_remembered_in_the_same_database(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    args = argparse.Namespace(
        topic=None, difficulty=None, question_id="q-alpha", json=False, key=None
    )
    for _ in range(2):
        console, out = _console()
        code = await run_practice(
            args,
            settings,
            grader_factory=lambda _s: FakeGrader(),
            questions_factory=lambda _s: QUESTIONS,
            console=console,
            read_line=_Script("term0 term1.", ".", "s", "q"),
        )
        assert code == 0
    assert "Attempts: 2" in out.getvalue()
    assert (tmp_path / "interview-bot.db").exists()


class _Pipe(io.StringIO):
    def isatty(self) -> bool:
        return False


async def test_json_mode_prints_one_object_with_grade_and_points(tmp_path: Path) -> None:
    args = build_parser().parse_args(["practice", "--question-id", "q-alpha", "--json"])
    stdout = io.StringIO()
    code = await run_practice(
        args,
        Settings(data_dir=tmp_path),
        grader_factory=lambda _s: FakeGrader(),
        questions_factory=lambda _s: QUESTIONS,
        stdin=_Pipe("Here term0 is explained.\nNot the other one.\n"),
        stdout=stdout,
    )
    assert code == 0
    lines = stdout.getvalue().splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert data["question_id"] == "q-alpha"
    assert data["points_awarded"] == data["points"]["awarded"] == 13
    assert data["grade"]["points"][0]["status"] == "covered"
    assert data["grade"]["points"][0]["evidence"] == "Here term0 is explained."
    assert data["grade"]["points"][1]["citation"]["heading"] == "Section 1"
    assert data["streak"]["current"] == 1


async def test_json_mode_same_key_is_recorded_once(tmp_path: Path) -> None:
    args = build_parser().parse_args(
        ["practice", "--question-id", "q-alpha", "--json", "--key", "k-1"]
    )
    outputs = []
    for _ in range(2):
        stdout = io.StringIO()
        await run_practice(
            args,
            Settings(data_dir=tmp_path),
            grader_factory=lambda _s: FakeGrader(),
            questions_factory=lambda _s: QUESTIONS,
            stdin=_Pipe("term0 term1."),
            stdout=stdout,
        )
        outputs.append(json.loads(stdout.getvalue()))
    assert outputs[0]["duplicate"] is False and outputs[1]["duplicate"] is True
    assert outputs[0]["attempt_id"] == outputs[1]["attempt_id"]


async def test_json_mode_errors_are_json_too(tmp_path: Path) -> None:
    args = build_parser().parse_args(["practice", "--question-id", "nope", "--json"])
    stdout = io.StringIO()
    code = await run_practice(
        args,
        Settings(data_dir=tmp_path),
        grader_factory=lambda _s: FakeGrader(),
        questions_factory=lambda _s: QUESTIONS,
        stdin=_Pipe("x"),
        stdout=stdout,
    )
    assert code == 1
    assert json.loads(stdout.getvalue())["error"] == "question_not_found"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["practice", "--json"], "--question-id"),
    ],
)
async def test_json_mode_needs_a_question(tmp_path: Path, argv, message, capsys) -> None:
    args = build_parser().parse_args(argv)
    code = await run_practice(args, Settings(data_dir=tmp_path), stdin=_Pipe(""))
    assert code == 2
    assert message in capsys.readouterr().err


async def test_answer_markup_is_printed_literally() -> None:
    service, _ = _service()
    console, out = _console()
    await ConsoleSession(service, console, _Script("[bold]term0[/bold] here.", ".", "q")).run(
        question_id="q-alpha"
    )
    assert "“[bold]term0[/bold] here.”" in out.getvalue()
