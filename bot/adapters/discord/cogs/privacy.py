"""``/privacy forget-me`` (behind a confirm button) and ``/privacy leaderboard on|off``."""

from __future__ import annotations

import logging
import re
from typing import Any, Self

import discord
from discord import app_commands
from discord.app_commands import Choice
from discord.ext import commands

from bot.adapters.discord.client import get_deps
from bot.adapters.discord.render import errors as error_wording
from bot.adapters.discord.render import privacy as wording
from bot.adapters.discord.render.common import edit, send
from bot.adapters.discord.views import PersistentButton, require_guild

log = logging.getLogger(__name__)


class ForgetButton(
    PersistentButton, template=r"ib:forget:(?P<action>confirm|cancel):(?P<member>\d{1,20})"
):
    """Confirm or cancel ``/privacy forget-me`` (only for the member who asked)."""

    def __init__(self, action: str, member_id: int) -> None:
        """Build the confirm (``action="confirm"``) or cancel button for a member."""
        self.action, self.member_id = action, member_id
        confirm = action == "confirm"
        super().__init__(
            discord.ui.Button(
                label=wording.LABEL_CONFIRM if confirm else wording.LABEL_CANCEL,
                custom_id=f"ib:forget:{action}:{member_id}",
                style=discord.ButtonStyle.danger if confirm else discord.ButtonStyle.secondary,
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        """Rebuild the button from its custom id."""
        return cls(match["action"], int(match["member"]))

    async def run(self, interaction: discord.Interaction) -> None:
        """Delete (or keep) the member's data and replace the warning with the result."""
        guild_id = require_guild(interaction)
        if interaction.user.id != self.member_id:
            await send(interaction, error_wording.not_yours())
            return
        if self.action == "cancel":
            await edit(interaction, wording.cancelled())
            return
        await interaction.response.defer()  # deleting takes a transaction: edit afterwards
        report = await get_deps(interaction.client).service.forget_member(
            guild_id, interaction.user.id
        )
        await edit(interaction, wording.forgotten(report))


class PrivacyCog(commands.Cog):
    """Privacy controls."""

    privacy = app_commands.Group(name="privacy", description=wording.CMD_PRIVACY, guild_only=True)

    @privacy.command(name="forget-me", description=wording.CMD_FORGET)
    async def forget_me(self, interaction: discord.Interaction) -> None:
        """Ask for confirmation before deleting anything."""
        require_guild(interaction)
        view = discord.ui.View(timeout=None)
        view.add_item(ForgetButton("confirm", interaction.user.id))
        view.add_item(ForgetButton("cancel", interaction.user.id))
        await send(interaction, wording.confirm_forget(), view=view)

    @privacy.command(name="leaderboard", description=wording.CMD_LEADERBOARD)
    @app_commands.describe(visibility=wording.OPT_VISIBILITY)
    @app_commands.choices(
        visibility=[Choice(name=n, value=v) for n, v in wording.VISIBILITY_CHOICES]
    )
    async def leaderboard(self, interaction: discord.Interaction, visibility: Choice[str]) -> None:
        """Show or hide the member on boards."""
        guild_id = require_guild(interaction)
        shown = visibility.value == "on"
        await get_deps(interaction.client).service.set_leaderboard_opt_out(
            guild_id, interaction.user.id, opt_out=not shown
        )
        await send(interaction, wording.visibility(shown))


async def setup(bot: commands.Bot) -> None:
    """Load the cog and its persistent confirm buttons."""
    bot.add_dynamic_items(ForgetButton)
    await bot.add_cog(PrivacyCog())


async def teardown(bot: commands.Bot) -> None:
    """Unload: forget the confirm buttons."""
    bot.remove_dynamic_items(ForgetButton)
