"""Wording of ``/review``: the member's spaced-repetition queue, due questions first."""

from __future__ import annotations

from collections.abc import Sequence

from bot.adapters.discord.render.common import (
    COLOUR_INFO,
    FIELD_VALUE,
    EmbedBuilder,
    Reply,
    fit_line,
    join_lines,
    plural,
)
from bot.adapters.discord.render.practice import topic_name
from bot.core.practice import ReviewEntry

CMD_REVIEW = "Practise the questions you found hard, when they are due again"
QUEUE_TITLE = "🗂️ Your review queue"
EMPTY = (
    "Your review queue is empty: questions you score below the review threshold on come back "
    "here on a spaced schedule. Keep practising with `/practice`!"
)
NOTHING_DUE = "Nothing is due for review right now. Here is a practice question instead."
SHOWN = 10


def queue(entries: Sequence[ReviewEntry]) -> Reply:
    """The queue: what is due now, then what comes next (with the last score)."""
    if not entries:
        return Reply.of(EmbedBuilder(QUEUE_TITLE, EMPTY, colour=COLOUR_INFO).build())
    due = [e for e in entries if e.due_now]
    later = [e for e in entries if not e.due_now]
    summary = (
        f"**{plural(len(due), 'question')} due now.**"
        if due
        else "Nothing is due right now: well done."
    )
    builder = EmbedBuilder(QUEUE_TITLE, summary, colour=COLOUR_INFO)
    if due:
        builder.add("Due now", join_lines([_line(e) for e in due[:SHOWN]], FIELD_VALUE))
    if later:
        builder.add("Coming up", join_lines([_line(e) for e in later[:SHOWN]], FIELD_VALUE))
    return Reply.of(builder.build())


def _line(entry: ReviewEntry) -> str:
    item = entry.item
    when = "due now" if entry.due_now else f"due {item.due:%a %d %b}"
    return (
        f"• **{fit_line(topic_name(entry.question.topic), 60)}** · {when} · "
        f"last score {item.last_fraction:.0%}\n  {fit_line(entry.question.prompt, 140)}"
    )


def nothing_due_practice() -> Reply:
    """Said above a practice question when nothing was due."""
    return Reply.text(NOTHING_DUE)
