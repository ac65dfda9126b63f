"""Wording of ``/group``: study groups and their confirmations."""

from __future__ import annotations

from collections.abc import Sequence

from bot.adapters.discord.render.common import (
    CHOICE_NAME,
    COLOUR_GOOD,
    COLOUR_INFO,
    EMBED_DESCRIPTION,
    EmbedBuilder,
    Reply,
    fit_line,
    join_lines,
    mention,
    plain,
    plural,
)
from bot.core.groups import Group

CMD_GROUP = "Study groups: team up and compete on the group board"
CMD_CREATE = "Create a study group (you join it)"
CMD_JOIN = "Join a study group"
CMD_LEAVE = "Leave your study group"
CMD_LIST = "List the server's study groups"
CMD_RENAME = "Rename a study group (its creator or an admin)"
CMD_DELETE = "Delete a study group (its creator or an admin)"
OPT_NAME = "The group's name"
OPT_NEW_NAME = "The new name"

LIST_TITLE = "👥 Study groups"
NO_GROUPS = "No study groups yet. `/group create` starts one."
LIST_FOOTER = "Groups rank by points per active member: small keen groups can win."


def _name(group: Group | str) -> str:
    return fit_line(group.name if isinstance(group, Group) else group, 60)


def created(group: Group, member_id: int) -> Reply:
    """Announced in the channel: a new group others can join (nobody is pinged)."""
    text = (
        f"{mention(member_id)} created the study group **{_name(group)}**. Join with `/group join`!"
    )
    return Reply.of(EmbedBuilder("👥 New study group", text, colour=COLOUR_GOOD).build())


def joined(group: Group) -> Reply:
    """The member joined a group."""
    return Reply.text(f"You joined **{_name(group)}**. Your points now count for the group too.")


def left(group: Group) -> Reply:
    """The member left their group."""
    return Reply.text(f"You left **{_name(group)}**.")


def renamed(old: str, new: Group) -> Reply:
    """A group was renamed (``old``: the name as the member typed it)."""
    return Reply.text(f"**{_name(old)}** is now called **{_name(new)}**.")


def deleted(group: Group) -> Reply:
    """A group was deleted."""
    return Reply.text(f"The study group **{_name(group)}** was deleted; its members are groupless.")


def group_list(groups: Sequence[Group], mine: Group | None) -> Reply:
    """The server's groups with their sizes, the member's own marked."""
    if not groups:
        return Reply.of(EmbedBuilder(LIST_TITLE, NO_GROUPS, colour=COLOUR_INFO).build())
    lines = []
    for g in groups:
        marker = " ← your group" if mine is not None and g.id == mine.id else ""
        lines.append(f"• **{_name(g)}** — {plural(g.members, 'member')}{marker}")
    return Reply.of(
        EmbedBuilder(
            LIST_TITLE,
            join_lines(lines, EMBED_DESCRIPTION),
            colour=COLOUR_INFO,
            footer=LIST_FOOTER,
        ).build()
    )


def choice_name(group: Group) -> str:
    """An autocomplete entry (plain text, no markdown)."""
    return plain(f"{group.name} ({plural(group.members, 'member')})", CHOICE_NAME)
