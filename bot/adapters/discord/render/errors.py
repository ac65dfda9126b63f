"""Wording of every refusal and error a member can see (always ephemeral, never a traceback)."""

from __future__ import annotations

from datetime import date, datetime

from bot.adapters.discord.render.common import (
    COLOUR_BAD,
    COLOUR_MIXED,
    EMBED_DESCRIPTION,
    EmbedBuilder,
    Reply,
    fit,
    fit_line,
    plural,
)
from bot.core.errors import PracticeError, RateLimitedError

RATE_LIMITED = (
    "This server grades at most {limit} every {window} per member, so this answer was not "
    "graded. Try again in **{wait}**."
)
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
    "rate_limited": RATE_LIMITED,  # its details need formatting: see rate_limited()
}
GENERIC_PRACTICE_ERROR = "That cannot be done right now."
NEEDS_ADMIN = "Sorry, only members with the **Manage Server** permission can use this command."
GUILD_ONLY = "This works inside a server, not in direct messages."
NOT_YOURS = "This button belongs to someone else's message: run the command yourself."
UNEXPECTED = (
    "Something went wrong on our side and it has been logged (reference `{ref}`). "
    "Please try again in a moment."
)
UNAVAILABLE = (
    "The bot could not reach its database or knowledge index just now, so this was not "
    "recorded. Please try again in a minute (reference `{ref}`)."
)
UNAVAILABLE_ANSWER = "Your answer, to paste back in:"
UNAVAILABLE_TITLE = "Please try again"
EXPIRED = "This button has expired. Run the command again."
FORM_EXPIRED = "This form has expired. Run the command again."
ERROR_TITLE = "Not possible"
RATE_LIMITED_TITLE = "Not so fast"


def rate_limited(exc: RateLimitedError) -> Reply:
    """Too many graded answers: how long to wait (the answer was neither graded nor kept)."""
    details = exc.details
    text = RATE_LIMITED.format(
        limit=plural(_int(details.get("limit"), 1), "answer"),
        window=duration(_int(details.get("window_seconds"), 60)),
        wait=duration(_int(details.get("wait_seconds"), 1)),
    )
    return Reply.of(EmbedBuilder(RATE_LIMITED_TITLE, text, colour=COLOUR_MIXED).build())


def duration(seconds: int) -> str:
    """``45 seconds``, ``1 minute``, ``2 minutes 5 seconds`` (whole seconds, at least 1)."""
    seconds = max(1, seconds)
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return plural(rest, "second")
    text = plural(minutes, "minute")
    return f"{text} {plural(rest, 'second')}" if rest else text


def _int(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def practice_error(exc: PracticeError) -> Reply:
    """A domain error as a short ephemeral message (details escaped: names are user text)."""
    if isinstance(exc, RateLimitedError):
        return rate_limited(exc)
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


def expired() -> Reply:
    """A button this version of the bot no longer handles."""
    return Reply.text(EXPIRED)


def form_expired() -> Reply:
    """A submitted form this version of the bot no longer handles."""
    return Reply.text(FORM_EXPIRED)


def unexpected(ref: str) -> Reply:
    """An unexpected failure, with the short reference that is in the log line."""
    return Reply.text(UNEXPECTED.format(ref=ref))


def unavailable(ref: str, answer: str | None = None) -> Reply:
    """Storage briefly unreachable: try again; a submitted ``answer`` is shown back (escaped)."""
    text = UNAVAILABLE.format(ref=ref)
    if answer and answer.strip():
        budget = EMBED_DESCRIPTION - len(text) - len(UNAVAILABLE_ANSWER) - 8
        text += f"\n\n{UNAVAILABLE_ANSWER}\n{fit(answer, budget)}"
    return Reply.of(EmbedBuilder(UNAVAILABLE_TITLE, text, colour=COLOUR_MIXED).build())
