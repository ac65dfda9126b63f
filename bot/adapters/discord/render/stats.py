"""Wording of ``/stats``: a member's progress, with the chart attached."""

from __future__ import annotations

from bot.adapters.discord.charts import ChartText
from bot.adapters.discord.render.common import (
    COLOUR_INFO,
    FIELD_VALUE,
    EmbedBuilder,
    Reply,
    fit_line,
    join_lines,
    mention,
    plural,
)
from bot.adapters.discord.render.practice import citation_text, topic_name
from bot.core.practice import MemberStats

CMD_STATS = "Show your progress (or another member's)"
OPT_MEMBER = "Whose progress to show (default: yours)"
CHART_FILE = "stats.png"
CHART_TEXT = ChartText(
    history_title="Score over time",
    history_axis="Score (%)",
    mastery_title="Mastery by topic",
    mastery_axis="Mastery (%)",
    no_data="No answers yet",
)
PRIVATE = "{name} keeps their progress private."
NO_BOTS = "Bots do not practise."


def chart_topics(stats: MemberStats) -> list[tuple[str, float]]:
    """``(topic name, mastery)`` pairs for the chart, best first."""
    return [(topic_name(t.topic), t.mastery) for t in stats.topics]


def stats(stats: MemberStats, name: str, *, chart: bool) -> Reply:
    """The progress embed; ``chart`` when the PNG is attached as :data:`CHART_FILE`."""
    title = f"📈 Progress of {fit_line(name, 80)}"
    if stats.attempts == 0 and not stats.history:
        text = f"{mention(stats.member_id)} has no answers yet. `/practice` starts one."
        return Reply.of(EmbedBuilder(title, text, colour=COLOUR_INFO).build())
    summary = (
        f"{mention(stats.member_id)} · **{plural(stats.attempts, 'answer')}** · "
        f"average **{stats.average:.0%}** · **{stats.total_points}** points"
    )
    if stats.rank is not None:
        summary += f" · rank **#{stats.rank}** (all time)"
    builder = EmbedBuilder(title, summary, colour=COLOUR_INFO)
    streak = f"🔥 {plural(stats.streak.current, 'day')} (best {stats.streak.best})"
    if stats.streak.at_risk:
        streak += "\nAnswer today to keep it!"
    builder.add("Streak", streak, inline=True)
    builder.add("Review", f"{stats.review_due} due (`/review`)", inline=True)
    if stats.group:
        builder.add("Study group", fit_line(stats.group, 60), inline=True)
    if stats.topics:
        lines = [
            f"**{fit_line(topic_name(t.topic), 60)}** — mastery {t.mastery:.0%} · "
            f"average {t.average:.0%} · {plural(t.attempts, 'answer')}"
            for t in stats.topics
        ]
        builder.add("Topics (best first)", join_lines(lines, FIELD_VALUE))
    if stats.weakest_points:
        lines = []
        for w in stats.weakest_points:
            line = f"❌ {fit_line(w.statement, 160)} — missed {w.missed}/{w.seen}"
            where = citation_text(w.citation)
            if where:
                line += f"\n↳ {where}"
            lines.append(line)
        builder.add("Often missed", join_lines(lines, FIELD_VALUE))
    if chart:
        builder.image_url = f"attachment://{CHART_FILE}"
    return Reply.of(builder.build())


def private(name: str) -> Reply:
    """Someone else's stats when they opted out of boards."""
    return Reply.text(PRIVATE.format(name=fit_line(name, 80)))


def no_bots() -> Reply:
    """``/stats`` of a bot."""
    return Reply.text(NO_BOTS)
