"""Persistent buttons, the answer modal, and the practice flow they drive.

Every button's custom id carries what its callback needs (``ib:answer:<question>:<daily date
or ->``, ``ib:hint:<question>``, ...), and each is a ``discord.ui.DynamicItem`` registered at
start-up, so a button keeps working after a restart, on any message, for any member. The answer
modal is routed by its custom id too (``InterviewBot.add_modal_route``): discord.py would only
deliver it to the object that opened it, in the same process.

The **Answer** button serves both ``/practice`` and the daily question: when its custom id
carries a date, the submission is an answer to that day's daily.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import TYPE_CHECKING, Any, Self

import discord

from bot.adapters.discord.client import get_deps
from bot.adapters.discord.errors import GuildOnlyError, report_error
from bot.adapters.discord.render import practice as wording
from bot.adapters.discord.render.common import CUSTOM_ID, MODAL_INPUT, Reply, edit, send
from bot.core.errors import DailyNotFoundError
from bot.core.models import Difficulty
from bot.core.practice import AnswerOutcome, AskResult, Submission
from bot.core.scoring import AttemptMode

if TYPE_CHECKING:
    from bot.adapters.discord.client import InterviewBot

log = logging.getLogger(__name__)

ANY = "-"
"""A custom-id slot with no value (any topic, any difficulty, not a daily)."""

ANSWER_INPUT_ID = "answer"
ANSWER_MODAL_PATTERN = r"ib:answer-modal:(?P<qid>[^:]+):(?P<day>\d{4}-\d{2}-\d{2}|-)"
_SLOT = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


def _slot(value: str | None) -> str:
    """A value as a custom-id slot (``-`` when absent or unsafe to embed)."""
    return value if value and _SLOT.match(value) else ANY


def _unslot(value: str) -> str | None:
    return None if value == ANY else value


def parse_day(slot: str) -> date | None:
    """The daily date in a custom-id slot (None: ``-``, not a daily).

    The templates only check the shape ``dddd-dd-dd``; a slot that is not a calendar date
    (``2026-02-30``) cannot come from this bot, but must still get an answer, not a traceback.

    Raises:
        DailyNotFoundError: The slot is not a real date.
    """
    if slot == ANY:
        return None
    try:
        return date.fromisoformat(slot)
    except ValueError:
        raise DailyNotFoundError("not a calendar date", day=slot) from None


def _custom_id(*parts: str) -> str:
    custom_id = ":".join(parts)
    if len(custom_id) > CUSTOM_ID:
        raise ValueError(f"custom id longer than {CUSTOM_ID} characters: {custom_id!r}")
    return custom_id


def require_guild(interaction: discord.Interaction) -> int:
    """The server the interaction happened in (raises ``GuildOnlyError`` in a DM)."""
    if interaction.guild_id is None:
        raise GuildOnlyError()
    return interaction.guild_id


class PersistentButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=r"(?!)"
):
    """A button whose state lives in its custom id; failures reach ``report_error``."""

    async def callback(self, interaction: discord.Interaction) -> None:
        """Run the button's action; any error becomes a friendly message and a log line."""
        try:
            await self.run(interaction)
        except Exception as exc:
            await report_error(interaction, exc, where=f"button {self.custom_id}")

    async def run(self, interaction: discord.Interaction) -> None:
        """The button's action."""
        raise NotImplementedError


def _button(
    label: str,
    custom_id: str,
    *,
    emoji: str | None = None,
    style: discord.ButtonStyle = discord.ButtonStyle.secondary,
    disabled: bool = False,
) -> discord.ui.Button[discord.ui.View]:
    return discord.ui.Button(
        label=label, custom_id=custom_id, emoji=emoji, style=style, disabled=disabled
    )


# -- the practice question ----------------------------------------------------------------------


class AnswerButton(
    PersistentButton, template=r"ib:answer:(?P<qid>[^:]+):(?P<day>\d{4}-\d{2}-\d{2}|-)"
):
    """**Answer**: opens the answer modal (practice, review, or the daily of a date)."""

    def __init__(
        self, question_id: str, daily_date: date | None = None, *, day_slot: str | None = None
    ) -> None:
        """Build the button for a question (and the daily date it is the question of).

        ``day_slot`` is the raw date slot of a received custom id, parsed only when the button
        is pressed (so a malformed one is answered, not lost in discord.py's logs).
        """
        self.question_id = question_id
        self.day_slot = day_slot or (daily_date.isoformat() if daily_date else ANY)
        super().__init__(
            _button(
                wording.LABEL_ANSWER,
                _custom_id("ib", "answer", question_id, self.day_slot),
                emoji="✍️",
                style=discord.ButtonStyle.primary,
            )
        )

    @property
    def daily_date(self) -> date | None:
        """The daily date this button answers (None: practice or review).

        Raises:
            DailyNotFoundError: The custom id's date slot is not a calendar date.
        """
        return parse_day(self.day_slot)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        """Rebuild the button from its custom id (the date is checked when pressed)."""
        return cls(match["qid"], day_slot=match["day"])

    async def run(self, interaction: discord.Interaction) -> None:
        """Open the modal (a modal must be the first response: no deferring here)."""
        guild_id = require_guild(interaction)
        daily_date = self.daily_date
        question = await get_deps(interaction.client).service.question(guild_id, self.question_id)
        modal = answer_modal(self.question_id, question.prompt, daily_date)
        await interaction.response.send_modal(modal)
        # The submission is routed by custom id (see setup): drop the object discord.py keeps,
        # which would otherwise wait forever for a modal the member may never submit.
        modal.stop()


def answer_modal(question_id: str, prompt: str, daily_date: date | None = None) -> discord.ui.Modal:
    """The answer modal: one paragraph input of up to 4,000 characters."""
    day = daily_date.isoformat() if daily_date else ANY
    modal = discord.ui.Modal(
        title=wording.modal_title(daily_date is not None),
        custom_id=_custom_id("ib", "answer-modal", question_id, day),
        timeout=None,
    )
    text = discord.ui.TextInput[discord.ui.Modal](
        custom_id=ANSWER_INPUT_ID,
        style=discord.TextStyle.paragraph,
        placeholder=wording.modal_placeholder(),
        min_length=1,
        max_length=MODAL_INPUT,
        required=True,
    )
    modal.add_item(
        discord.ui.Label(
            text=wording.modal_input_label(),
            description=wording.modal_input_description(prompt),
            component=text,
        )
    )
    return modal


async def on_answer_submitted(
    interaction: discord.Interaction, match: re.Match[str], values: dict[str, str]
) -> None:
    """Grade a submitted answer and reply privately with the grade."""
    guild_id = require_guild(interaction)
    daily_date = parse_day(match["day"])
    # Grading takes a moment (the embedding runs in a worker thread): acknowledge at once.
    await interaction.response.defer(ephemeral=True, thinking=True)
    submission = Submission(
        guild_id=guild_id,
        member_id=interaction.user.id,
        question_id=match["qid"],
        answer=values.get(ANSWER_INPUT_ID, ""),
        idempotency_key=str(interaction.id),
        daily_date=daily_date,
    )
    outcome = await get_deps(interaction.client).service.submit_answer(submission)
    log.info(
        "graded %s (%s) for member %s in server %s: score %.2f, +%d points, flags %s, "
        "%d characters",
        submission.question_id,
        outcome.mode,
        submission.member_id,
        guild_id,
        outcome.grade.fraction,
        outcome.points.total,
        ",".join(outcome.grade.flags) or "none",
        len(submission.answer),
    )
    await send(interaction, wording.graded(outcome), view=grade_view(outcome))


class HintButton(PersistentButton, template=r"ib:hint:(?P<qid>[^:]+)"):
    """**Hint**: the next hint for the question (costs points before answering)."""

    def __init__(self, question_id: str) -> None:
        """Build the button for a question."""
        self.question_id = question_id
        super().__init__(
            _button(wording.LABEL_HINT, _custom_id("ib", "hint", question_id), emoji="💡")
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        """Rebuild the button from its custom id."""
        return cls(match["qid"])

    async def run(self, interaction: discord.Interaction) -> None:
        """Send the hint privately."""
        await show_hint(interaction, self.question_id)


async def show_hint(interaction: discord.Interaction, question_id: str) -> None:
    """Take the next hint for ``question_id`` and show it privately."""
    guild_id = require_guild(interaction)
    await interaction.response.defer(ephemeral=True, thinking=True)
    result = await get_deps(interaction.client).service.hint(
        guild_id, interaction.user.id, question_id
    )
    await send(interaction, wording.hint(result))


class SkipButton(PersistentButton, template=r"ib:skip:(?P<topic>[^:]+):(?P<diff>[^:]+)"):
    """**Skip**: replace the question with another one matching the same filters."""

    def __init__(self, topic: str | None, difficulty: str | None) -> None:
        """Build the button for the filters of the original ``/practice``."""
        self.topic = _unslot(_slot(topic))
        self.difficulty = _unslot(_slot(difficulty))
        super().__init__(
            _button(
                wording.LABEL_SKIP,
                _custom_id("ib", "skip", _slot(topic), _slot(difficulty)),
                emoji="⏭️",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        """Rebuild the button from its custom id."""
        return cls(_unslot(match["topic"]), _unslot(match["diff"]))

    async def run(self, interaction: discord.Interaction) -> None:
        """Edit the question message in place with a new question."""
        guild_id = require_guild(interaction)
        await interaction.response.defer()  # a silent acknowledgement: the message is edited
        ask = await get_deps(interaction.client).service.ask(
            guild_id, interaction.user.id, self.topic, _difficulty(self.difficulty)
        )
        await show_question(interaction, ask, self.topic, self.difficulty, replace=True)


def _difficulty(value: str | None) -> Difficulty | None:
    return Difficulty(value) if value in {d.value for d in Difficulty} else None


def question_view(
    question_id: str,
    topic: str | None = None,
    difficulty: str | None = None,
) -> discord.ui.View:
    """Buttons under a practice or review question: Answer, Hint, Skip."""
    view = discord.ui.View(timeout=None)
    view.add_item(AnswerButton(question_id))
    view.add_item(HintButton(question_id))
    view.add_item(SkipButton(topic, difficulty))
    return view


def daily_view(question_id: str, daily_date: date) -> discord.ui.View:
    """The button under a daily question post: Answer (one scored attempt per member)."""
    view = discord.ui.View(timeout=None)
    view.add_item(AnswerButton(question_id, daily_date))
    return view


async def show_question(
    interaction: discord.Interaction,
    ask: AskResult,
    topic: str | None = None,
    difficulty: str | None = None,
    *,
    replace: bool = False,
    extra: Reply | None = None,
) -> None:
    """Show a question privately with its buttons (``replace``: edit the clicked message)."""
    reply = wording.question(ask)
    if extra is not None:
        reply = Reply(content=extra.content, embeds=[*extra.embeds, *reply.embeds])
    view = question_view(ask.question.id, topic, difficulty)
    if replace:
        await edit(interaction, reply, view=view)
    else:
        await send(interaction, reply, view=view)


# -- after the grade ----------------------------------------------------------------------------


class ModelAnswerButton(PersistentButton, template=r"ib:model:(?P<qid>[^:]+)"):
    """**Model answer**: show the question's model answer privately."""

    def __init__(self, question_id: str) -> None:
        """Build the button for a question."""
        self.question_id = question_id
        super().__init__(
            _button(wording.LABEL_MODEL, _custom_id("ib", "model", question_id), emoji="📘")
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        """Rebuild the button from its custom id."""
        return cls(match["qid"])

    async def run(self, interaction: discord.Interaction) -> None:
        """Reveal the model answer (free once answered; the service decides)."""
        await show_model_answer(interaction, self.question_id)


async def show_model_answer(interaction: discord.Interaction, question_id: str) -> None:
    """Reveal the model answer of ``question_id`` privately."""
    guild_id = require_guild(interaction)
    await interaction.response.defer(ephemeral=True, thinking=True)
    result = await get_deps(interaction.client).service.reveal(
        guild_id, interaction.user.id, question_id
    )
    await send(interaction, wording.reveal(result))


class FollowUpButton(PersistentButton, template=r"ib:followup:(?P<qid>[^:]+):(?P<n>\d{1,3})"):
    """**Follow-up**: the question's follow-up number ``n`` (cycling), to think through."""

    def __init__(self, question_id: str, index: int = 0) -> None:
        """Build the button for a question's follow-up ``index``."""
        self.question_id = question_id
        self.index = index
        label = wording.LABEL_FOLLOW_UP if index == 0 else wording.LABEL_NEXT_FOLLOW_UP
        super().__init__(
            _button(label, _custom_id("ib", "followup", question_id, str(index)), emoji="❓")
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        """Rebuild the button from its custom id."""
        return cls(match["qid"], int(match["n"]))

    async def run(self, interaction: discord.Interaction) -> None:
        """Send the follow-up privately, with a button for the next one if there are more."""
        guild_id = require_guild(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        service = get_deps(interaction.client).service
        question = await service.question(guild_id, self.question_id)
        text = await service.follow_up(guild_id, self.question_id, self.index)
        count = len(question.follow_ups)
        view = None
        if count > 1:
            view = discord.ui.View(timeout=None)
            view.add_item(FollowUpButton(self.question_id, (self.index + 1) % count))
        number = self.index % count + 1 if count else 1
        await send(interaction, wording.follow_up(text, number), view=view)


class TryAnotherButton(PersistentButton, template=r"ib:next:(?P<topic>[^:]+):(?P<diff>[^:]+)"):
    """**Try another**: a new practice question (same topic by default)."""

    def __init__(self, topic: str | None, difficulty: str | None = None) -> None:
        """Build the button for the filters of the next question."""
        self.topic = _unslot(_slot(topic))
        self.difficulty = _unslot(_slot(difficulty))
        super().__init__(
            _button(
                wording.LABEL_TRY_ANOTHER,
                _custom_id("ib", "next", _slot(topic), _slot(difficulty)),
                emoji="🔁",
                style=discord.ButtonStyle.success,
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        """Rebuild the button from its custom id."""
        return cls(_unslot(match["topic"]), _unslot(match["diff"]))

    async def run(self, interaction: discord.Interaction) -> None:
        """Send a new question privately (the grade stays visible above it)."""
        guild_id = require_guild(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        ask = await get_deps(interaction.client).service.ask(
            guild_id, interaction.user.id, self.topic, _difficulty(self.difficulty)
        )
        await show_question(interaction, ask, self.topic, self.difficulty)


class NextReviewButton(PersistentButton, template=r"ib:review-next"):
    """**Next review**: the most overdue review question (or practice when none is due)."""

    def __init__(self) -> None:
        """Build the button."""
        super().__init__(
            _button(
                wording.LABEL_NEXT_REVIEW,
                "ib:review-next",
                emoji="🔁",
                style=discord.ButtonStyle.success,
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        """Rebuild the button."""
        return cls()

    async def run(self, interaction: discord.Interaction) -> None:
        """Ask the next due review question."""
        guild_id = require_guild(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        service = get_deps(interaction.client).service
        ask = await service.review_next(guild_id, interaction.user.id)
        if ask is None:
            from bot.adapters.discord.render import review as review_wording

            ask = await service.ask(guild_id, interaction.user.id)
            await show_question(interaction, ask, extra=review_wording.nothing_due_practice())
            return
        await show_question(interaction, ask)


def grade_view(outcome: AnswerOutcome) -> discord.ui.View:
    """Buttons under a grade: Model answer, Follow-up, Try another (or Next review)."""
    q = outcome.question
    view = discord.ui.View(timeout=None)
    if outcome.mode is not AttemptMode.DAILY:
        # The daily's model answer is posted with the recap, for everyone at once.
        view.add_item(ModelAnswerButton(q.id))
    if q.follow_ups:
        view.add_item(FollowUpButton(q.id))
    if outcome.mode is AttemptMode.REVIEW:
        view.add_item(NextReviewButton())
    else:
        view.add_item(TryAnotherButton(q.topic))
    return view


PERSISTENT_ITEMS: tuple[type[PersistentButton], ...] = (
    AnswerButton,
    HintButton,
    SkipButton,
    ModelAnswerButton,
    FollowUpButton,
    TryAnotherButton,
    NextReviewButton,
)


def setup(bot: InterviewBot) -> None:
    """Register the persistent buttons and the answer-modal route (from ``setup_hook``)."""
    bot.add_dynamic_items(*PERSISTENT_ITEMS)
    bot.add_modal_route(ANSWER_MODAL_PATTERN, on_answer_submitted)
