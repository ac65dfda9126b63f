"""Study-group rules: names and who may change a group.

A member belongs to at most one group per server (the store enforces it with a key on
``(guild, member)``); names are unique per server ignoring case and spacing, so "ML Crew" and
"ml  crew" cannot both exist and confuse a leaderboard reader.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from bot.core.errors import InvalidGroupNameError, NotAllowedError

MAX_NAME_LENGTH = 40
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Group:
    """A study group in a server.

    Attributes:
        id: Store-assigned id.
        guild_id: The server.
        name: Display name.
        created_by: Creator's member id (None once the creator asked to be forgotten).
        created_at: Creation instant (UTC).
        members: Current number of members (when listed).
    """

    id: int
    guild_id: int
    name: str
    created_by: int | None
    created_at: datetime
    members: int = 0


def clean_name(raw: str) -> str:
    """The display form of a group name: NFKC, single spaces, trimmed.

    Raises:
        InvalidGroupNameError: Empty, too long, or containing control characters.
    """
    name = _SPACES.sub(" ", unicodedata.normalize("NFKC", raw)).strip()
    if not name:
        raise InvalidGroupNameError("empty group name", name=raw)
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidGroupNameError("group name too long", name=name, limit=MAX_NAME_LENGTH)
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise InvalidGroupNameError("control characters in group name", name=name)
    return name


def name_key(name: str) -> str:
    """The uniqueness key of a name (case- and spacing-insensitive)."""
    return clean_name(name).casefold()


def check_can_manage(group: Group, actor_id: int, *, is_admin: bool) -> None:
    """Raise ``NotAllowedError`` unless ``actor_id`` created the group or is a server admin."""
    if not is_admin and group.created_by != actor_id:
        raise NotAllowedError(
            "only the creator or an admin may change this group", group=group.name
        )
