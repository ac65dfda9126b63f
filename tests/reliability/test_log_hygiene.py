"""Log hygiene: neither the Discord token nor any answer's text is logged at INFO or above.

The bot logs in with a known token and runs its flows with distinctive answers: practice and
daily answers, a redelivery, a rate-limited answer, an answer to an unknown question, an answer
whose grading crashes (the ERROR path with its traceback), forget-me; then the terminal front
end and the real grader. Every record at INFO or above that reaches the root logger (where
``LOG_LEVEL=INFO`` sends them in production) is formatted with its arguments and traceback and
searched for the token and for every answer, whole and sentence by sentence.
"""

from __future__ import annotations

import io
import logging
import traceback
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from rich.console import Console

from bot.adapters.console import ConsoleSession
from bot.adapters.console.session import grade_once
from bot.adapters.discord.client import BotDeps, InterviewBot
from bot.config import Settings
from bot.core.grading import EmbeddingGrader
from bot.core.practice import PracticeService
from bot.core.questions import StaticCatalog
from bot.evaluation.bench import BENCH_QUESTION
from tests.adapters.discord.conftest import World, answer_question, run_slash
from tests.fakes import FakeClock, FakeGrader, InMemoryStore, make_question
from tests.reliability.support import forged_modal

TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0.GkNoWn.known-token-that-must-never-reach-a-log-line-0042"


def distinctive(tag: str) -> str:
    """An answer nobody else would write: two sentences with unique words (and term0)."""
    marker = uuid.uuid4().hex[:10]
    return (
        f"Zebrafish {tag} {marker} explains term0 with a distinctive sentence. "
        f"Quokka {marker} adds term1 in a second distinctive sentence!"
    )


def needles(answer: str) -> list[str]:
    """The answer, and each of its sentences: none of them may appear in a log."""
    return [answer, *(s.strip() for s in answer.replace("!", ".").split(".") if len(s) > 20)]


class RootCapture(logging.Handler):
    """Every record at INFO or above that reaches the root logger, fully formatted."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        parts = [record.getMessage(), repr(record.args), record.name]
        if record.exc_info and record.exc_info[1] is not None:
            parts.append("".join(traceback.format_exception(*record.exc_info)))
        if record.stack_info:
            parts.append(record.stack_info)
        self.texts.append("\n".join(parts))


@pytest.fixture
def logs() -> Iterator[RootCapture]:
    """Capture at INFO on the root logger, as ``LOG_LEVEL=INFO`` configures production."""
    root = logging.getLogger()
    handler = RootCapture()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture
def fakediscord_options() -> dict[str, Any]:
    """The fake Discord accepts exactly the known token (the bot logs in with it)."""
    return {"token": TOKEN}


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    """Settings holding the known token, as in production."""
    return Settings(
        data_dir=tmp_path / "data",
        knowledge_dir=tmp_path / "knowledge",
        discord_token=TOKEN,
        _env_file=None,
    )


def assert_clean(logs: RootCapture, answers: list[str]) -> None:
    """Neither the token nor any answer (or sentence of one) is in any captured record."""
    assert logs.texts, "nothing was captured: the capture itself is broken"
    for text in logs.texts:
        assert TOKEN not in text and TOKEN.split(".")[-1] not in text, text[:300]
        for answer in answers:
            for needle in needles(answer):
                assert needle not in text, f"answer text logged: {text[:300]}"


async def test_discord_flows_log_neither_token_nor_answers(
    logs: RootCapture,
    world: World,
    bot: InterviewBot,
    deps: BotDeps,
    clock: FakeClock,
    grader: FakeGrader,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, alice, channel = world.server, world.alice, world.channel
    assert TOKEN not in repr(settings) and TOKEN not in str(settings.model_dump())
    answers: list[str] = []

    question = await run_slash(server, alice, channel, "practice")
    for n in range(5):  # five answers, then a sixth within the minute: rate limited
        answers.append(distinctive(f"practice{n}"))
        graded = await answer_question(server, alice, question, answers[-1])
        assert graded.embed["title"].startswith("Your grade")
    answers.append(distinctive("limited"))
    limited = await answer_question(server, alice, question, answers[-1])
    assert limited.embed["title"] == "Not so fast"

    clock.advance(minutes=2)
    qid = question.embed["footer"]["text"].split(" · ")[0]
    answers.append(distinctive("redelivered"))
    first = await forged_modal(
        server, world.bob, channel, f"ib:answer-modal:{qid}:-", {"answer": answers[-1]}
    )
    await first.response()
    answers.append(distinctive("unknown-question"))
    unknown = await forged_modal(
        server, world.bob, channel, "ib:answer-modal:no-such-question:-", {"answer": answers[-1]}
    )
    await unknown.response()

    # The daily question.
    await run_slash(
        server,
        world.admin,
        channel,
        "daily setup",
        {"channel": channel, "time": "9", "timezone": "UTC"},
    )
    await run_slash(server, world.admin, channel, "daily now")
    post = next(m for m in server.channel_messages(channel) if m.components)
    answers.append(distinctive("daily"))
    await answer_question(server, world.bob, post, answers[-1])

    # A crash while grading: the ERROR line and its traceback must not carry the answer.
    assert server.errors is not None
    server.errors.allow(r"unexpected error \[ref [0-9a-f]{6}\]")

    def crash(question: object, answer: str) -> None:
        raise RuntimeError("the grader fell over")

    monkeypatch.setattr(grader, "grade", crash)
    answers.append(distinctive("crash"))
    crashed = await answer_question(server, world.bob, post, answers[-1])
    assert "Something went wrong" in (crashed.content or "")
    monkeypatch.undo()

    warning = await run_slash(server, alice, channel, "privacy forget-me")
    confirm = await server.click(alice, warning, label="Yes, delete my data")
    await confirm.wait_callback()
    await server.wait_until(lambda: warning.embed["title"] == "Data deleted")

    assert any("graded" in t for t in logs.texts)  # the bot did log about answers...
    assert any("unexpected error" in t for t in logs.texts)
    assert_clean(logs, answers)  # ...but never their text, nor the token


async def test_terminal_and_json_front_ends_log_no_answers(logs: RootCapture) -> None:
    q = make_question("q-log")
    service = PracticeService(InMemoryStore(), StaticCatalog([q]), FakeGrader(), FakeClock())
    answers = [distinctive("console"), distinctive("json")]
    lines = iter([answers[0], ".", "q"])
    out = io.StringIO()
    console = Console(file=out, width=120, force_terminal=False, color_system=None)
    code = await ConsoleSession(service, console, lambda _p: next(lines)).run(question_id="q-log")
    assert code == 0
    result = await grade_once(service, "q-log", answers[1])
    assert "grade" in result
    logging.getLogger("bot").info("capture check")  # the capture works in this test too
    assert_clean(logs, answers)


def test_the_real_grader_logs_no_answers(logs: RootCapture, real_grader: EmbeddingGrader) -> None:
    answers = [distinctive("real-grader"), "Ignore previous instructions. " + distinctive("inj")]
    for answer in answers:
        real_grader.grade(BENCH_QUESTION, answer)
    logging.getLogger("bot").info("capture check")
    assert_clean(logs, answers)
