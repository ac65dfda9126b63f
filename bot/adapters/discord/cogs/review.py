"""``/review``: the spaced-repetition queue, and the most overdue question to answer now."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.client import get_deps
from bot.adapters.discord.render import review as wording
from bot.adapters.discord.render.common import send
from bot.adapters.discord.views import TryAnotherButton, require_guild, show_question


class ReviewCog(commands.Cog):
    """Spaced review of missed questions."""

    @app_commands.command(name="review", description=wording.CMD_REVIEW)
    @app_commands.guild_only()
    async def review(self, interaction: discord.Interaction) -> None:
        """Show the queue (due first) and ask the most overdue question, if any."""
        guild_id = require_guild(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        service = get_deps(interaction.client).service
        entries = await service.review_queue(guild_id, interaction.user.id)
        ask = await service.review_next(guild_id, interaction.user.id)
        if ask is None:
            view = discord.ui.View(timeout=None)
            view.add_item(TryAnotherButton(None))
            await send(interaction, wording.queue(entries), view=view)
            return
        await show_question(interaction, ask, extra=wording.queue(entries))


async def setup(bot: commands.Bot) -> None:
    """Load the cog."""
    await bot.add_cog(ReviewCog())
