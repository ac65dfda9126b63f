"""Meta tests over every cog: it loads, no command names clash, everything is described,
and admin commands check permissions at run time as well."""

from __future__ import annotations

import pkgutil
import re
from typing import Any

from discord import app_commands

from bot.adapters.discord import cogs
from bot.adapters.discord.client import BotDeps, InterviewBot, create_bot
from bot.config import Settings

NAME = re.compile(r"^[-_a-z0-9]{1,32}$")
UNDESCRIBED = {"", "…", "..."}


async def _loaded_bot(settings: Settings, deps: BotDeps) -> InterviewBot:
    bot = create_bot(settings, deps)
    loaded = await bot.load_cogs()
    modules = sorted(m.name for m in pkgutil.iter_modules(cogs.__path__) if m.name[0] != "_")
    assert loaded == modules
    return bot


def _commands(bot: InterviewBot) -> list[app_commands.Command[Any, ..., Any] | app_commands.Group]:
    return list(bot.tree.walk_commands())


async def test_every_cog_loads_and_names_do_not_clash(settings: Settings, deps: BotDeps) -> None:
    bot = await _loaded_bot(settings, deps)
    try:
        top = [c.name for c in bot.tree.get_commands()]
        assert len(top) == len(set(top)), top
        assert len(top) <= 100  # Discord's limit of guild commands
        qualified = [c.qualified_name for c in _commands(bot)]
        assert len(qualified) == len(set(qualified))
        assert {"practice", "leaderboard", "stats", "review", "topics", "help", "group"} <= set(top)
        assert {"privacy forget-me", "privacy leaderboard", "group join"} <= set(qualified)
        for cog_name in bot.cogs:
            assert bot.get_cog(cog_name) is not None
    finally:
        await bot.close()


async def test_every_command_and_option_is_described(settings: Settings, deps: BotDeps) -> None:
    bot = await _loaded_bot(settings, deps)
    try:
        for command in _commands(bot):
            where = f"/{command.qualified_name}"
            assert NAME.match(command.name), where
            assert command.description not in UNDESCRIBED, where
            assert len(command.description) <= 100, where
            if isinstance(command, app_commands.Group):
                continue
            for param in command.parameters:
                assert NAME.match(param.name), f"{where} {param.name}"
                assert param.description not in UNDESCRIBED, f"{where} {param.name}"
                assert len(param.description) <= 100, f"{where} {param.name}"
                for choice in param.choices:
                    assert 1 <= len(choice.name) <= 100, f"{where} {param.name}"
            payload = command.to_dict(bot.tree)
            assert len(str(payload)) < 8000, where  # Discord caps a command's total text
    finally:
        await bot.close()


async def test_admin_commands_also_check_at_run_time(settings: Settings, deps: BotDeps) -> None:
    bot = await _loaded_bot(settings, deps)
    try:
        for command in _commands(bot):
            if isinstance(command, app_commands.Group):
                continue
            root = command.root_parent or command
            perms = root.default_permissions
            if perms is not None and perms.value:
                # Servers can override default permissions: the bot must refuse by itself.
                assert command.checks, f"/{command.qualified_name} has no run-time check"
    finally:
        await bot.close()
