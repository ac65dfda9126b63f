"""Wording of ``/topics`` and ``/help``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.adapters.discord.render.common import (
    COLOUR_INFO,
    EMBED_DESCRIPTION,
    FIELD_VALUE,
    EmbedBuilder,
    Reply,
    fit_line,
    join_lines,
    plural,
)
from bot.adapters.discord.render.practice import difficulty_name, topic_name
from bot.core.models import Difficulty

CMD_TOPICS = "List the topics you can practise, with how many questions each has"
CMD_HELP = "How the bot works, and every command"
TOPICS_TITLE = "📚 Topics"
NO_TOPICS = "There are no questions in this server yet."
TOPICS_FOOTER = "Pick one with /practice topic:…"
HELP_TITLE = "🤖 Interview practice"
HELP_INTRO = (
    "Practise interview questions and get a private, explained grade: which key points you "
    "covered (quoting your own sentence), which you missed and where to read about them.\n\n"
    "**Start:** `/practice`, read the question, press **Answer**, write in your own words.\n"
    "**Points:** the daily question pays most; hints cost points; pasted or gamed answers earn "
    "nothing. Streaks count your server's local days, with one grace day.\n"
    "**Privacy:** answers are never posted; `/privacy` hides you from boards or deletes your "
    "data."
)
HELP_MEMBERS = "Commands"
HELP_ADMINS = "For server admins (Manage Server)"


@dataclass(frozen=True, slots=True)
class CommandHelp:
    """A command as listed by ``/help``."""

    name: str
    description: str
    admin: bool


def topics(counts: Mapping[str, Mapping[Difficulty, int]]) -> Reply:
    """Topics with question counts per difficulty."""
    if not counts:
        return Reply.of(EmbedBuilder(TOPICS_TITLE, NO_TOPICS, colour=COLOUR_INFO).build())
    lines = []
    for topic, by_difficulty in counts.items():
        total = sum(by_difficulty.values())
        split = " · ".join(
            f"{n} {difficulty_name(d).lower()}" for d, n in by_difficulty.items() if n
        )
        lines.append(
            f"**{fit_line(topic_name(topic), 80)}** (`{fit_line(topic, 60)}`) — "
            f"{plural(total, 'question')}: {split}"
        )
    text = join_lines(lines, EMBED_DESCRIPTION)
    return Reply.of(
        EmbedBuilder(TOPICS_TITLE, text, colour=COLOUR_INFO, footer=TOPICS_FOOTER).build()
    )


def help_page(commands: Sequence[CommandHelp]) -> Reply:
    """The help page: what the bot does, then every command (admin ones apart)."""
    builder = EmbedBuilder(HELP_TITLE, HELP_INTRO, colour=COLOUR_INFO)
    members = [f"`/{c.name}` — {c.description}" for c in commands if not c.admin]
    admins = [f"`/{c.name}` — {c.description}" for c in commands if c.admin]
    builder.add(HELP_MEMBERS, join_lines(members, FIELD_VALUE))
    builder.add(HELP_ADMINS, join_lines(admins, FIELD_VALUE))
    return Reply.of(builder.build())
