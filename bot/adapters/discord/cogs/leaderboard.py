"""``/leaderboard [period] [scope]``: a public board with page buttons that survive restarts."""

from __future__ import annotations

import re
from typing import Any, Self

import discord
from discord import app_commands
from discord.app_commands import Choice
from discord.ext import commands

from bot.adapters.discord.client import get_deps
from bot.adapters.discord.render import leaderboard as wording
from bot.adapters.discord.render.common import edit, send
from bot.adapters.discord.views import PersistentButton, require_guild
from bot.core.leaderboard import Scope
from bot.core.schedule import Period

PERIODS = "|".join(p.value for p in Period)
SCOPES = "|".join(s.value for s in Scope)


class BoardPageButton(
    PersistentButton,
    template=rf"ib:board:(?P<period>{PERIODS}):(?P<scope>{SCOPES}):(?P<page>\d{{1,5}})",
):
    """Previous / Next: show another page of the same board (edits the message)."""

    def __init__(
        self, period: Period, scope: Scope, page: int, *, label: str, disabled: bool = False
    ) -> None:
        """Build a button leading to ``page`` of the board."""
        self.period, self.scope, self.page = period, scope, page
        super().__init__(
            discord.ui.Button(
                label=label,
                custom_id=f"ib:board:{period.value}:{scope.value}:{page}",
                emoji="◀️" if label == wording.LABEL_PREVIOUS else "▶️",
                disabled=disabled,
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        """Rebuild the button from its custom id (the label does not matter any more)."""
        return cls(Period(match["period"]), Scope(match["scope"]), int(match["page"]), label="")

    async def run(self, interaction: discord.Interaction) -> None:
        """Replace the board with the requested page."""
        require_guild(interaction)
        await interaction.response.defer()  # the message itself is updated
        await show_board(interaction, self.period, self.scope, self.page, replace=True)


def board_view(period: Period, scope: Scope, page: int, pages: int) -> discord.ui.View | None:
    """Page buttons (none for a single page)."""
    if pages <= 1:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(
        BoardPageButton(period, scope, page - 1, label=wording.LABEL_PREVIOUS, disabled=page <= 1)
    )
    view.add_item(
        BoardPageButton(period, scope, page + 1, label=wording.LABEL_NEXT, disabled=page >= pages)
    )
    return view


async def show_board(
    interaction: discord.Interaction,
    period: Period,
    scope: Scope,
    page: int = 1,
    *,
    replace: bool = False,
) -> None:
    """Send (or, from a page button, replace) a page of the board."""
    guild_id = require_guild(interaction)
    standings = await get_deps(interaction.client).service.standings(
        guild_id, period, scope, page=max(1, page)
    )
    reply = wording.board(standings)
    view = board_view(standings.period, standings.scope, standings.page, standings.pages)
    if replace:
        await edit(interaction, reply, view=view)
    else:
        await send(interaction, reply, view=view, ephemeral=False)


class LeaderboardCog(commands.Cog):
    """Leaderboards."""

    @app_commands.command(name="leaderboard", description=wording.CMD_LEADERBOARD)
    @app_commands.describe(period=wording.OPT_PERIOD, scope=wording.OPT_SCOPE)
    @app_commands.choices(
        period=[Choice(name=n, value=v) for n, v in wording.PERIOD_CHOICES],
        scope=[Choice(name=n, value=v) for n, v in wording.SCOPE_CHOICES],
    )
    @app_commands.guild_only()
    async def leaderboard(
        self,
        interaction: discord.Interaction,
        period: Choice[str] | None = None,
        scope: Choice[str] | None = None,
    ) -> None:
        """Post the board in the channel (members never get pinged by it)."""
        require_guild(interaction)
        await interaction.response.defer(thinking=True)
        await show_board(
            interaction,
            Period(period.value) if period else Period.WEEK,
            Scope(scope.value) if scope else Scope.MEMBERS,
        )


async def setup(bot: commands.Bot) -> None:
    """Load the cog and its persistent page buttons."""
    bot.add_dynamic_items(BoardPageButton)
    await bot.add_cog(LeaderboardCog())


async def teardown(bot: commands.Bot) -> None:
    """Unload: forget the page buttons (a reload registers them again)."""
    bot.remove_dynamic_items(BoardPageButton)
