"""The permission matrix: every admin-only command, option and button refuses a plain member.

The lists come from the bot itself, so a new admin command is covered the day it is added:

* commands: every command of the synced tree whose top-level command carries default
  permissions (``errors.is_admin_command``). Discord hides them from plain members; a server
  may override that, so each is also run with ``enforce_permissions=False``: the bot must
  refuse politely (ephemeral, "Manage Server"), and change nothing (every table compared).
  An admin, and a member holding only Manage Server, are not refused;
* autocomplete of admin commands offers a plain member nothing;
* buttons and forms: every persistent button pattern and modal route the bot registered is
  classified below (a new one fails the test until it is); the admin-only form refuses a
  plain member, and member-bound buttons refuse other members.
"""

from __future__ import annotations

import re
from typing import Any

import discord
import pytest
from discord import app_commands
from sqlalchemy import text

from bot.adapters.discord.client import BotDeps, InterviewBot
from bot.adapters.discord.errors import is_admin_command
from bot.adapters.discord.render.errors import NEEDS_ADMIN, NOT_YOURS
from bot.store.sql import SqlStore
from tests.adapters.discord.conftest import World, answer_question, run_slash
from tests.fakediscord import CommandNotPermittedError, FakeDiscord, FakeMember, FakeMessage
from tests.fakediscord.interactions import FakeModal
from tests.fakes import make_question
from tests.reliability.support import everything_seen, forged_modal, table_names

ADMIN_FORMS = {"ib:question-form"}
"""Modal routes only admins may submit (matched against each registered route)."""
MEMBER_FORMS = {"ib:answer-modal:q-overfit:-"}
"""Modal routes any member may submit (a sample custom id of each)."""
MEMBER_BUTTONS = {
    "AnswerButton",
    "HintButton",
    "SkipButton",
    "ModelAnswerButton",
    "FollowUpButton",
    "TryAnotherButton",
    "NextReviewButton",
    "BoardPageButton",
}
"""Persistent buttons any member may press (each acts on the presser's own data)."""
MEMBER_BOUND_BUTTONS = {"ForgetButton"}
"""Persistent buttons only the member named in their custom id may press."""

SAMPLE_STRINGS = {
    "time": "09:00",
    "timezone": "UTC",
    "topics": "ml-foundations",
    "question_id": "g1-nope",
}


def _leaf_options(spec: dict[str, Any], path: list[str]) -> list[dict[str, Any]]:
    options = list(spec.get("options") or [])
    for name in path:
        options = next(o for o in options if o["name"] == name).get("options") or []
    return options


def _sample(option: dict[str, Any], world: World) -> Any:
    if option.get("choices"):
        return option["choices"][0]["value"]
    kind = option["type"]
    if kind == 3:
        return SAMPLE_STRINGS.get(option["name"], "x" * max(1, option.get("min_length", 1)))
    if kind == 4:
        return option.get("min_value", 1)
    if kind == 10:
        return float(option.get("min_value", 1))
    if kind == 5:
        return True
    if kind == 6:
        return world.alice
    if kind == 7:
        return world.channel
    raise AssertionError(f"no sample value for option type {kind}")


def _options(server: FakeDiscord, world: World, qualified: str) -> dict[str, Any]:
    root, *path = qualified.split()
    spec = server.find_command(root, world.guild)
    return {
        o["name"]: _sample(o, world)
        for o in _leaf_options(spec, path)
        if o.get("required") or o["type"] in (7,)
    }


async def snapshot(store: SqlStore) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (introspected: new tables are compared too)."""
    out = {}
    async with store.engine.connect() as conn:
        for table in await table_names(store):
            rows = (await conn.execute(text(f'SELECT * FROM "{table}"'))).fetchall()
            out[table] = sorted((tuple(r) for r in rows), key=repr)
    return out


def admin_commands(bot: InterviewBot) -> list[str]:
    """Qualified names of every admin-only command the bot registers."""
    return sorted(
        c.qualified_name
        for c in bot.tree.walk_commands()
        if not isinstance(c, app_commands.Group) and is_admin_command(c)
    )


def _refused(shown: list[FakeMessage | FakeModal]) -> bool:
    return any(isinstance(m, FakeMessage) and m.content == NEEDS_ADMIN for m in shown)


async def test_every_admin_command_refuses_a_plain_member(
    world: World, bot: InterviewBot, deps: BotDeps, questions_without_index: None
) -> None:
    server, alice, channel = world.server, world.alice, world.channel
    names = admin_commands(bot)
    # The admin surface today; the list itself comes from the bot.
    assert {"daily setup", "daily off", "question add", "question remove"} <= set(names)
    manager = world.guild.add_member("manager", permissions=discord.Permissions(manage_guild=True))
    synced = {c["name"]: c for c in server.synced_commands(world.guild)}
    for name in names:
        options = _options(server, world, name)
        root = name.split()[0]
        bits = int(synced[root]["default_member_permissions"])
        assert bits & discord.Permissions(manage_guild=True).value, f"/{name} is not hidden"
        with pytest.raises(CommandNotPermittedError):
            await server.slash(alice, channel, name, options)  # Discord hides it

        before = await snapshot(deps.store)
        refused = await everything_seen(
            await server.slash(alice, channel, name, options, enforce_permissions=False)
        )
        assert _refused(refused), f"/{name} did not refuse a plain member: {refused}"
        assert all(isinstance(m, FakeMessage) and m.ephemeral for m in refused), name
        assert await snapshot(deps.store) == before, f"/{name} changed state for a member"

        for who in (world.admin, manager):
            allowed = await everything_seen(await server.slash(who, channel, name, options))
            assert not _refused(allowed), f"/{name} refused {who.name}"


async def test_admin_autocomplete_offers_members_nothing(
    world: World, bot: InterviewBot, deps: BotDeps
) -> None:
    server, alice, channel = world.server, world.alice, world.channel
    # A server question, so that /question remove has something to offer an admin.
    own = make_question(f"g{world.guild.id}-seed", guild_id=world.guild.id)
    await deps.store.add_question(own, deps.clock.now())
    checked = 0
    for name in admin_commands(bot):
        root, *path = name.split()
        spec = server.find_command(root, world.guild)
        for option in _leaf_options(spec, path):
            if not option.get("autocomplete"):
                continue
            offered = await server.autocomplete(world.admin, channel, name, option["name"], "")
            assert offered, f"/{name} {option['name']} offers an admin nothing"
            hidden = await server.autocomplete(alice, channel, name, option["name"], "")
            assert hidden == [], f"/{name} {option['name']} offered a member {hidden}"
            checked += 1
    assert checked >= 2  # /daily setup timezone and topics at least


async def test_every_button_and_form_is_classified(bot: InterviewBot) -> None:
    buttons = {item.__name__ for item in bot.button_patterns}
    assert buttons == MEMBER_BUTTONS | MEMBER_BOUND_BUTTONS, (
        "classify the new persistent button in tests/reliability/test_permissions.py: "
        f"{buttons ^ (MEMBER_BUTTONS | MEMBER_BOUND_BUTTONS)}"
    )
    for pattern, _handler in bot.modal_routes:
        known = [cid for cid in ADMIN_FORMS | MEMBER_FORMS if pattern.fullmatch(cid)]
        assert len(known) == 1, f"classify the modal route {pattern.pattern!r}"


async def test_admin_form_refuses_a_plain_member(
    world: World, bot: InterviewBot, deps: BotDeps, questions_without_index: None
) -> None:
    server = world.server
    values = {
        "question": "How does dropout reduce overfitting in a neural network?",
        "model_answer": "Dropout randomly zeroes activations during training so units cannot "
        "co-adapt to each other.",
        "key_points": "Dropout randomly zeroes activations during training | dropout",
        "topic": "ml-foundations",
        "difficulty": "easy",
    }
    for custom_id in ADMIN_FORMS:
        before = await snapshot(deps.store)
        refused = await everything_seen(
            await forged_modal(server, world.alice, world.channel, custom_id, values)
        )
        assert _refused(refused), refused
        assert await snapshot(deps.store) == before
        added = await everything_seen(
            await forged_modal(server, world.admin, world.channel, custom_id, values)
        )
        assert not _refused(added)
        assert await snapshot(deps.store) != before  # the admin's question was stored


async def _click(server: FakeDiscord, who: FakeMember, message: FakeMessage, label: str) -> list:
    return await everything_seen(
        await server.click(who, message, label=label), edits_before=len(message.edits)
    )


async def test_member_bound_buttons_refuse_other_members(
    world: World, bot: InterviewBot, deps: BotDeps
) -> None:
    server, alice, bob, channel = world.server, world.alice, world.bob, world.channel
    question = await run_slash(server, alice, channel, "practice")
    await answer_question(server, alice, question, "term0 term1.")
    warning = await run_slash(server, alice, channel, "privacy forget-me")
    before = await snapshot(deps.store)
    for label in ("Yes, delete my data", "Cancel"):
        shown = await _click(server, bob, warning, label)
        assert any(isinstance(m, FakeMessage) and m.content == NOT_YOURS for m in shown), label
    assert await snapshot(deps.store) == before
    assert warning.edits == []  # the warning is untouched for its owner

    # Groups: only the creator or an admin may rename or delete.
    await run_slash(server, alice, channel, "group create", {"name": "Alice crew"})
    before = await snapshot(deps.store)
    for command, options in (
        ("group rename", {"name": "Alice crew", "new_name": "Bob crew"}),
        ("group delete", {"name": "Alice crew"}),
    ):
        refused = await run_slash(server, bob, channel, command, options)
        assert "creator or a server admin" in refused.embed["description"], command
    assert await snapshot(deps.store) == before
    renamed = await run_slash(
        server, world.admin, channel, "group rename", {"name": "Alice crew", "new_name": "Crew"}
    )
    assert "is now called" in renamed.content


def test_admin_detection_follows_default_permissions() -> None:
    @app_commands.command(name="probe", description="probe")
    @app_commands.default_permissions(manage_guild=True)
    async def probe(interaction: discord.Interaction) -> None: ...

    @app_commands.command(name="open", description="open")
    async def open_(interaction: discord.Interaction) -> None: ...

    group = app_commands.Group(
        name="g", description="g", default_permissions=discord.Permissions(manage_guild=True)
    )

    @group.command(name="sub", description="sub")
    async def sub(interaction: discord.Interaction) -> None: ...

    assert is_admin_command(probe) and is_admin_command(sub)
    assert not is_admin_command(open_) and not is_admin_command(None)
    assert re.fullmatch(r"ib:question-form", next(iter(ADMIN_FORMS)))
