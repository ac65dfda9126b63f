"""Wording of every refusal and error a member can see (always ephemeral, never a traceback)."""

from __future__ import annotations

from datetime import date, datetime

from bot.adapters.discord.render.common import COLOUR_BAD, EmbedBuilder, Reply, fit_line
from bot.core.errors import PracticeError

ERROR_TEXT: dict[str, str] = {
    "question_not_found": "That question is no longer available here.",
    "no_question": "No question matches that topic and difficulty. Try `/topics` to see what "
    "there is.",
    "invalid_setting": "That value is not valid for {setting}.",
    "group_not_found": "There is no study group called **{name}** here. `/group list` shows "
    "them all.",
    "group_name_taken": "A study group called **{name}** already exists: pick another name, or "
    "`/group join` it.",
    "group_name_invalid": "That group name cannot be used: 1–{limit} characters, letters, "
    "digits and spaces.",
    "already_in_group": "You are already in **{group}**: `/group leave` it first.",
    "not_in_group": "You are not in a study group. `/group list` shows the groups you can join.",
    "not_allowed": "Only the group's creator or a server admin can do that.",
    "daily_not_found": "There is no daily question for {day}.",
    "daily_mismatch": "That button does not belong to the daily question of {day}.",
    "daily_not_open": "The daily question of {day} is not open yet.",
}
GENERIC_PRACTICE_ERROR = "That cannot be done right now."
NEEDS_ADMIN = "Sorry, only members with the **Manage Server** permission can use this command."
GUILD_ONLY = "This works inside a server, not in direct messages."
NOT_YOURS = "This button belongs to someone else's message: run the command yourself."
UNEXPECTED = (
    "Something went wrong on our side and it has been logged (reference `{ref}`). "
    "Please try again in a moment."
)
EXPIRED = "This button has expired. Run the command again."
ERROR_TITLE = "Not possible"


def practice_error(exc: PracticeError) -> Reply:
    """A domain error as a short ephemeral message (details escaped: names are user text)."""
    template = ERROR_TEXT.get(exc.code, GENERIC_PRACTICE_ERROR)
    details = {key: _detail(value) for key, value in exc.details.items()}
    details.setdefault("limit", "40")
    try:
        text = template.format(**details)
    except (KeyError, IndexError, ValueError):
        # A detail the wording expects is missing: say it without the detail.
        text = template.split("{")[0].rstrip(" :*") + "." if "{" in template else template
    return Reply.of(EmbedBuilder(ERROR_TITLE, text, colour=COLOUR_BAD).build())


def _detail(value: object) -> str:
    if isinstance(value, datetime):
        return discord_timestamp(value)
    if isinstance(value, date):
        return value.strftime("%a %d %b %Y")
    return fit_line(str(value), 80)


def discord_timestamp(when: datetime, style: str = "f") -> str:
    """A Discord timestamp: each reader sees it in their own timezone."""
    return f"<t:{int(when.timestamp())}:{style}>"


def needs_admin() -> Reply:
    """The polite refusal of an admin command."""
    return Reply.text(NEEDS_ADMIN)


def guild_only() -> Reply:
    """A command used outside a server."""
    return Reply.text(GUILD_ONLY)


def not_yours() -> Reply:
    """A button pressed by someone it was not meant for."""
    return Reply.text(NOT_YOURS)


def unexpected(ref: str) -> Reply:
    """An unexpected failure, with the short reference that is in the log line."""
    return Reply.text(UNEXPECTED.format(ref=ref))
