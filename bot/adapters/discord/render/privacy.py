"""Wording of ``/privacy``: forgetting a member's data, and leaving the boards."""

from __future__ import annotations

from collections.abc import Mapping

from bot.adapters.discord.render.common import (
    COLOUR_BAD,
    COLOUR_GOOD,
    COLOUR_NEUTRAL,
    EmbedBuilder,
    Reply,
    plural,
)

CMD_PRIVACY = "Your data in this server"
CMD_FORGET = "Delete all your answers, scores, streak and review queue in this server"
CMD_LEADERBOARD = "Show or hide yourself on this server's leaderboards"
OPT_VISIBILITY = "on: you appear on the boards; off: you are hidden (your points still count)"
VISIBILITY_CHOICES = [("on (show me)", "on"), ("off (hide me)", "off")]
LABEL_CONFIRM = "Yes, delete my data"
LABEL_CANCEL = "Cancel"

CONFIRM_TITLE = "Delete your data in this server?"
CONFIRM_TEXT = (
    "This deletes, in this server only: every answer you gave and its grade, your points on "
    "every board, your streak, your review queue, your study-group membership and your "
    "settings. Groups you created stay, without a creator.\n\n**This cannot be undone.**"
)
CANCELLED = "Nothing was deleted."
KINDS = {
    "attempts": ("answer", "answers"),
    "reviews": ("review item", "review items"),
    "memberships": ("group membership", "group memberships"),
    "streaks": ("streak", "streaks"),
}
SHOWN = "You appear on this server's leaderboards again."
HIDDEN = (
    "You are now hidden from this server's leaderboards, daily recaps and other members' "
    "`/stats`. Your points still count, anonymously, for your study group."
)


def confirm_forget() -> Reply:
    """The warning above the confirm button."""
    return Reply.of(EmbedBuilder(CONFIRM_TITLE, CONFIRM_TEXT, colour=COLOUR_BAD).build())


def forgotten(report: Mapping[str, int]) -> Reply:
    """What was deleted."""
    parts = [
        plural(report.get(key, 0), one, many)
        for key, (one, many) in KINDS.items()
        if report.get(key, 0)
    ]
    text = "Done: your data in this server is gone"
    text += f" ({', '.join(parts)})." if parts else " (there was nothing stored)."
    return Reply.of(EmbedBuilder("Data deleted", text, colour=COLOUR_GOOD).build())


def cancelled() -> Reply:
    """The member pressed Cancel."""
    return Reply.of(EmbedBuilder("Cancelled", CANCELLED, colour=COLOUR_NEUTRAL).build())


def visibility(shown: bool) -> Reply:
    """The leaderboard opt-in/out confirmation."""
    return Reply.text(SHOWN if shown else HIDDEN)
