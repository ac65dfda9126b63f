"""``/group create|join|leave|list|rename|delete``: study groups."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import Choice
from discord.ext import commands

from bot.adapters.discord.client import get_deps
from bot.adapters.discord.errors import is_admin
from bot.adapters.discord.render import groups as wording
from bot.adapters.discord.render.common import send
from bot.adapters.discord.views import require_guild
from bot.core.groups import MAX_NAME_LENGTH

GroupName = app_commands.Range[str, 1, MAX_NAME_LENGTH]


async def group_choices(interaction: discord.Interaction, current: str) -> list[Choice[str]]:
    """Autocomplete: the server's groups whose name contains what was typed."""
    if interaction.guild_id is None:
        return []
    groups = await get_deps(interaction.client).service.list_groups(interaction.guild_id)
    typed = current.casefold().strip()
    return [
        Choice(name=wording.choice_name(g), value=g.name)
        for g in groups
        if typed in g.name.casefold()
    ][:25]


class GroupsCog(commands.Cog):
    """Study groups."""

    group = app_commands.Group(name="group", description=wording.CMD_GROUP, guild_only=True)

    @group.command(name="create", description=wording.CMD_CREATE)
    @app_commands.describe(name=wording.OPT_NAME)
    async def create(self, interaction: discord.Interaction, name: GroupName) -> None:
        """Create a group; announced in the channel so others can join."""
        guild_id = require_guild(interaction)
        created = await get_deps(interaction.client).service.create_group(
            guild_id, interaction.user.id, name
        )
        await send(interaction, wording.created(created, interaction.user.id), ephemeral=False)

    @group.command(name="join", description=wording.CMD_JOIN)
    @app_commands.describe(name=wording.OPT_NAME)
    @app_commands.autocomplete(name=group_choices)
    async def join(self, interaction: discord.Interaction, name: GroupName) -> None:
        """Join a group by name."""
        guild_id = require_guild(interaction)
        group = await get_deps(interaction.client).service.join_group(
            guild_id, interaction.user.id, name
        )
        await send(interaction, wording.joined(group))

    @group.command(name="leave", description=wording.CMD_LEAVE)
    async def leave(self, interaction: discord.Interaction) -> None:
        """Leave the member's group."""
        guild_id = require_guild(interaction)
        group = await get_deps(interaction.client).service.leave_group(
            guild_id, interaction.user.id
        )
        await send(interaction, wording.left(group))

    @group.command(name="list", description=wording.CMD_LIST)
    async def list_groups(self, interaction: discord.Interaction) -> None:
        """List the groups (privately)."""
        guild_id = require_guild(interaction)
        service = get_deps(interaction.client).service
        groups = await service.list_groups(guild_id)
        mine = await service.member_group(guild_id, interaction.user.id)
        await send(interaction, wording.group_list(groups, mine))

    @group.command(name="rename", description=wording.CMD_RENAME)
    @app_commands.describe(name=wording.OPT_NAME, new_name=wording.OPT_NEW_NAME)
    @app_commands.autocomplete(name=group_choices)
    async def rename(
        self, interaction: discord.Interaction, name: GroupName, new_name: GroupName
    ) -> None:
        """Rename a group (the service refuses anyone but its creator or an admin)."""
        guild_id = require_guild(interaction)
        renamed = await get_deps(interaction.client).service.rename_group(
            guild_id, interaction.user.id, name, new_name, is_admin=is_admin(interaction)
        )
        await send(interaction, wording.renamed(name, renamed))

    @group.command(name="delete", description=wording.CMD_DELETE)
    @app_commands.describe(name=wording.OPT_NAME)
    @app_commands.autocomplete(name=group_choices)
    async def delete(self, interaction: discord.Interaction, name: GroupName) -> None:
        """Delete a group (its creator or an admin)."""
        guild_id = require_guild(interaction)
        group = await get_deps(interaction.client).service.delete_group(
            guild_id, interaction.user.id, name, is_admin=is_admin(interaction)
        )
        await send(interaction, wording.deleted(group))


async def setup(bot: commands.Bot) -> None:
    """Load the cog."""
    await bot.add_cog(GroupsCog())
