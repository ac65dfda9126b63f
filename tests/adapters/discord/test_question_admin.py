"""End to end: ``/question add|list|remove`` with the REAL grader and a temp Chroma index.

A tiny knowledge base is ingested into a persistent Chroma in the temp data dir (real model,
loaded once per test session). An admin adds a question through the form; it is embedded into
that index, then asked by ``/practice`` and graded by the real grader, which reads its key
points back from Chroma by id, like a shipped question's. Another server never sees it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.adapters.discord.client import BotDeps, InterviewBot
from bot.adapters.discord.views import question_view
from bot.app import build_grader, build_index, build_service, ensure_index
from bot.bank import Bank, check_bank
from bot.config import Settings
from bot.retrieval.vectorstore import KnowledgeIndex
from tests.adapters.discord.conftest import World, answer_question, run_slash
from tests.fakediscord import (
    CommandNotPermittedError,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeMessage,
)
from tests.fakes import FakeClock
from tests.ingest.conftest import NOTE, QUESTIONS, write

FORM = {
    "question": "How would you run an A/B test to compare two chat models in production?",
    "model_answer": "Split live traffic at random between the two models, choose one primary "
    "metric before starting, and wait for a large enough sample before deciding.",
    "key_points": "[2] Traffic is split at random between the two model variants | random split\n"
    "One primary success metric is chosen before the test starts | primary metric",
    "topic": "evaluation",
    "difficulty": "medium",
}
GOOD_ANSWER = (
    "Users are randomly split between the two model variants. Before starting we choose one "
    "primary success metric, and we wait for a big enough sample."
)


@pytest.fixture
def clock() -> FakeClock:
    """Noon UTC on a Monday in 2031: APScheduler (on the real clock) never fires a job here."""
    return FakeClock(datetime(2031, 3, 3, 12, 0, tzinfo=UTC))


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    root = tmp_path / "knowledge"
    write(root / "article.md", "---\ntitle: A\n---\n# A\n\n## Why\n\nBecause.\n")
    write(root / "notes" / "overfitting-basics.md", NOTE)
    write(root / "questions" / "basics.yaml", QUESTIONS)
    return root


@pytest.fixture
def settings(tmp_path: Path, knowledge: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", knowledge_dir=knowledge, _env_file=None)


@pytest.fixture
def bank(knowledge: Path) -> Bank:
    return check_bank(knowledge, strict=False)[0]


@pytest.fixture
def index(settings: Settings, embedder) -> KnowledgeIndex:
    """The tiny knowledge base ingested into Chroma under the temp data dir."""
    ensure_index(settings)
    return build_index(settings)


@pytest.fixture
async def deps(
    settings: Settings, bank: Bank, clock: FakeClock, index: KnowledgeIndex, embedder
) -> AsyncIterator[BotDeps]:
    """The real grader over the temp index; the form's questions are embedded there too."""
    grader = build_grader(settings, index)
    service, store = await build_service(settings, grader=grader, clock=clock, bank=bank)
    try:
        yield BotDeps(
            settings=settings,
            service=service,
            store=store,
            clock=clock,
            get_index=lambda: index,
            get_embedder=lambda: embedder,
        )
    finally:
        await store.close()


class Other:
    """A second server with its own admin and member."""

    def __init__(self, guild: FakeGuild) -> None:
        self.guild = guild
        self.channel: FakeChannel = guild.add_text_channel("general")
        self.admin: FakeMember = guild.add_member("otto", admin=True)
        self.member: FakeMember = guild.add_member("olivia")


@pytest.fixture
def daily(world: World) -> FakeChannel:
    """A channel for the daily question (exists before the bot connects)."""
    return world.guild.add_text_channel("daily")


@pytest.fixture
def other(world: World) -> Other:
    """Created with the world, before the bot connects."""
    return Other(world.server.add_guild("Other Server"))


async def add_question(world: World, **changes: str) -> FakeMessage:
    """The admin runs ``/question add`` and submits the form; returns the private reply."""
    server = world.server
    opened = await server.slash(world.admin, world.channel, "question add", {"topic": "evaluation"})
    values = {**FORM, **changes}
    submit = await server.submit_modal(world.admin, opened, values=values)
    return await submit.response()


def fields(message: FakeMessage) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message.embed.get("fields", [])}


def question_id_of(reply: FakeMessage) -> str:
    return reply.embed["footer"]["text"].split(" · ")[0]


async def test_added_question_is_asked_and_graded_by_the_real_grader(
    other: Other, world: World, bot: InterviewBot, index: KnowledgeIndex
) -> None:
    server = world.server
    opened = await server.slash(
        world.admin, world.channel, "question add", {"topic": "evaluation", "difficulty": "hard"}
    )
    modal = await opened.modal()
    assert opened.callback is not None and opened.callback.type == 9
    assert list(modal.fields) == ["question", "model_answer", "key_points", "topic", "difficulty"]
    assert modal.fields["topic"].get("value") == "evaluation"
    assert modal.fields["difficulty"].get("value") == "hard"
    assert modal.fields["question"]["style"] == 2

    submit = await server.submit_modal(world.admin, opened, values=FORM)
    added = await submit.response()
    assert submit.callback is not None and submit.callback.type == 5  # deferred: embedding
    assert added.ephemeral and added.embed["title"] == "Question added"
    qid = question_id_of(added)
    assert qid == f"g{world.guild.id}-how-would-you-run-an-a"
    assert "Key points (2)" in fields(added)
    assert len(index.get({"question_id": qid})) == 2  # embedded into Chroma

    # The only evaluation question here: /practice asks it, the real grader grades it.
    asked = await run_slash(server, world.alice, world.channel, "practice", {"topic": "evaluation"})
    assert "A/B test" in asked.embed["description"] and qid in asked.embed["footer"]["text"]
    graded = await answer_question(server, world.alice, asked, GOOD_ANSWER)
    assert graded.ephemeral
    score = float(graded.embed["title"].removeprefix("Your grade: ").split(" / ")[0])
    assert score > 5
    covered = next(v for k, v in fields(graded).items() if k.startswith("Covered"))
    assert "randomly split" in covered  # the member's own sentence is quoted as evidence
    weak = await answer_question(server, world.bob, asked, "I would ask my manager what to do.")
    missed = next(v for k, v in fields(weak).items() if k.startswith("Missed"))
    assert "📖" in missed  # no source given: the closest note section is cited

    # Server isolation: the other server neither lists, asks, removes nor grades it.
    listing = await run_slash(server, other.admin, other.channel, "question list")
    assert "no questions of its own" in listing.embed["description"]
    none = await run_slash(server, other.member, other.channel, "practice", {"topic": "evaluation"})
    assert "No question matches" in none.embed["description"]
    refused = await run_slash(
        server, other.admin, other.channel, "question remove", {"question_id": qid}
    )
    assert "has no question" in refused.content
    channel = bot.get_channel(other.channel.id)
    assert channel is not None
    await channel.send("copied button", view=question_view(qid))  # type: ignore[union-attr]
    copied = await server.wait_for_message(other.channel, lambda m: m.content == "copied button")
    click = await server.click(other.member, copied, label="Answer")
    denied = await click.response()
    assert denied.ephemeral and "no longer available here" in denied.embed["description"]
    assert len(index.get({"question_id": qid})) == 2


async def test_form_problems_keep_what_was_typed(world: World, bot: InterviewBot) -> None:
    server = world.server
    bad = {**FORM, "topic": "cooking", "key_points": "Too short"}
    opened = await server.slash(world.admin, world.channel, "question add")
    rejected = await (await server.submit_modal(world.admin, opened, values=bad)).response()
    assert rejected.ephemeral and rejected.embed["title"] == "Question not saved"
    text = rejected.embed["description"]
    assert "Topic must be one of" in text and "Key point 1" in text
    assert await bot.deps.store.list_questions(world.guild.id) == []

    fix = await server.click(world.admin, rejected, label="Fix and resubmit")
    modal = await fix.modal()
    assert modal.fields["topic"].get("value") == "cooking"
    assert modal.fields["question"].get("value") == FORM["question"]
    saved = await (await server.submit_modal(world.admin, fix, values=FORM)).response()
    assert saved.embed["title"] == "Question added"
    again = await add_question(world)  # the same prompt again gets a distinct id
    assert question_id_of(again) == question_id_of(saved) + "-2"


async def test_list_and_remove(world: World, bot: InterviewBot, index: KnowledgeIndex) -> None:
    server, admin = world.server, world.admin
    empty = await run_slash(server, admin, world.channel, "question list")
    assert "no questions of its own" in empty.embed["description"]
    qid = question_id_of(await add_question(world))
    listing = await run_slash(server, admin, world.channel, "question list")
    assert qid in listing.embed["description"] and "A/B test" in listing.embed["description"]
    choices = await server.autocomplete(
        admin, world.channel, "question remove", focused="question_id", value="run-an"
    )
    assert [c["value"] for c in choices] == [qid]

    shipped = await run_slash(
        server, admin, world.channel, "question remove", {"question_id": "tiny-overfit"}
    )
    assert "shipped questions cannot be removed" in shipped.content
    removed = await run_slash(server, admin, world.channel, "question remove", {"question_id": qid})
    assert f"Removed `{qid}`" in removed.content
    assert await bot.deps.store.list_questions(world.guild.id) == []
    assert index.get({"question_id": qid}) == []
    gone = await run_slash(server, admin, world.channel, "question remove", {"question_id": qid})
    assert "has no question" in gone.content


async def test_the_open_dailys_question_cannot_be_removed(
    daily: FakeChannel, world: World, bot: InterviewBot, clock: FakeClock
) -> None:
    server, admin = world.server, world.admin
    qid = question_id_of(await add_question(world))
    cog = bot.get_cog("Daily")
    assert cog is not None
    await asyncio.wait_for(cog.ready.wait(), 5)  # type: ignore[attr-defined]
    hour = clock.now().strftime("%H:00")
    setup = await run_slash(
        server,
        admin,
        world.channel,
        "daily setup",
        {"channel": daily, "time": hour, "timezone": "UTC", "topics": "evaluation"},
    )
    assert setup.embed["title"] == "Daily question set up"
    posted = await run_slash(server, admin, world.channel, "daily now")
    assert "is posted in" in posted.content
    refused = await run_slash(server, admin, world.channel, "question remove", {"question_id": qid})
    assert "still open" in refused.content
    assert [q.id for q in await bot.deps.store.list_questions(world.guild.id)] == [qid]


async def test_plain_members_cannot_manage_questions(world: World, bot: InterviewBot) -> None:
    server, bob = world.server, world.bob
    with pytest.raises(CommandNotPermittedError):
        await server.slash(bob, world.channel, "question list")
    for command, options in (
        ("question add", {}),
        ("question list", {}),
        ("question remove", {"question_id": "anything"}),
    ):
        denied = await run_slash(
            server, bob, world.channel, command, options, enforce_permissions=False
        )
        assert denied.ephemeral and "Manage Server" in denied.content
