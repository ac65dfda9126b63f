"""``/question add|list|remove``: a server's own question bank (admins).

``/question add`` opens a form (question, model answer, key points one per line, topic,
difficulty). The submission is routed by custom id (``InterviewBot.add_modal_route``), so it
works whoever opened it and across a restart; it is validated like the shipped bank
(``bot.question_admin``), embedded into the knowledge index and stored, and from then on the
question is asked and graded exactly like a shipped one, in this server only. A form with
problems is not lost: **Fix and resubmit** reopens it with what the admin typed.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.app_commands import Choice
from discord.ext import commands

from bot.adapters.discord.client import BotDeps, get_deps
from bot.adapters.discord.errors import ADMIN_PERMISSIONS, admin_check, is_admin
from bot.adapters.discord.render import errors as error_wording
from bot.adapters.discord.render import questions as wording
from bot.adapters.discord.render.common import send
from bot.adapters.discord.render.practice import difficulty_choices
from bot.adapters.discord.views import require_guild
from bot.core.errors import QuestionNotFoundError
from bot.question_admin import (
    MAX_GUILD_QUESTIONS,
    MODEL_ANSWER_CHARS,
    PROMPT_CHARS,
    QuestionDraft,
    add_questions,
    question_from_draft,
    remove_guild_question,
    slugify,
    unique_id,
)

if TYPE_CHECKING:
    from bot.adapters.discord.client import InterviewBot

log = logging.getLogger(__name__)

FORM_ID = "ib:question-form"
FORM_PATTERN = re.escape(FORM_ID)
FIX_TIMEOUT = 15 * 60
"""How long **Fix and resubmit** keeps what the admin typed (in memory only)."""

_INPUT_LIMITS = {
    "question": (PROMPT_CHARS[0], PROMPT_CHARS[1], discord.TextStyle.paragraph),
    "model_answer": (MODEL_ANSWER_CHARS[0], MODEL_ANSWER_CHARS[1], discord.TextStyle.paragraph),
    "key_points": (1, 2000, discord.TextStyle.paragraph),
    "topic": (1, 40, discord.TextStyle.short),
    "difficulty": (1, 10, discord.TextStyle.short),
}

TOPIC_CHOICES = [Choice(name=name, value=value) for name, value in wording.topic_choices()]
DIFFICULTY_CHOICES = [Choice(name=name, value=value) for name, value in difficulty_choices()]


def question_form(draft: QuestionDraft) -> discord.ui.Modal:
    """The form of a new server question, prefilled with ``draft``."""
    modal = discord.ui.Modal(title=wording.form_title(), custom_id=FORM_ID, timeout=None)
    for key, (label, description, placeholder) in wording.form_fields().items():
        low, high, style = _INPUT_LIMITS[key]
        default = getattr(draft, key)
        text = discord.ui.TextInput[discord.ui.Modal](
            custom_id=key,
            style=style,
            placeholder=placeholder,
            default=default[:high] or None,
            min_length=low,
            max_length=high,
            required=True,
        )
        modal.add_item(discord.ui.Label(text=label, description=description, component=text))
    return modal


async def open_form(interaction: discord.Interaction, draft: QuestionDraft) -> None:
    """Show the form; its submission arrives through the modal route (see ``setup``)."""
    modal = question_form(draft)
    await interaction.response.send_modal(modal)
    modal.stop()  # routed by custom id: discord.py need not keep this object waiting


class FixView(discord.ui.View):
    """**Fix and resubmit**: reopen the form with what the admin typed."""

    def __init__(self, draft: QuestionDraft) -> None:
        """Keep ``draft`` for the button."""
        super().__init__(timeout=FIX_TIMEOUT)
        self.draft = draft

    @discord.ui.button(label=wording.LABEL_FIX, style=discord.ButtonStyle.primary, emoji="✏️")
    async def fix(self, interaction: discord.Interaction, _: discord.ui.Button[FixView]) -> None:
        """Reopen the form."""
        await open_form(interaction, self.draft)


async def _new_id(deps: BotDeps, guild_id: int, prompt: str, taken: set[str]) -> str:
    """A fresh ``g<guild>-<slug>`` id, clear of the server's ids and every visible one."""
    taken = set(taken)
    while True:
        candidate = unique_id(guild_id, slugify(prompt), taken)
        try:
            await deps.service.question(guild_id, candidate)
        except QuestionNotFoundError:
            return candidate
        taken.add(candidate)


async def on_form_submitted(
    interaction: discord.Interaction, match: re.Match[str], values: dict[str, str]
) -> None:
    """Validate, embed and store a new server question."""
    guild_id = require_guild(interaction)
    if not is_admin(interaction):
        await send(interaction, error_wording.needs_admin())
        return
    # Embedding the key points takes a moment: acknowledge at once.
    await interaction.response.defer(ephemeral=True, thinking=True)
    deps = get_deps(interaction.client)
    draft = QuestionDraft(**{k: values.get(k, "") for k in _INPUT_LIMITS})
    existing = await deps.store.list_questions(guild_id)
    if len(existing) >= MAX_GUILD_QUESTIONS:
        await send(interaction, wording.limit_reached())
        return
    qid = await _new_id(deps, guild_id, draft.question, {q.id for q in existing})
    question, problems = question_from_draft(draft, guild_id, qid)
    if question is None:
        await send(interaction, wording.problems(problems), view=FixView(draft))
        return
    index = await asyncio.to_thread(deps.get_index)
    embedder = await asyncio.to_thread(deps.get_embedder)
    await add_questions(deps.store, index, embedder, [question], deps.clock.now())
    log.info("server %s: question %s added by %s", guild_id, question.id, interaction.user.id)
    await send(interaction, wording.added(question))


class QuestionsCog(commands.Cog, name="Questions"):
    """A server's own questions."""

    question = app_commands.Group(
        name="question",
        description=wording.CMD_QUESTION,
        default_permissions=ADMIN_PERMISSIONS,
        guild_only=True,
    )

    @question.command(name="add", description=wording.CMD_ADD)
    @app_commands.describe(topic=wording.OPT_TOPIC, difficulty=wording.OPT_DIFFICULTY)
    @app_commands.choices(topic=TOPIC_CHOICES, difficulty=DIFFICULTY_CHOICES)
    @admin_check()
    async def add(
        self,
        interaction: discord.Interaction,
        topic: Choice[str] | None = None,
        difficulty: Choice[str] | None = None,
    ) -> None:
        """Open the form of a new question (topic and difficulty prefilled if given)."""
        require_guild(interaction)
        draft = QuestionDraft(
            topic=topic.value if topic else "",
            difficulty=difficulty.value if difficulty else "",
        )
        await open_form(interaction, draft)

    @question.command(name="list", description=wording.CMD_LIST)
    @app_commands.describe(page=wording.OPT_PAGE)
    @admin_check()
    async def list_questions(
        self, interaction: discord.Interaction, page: app_commands.Range[int, 1, 100] = 1
    ) -> None:
        """List the server's own questions, ten per page."""
        guild_id = require_guild(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        questions = await get_deps(interaction.client).store.list_questions(guild_id)
        await send(interaction, wording.listing(questions, page))

    @question.command(name="remove", description=wording.CMD_REMOVE)
    @app_commands.describe(question_id=wording.OPT_QUESTION_ID)
    @admin_check()
    async def remove(
        self, interaction: discord.Interaction, question_id: app_commands.Range[str, 1, 100]
    ) -> None:
        """Remove one of the server's questions (never one a daily still needs)."""
        guild_id = require_guild(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        deps = get_deps(interaction.client)
        question_id = question_id.strip()
        if await _needed_by_a_daily(deps, guild_id, question_id):
            await send(interaction, wording.is_open_daily(question_id))
            return
        index = await asyncio.to_thread(deps.get_index)
        if not await remove_guild_question(deps.store, index, guild_id, question_id):
            await send(interaction, wording.not_found(question_id))
            return
        log.info("server %s: question %s removed by %s", guild_id, question_id, interaction.user.id)
        await send(interaction, wording.removed(question_id))

    @remove.autocomplete("question_id")
    async def _question_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[Choice[str]]:
        if interaction.guild_id is None:
            return []
        typed = current.casefold().strip()
        questions = await get_deps(interaction.client).store.list_questions(interaction.guild_id)
        found = [
            Choice(name=wording.id_choice_name(q), value=q.id)
            for q in questions
            if typed in q.id.casefold() or typed in q.prompt.casefold()
        ]
        return found[:25]


async def _needed_by_a_daily(deps: BotDeps, guild_id: int, question_id: str) -> bool:
    """Whether an open daily, or a posted one still owed its recap, asks ``question_id``."""
    current = await deps.service.current_daily(guild_id)
    if current is not None and current.question.id == question_id:
        return True
    return any(
        post.guild_id == guild_id and post.question_id == question_id
        for post in await deps.store.owed_daily_recaps()
    )


async def setup(bot: commands.Bot) -> None:
    """Load the cog and route the question form's submissions."""
    interview: InterviewBot = bot  # type: ignore[assignment]
    interview.add_modal_route(FORM_PATTERN, on_form_submitted)
    await bot.add_cog(QuestionsCog())
