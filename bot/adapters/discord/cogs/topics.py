"""``/topics`` and ``/help``."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.client import get_deps
from bot.adapters.discord.render import topics as wording
from bot.adapters.discord.render.common import send
from bot.adapters.discord.views import require_guild


def command_help(tree: app_commands.CommandTree[Any]) -> list[wording.CommandHelp]:
    """Every slash command and subcommand, in name order, flagged when admin-only."""
    found: dict[str, wording.CommandHelp] = {}
    for command in tree.walk_commands():
        if isinstance(command, app_commands.Group):
            continue
        root = command.root_parent or command
        perms = getattr(root, "default_permissions", None)
        admin = perms is not None and perms.value != 0
        found[command.qualified_name] = wording.CommandHelp(
            command.qualified_name, command.description, admin
        )
    return [found[name] for name in sorted(found)]


class TopicsCog(commands.Cog):
    """Discovering what to practise, and how."""

    @app_commands.command(name="topics", description=wording.CMD_TOPICS)
    @app_commands.guild_only()
    async def topics(self, interaction: discord.Interaction) -> None:
        """List the server's topics with question counts."""
        guild_id = require_guild(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        counts = await get_deps(interaction.client).service.topics(guild_id)
        await send(interaction, wording.topics(counts))

    @app_commands.command(name="help", description=wording.CMD_HELP)
    async def help(self, interaction: discord.Interaction) -> None:
        """Explain the bot and list its commands."""
        client = interaction.client
        tree = client.tree if isinstance(client, commands.Bot | commands.AutoShardedBot) else None
        await send(interaction, wording.help_page(command_help(tree) if tree else []))


async def setup(bot: commands.Bot) -> None:
    """Load the cog."""
    await bot.add_cog(TopicsCog())
