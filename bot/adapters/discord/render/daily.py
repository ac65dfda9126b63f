"""Wording of the daily question: the post, its thread, the recap, and the ``/daily`` replies.

Times are shown as Discord timestamps (``<t:…>``), which every reader sees in their own
timezone, next to the server's wall-clock time and zone, so nobody has to convert. The recap
names the top scorers with mentions in an embed, sent with no allowed mentions: it shows names
and pings nobody. Answers are never quoted anywhere public.
"""

from __future__ import annotations

from datetime import date, datetime, time

from bot.adapters.discord.render.common import (
    COLOUR_BAD,
    COLOUR_GOOD,
    COLOUR_INFO,
    COLOUR_NEUTRAL,
    CONTENT,
    FIELD_VALUE,
    EmbedBuilder,
    Reply,
    fit,
    fit_line,
    join_lines,
    mention,
    plural,
    score_bar,
)
from bot.adapters.discord.render.errors import discord_timestamp
from bot.adapters.discord.render.practice import citation_text, difficulty_name, topic_name
from bot.core.guild_settings import GuildSettings
from bot.core.practice import DailyQuestion, DailyRecap
from bot.scheduler import DailyStatus, PostResult, PostStatus

# -- commands and options -----------------------------------------------------------------------
CMD_DAILY = "The daily question of this server (admins)"
CMD_SETUP = "Post a daily question in a channel at a local time"
CMD_OFF = "Stop posting the daily question"
CMD_NOW = "Post today's daily question now if it is not posted yet"
CMD_STATUS = "Show the daily question's schedule"
OPT_CHANNEL = "Channel to post the question in (a thread opens on each post)"
OPT_TIME = "Local posting time, 24-hour HH:MM (e.g. 09:00) or 9am / 6:30pm"
OPT_TIMEZONE = "IANA timezone of that time, e.g. Europe/Berlin or America/New_York"
OPT_TOPICS = "Topics to draw from, comma-separated (default: all)"
OPT_DIFFICULTY = "Difficulty of the daily question (default: any)"
OPT_WINDOW = "Hours the question stays open for scored answers (1-168, default 24)"
ANY_DIFFICULTY = "Any"

PROMPT_CHARS = 2500
THREAD_NAME = 100
MISSED_POINT_CHARS = 200


def _day(day: date) -> str:
    return day.strftime("%a %d %b %Y")


def _when(instant: datetime) -> str:
    """A timestamp every reader sees in their own timezone, and how far away it is."""
    return f"{discord_timestamp(instant, 'f')} ({discord_timestamp(instant, 'R')})"


def local_time(at: time, tz: str) -> str:
    """The server's posting time as written in its zone, e.g. ``09:00 Europe/Berlin``."""
    return f"{at:%H:%M} {tz}"


# -- the post and its thread --------------------------------------------------------------------


def daily_post(daily: DailyQuestion) -> Reply:
    """The daily question as posted in the channel, above its **Answer** button."""
    q = daily.question
    builder = EmbedBuilder(
        title=f"Daily question · {_day(daily.local_date)}",
        description=fit(q.prompt, PROMPT_CHARS),
        colour=COLOUR_INFO,
        footer=f"{q.id} · one scored attempt each · answers stay private",
    )
    builder.add("Topic", topic_name(q.topic), inline=True)
    builder.add("Difficulty", difficulty_name(q.difficulty), inline=True)
    builder.add("Closes", _when(daily.closes_at), inline=True)
    builder.add(
        "How to answer",
        "Press **Answer** and write your answer privately: only you see your grade. "
        "The recap, with the model answer, comes in the thread when the question closes.",
    )
    return Reply.of(builder.build())


def closed_post(daily: DailyQuestion, recap: DailyRecap) -> Reply:
    """The post once its window closed (its **Answer** button is removed)."""
    q = daily.question
    builder = EmbedBuilder(
        title=f"Daily question · {_day(daily.local_date)} · closed",
        description=fit(q.prompt, PROMPT_CHARS),
        colour=COLOUR_NEUTRAL,
        footer=f"{q.id} · closed",
    )
    builder.add("Topic", topic_name(q.topic), inline=True)
    builder.add("Difficulty", difficulty_name(q.difficulty), inline=True)
    builder.add("Answers", plural(recap.participants, "member"), inline=True)
    builder.add("Recap", "The recap and the model answer are in the thread below.")
    return Reply.of(builder.build())


def thread_name(daily: DailyQuestion) -> str:
    """The discussion thread's name (at most 100 characters, plain text)."""
    name = f"Daily {daily.local_date:%d %b} · {topic_name(daily.question.topic)}"
    return name[:THREAD_NAME]


def thread_intro(daily: DailyQuestion) -> Reply:
    """The first message of the thread."""
    return Reply.text(
        "Talk about the question here once you have answered. Please keep your own answer "
        f"to yourself until the recap, {_when(daily.closes_at)}."
    )


# -- the recap ----------------------------------------------------------------------------------

MEDALS = ("🥇", "🥈", "🥉")


def recap_title(day: date) -> str:
    """The recap's title (also how a recap is recognised after a crash)."""
    return f"Daily recap · {_day(day)}"


def recap(result: DailyRecap) -> Reply:
    """The recap posted in the thread when the window closes."""
    q = result.question
    builder = EmbedBuilder(
        title=recap_title(result.local_date),
        description=fit(q.prompt, 1000),
        colour=COLOUR_GOOD if result.participants else COLOUR_NEUTRAL,
        footer=f"{q.id} · answers stay private: only scores are shown",
    )
    builder.add(
        "Participation",
        plural(result.participants, "member") + " answered"
        if result.participants
        else "Nobody answered this time.",
        inline=True,
    )
    if result.participants:
        builder.add("Average score", score_bar(result.average), inline=True)
    if result.most_missed:
        lines = []
        for point in result.most_missed:
            line = f"• {fit_line(point.statement, MISSED_POINT_CHARS)} — missed by {point.missed}"
            cite = citation_text(point.citation)
            lines.append(f"{line}\n  {cite}" if cite else line)
        builder.add("Most-missed points", join_lines(lines, FIELD_VALUE))
    builder.add("Model answer", fit(q.model_answer, FIELD_VALUE))
    if result.top_scorers:
        lines = [
            f"{MEDALS[i] if i < len(MEDALS) else '•'} {mention(s.member_id)} — "
            f"{s.fraction:.0%} (+{s.points})"
            for i, s in enumerate(result.top_scorers)
        ]
        builder.add("Top scorers", join_lines(lines, FIELD_VALUE))
    return Reply.of(builder.build())


# -- /daily replies -----------------------------------------------------------------------------

INVALID_TIME = (
    "**{value}** is not a time I understand. Use the 24-hour clock, `HH:MM` (for example "
    "`09:00` or `18:30`), or `9am` / `6:30pm`."
)
INVALID_TIMEZONE = (
    "**{value}** is not a timezone I know. Use an IANA name such as `Europe/Berlin`, "
    "`America/New_York` or `Asia/Kolkata` (start typing: the list suggests names), or `UTC`."
)
INVALID_TOPICS = "Unknown topic(s): {unknown}. This server has: {known}."
NO_MATCHING_QUESTION = (
    "No question here matches those topics and that difficulty, so there would be nothing "
    "to post. Pick other topics or another difficulty."
)
INVALID_WINDOW = "The answer window must be between 1 and 168 hours."
NOT_A_TEXT_CHANNEL = "Pick a text channel: the question is posted there and a thread opens on it."
MISSING_PERMISSIONS = (
    "I cannot post there yet: I need {missing} in {channel}. Give me those permissions, "
    "then run `/daily setup` again."
)
NOT_CONFIGURED = "The daily question is not set up here. Run `/daily setup` first."
SETUP_FAILED = "That setting cannot be used: {reason}"


def invalid_time(value: str) -> Reply:
    """A posting time that does not parse."""
    return _problem(INVALID_TIME.format(value=fit_line(value, 40)))


def invalid_timezone(value: str) -> Reply:
    """A timezone that is not an IANA name."""
    return _problem(INVALID_TIMEZONE.format(value=fit_line(value, 60)))


def invalid_topics(unknown: list[str], known: list[str]) -> Reply:
    """Topics that do not exist in this server."""
    return _problem(
        INVALID_TOPICS.format(
            unknown=", ".join(f"`{fit_line(t, 40)}`" for t in unknown[:10]),
            known=", ".join(f"`{t}`" for t in known) or "no topics",
        )
    )


def no_matching_question() -> Reply:
    """Topics/difficulty that leave no question to post."""
    return _problem(NO_MATCHING_QUESTION)


def invalid_window() -> Reply:
    """A window outside 1-168 hours."""
    return _problem(INVALID_WINDOW)


def not_a_text_channel() -> Reply:
    """A channel the daily cannot be posted in."""
    return _problem(NOT_A_TEXT_CHANNEL)


def missing_permissions(channel_mention: str, missing: list[str]) -> Reply:
    """The bot lacks permissions in the chosen channel."""
    names = ", ".join(f"**{m.replace('_', ' ').title()}**" for m in missing)
    return _problem(MISSING_PERMISSIONS.format(missing=names, channel=channel_mention))


def setup_failed(reason: str) -> Reply:
    """A setting the core refused (its reason is for admins: it names the setting)."""
    return _problem(SETUP_FAILED.format(reason=fit_line(reason, 300)))


def not_configured() -> Reply:
    """``/daily now|status`` before ``/daily setup``."""
    return Reply.text(NOT_CONFIGURED)


def _problem(text: str) -> Reply:
    return Reply.of(EmbedBuilder("Not saved", text, colour=COLOUR_BAD).build())


def _settings_lines(settings: GuildSettings, channel_mention: str) -> list[str]:
    topics = ", ".join(topic_name(t) for t in settings.topics) or "all topics"
    return [
        f"**Channel:** {channel_mention}",
        f"**Time:** {local_time(settings.daily_time, settings.timezone)}",
        f"**Topics:** {fit_line(topics, 400)}",
        f"**Difficulty:** {difficulty_name(settings.difficulty)}",
        f"**Answer window:** {plural(settings.window_hours, 'hour')}",
    ]


def setup_done(
    settings: GuildSettings,
    channel_mention: str,
    next_post: datetime,
    *,
    today_open: bool,
) -> Reply:
    """``/daily setup`` saved."""
    builder = EmbedBuilder(
        title="Daily question set up",
        description="\n".join(_settings_lines(settings, channel_mention)),
        colour=COLOUR_GOOD,
    )
    builder.add("First question", _when(next_post))
    if today_open:
        builder.add(
            "Today",
            "Today's posting time has passed. Run `/daily now` to post today's question now.",
        )
    return Reply.of(builder.build())


def off_done(was_on: bool) -> Reply:
    """``/daily off``."""
    if not was_on:
        return Reply.text("The daily question was already off.")
    return Reply.text(
        "The daily question is off. A question that is still open keeps its window and "
        "still gets its recap."
    )


def now_result(result: PostResult, channel_mention: str, jump_url: str | None) -> Reply:
    """``/daily now``."""
    link = f" [Open it]({jump_url})" if jump_url else ""
    status = result.status
    if status is PostStatus.POSTED:
        text = f"Today's daily question is posted in {channel_mention}.{link}"
    elif status is PostStatus.ALREADY_POSTED:
        text = f"Today's daily question is already posted in {channel_mention}.{link}"
    elif status is PostStatus.NOT_DUE and result.opens_at is not None:
        text = (
            "Today's question cannot open before its posting time: the next one is "
            f"posted {_when(result.opens_at)}."
        )
    elif status is PostStatus.BUSY:
        text = "The daily question is being posted right now; it will appear in a moment."
    elif status is PostStatus.NO_QUESTION:
        text = NO_MATCHING_QUESTION
    elif status is PostStatus.FAILED:
        text = (
            f"I could not post in {channel_mention}: check that I can see the channel, send "
            "messages, embed links and create threads there."
        )
    elif status is PostStatus.NOT_CONFIGURED:
        text = NOT_CONFIGURED
    else:
        text = "This server's daily question is handled by another instance of the bot."
    return Reply.text(text[:CONTENT])


def status(info: DailyStatus, channel_mention: str | None, jump_url: str | None) -> Reply:
    """``/daily status``."""
    settings = info.settings
    if channel_mention is None:
        return Reply.of(
            EmbedBuilder(
                "Daily question: off",
                "No daily question is posted here. `/daily setup` starts one.",
                colour=COLOUR_NEUTRAL,
            ).build()
        )
    builder = EmbedBuilder(
        title="Daily question: on",
        description="\n".join(_settings_lines(settings, channel_mention)),
        colour=COLOUR_INFO if info.scheduled else COLOUR_BAD,
    )
    if info.next_post_at is not None:
        builder.add("Next question", _when(info.next_post_at))
    if info.current is not None:
        where = f" [Open it]({jump_url})" if jump_url else ""
        posted = info.current_post is not None and info.current_post.posted
        state = "posted" if posted else "not posted yet"
        builder.add(
            "Open now",
            f"The question of {_day(info.current.local_date)} is {state}; it closes "
            f"{_when(info.current.closes_at)}.{where}",
        )
    if not info.scheduled:
        builder.add(
            "Scheduler",
            "The schedule is not running in this bot instance right now: questions are "
            "posted once it is back.",
        )
    return Reply.of(builder.build())


def difficulty_choice_names() -> list[tuple[str, str]]:
    """``(name, value)`` of the daily difficulty option (``any`` included)."""
    return [
        (ANY_DIFFICULTY, "any"),
        *((difficulty_name(d), d) for d in ("easy", "medium", "hard")),
    ]
