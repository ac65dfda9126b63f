"""End to end: buttons and modals survive a restart; errors and refusals are never silent;
the bot runs sharded."""

from __future__ import annotations

import re
from pathlib import Path

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.client import BotDeps, InterviewBot, create_bot
from bot.adapters.discord.errors import admin_only
from bot.app import build_service
from bot.bank import Bank
from bot.config import Settings
from bot.core.practice import Submission
from tests.adapters.discord.conftest import BotFactory, World, answer_question, run_slash
from tests.fakediscord import CommandNotPermittedError, FakeDiscord
from tests.fakediscord.fixtures import StartBot
from tests.fakes import FakeClock, FakeGrader


async def test_buttons_and_modals_work_after_a_restart(
    world: World,
    start_bot: StartBot,
    make_bot: BotFactory,
    settings: Settings,
    bank: Bank,
    grader: FakeGrader,
    clock: FakeClock,
    deps: BotDeps,
) -> None:
    server, alice, bob = world.server, world.alice, world.bob
    first = await start_bot(make_bot())
    question = await run_slash(server, alice, world.channel, "practice")
    opened = await server.click(alice, question, label="Answer")  # modal open across restart
    await opened.modal()
    bob_question = await run_slash(server, bob, world.channel, "practice")
    graded = await answer_question(server, bob, bob_question, "term0 only.")
    for i in range(11):
        player = world.guild.add_member(f"p{i}")
        ask = await deps.service.ask(world.guild.id, player.id)
        await deps.service.submit_answer(
            Submission(world.guild.id, player.id, ask.question.id, "term0", f"seed-{i}")
        )
    board = await run_slash(server, alice, world.channel, "leaderboard")
    warning = await run_slash(server, bob, world.channel, "privacy forget-me")
    await first.stop()

    # A new process: a new bot and a new store on the same database, the same fake Discord.
    service, store = await build_service(settings, grader=grader, clock=clock, bank=bank)
    try:
        fresh = BotDeps(settings=settings, service=service, store=store, clock=clock)
        await start_bot(create_bot(settings, fresh, guild_ready_timeout=0.05))
        assert server.identify_count == 2

        submit = await server.submit_modal(alice, opened, values={"answer": "term0 and term1."})
        late_grade = await submit.response()
        assert late_grade.ephemeral and late_grade.embed["title"].startswith("Your grade")

        model = await (await server.click(bob, graded, label="Model answer")).response()
        assert "model answer for" in model.embed["description"]
        follow = await (await server.click(bob, graded, label="Follow-up")).response()
        assert "What comes after" in follow.embed["description"]
        hint = await (await server.click(alice, question, label="Hint")).response()
        assert "Hint 1" in hint.embed["title"]
        again = await server.click(alice, question, label="Answer")
        assert (await again.modal()).title == "Your answer"

        page = await server.click(alice, board, label="Next")
        await page.wait_callback()
        await server.wait_until(lambda: board.embed["footer"]["text"].startswith("Page 2/2"))

        confirm = await server.click(bob, warning, label="Yes, delete my data")
        await confirm.wait_callback()
        await server.wait_until(lambda: warning.embed["title"] == "Data deleted")
    finally:
        await store.close()


async def test_unexpected_errors_are_logged_and_explained(
    world: World, bot: InterviewBot, deps: BotDeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = world.server
    assert server.errors is not None
    server.errors.allow(r"unexpected error \[ref [0-9a-f]{6}\]")

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database is on fire")

    monkeypatch.setattr(deps.service, "topics", broken)
    reply = await run_slash(server, world.alice, world.channel, "topics")
    assert reply.ephemeral and "Something went wrong" in reply.content
    ref = re.search(r"reference `([0-9a-f]{6})`", reply.content)
    assert ref is not None
    (record,) = [r for r in server.errors.records if r.name == "bot.adapters.discord.errors"]
    assert f"[ref {ref[1]}] in /topics" in record.getMessage()
    assert "the database is on fire" not in reply.content  # no internals to the member

    # The modal path too: grading fails after the deferral, the member is still told.
    monkeypatch.setattr(deps.service, "submit_answer", broken)
    question = await run_slash(server, world.alice, world.channel, "practice")
    failed = await answer_question(server, world.alice, question, "term0")
    assert failed.ephemeral and "Something went wrong" in failed.content
    assert not failed.loading


async def test_admin_commands_refuse_members_politely(
    world: World, start_bot: StartBot, make_bot: BotFactory
) -> None:
    server = world.server
    bot = make_bot()

    @app_commands.command(name="admin-probe", description="An admin-only probe")
    @admin_only()
    async def probe(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("admin ok", ephemeral=True)

    bot.tree.add_command(probe)
    await start_bot(bot)
    synced = next(c for c in server.synced_commands(world.guild) if c["name"] == "admin-probe")
    assert int(synced["default_member_permissions"]) == discord.Permissions(manage_guild=True).value

    with pytest.raises(CommandNotPermittedError):
        await server.slash(world.alice, world.channel, "admin-probe")
    # A server that overrode the default permissions: the bot's own check still refuses.
    refused = await run_slash(
        server, world.alice, world.channel, "admin-probe", enforce_permissions=False
    )
    assert refused.ephemeral and "Manage Server" in refused.content
    allowed = await run_slash(server, world.admin, world.channel, "admin-probe")
    assert allowed.content == "admin ok"


async def test_sharded_bot_runs_the_same_flows(
    world: World, start_bot: StartBot, settings: Settings, deps: BotDeps
) -> None:
    server = world.server
    sharded = settings.model_copy(update={"shard_count": 1, "shard_ids": [0]})
    bot = create_bot(sharded, deps, guild_ready_timeout=0.05)
    assert isinstance(bot, commands.AutoShardedBot) and bot.shard_ids == [0]
    await start_bot(bot)
    identify = next(f for f in server.received_frames if f["op"] == 2)
    assert identify["d"]["shard"] == [0, 1]
    question = await run_slash(server, world.alice, world.channel, "practice")
    graded = await answer_question(server, world.alice, question, "term0 term1.")
    assert graded.embed["title"].startswith("Your grade")


def test_shard_settings_are_validated(settings: Settings, deps: BotDeps) -> None:
    four = create_bot(settings.model_copy(update={"shard_count": 4, "shard_ids": [1, 3]}), deps)
    assert isinstance(four, commands.AutoShardedBot)
    assert four.shard_ids == [1, 3] and four.shard_count == 4
    assert not isinstance(create_bot(settings, deps), commands.AutoShardedBot)
    with pytest.raises(ValueError, match="SHARD_COUNT"):
        create_bot(settings.model_copy(update={"shard_ids": [0]}), deps)
    with pytest.raises(ValueError, match="between 0 and 1"):
        create_bot(settings.model_copy(update={"shard_count": 2, "shard_ids": [2]}), deps)


async def test_the_runner_reports_a_rejected_token_without_showing_it(
    fake_discord: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot import app
    from bot.adapters.discord import client

    monkeypatch.setattr(app, "build_grader", lambda settings, index=None: FakeGrader())
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)
    assert fake_discord.errors is not None
    fake_discord.errors.allow("DISCORD_TOKEN is not set|Discord rejected the token")
    assert client.run_discord(settings) == 2  # no token at all
    code = await client._serve(settings, "not-the-token")
    assert code == 1
    logged = "\n".join(fake_discord.errors.text(r) for r in fake_discord.errors.records)
    assert "Discord rejected the token" in logged and "not-the-token" not in logged
