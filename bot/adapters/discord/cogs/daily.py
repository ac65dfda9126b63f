"""``/daily setup|off|now|status``, and the Discord side of the daily question.

The schedule itself lives in ``bot.scheduler`` (APScheduler, exactly-once claims); this cog
starts it once the bot is ready, stops it when the bot closes, and is its ``DailyPoster``: it
posts the question with the **Answer** button (``views.daily_view``), opens a thread on it,
and when the window closes posts the recap in that thread and closes the post.

Admin commands: the group is hidden from members without Manage Server, and each subcommand
checks again at run time (servers can override the default permissions).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import zoneinfo
from datetime import time
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.app_commands import Choice
from discord.ext import commands

from bot.adapters.discord.client import get_deps
from bot.adapters.discord.errors import ADMIN_PERMISSIONS, admin_check
from bot.adapters.discord.render import daily as wording
from bot.adapters.discord.render.common import NO_PINGS, Reply, send
from bot.adapters.discord.views import daily_view, require_guild
from bot.core.models import Difficulty
from bot.core.practice import DailyQuestion, DailyRecap
from bot.core.schedule import daily_window, local_date
from bot.core.store_ports import DailyPost
from bot.scheduler import (
    DailyScheduler,
    PostedDaily,
    PostFailedError,
    PostUncertainError,
    next_post_at,
)

if TYPE_CHECKING:
    from bot.adapters.discord.client import InterviewBot

log = logging.getLogger(__name__)

HISTORY_SCAN = 50
"""Messages searched for a post or recap that landed before a crash (the newest first)."""

STOP_GRACE = 10.0
"""Seconds a closing bot waits for the start-up catch-up to finish."""

THREAD_ARCHIVE_MINUTES: Literal[10080] = 10080
"""Threads stay open a week without activity: the recap arrives up to 168 hours later."""

NEEDED_PERMISSIONS = (
    "view_channel",
    "send_messages",
    "embed_links",
    "create_public_threads",
    "send_messages_in_threads",
    "read_message_history",
)

_TIME = re.compile(
    r"^\s*(?P<h>\d{1,2})(?:\s*[:.h]\s*(?P<m>\d{2}))?\s*(?P<ampm>[ap]\.?\s*m\.?)?\s*$",
    re.IGNORECASE,
)

DIFFICULTY_CHOICES = [Choice(name=n, value=v) for n, v in wording.difficulty_choice_names()]


def parse_time(text: str) -> time | None:
    """A posting time from what an admin typed: ``09:00``, ``9``, ``18.30``, ``9am``,
    ``6:30 pm``; None when it is not a valid time of day."""
    match = _TIME.match(text)
    if match is None:
        return None
    hour, minute = int(match["h"]), int(match["m"] or 0)
    if match["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match["ampm"].lower().startswith("p") else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


@functools.cache
def _zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


@functools.cache
def _zones_by_key() -> dict[str, str]:
    return {z.casefold(): z for z in _zones()}


def resolve_timezone(text: str) -> str | None:
    """The IANA zone an admin meant (case-insensitive, spaces as underscores), or None."""
    key = text.strip().replace(" ", "_").casefold()
    if key in {"utc", "z", "gmt"}:
        return "UTC"
    return _zones_by_key().get(key)


def timezone_suggestions(typed: str, limit: int = 25) -> list[str]:
    """Zones matching what was typed: prefix matches of the city or name first."""
    key = typed.strip().replace(" ", "_").casefold()
    if not key:
        popular = ("UTC", "Europe/London", "Europe/Berlin", "America/New_York", "Asia/Kolkata")
        return list(popular)
    ranked: list[tuple[int, str]] = []
    for zone_name in _zones():
        folded = zone_name.casefold()
        city = folded.rsplit("/", 1)[-1]
        if folded.startswith(key) or city.startswith(key):
            ranked.append((0, zone_name))
        elif key in folded:
            ranked.append((1, zone_name))
    return [z for _, z in sorted(ranked)][:limit]


def split_topics(text: str | None) -> list[str]:
    """A comma-separated topic list, trimmed, without empties and duplicates (order kept)."""
    if not text:
        return []
    seen: dict[str, None] = {}
    for part in text.split(","):
        if part.strip():
            seen.setdefault(part.strip().lower(), None)
    return list(seen)


def jump_url(guild_id: int, channel_id: int | None, message_id: int | None) -> str | None:
    """The link to a message."""
    if channel_id is None or message_id is None:
        return None
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


class DailyCog(commands.Cog, name="Daily"):
    """The daily question: admin commands, and the poster of the scheduler.

    Attributes:
        scheduler: The daily scheduler (from the bot's deps, or built from its settings).
        ready: Set once the scheduler started and caught up (tests wait on it).
    """

    daily = app_commands.Group(
        name="daily",
        description=wording.CMD_DAILY,
        default_permissions=ADMIN_PERMISSIONS,
        guild_only=True,
    )

    def __init__(self, bot: InterviewBot) -> None:
        """Build the cog and its scheduler (started when the bot is ready)."""
        self.bot = bot
        deps = get_deps(bot)
        scheduler = deps.scheduler
        if not isinstance(scheduler, DailyScheduler):
            scheduler = DailyScheduler.from_settings(
                deps.settings, deps.service, deps.store, deps.clock
            )
        self.scheduler: DailyScheduler = scheduler
        self.ready = asyncio.Event()
        self._start_task: asyncio.Task[None] | None = None

    async def cog_unload(self) -> None:
        """The bot is closing: let a start-up catch-up finish, then stop the scheduler."""
        task = self._start_task
        if task is not None and not task.done():
            # Cutting a catch-up short mid-query would leave the database driver's thread
            # answering a closed event loop; it takes moments, so wait for it.
            try:
                await asyncio.wait_for(asyncio.shield(task), STOP_GRACE)
            except TimeoutError:
                task.cancel()
        await self.scheduler.shutdown()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Start the scheduler once (READY repeats after a reconnect)."""
        if self._start_task is not None or self.scheduler.running:
            return
        self._start_task = asyncio.create_task(self._start(), name="daily-scheduler-start")

    async def _start(self) -> None:
        try:
            await self.scheduler.start(self)
        except Exception:
            log.exception("the daily scheduler could not start")
            self._start_task = None  # the next READY tries again
            return
        self.ready.set()

    # -- /daily -----------------------------------------------------------------------------

    @daily.command(name="setup", description=wording.CMD_SETUP)
    @app_commands.describe(
        channel=wording.OPT_CHANNEL,
        time=wording.OPT_TIME,
        timezone=wording.OPT_TIMEZONE,
        topics=wording.OPT_TOPICS,
        difficulty=wording.OPT_DIFFICULTY,
        window_hours=wording.OPT_WINDOW,
    )
    @app_commands.choices(difficulty=DIFFICULTY_CHOICES)
    @admin_check()
    async def setup_daily(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        time: app_commands.Range[str, 1, 20],
        timezone: app_commands.Range[str, 1, 64],
        topics: app_commands.Range[str, 1, 500] | None = None,
        difficulty: Choice[str] | None = None,
        window_hours: app_commands.Range[int, 1, 168] = 24,
    ) -> None:
        """Post a daily question in ``channel`` every day at ``time`` in ``timezone``."""
        guild_id = require_guild(interaction)
        at = parse_time(time)
        if at is None:
            await send(interaction, wording.invalid_time(time))
            return
        zone_name = resolve_timezone(timezone)
        if zone_name is None:
            await send(interaction, wording.invalid_timezone(timezone))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        deps = get_deps(interaction.client)
        counts = await deps.service.topics(guild_id)
        chosen = split_topics(topics)
        unknown = [t for t in chosen if t not in counts]
        if unknown:
            await send(interaction, wording.invalid_topics(unknown, sorted(counts)))
            return
        level = None if difficulty is None or difficulty.value == "any" else difficulty.value
        available = sum(
            n
            for topic, by_level in counts.items()
            if not chosen or topic in chosen
            for d, n in by_level.items()
            if level is None or d == Difficulty(level)
        )
        if not available:
            await send(interaction, wording.no_matching_question())
            return
        missing = _missing_permissions(channel)
        if missing:
            await send(interaction, wording.missing_permissions(channel.mention, missing))
            return
        settings = await deps.service.configure_guild(
            guild_id,
            daily_channel_id=channel.id,
            daily_time=at.strftime("%H:%M"),
            timezone=zone_name,
            topics=chosen,
            difficulty=level,
            window_hours=window_hours,
        )
        await self.scheduler.apply_settings(guild_id)
        now = deps.clock.now()
        today = local_date(now, zone_name)
        opens, closes = daily_window(today, at, window_hours, zone_name)
        posted = await deps.store.get_daily_post(guild_id, today)
        today_open = opens <= now < closes and not (posted and posted.posted)
        log.info("server %s: daily set up at %s %s", guild_id, settings.daily_time, zone_name)
        await send(
            interaction,
            wording.setup_done(
                settings, channel.mention, next_post_at(now, at, zone_name), today_open=today_open
            ),
        )

    @setup_daily.autocomplete("timezone")
    async def _timezone_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[Choice[str]]:
        return [Choice(name=z, value=z) for z in timezone_suggestions(current)]

    @setup_daily.autocomplete("topics")
    async def _topic_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[Choice[str]]:
        if interaction.guild_id is None:
            return []
        counts = await get_deps(interaction.client).service.topics(interaction.guild_id)
        *done, typing = current.split(",") if current else [""]
        picked = [t.strip() for t in done if t.strip()]
        prefix = ", ".join(picked)
        out = []
        for topic in counts:
            if topic in picked or typing.strip().lower() not in topic:
                continue
            value = f"{prefix}, {topic}" if prefix else topic
            if len(value) <= 100:
                out.append(Choice(name=value, value=value))
        return out[:25]

    @daily.command(name="off", description=wording.CMD_OFF)
    @admin_check()
    async def off(self, interaction: discord.Interaction) -> None:
        """Stop posting the daily question here."""
        guild_id = require_guild(interaction)
        deps = get_deps(interaction.client)
        was_on = (await deps.service.guild_settings(guild_id)).daily_channel_id is not None
        if was_on:
            await deps.service.configure_guild(guild_id, daily_channel_id=None)
            await self.scheduler.apply_settings(guild_id)
            log.info("server %s: daily turned off", guild_id)
        await send(interaction, wording.off_done(was_on))

    @daily.command(name="now", description=wording.CMD_NOW)
    @admin_check()
    async def now(self, interaction: discord.Interaction) -> None:
        """Post today's daily question now (once its posting time has passed)."""
        guild_id = require_guild(interaction)
        deps = get_deps(interaction.client)
        settings = await deps.service.guild_settings(guild_id)
        if settings.daily_channel_id is None:
            await send(interaction, wording.not_configured())
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.scheduler.run_daily(guild_id, manual=True)
        post = result.post
        await send(
            interaction,
            wording.now_result(
                result,
                f"<#{settings.daily_channel_id}>",
                jump_url(guild_id, post.channel_id, post.message_id) if post else None,
            ),
        )

    @daily.command(name="status", description=wording.CMD_STATUS)
    @admin_check()
    async def status(self, interaction: discord.Interaction) -> None:
        """Show the schedule, and the open daily with a link to it."""
        guild_id = require_guild(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        info = await self.scheduler.status(guild_id)
        channel_id = info.settings.daily_channel_id
        post = info.current_post
        await send(
            interaction,
            wording.status(
                info,
                f"<#{channel_id}>" if channel_id is not None else None,
                jump_url(guild_id, post.channel_id, post.message_id) if post else None,
            ),
        )

    # -- DailyPoster: what the scheduler asks of Discord ------------------------------------

    async def _messageable(self, channel_id: int) -> discord.abc.Messageable:
        channel: Any = self.bot.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(channel_id)
            except (discord.NotFound, discord.Forbidden) as exc:
                raise PostFailedError(f"channel {channel_id} is not reachable: {exc}") from exc
            except discord.HTTPException as exc:
                raise PostFailedError(f"Discord failed: {exc}", transient=True) from exc
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            raise PostFailedError(f"channel {channel_id} is not a text channel")
        return channel

    async def post_daily(self, channel_id: int, daily: DailyQuestion) -> PostedDaily:
        """Post the question with its Answer button and open its discussion thread."""
        channel = await self._messageable(channel_id)
        reply = wording.daily_post(daily)
        try:
            message = await channel.send(
                embeds=reply.embeds,
                view=daily_view(daily.question.id, daily.local_date),
                allowed_mentions=NO_PINGS,
            )
        except (discord.Forbidden, discord.NotFound) as exc:
            raise PostFailedError(f"cannot post in channel {channel_id}: {exc}") from exc
        except discord.HTTPException as exc:
            # A server error: the message may exist all the same (a retry looks first).
            raise PostUncertainError(f"Discord failed: {exc}") from exc
        thread_id = await self._open_thread(message, daily)
        return PostedDaily(message.channel.id, message.id, thread_id)

    async def _open_thread(self, message: discord.Message, daily: DailyQuestion) -> int | None:
        try:
            thread = await message.create_thread(
                name=wording.thread_name(daily), auto_archive_duration=THREAD_ARCHIVE_MINUTES
            )
            await _send(thread, wording.thread_intro(daily))
        except discord.HTTPException as exc:
            # The question still works without its thread; the recap then goes in the channel.
            log.warning("cannot open the daily thread in channel %s: %s", message.channel.id, exc)
            return None
        return thread.id

    async def find_daily(self, channel_id: int, daily: DailyQuestion) -> PostedDaily | None:
        """A post of ``daily`` by this bot among the channel's latest messages."""
        channel = await self._messageable(channel_id)
        wanted = daily_view(daily.question.id, daily.local_date).children[0]
        custom_id = getattr(wanted, "custom_id", None)
        me = self.bot.user
        async for message in channel.history(limit=HISTORY_SCAN):
            if me is None or message.author.id != me.id:
                continue
            ids = {getattr(c, "custom_id", None) for row in message.components for c in _kids(row)}
            if custom_id in ids:
                thread = await self._thread_of(message, daily)
                return PostedDaily(message.channel.id, message.id, thread)
        return None

    async def _thread_of(self, message: discord.Message, daily: DailyQuestion) -> int | None:
        # A thread started from a message has the message's id.
        guild = message.guild
        if guild is not None and guild.get_thread(message.id) is not None:
            return message.id
        try:
            await self.bot.fetch_channel(message.id)
        except discord.NotFound:
            return await self._open_thread(message, daily)
        except discord.HTTPException:
            return None
        return message.id

    async def post_recap(self, post: DailyPost, recap: DailyRecap) -> int | None:
        """Post the recap in the thread (or the channel) and close the original post."""
        if post.channel_id is None:
            raise PostFailedError("the daily post has no channel")
        target_id = post.thread_id or post.channel_id
        try:
            target = await self._messageable(target_id)
        except PostFailedError:
            if target_id == post.channel_id:
                raise
            target = await self._messageable(post.channel_id)  # the thread is gone
        try:
            message = await _send(target, wording.recap(recap))
        except (discord.Forbidden, discord.NotFound) as exc:
            raise PostFailedError(f"cannot post the recap: {exc}") from exc
        except discord.HTTPException as exc:
            raise PostUncertainError(f"Discord failed: {exc}") from exc
        await self._close_post(post, recap)
        return message.id

    async def _close_post(self, post: DailyPost, recap: DailyRecap) -> None:
        if post.channel_id is None or post.message_id is None:
            return
        try:
            channel = await self._messageable(post.channel_id)
            daily = await get_deps(self.bot).service.daily_question(post.guild_id, post.local_date)
            reply = wording.closed_post(daily, recap)
            partial = discord.PartialMessage(channel=channel, id=post.message_id)  # type: ignore[arg-type]
            await partial.edit(embeds=reply.embeds, view=None, allowed_mentions=NO_PINGS)
        except (PostFailedError, discord.HTTPException) as exc:
            # The recap is out; an Answer button left on the post only grades as practice.
            log.warning("cannot close the daily post %s: %s", post.message_id, exc)

    async def find_recap(self, post: DailyPost) -> int | None:
        """A recap of ``post`` by this bot among the thread's (or channel's) latest messages."""
        target_id = post.thread_id or post.channel_id
        if target_id is None:
            return None
        try:
            target = await self._messageable(target_id)
        except PostFailedError:
            return None
        title = wording.recap_title(post.local_date)
        me = self.bot.user
        async for message in target.history(limit=HISTORY_SCAN):
            mine = me is not None and message.author.id == me.id
            if mine and any(e.title == title for e in message.embeds):
                return message.id
        return None


def _kids(row: Any) -> list[Any]:
    return list(getattr(row, "children", [row]))


def _missing_permissions(channel: discord.TextChannel) -> list[str]:
    me = channel.guild.me
    if me is None:  # not cached: let the first post tell
        return []
    perms = channel.permissions_for(me)
    return [name for name in NEEDED_PERMISSIONS if not getattr(perms, name)]


async def _send(channel: discord.abc.Messageable, reply: Reply) -> discord.Message:
    return await channel.send(content=reply.content, embeds=reply.embeds, allowed_mentions=NO_PINGS)


async def setup(bot: commands.Bot) -> None:
    """Load the cog."""
    await bot.add_cog(DailyCog(bot))  # type: ignore[arg-type]
