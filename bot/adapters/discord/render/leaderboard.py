"""Wording of ``/leaderboard``: members or study groups, per period, a page at a time."""

from __future__ import annotations

from bot.adapters.discord.render.common import (
    COLOUR_GOOD,
    EMBED_DESCRIPTION,
    EmbedBuilder,
    Reply,
    fit_line,
    join_lines,
    mention,
    plural,
)
from bot.adapters.discord.render.practice import PERIOD_LABELS
from bot.core.leaderboard import Scope, StandingRow, Standings
from bot.core.schedule import Period

CMD_LEADERBOARD = "Show the server's leaderboard"
OPT_PERIOD = "Which period to rank (default: this week)"
OPT_SCOPE = "Rank members, or study groups by points per active member"
PERIOD_CHOICES = [
    ("Today", Period.TODAY.value),
    ("This week", Period.WEEK.value),
    ("This month", Period.MONTH.value),
    ("All time", Period.ALL_TIME.value),
]
SCOPE_CHOICES = [("Members", Scope.MEMBERS.value), ("Study groups", Scope.GROUPS.value)]
LABEL_PREVIOUS = "Previous"
LABEL_NEXT = "Next"

MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}
SCOPE_TITLES = {Scope.MEMBERS: "members", Scope.GROUPS: "study groups"}
EMPTY = {
    Scope.MEMBERS: "Nobody has scored {period} yet. Be the first: `/practice`!",
    Scope.GROUPS: "No study group has scored {period} yet. `/group create` starts one.",
}


def board(standings: Standings) -> Reply:
    """A page of a board."""
    period = PERIOD_LABELS[standings.period]
    title = f"🏆 Leaderboard · {SCOPE_TITLES[standings.scope]} · {period}"
    if not standings.rows:
        text = EMPTY[standings.scope].format(period=period)
    else:
        text = join_lines([_row(standings.scope, r) for r in standings.rows], EMBED_DESCRIPTION)
    footer = (
        f"Page {standings.page}/{standings.pages} · {plural(standings.total, 'entry', 'entries')}"
    )
    if standings.dates is not None and standings.period is not Period.TODAY:
        footer += f" · {standings.dates.start:%d %b} – {standings.dates.end:%d %b}"
    if standings.scope is Scope.GROUPS:
        footer += " · groups rank by points per active member"
    return Reply.of(EmbedBuilder(title, text, colour=COLOUR_GOOD, footer=footer).build())


def _row(scope: Scope, row: StandingRow) -> str:
    place = MEDALS.get(row.rank, f"`#{row.rank}`")
    if scope is Scope.GROUPS:
        return (
            f"{place} **{fit_line(row.name or '?', 60)}** — **{row.per_member:.1f}** per active "
            f"member ({row.active_members}/{row.members} active, {row.points} points)"
        )
    return (
        f"{place} {mention(row.subject_id)} — **{row.points}** points · "
        f"{plural(row.attempts, 'answer')}"
    )
