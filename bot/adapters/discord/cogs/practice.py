"""``/practice``, ``/hint`` and ``/reveal``: ask a question, help with it, show its answer.

The question arrives privately with **Answer**, **Hint** and **Skip** buttons (``views``);
``/hint`` and ``/reveal`` act on the member's latest question, for those who prefer typing.
"""

from __future__ import annotations

from datetime import timedelta

import discord
from discord import app_commands
from discord.app_commands import Choice
from discord.ext import commands

from bot.adapters.discord.client import BotDeps, get_deps
from bot.adapters.discord.render import practice as wording
from bot.adapters.discord.render.common import send
from bot.adapters.discord.views import require_guild, show_hint, show_model_answer, show_question
from bot.core.models import Difficulty

RECENT = timedelta(days=1)
"""``/hint`` and ``/reveal`` act on a question asked (or answered) within this window."""

DIFFICULTY_CHOICES = [
    Choice(name=name, value=value) for name, value in wording.difficulty_choices()
]


async def topic_choices(interaction: discord.Interaction, current: str) -> list[Choice[str]]:
    """Autocomplete: the server's topics matching what the member typed."""
    if interaction.guild_id is None:
        return []
    counts = await get_deps(interaction.client).service.topics(interaction.guild_id)
    typed = current.casefold().strip()
    found = []
    for topic, by_difficulty in counts.items():
        name = wording.topic_choice_name(topic, sum(by_difficulty.values()))
        if typed in topic.casefold() or typed in name.casefold():
            found.append(Choice(name=name, value=topic[:100]))
    return found[:25]


async def latest_question(deps: BotDeps, guild_id: int, member_id: int) -> str | None:
    """The question the member was asked (or answered) most recently, within a day."""
    seen = await deps.store.last_seen(guild_id, member_id, deps.clock.now() - RECENT)
    return max(seen, key=lambda qid: seen[qid]) if seen else None


class PracticeCog(commands.Cog):
    """Practice questions on demand."""

    @app_commands.command(name="practice", description=wording.CMD_PRACTICE)
    @app_commands.describe(topic=wording.OPT_TOPIC, difficulty=wording.OPT_DIFFICULTY)
    @app_commands.choices(difficulty=DIFFICULTY_CHOICES)
    @app_commands.autocomplete(topic=topic_choices)
    @app_commands.guild_only()
    async def practice(
        self,
        interaction: discord.Interaction,
        topic: app_commands.Range[str, 1, 100] | None = None,
        difficulty: Choice[str] | None = None,
    ) -> None:
        """Ask a question privately, with its Answer / Hint / Skip buttons."""
        guild_id = require_guild(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        level = difficulty.value if difficulty else None
        ask = await get_deps(interaction.client).service.ask(
            guild_id, interaction.user.id, topic, Difficulty(level) if level else None
        )
        await show_question(interaction, ask, topic, level)

    @app_commands.command(name="hint", description=wording.CMD_HINT)
    @app_commands.guild_only()
    async def hint(self, interaction: discord.Interaction) -> None:
        """The next hint for the member's latest question."""
        guild_id = require_guild(interaction)
        qid = await latest_question(get_deps(interaction.client), guild_id, interaction.user.id)
        if qid is None:
            await send(interaction, wording.no_open_question())
            return
        await show_hint(interaction, qid)

    @app_commands.command(name="reveal", description=wording.CMD_REVEAL)
    @app_commands.guild_only()
    async def reveal(self, interaction: discord.Interaction) -> None:
        """The model answer of the member's latest question."""
        guild_id = require_guild(interaction)
        qid = await latest_question(get_deps(interaction.client), guild_id, interaction.user.id)
        if qid is None:
            await send(interaction, wording.no_open_question())
            return
        await show_model_answer(interaction, qid)


async def setup(bot: commands.Bot) -> None:
    """Load the cog."""
    await bot.add_cog(PracticeCog())
