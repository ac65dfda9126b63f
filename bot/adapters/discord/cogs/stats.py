"""``/stats [member]``: progress, streak, weak points, and a chart rendered off the event loop."""

from __future__ import annotations

import asyncio
import io

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.charts import stats_chart
from bot.adapters.discord.client import get_deps
from bot.adapters.discord.render import stats as wording
from bot.adapters.discord.render.common import send
from bot.adapters.discord.views import require_guild


class StatsCog(commands.Cog):
    """Member progress."""

    @app_commands.command(name="stats", description=wording.CMD_STATS)
    @app_commands.describe(member=wording.OPT_MEMBER)
    @app_commands.guild_only()
    async def stats(
        self, interaction: discord.Interaction, member: discord.Member | None = None
    ) -> None:
        """Show a member's progress privately, with the chart attached."""
        guild_id = require_guild(interaction)
        target = member or interaction.user
        if target.bot:
            await send(interaction, wording.no_bots())
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        service = get_deps(interaction.client).service
        if target.id != interaction.user.id:
            # Members who left the boards keep their progress to themselves as well.
            settings = await service.member_settings(guild_id, target.id)
            if settings.leaderboard_opt_out:
                await send(interaction, wording.private(target.display_name))
                return
        stats = await service.member_stats(guild_id, target.id)
        files = []
        if stats.history or stats.topics:
            # matplotlib is CPU work: keep the gateway heartbeat going meanwhile.
            png = await asyncio.to_thread(
                stats_chart, stats.history, wording.chart_topics(stats), wording.CHART_TEXT
            )
            files.append(discord.File(io.BytesIO(png), filename=wording.CHART_FILE))
        reply = wording.stats(stats, target.display_name, chart=bool(files))
        reply.files = files
        await send(interaction, reply)


async def setup(bot: commands.Bot) -> None:
    """Load the cog."""
    await bot.add_cog(StatsCog())
