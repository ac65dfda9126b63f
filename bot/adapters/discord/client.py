"""The Discord bot: its dependencies, its factory and its runner.

``create_bot(settings, deps)`` builds the bot (an ``AutoShardedBot`` over the configured shards
when ``SHARD_COUNT`` / ``SHARD_IDS`` are set); ``run_discord(settings)`` wires the real
dependencies through ``bot.app`` and runs it with ``DISCORD_TOKEN``. Nothing here knows a
command: ``setup_hook`` registers the persistent buttons (``views``) and loads every module of
``cogs/`` (each has ``async def setup(bot)``); commands are then synced per server, when the bot
is ready and whenever it joins a server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pkgutil
import re
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.adapters.discord import cogs as cogs_package
from bot.adapters.discord.errors import InterviewTree, report_error
from bot.adapters.discord.render import errors as error_wording
from bot.adapters.discord.render.common import NO_PINGS, Reply, send
from bot.config import Settings

if TYPE_CHECKING:
    from bot.core.ports import Clock, Embedder
    from bot.core.practice import PracticeService
    from bot.retrieval.vectorstore import KnowledgeIndex
    from bot.store.sql import SqlStore

    _BotBase = commands.Bot
else:
    _BotBase = object

log = logging.getLogger(__name__)

ModalHandler = Callable[[discord.Interaction, "re.Match[str]", dict[str, str]], Awaitable[None]]
"""Handles a submitted modal: the interaction, the custom-id match and the inputs' values."""


def _not_configured(what: str) -> Callable[[], Any]:
    def missing() -> Any:
        raise RuntimeError(f"the bot was built without a {what}")

    return missing


@dataclass(slots=True)
class BotDeps:
    """Everything the cogs need, built once by the composition root (or a test).

    Attributes:
        settings: The process settings.
        service: The practice service (all rules live there).
        store: The SQL store behind the service (daily posts, server questions).
        clock: The clock the service uses (tests move it by hand).
        get_index: Returns the knowledge index (Chroma) for server questions; blocking, so
            call it in a worker thread.
        get_embedder: Returns the embedder for server questions; blocking on first use (the
            model loads), so call it in a worker thread.
        scheduler: The daily-question scheduler, if the caller built one; the daily cog owns
            its life cycle (it builds one itself when this is None).
    """

    settings: Settings
    service: PracticeService
    store: SqlStore
    clock: Clock
    get_index: Callable[[], KnowledgeIndex] = field(
        default_factory=lambda: _not_configured("knowledge index")
    )
    get_embedder: Callable[[], Embedder] = field(
        default_factory=lambda: _not_configured("embedder")
    )
    scheduler: Any | None = None


class InterviewBot(_BotBase):
    """Behaviour shared by the single-process and the sharded bot (see :func:`create_bot`).

    Attributes:
        deps: The bot's dependencies.
        modal_routes: Submitted modals by custom-id pattern (see :meth:`add_modal_route`).
    """

    deps: BotDeps
    modal_routes: list[tuple[re.Pattern[str], ModalHandler]]
    synced_guilds: set[int]
    button_patterns: dict[type[Any], re.Pattern[str]]

    def _init_interview(self, deps: BotDeps) -> None:
        self.deps = deps
        self.modal_routes = []
        self.synced_guilds = set()
        self.button_patterns = {}

    def add_dynamic_items(self, *items: type[discord.ui.DynamicItem[Any]]) -> None:
        """Register persistent buttons, remembering their custom-id patterns.

        The patterns let :meth:`on_interaction` answer a click on an ``ib:`` button that no
        registered item handles (a button from an older version of the bot) instead of
        leaving the member with "This interaction failed".
        """
        super().add_dynamic_items(*items)
        for item in items:
            self.button_patterns[item] = item.__discord_ui_compiled_template__

    def remove_dynamic_items(self, *items: type[discord.ui.DynamicItem[Any]]) -> None:
        """Unregister persistent buttons (a cog unloading)."""
        super().remove_dynamic_items(*items)
        for item in items:
            self.button_patterns.pop(item, None)

    def add_modal_route(self, pattern: str | re.Pattern[str], handler: ModalHandler) -> None:
        """Handle every submitted modal whose custom id fully matches ``pattern``.

        discord.py only dispatches a modal to the object that opened it, in the same process;
        a route also works for modals opened before a restart, and for many members answering
        the same question at once.
        """
        self.modal_routes.append((re.compile(pattern), handler))

    async def setup_hook(self) -> None:
        """Register persistent buttons and load every cog (before connecting)."""
        from bot.adapters.discord import views

        views.setup(self)
        loaded = await self.load_cogs()
        log.info("loaded cogs: %s", ", ".join(loaded))

    async def load_cogs(self) -> list[str]:
        """Load every module of ``bot/adapters/discord/cogs`` as an extension."""
        loaded = []
        for info in sorted(pkgutil.iter_modules(cogs_package.__path__), key=lambda m: m.name):
            if info.name.startswith("_"):
                continue
            name = f"{cogs_package.__name__}.{info.name}"
            await self.load_extension(name)
            loaded.append(info.name)
        return loaded

    async def sync_guild(self, guild: discord.abc.Snowflake) -> None:
        """Install the bot's commands in one server (guild commands appear at once)."""
        self.tree.copy_global_to(guild=guild)
        try:
            await self.tree.sync(guild=guild)
        except discord.Forbidden:
            log.warning(
                "cannot install commands in server %s: invite the bot with the "
                "applications.commands scope (see docs/discord.md)",
                guild.id,
            )
            return
        self.synced_guilds.add(guild.id)

    async def on_ready(self) -> None:
        """Sync commands in every server not synced yet by this process."""
        user = self.user
        log.info("connected as %s to %d server(s)", user, len(self.guilds))
        for guild in list(self.guilds):
            if guild.id not in self.synced_guilds:
                await self.sync_guild(guild)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        """A new server: install the commands there."""
        log.info("joined server %s", guild.id)
        await self.sync_guild(guild)

    async def on_guild_available(self, guild: discord.Guild) -> None:
        """A server that was unavailable at start-up (an outage) came back: sync it then."""
        if self.is_ready() and guild.id not in self.synced_guilds:
            await self.sync_guild(guild)

    def handles_component(self, custom_id: str) -> bool:
        """Whether a click on ``custom_id`` reaches a handler of this process.

        ``ib:`` ids belong to the persistent buttons (their patterns are known); any other id
        belongs to a short-lived view (e.g. **Fix and resubmit**), live only while discord.py
        still tracks it: after its timeout or a restart, nothing would answer the click.
        """
        if custom_id.startswith(CUSTOM_ID_PREFIX):
            return any(p.fullmatch(custom_id) for p in self.button_patterns.values())
        # discord.py 2.7 (pinned) keeps live views in ViewStore._views: {entity: {(type, id):
        # item}}. If that ever changes shape, assume handled (silence beats a double reply).
        views = getattr(getattr(self._connection, "_view_store", None), "_views", None)
        if not isinstance(views, dict):
            return True
        return any(
            key[1] == custom_id
            for items in views.values()
            for key in items
            if isinstance(key, tuple) and len(key) == 2
        )

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Route submitted modals (see :meth:`add_modal_route`); answer stale buttons and forms
        that nothing else would answer."""
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        if interaction.type is discord.InteractionType.component:
            if not self.handles_component(custom_id):
                await _answer_stale(interaction, custom_id, error_wording.expired())
            return
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        for pattern, handler in self.modal_routes:
            match = pattern.fullmatch(custom_id)
            if match is not None:
                try:
                    await handler(interaction, match, modal_values(data))
                except Exception as exc:
                    await report_error(interaction, exc, where=f"modal {custom_id}")
                return
        if custom_id.startswith(CUSTOM_ID_PREFIX):
            await _answer_stale(interaction, custom_id, error_wording.form_expired())


CUSTOM_ID_PREFIX = "ib:"
"""Every custom id of this bot's persistent buttons and routed modals starts with this."""


async def _answer_stale(interaction: discord.Interaction, custom_id: str, reply: Reply) -> None:
    """Tell the member a button or form is no longer handled (nothing else will answer)."""
    if interaction.response.is_done():
        return  # a view answered it after all (and may have stopped itself since)
    log.info("no handler for %s (member %s)", custom_id[:100], interaction.user.id)
    try:
        await send(interaction, reply)
    except discord.HTTPException as exc:
        log.warning("could not answer a stale interaction %s: %s", custom_id[:100], exc)


def modal_values(data: dict[str, Any]) -> dict[str, str]:
    """The submitted values of a modal by input custom id (action rows and labels walked)."""
    values: dict[str, str] = {}

    def walk(components: list[dict[str, Any]]) -> None:
        for comp in components:
            if "components" in comp:
                walk(comp["components"])
            if "component" in comp:
                walk([comp["component"]])
            if "custom_id" in comp and "value" in comp:
                values[str(comp["custom_id"])] = str(comp["value"])

    walk(list(data.get("components", [])))
    return values


class _SingleBot(InterviewBot, commands.Bot):
    """One gateway connection."""


class _ShardedBot(InterviewBot, commands.AutoShardedBot):
    """Several shards in this process (``SHARD_COUNT`` / ``SHARD_IDS``)."""


def intents() -> discord.Intents:
    """The gateway intents: servers and channels only (no privileged intent needed).

    Slash commands, buttons and modals arrive as interactions whatever the intents, and the bot
    never reads messages or member lists.
    """
    return discord.Intents(guilds=True)


def create_bot(settings: Settings, deps: BotDeps, **options: Any) -> InterviewBot:
    """Build the bot (not connected yet).

    Args:
        settings: ``shard_count`` / ``shard_ids`` select an ``AutoShardedBot`` over those shards.
        deps: The bot's dependencies (``bot.deps``).
        **options: Extra ``discord.Client`` options (tests pass ``guild_ready_timeout``).

    Raises:
        ValueError: ``shard_ids`` without ``shard_count``, or an id outside the count.
    """
    kwargs: dict[str, Any] = {
        "command_prefix": commands.when_mentioned,
        "intents": intents(),
        "allowed_mentions": NO_PINGS,
        "tree_cls": InterviewTree,
        "help_command": None,
        "chunk_guilds_at_startup": False,
        **options,
    }
    bot: InterviewBot
    if settings.shard_count is not None or settings.shard_ids:
        count, ids = settings.shard_count, settings.shard_ids
        if count is None:
            raise ValueError("SHARD_IDS needs SHARD_COUNT (the total number of shards)")
        if count < 1:
            raise ValueError("SHARD_COUNT must be at least 1")
        if ids and any(not 0 <= i < count for i in ids):
            raise ValueError(f"SHARD_IDS must be between 0 and {count - 1}")
        if ids:
            kwargs["shard_ids"] = list(ids)
        bot = _ShardedBot(shard_count=count, **kwargs)
    else:
        bot = _SingleBot(**kwargs)
    bot._init_interview(deps)
    return bot


def get_deps(client: discord.Client) -> BotDeps:
    """The dependencies of the bot that received an interaction."""
    deps = getattr(client, "deps", None)
    if not isinstance(deps, BotDeps):
        raise RuntimeError("this client was not built by create_bot")
    return deps


def run_discord(settings: Settings) -> int:
    """Run the bot with ``DISCORD_TOKEN`` until it is stopped; returns the exit code."""
    if settings.discord_token is None:
        log.error("DISCORD_TOKEN is not set")
        return 2
    try:
        return asyncio.run(_serve(settings, settings.discord_token.get_secret_value()))
    except KeyboardInterrupt:
        return 0


async def _serve(settings: Settings, token: str) -> int:
    from bot.app import build_grader, build_index, build_service, install_worker_pool
    from bot.core.clock import SystemClock
    from bot.retrieval.embeddings import get_embedder

    # Enough worker threads for answers to wait for a shared model call (micro-batching).
    install_worker_pool()
    clock = SystemClock()
    # One index for the grader and for server questions added from Discord.
    index = build_index(settings)
    service, store = await build_service(
        settings, grader=build_grader(settings, index), clock=clock
    )
    deps = BotDeps(
        settings=settings,
        service=service,
        store=store,
        clock=clock,
        get_index=lambda: index,
        get_embedder=get_embedder,
    )
    bot = create_bot(settings, deps)
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
        # `docker stop` sends SIGTERM: close the gateway and the database cleanly.
        loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(bot.close()))
    try:
        async with bot:
            await bot.start(token)
    except discord.LoginFailure:
        log.error("Discord rejected the token: check DISCORD_TOKEN (see docs/discord.md)")
        return 1
    except discord.PrivilegedIntentsRequired:
        log.error("Discord refused the gateway intents (see docs/discord.md)")
        return 1
    finally:
        await store.close()
    return 0
