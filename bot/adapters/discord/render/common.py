"""Shared rendering helpers: Discord's limits, safe escaping, embeds that fit, and replies.

Every message the bot sends goes through :func:`send` / :func:`edit` (or uses
:data:`NO_PINGS` directly), so nobody is ever pinged; every piece of user or content text goes
through :func:`fit` / :func:`escape`, so it is shown literally and never breaks the markdown
around it; and every embed is built with :class:`EmbedBuilder`, which keeps within Discord's
size limits by dropping whole lines (never cutting an escape sequence or a bold marker in half).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import discord
from discord.utils import MISSING

# -- Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits)
EMBED_TOTAL = 6000
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
CONTENT = 2000
MODAL_TITLE = 45
INPUT_LABEL = 45
LABEL_DESCRIPTION = 100
PLACEHOLDER = 100
MODAL_INPUT = 4000
BUTTON_LABEL = 80
CUSTOM_ID = 100
CHOICE_NAME = 100
CHOICES = 25
ACTION_ROWS = 5

ELLIPSIS = "…"
NO_PINGS = discord.AllowedMentions.none()
"""Every reply pings nobody (the bot-wide default too; repeated on each send to be sure)."""

COLOUR_INFO = discord.Colour.blurple()
COLOUR_GOOD = discord.Colour.green()
COLOUR_MIXED = discord.Colour.gold()
COLOUR_BAD = discord.Colour.red()
COLOUR_NEUTRAL = discord.Colour.light_grey()

# Invisible characters users paste (or use to dodge filters): dropped before display. Control
# characters other than newline and tab would garble an embed.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
_SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    """``text`` without invisible and control characters (newlines and tabs kept)."""
    text = _INVISIBLE.sub("", text)
    return "".join(
        ch for ch in text if ch in "\n\t" or not unicodedata.category(ch).startswith("C")
    )


def escape(text: str) -> str:
    """User or content text made literal: no markdown, no mentions, no invisible characters."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(clean(text)))


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (newlines included) collapsed to one space."""
    return _SPACES.sub(" ", text).strip()


def fit(text: str, limit: int) -> str:
    """``text`` escaped (see :func:`escape`) and cut to at most ``limit`` characters.

    The cut is made on the RAW text before escaping, so an escape sequence is never split and
    the result never ends in a dangling backslash that would swallow the markdown after it.
    """
    whole = escape(text)
    if len(whole) <= limit:
        return whole
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[:limit]
    low, high = 0, len(text)
    best = ELLIPSIS
    # Binary search on the raw prefix: escaping only ever lengthens text, monotonically.
    while low <= high:
        mid = (low + high) // 2
        candidate = escape(text[:mid]).rstrip() + ELLIPSIS
        if len(candidate) <= limit:
            best, low = candidate, mid + 1
        else:
            high = mid - 1
    return best


def fit_line(text: str, limit: int) -> str:
    """User text on one line (whitespace collapsed), escaped and cut to ``limit``."""
    return fit(one_line(text), limit)


def plain(text: str, limit: int) -> str:
    """Text for surfaces that show no markdown (modal labels, choices, placeholders): one line,
    invisible characters removed, mentions defused, cut to ``limit`` with an ellipsis."""
    text = discord.utils.escape_mentions(one_line(clean(text)))
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def join_lines(lines: Sequence[str], limit: int, *, more: str = "{count} more…") -> str:
    """Whole lines joined by newlines, keeping within ``limit``.

    Lines that do not fit are dropped (a line is complete markdown on its own, so dropping
    whole lines can never leave an unclosed marker) and replaced by a ``more`` line. A single
    line longer than ``limit`` is cut as plain text; callers keep lines short by construction.
    """
    out: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        extra = len(line) + (1 if out else 0)
        rest = len(lines) - i - 1
        tail = len(more.format(count=rest + 1)) + 1 if rest else 0
        if used + extra + tail <= limit or (not rest and used + extra <= limit):
            out.append(line)
            used += extra
            continue
        if not out:
            # Nothing fits: keep the start of the first line.
            return hard_cut(line, limit)
        out.append(more.format(count=len(lines) - i))
        break
    return "\n".join(out)


def hard_cut(markdown: str, limit: int) -> str:
    """Last resort for rendered markdown longer than ``limit``: cut it and add an ellipsis.

    Trailing backslashes are removed so the ellipsis is not escaped away. Render modules keep
    their lines short so that this never has to cut through a bold or italic span.
    """
    if len(markdown) <= limit:
        return markdown
    cut = markdown[: max(0, limit - len(ELLIPSIS))]
    stripped = cut.rstrip("\\")
    if (len(cut) - len(stripped)) % 2:
        cut = cut[:-1]
    return cut + ELLIPSIS


def score_bar(fraction: float, cells: int = 10) -> str:
    """A score fraction as a bar of ``cells`` blocks and a percentage, e.g. ``▰▰▰▱▱ 60%``."""
    fraction = min(1.0, max(0.0, fraction))
    full = int(fraction * cells + 0.5)
    return "▰" * full + "▱" * (cells - full) + f" {fraction:.0%}"


@dataclass
class EmbedBuilder:
    """Builds an embed that always respects Discord's limits.

    Titles, descriptions and field values are cut to their own limits; fields beyond 25, or
    beyond the 6,000-character total, are dropped and counted in the footer.
    """

    title: str
    description: str = ""
    colour: discord.Colour = COLOUR_INFO
    footer: str = ""
    fields: list[tuple[str, str, bool]] = field(default_factory=list)
    image_url: str | None = None

    def add(self, name: str, value: str, *, inline: bool = False) -> EmbedBuilder:
        """Add a field (empty values are skipped: Discord rejects them)."""
        if value.strip():
            self.fields.append((name, value, inline))
        return self

    def build(self, *, dropped_note: str = "{count} section(s) did not fit.") -> discord.Embed:
        """The embed, within every limit."""
        title = _cut(self.title, EMBED_TITLE)
        description = _cut(self.description, EMBED_DESCRIPTION)
        footer = self.footer
        budget = EMBED_TOTAL - len(title) - len(description) - len(footer) - 80
        kept: list[tuple[str, str, bool]] = []
        for name, value, inline in self.fields:
            name, value = _cut(name, FIELD_NAME), _cut(value, FIELD_VALUE)
            if len(kept) >= EMBED_FIELDS or len(name) + len(value) > budget:
                continue
            kept.append((name, value, inline))
            budget -= len(name) + len(value)
        dropped = len(self.fields) - len(kept)
        if dropped:
            note = dropped_note.format(count=dropped)
            footer = f"{footer} · {note}" if footer else note
        embed = discord.Embed(title=title, description=description or None, colour=self.colour)
        for name, value, inline in kept:
            embed.add_field(name=name, value=value, inline=inline)
        if footer:
            embed.set_footer(text=_cut(footer, FOOTER))
        if self.image_url:
            embed.set_image(url=self.image_url)
        return embed


def _cut(text: str, limit: int) -> str:
    """Already-rendered markdown cut to ``limit``: whole lines first, then plain text."""
    if len(text) <= limit:
        return text
    return join_lines(text.split("\n"), limit, more=ELLIPSIS)


def embed_length(embed: discord.Embed) -> int:
    """The length Discord counts towards the 6,000-character total."""
    return len(embed)


@dataclass
class Reply:
    """A message to send: text and embeds (wording from a render module), optional files."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)
    files: list[discord.File] = field(default_factory=list)

    @classmethod
    def text(cls, content: str) -> Reply:
        """A plain-text reply (cut to 2,000 characters on line boundaries)."""
        return cls(content=_cut(content, CONTENT))

    @classmethod
    def of(cls, *embeds: discord.Embed, content: str | None = None) -> Reply:
        """A reply made of embeds."""
        return cls(content=content, embeds=list(embeds))


async def send(
    interaction: discord.Interaction,
    reply: Reply,
    *,
    view: discord.ui.View | None = None,
    ephemeral: bool = True,
) -> None:
    """Answer ``interaction`` with ``reply`` (first response or followup), pinging nobody."""
    view_arg: Any = view if view is not None else MISSING
    files: Any = reply.files or MISSING
    content: Any = reply.content or MISSING
    if interaction.response.is_done():
        await interaction.followup.send(
            content=content,
            embeds=reply.embeds,
            files=files,
            view=view_arg,
            ephemeral=ephemeral,
            allowed_mentions=NO_PINGS,
        )
    else:
        await interaction.response.send_message(
            content=reply.content,
            embeds=reply.embeds,
            files=files,
            view=view_arg,
            ephemeral=ephemeral,
            allowed_mentions=NO_PINGS,
        )


async def edit(
    interaction: discord.Interaction,
    reply: Reply,
    *,
    view: discord.ui.View | None = None,
) -> None:
    """Replace the message the interaction came from (a component click) with ``reply``.

    Without a ``view`` the message's buttons are removed.
    """
    attachments: Any = reply.files or MISSING
    if interaction.response.is_done():
        await interaction.edit_original_response(
            content=reply.content,
            embeds=reply.embeds,
            attachments=attachments,
            view=view,
            allowed_mentions=NO_PINGS,
        )
    else:
        await interaction.response.edit_message(
            content=reply.content,
            embeds=reply.embeds,
            attachments=attachments,
            view=view,
            allowed_mentions=NO_PINGS,
        )


def mention(member_id: int) -> str:
    """A member mention (shown as their name; never pings, see :data:`NO_PINGS`)."""
    return f"<@{member_id}>"


def plural(count: int, one: str, many: str | None = None) -> str:
    """``"1 answer"`` / ``"3 answers"``."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


def bullet_lines(items: Iterable[str]) -> list[str]:
    """Items as markdown bullet lines."""
    return [f"• {item}" for item in items]
