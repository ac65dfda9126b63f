"""Shared fixtures of the Discord adapter tests: a small bank, the real bot, the fake Discord.

Every end-to-end test runs the REAL bot (``create_bot``) with the real practice service over a
SQLite database in a temp dir, a deterministic ``FakeGrader`` and a ``FakeClock``, against the
loopback fake Discord (``tests/fakediscord``). ERROR records from ``discord`` AND ``bot``
loggers fail the test, so a swallowed exception cannot pass unnoticed.

Other test modules may append fixtures here (append only).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.discord.client import BotDeps, InterviewBot, create_bot
from bot.app import build_service
from bot.bank import Bank
from bot.config import Settings
from bot.core.models import Difficulty, Question
from tests.fakediscord import FakeChannel, FakeDiscord, FakeGuild, FakeMember, FakeMessage
from tests.fakediscord.fixtures import StartBot
from tests.fakes import FakeClock, FakeGrader, make_question

BotFactory = Callable[..., InterviewBot]


def bank_questions() -> list[Question]:
    """Questions of the test bank: two topics, three difficulties, hints and follow-ups."""
    return [
        make_question("q-overfit", "ml-foundations", Difficulty.EASY, points=2),
        make_question("q-bias", "ml-foundations", Difficulty.MEDIUM, points=3),
        make_question("q-attention", "transformers", Difficulty.HARD, points=3),
    ]


@pytest.fixture
def fakediscord_error_loggers() -> tuple[str, ...]:
    """The bot's own loggers fail the test on ERROR too (unexpected errors are bugs)."""
    return ("discord", "bot")


@pytest.fixture
def bank(tmp_path: Path) -> Bank:
    """A small in-memory question bank (no knowledge files, no model)."""
    return Bank(root=tmp_path / "knowledge", questions={q.id: q for q in bank_questions()})


@pytest.fixture
def clock() -> FakeClock:
    """The clock of the service (a Monday noon UTC; moved by hand)."""
    return FakeClock()


@pytest.fixture
def grader() -> FakeGrader:
    """Covers a key point when the answer contains ``term<i>``."""
    return FakeGrader()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a temp data dir (SQLite database there) and no token."""
    return Settings(
        data_dir=tmp_path / "data", knowledge_dir=tmp_path / "knowledge", _env_file=None
    )


@pytest.fixture
async def deps(
    settings: Settings, bank: Bank, grader: FakeGrader, clock: FakeClock
) -> AsyncIterator[BotDeps]:
    """The bot's dependencies over a fresh SQLite database (closed at teardown)."""
    service, store = await build_service(settings, grader=grader, clock=clock, bank=bank)
    try:
        yield BotDeps(settings=settings, service=service, store=store, clock=clock)
    finally:
        await store.close()


@pytest.fixture
def make_bot(settings: Settings, deps: BotDeps) -> BotFactory:
    """Builds a fresh bot instance over the same dependencies (same database)."""

    def _make(settings_override: Settings | None = None, **options: Any) -> InterviewBot:
        options.setdefault("guild_ready_timeout", 0.05)
        return create_bot(settings_override or settings, deps, **options)

    return _make


@dataclass
class World:
    """The server the tests play in: an owner, an admin, two members and a channel."""

    server: FakeDiscord
    guild: FakeGuild
    owner: FakeMember
    channel: FakeChannel
    admin: FakeMember
    alice: FakeMember
    bob: FakeMember


@pytest.fixture
def world(fake_discord: FakeDiscord) -> World:
    """A server with members; the bot sees it at IDENTIFY."""
    guild = fake_discord.add_guild("Study Group")
    owner = guild.add_member("olga")
    channel = guild.add_text_channel("practice")
    admin = guild.add_member("amy", admin=True)
    alice = guild.add_member("alice")
    bob = guild.add_member("bob")
    return World(fake_discord, guild, owner, channel, admin, alice, bob)


@pytest.fixture
async def bot(world: World, start_bot: StartBot, make_bot: BotFactory) -> InterviewBot:
    """The real bot, connected to the fake Discord and synced."""
    runner = await start_bot(make_bot())
    assert isinstance(runner.client, InterviewBot)
    return runner.client


async def answer_question(
    server: FakeDiscord,
    member: FakeMember,
    message: FakeMessage,
    text: str,
    *,
    label: str = "Answer",
) -> FakeMessage:
    """``member`` presses Answer on ``message``, submits ``text``; returns the private grade."""
    click = await server.click(member, message, label=label)
    submit = await server.submit_modal(member, click, values={"answer": text})
    return await submit.response()


async def run_slash(
    server: FakeDiscord,
    member: FakeMember,
    channel: FakeChannel,
    command: str,
    options: dict[str, Any] | None = None,
    **kwargs: Any,
) -> FakeMessage:
    """Run a slash command and wait for the message the member sees."""
    interaction = await server.slash(member, channel, command, options, **kwargs)
    return await interaction.response()
