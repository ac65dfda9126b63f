"""End to end: /group create|join|leave|list|rename|delete and /privacy forget-me|leaderboard."""

from __future__ import annotations

from bot.adapters.discord.client import BotDeps, InterviewBot
from bot.core.leaderboard import Scope
from bot.core.schedule import Period
from tests.adapters.discord.conftest import World, answer_question, run_slash


async def test_study_group_lifecycle(world: World, bot: InterviewBot) -> None:
    server, alice, bob = world.server, world.alice, world.bob
    created = await run_slash(server, alice, world.channel, "group create", {"name": "ML  Crew"})
    assert not created.ephemeral and not created.pings_anyone  # announced, nobody pinged
    assert "created the study group **ML Crew**" in created.embed["description"]

    taken = await run_slash(server, bob, world.channel, "group create", {"name": "ml crew"})
    assert taken.ephemeral and "already exists" in taken.embed["description"]

    choices = await server.autocomplete(bob, world.channel, "group join", "name", "crew")
    assert choices == [{"name": "ML Crew (1 member)", "value": "ML Crew"}]
    joined = await run_slash(server, bob, world.channel, "group join", {"name": "ML Crew"})
    assert joined.ephemeral and "You joined **ML Crew**" in joined.content
    again = await run_slash(server, bob, world.channel, "group join", {"name": "ML Crew"})
    assert "already in **ML Crew**" in again.embed["description"]

    listing = await run_slash(server, bob, world.channel, "group list")
    assert "**ML Crew** — 2 members ← your group" in listing.embed["description"]

    # Only the creator (or an admin) may rename or delete: a polite refusal, not an error.
    refused = await run_slash(
        server, bob, world.channel, "group rename", {"name": "ML Crew", "new_name": "Bobs"}
    )
    assert refused.ephemeral and "creator or a server admin" in refused.embed["description"]
    renamed = await run_slash(
        server, alice, world.channel, "group rename", {"name": "ml crew", "new_name": "Attention!"}
    )
    assert renamed.content == "**ml crew** is now called **Attention!**."

    left = await run_slash(server, bob, world.channel, "group leave")
    assert "You left" in left.content
    not_in = await run_slash(server, bob, world.channel, "group leave")
    assert "not in a study group" in not_in.embed["description"]

    deleted = await run_slash(
        server, world.admin, world.channel, "group delete", {"name": "Attention!"}
    )
    assert "was deleted" in deleted.content
    empty = await run_slash(server, bob, world.channel, "group list")
    assert "No study groups yet" in empty.embed["description"]


async def test_group_names_are_shown_literally(world: World, bot: InterviewBot) -> None:
    server = world.server
    created = await run_slash(
        server, world.alice, world.channel, "group create", {"name": "**@everyone** <@1234>"}
    )
    text = created.embed["description"]
    assert "\\*\\*@\u200beveryone\\*\\*" in text
    assert not created.pings_everyone and not created.pings_anyone


async def test_forget_me_needs_confirmation(world: World, bot: InterviewBot, deps: BotDeps) -> None:
    server, alice = world.server, world.alice
    question = await run_slash(server, alice, world.channel, "practice")
    await answer_question(server, alice, question, "term0 term1.")
    await run_slash(server, alice, world.channel, "group create", {"name": "Solo"})

    warning = await run_slash(server, alice, world.channel, "privacy forget-me")
    assert warning.ephemeral and "cannot be undone" in warning.embed["description"]
    cancel = await server.click(alice, warning, label="Cancel")
    await cancel.wait_callback()
    await server.wait_until(lambda: warning.embed["title"] == "Cancelled")
    assert warning.components == []
    assert (await deps.service.member_stats(world.guild.id, alice.id)).attempts == 1

    warning = await run_slash(server, alice, world.channel, "privacy forget-me")
    confirm = await server.click(alice, warning, label="Yes, delete my data")
    await confirm.wait_callback()
    await server.wait_until(lambda: warning.embed["title"] == "Data deleted")
    assert "1 answer" in warning.embed["description"] and warning.components == []
    stats = await deps.service.member_stats(world.guild.id, alice.id)
    assert stats.attempts == 0 and stats.group is None


async def test_leaderboard_opt_out(world: World, bot: InterviewBot, deps: BotDeps) -> None:
    server, alice = world.server, world.alice
    question = await run_slash(server, alice, world.channel, "practice")
    await answer_question(server, alice, question, "term0 term1 term2.")
    board = await deps.service.standings(world.guild.id, Period.WEEK, Scope.MEMBERS)
    assert [r.subject_id for r in board.rows] == [alice.id]

    off = await run_slash(
        server, alice, world.channel, "privacy leaderboard", {"visibility": "off"}
    )
    assert off.ephemeral and "hidden" in off.content
    shown = await run_slash(server, world.bob, world.channel, "leaderboard")
    assert "Nobody has scored this week yet" in shown.embed["description"]

    on = await run_slash(server, alice, world.channel, "privacy leaderboard", {"visibility": "on"})
    assert "appear" in on.content
    shown = await run_slash(server, world.bob, world.channel, "leaderboard")
    assert f"<@{alice.id}>" in shown.embed["description"]
