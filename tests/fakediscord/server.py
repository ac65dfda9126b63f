"""A loopback fake Discord: the REST API and Gateway websocket that discord.py 2.7.1 uses.

Point an unmodified client at it with :func:`tests.fakediscord.harness.patch_discord`, then drive
it as users would (:meth:`FakeDiscord.slash`, :meth:`~FakeDiscord.click`,
:meth:`~FakeDiscord.submit_modal`, …) and assert on what the bot sent. Every REST request and
every gateway frame is recorded; 429s, dropped connections and heartbeats are under test control.
The protocol details live in :mod:`.rest` and :mod:`.gateway`; this module holds the world, the
waiting primitives and the user simulator.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import discord
from aiohttp import web

from .gateway import FakeGateway, GatewayConnection, GatewaySession
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    COMPONENT,
    MODAL_SUBMIT,
    SELECT_TYPES,
    CommandNotPermittedError,
    FakeInteraction,
    build_command_data,
)
from .logs import BotLoggedError, ErrorLogCollector
from .models import (
    DEFAULT_BOT,
    EPHEMERAL,
    LOADING,
    FakeAttachment,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeMessage,
    FakeUser,
    as_permissions,
    snowflake,
)
from .rest import API, RateLimitRule, RecordedRequest, RestApi


class FakeDiscord:
    """The fake Discord server plus the user-simulation API."""

    def __init__(
        self,
        *,
        token: str = "fake-token",
        bot_name: str = "interview-bot",
        heartbeat_interval: float = 41.25,
        interaction_timeout: float | None = 3.0,
        bot_permissions: int | discord.Permissions = DEFAULT_BOT,
    ) -> None:
        self.token = token
        self.heartbeat_interval = heartbeat_interval
        self.interaction_timeout = interaction_timeout
        self.bot_permissions = as_permissions(bot_permissions)
        self.users: dict[int, FakeUser] = {}
        self.bot_user = self.add_user(bot_name, bot=True)
        self.app_id = self.bot_user.id
        self.app_owner = self.add_user(f"{bot_name}-owner")
        self.guilds: dict[int, FakeGuild] = {}
        self.channels: dict[int, FakeChannel] = {}
        self.messages: dict[int, FakeMessage] = {}
        self.attachments: dict[int, FakeAttachment] = {}
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.interactions: dict[int, FakeInteraction] = {}
        self.requests: list[RecordedRequest] = []
        self.rate_limits: list[RateLimitRule] = []
        self.sync_count = 0
        self.inflight = 0  # REST requests being answered right now
        self.gateway = FakeGateway(self)
        self.rest = RestApi(self)
        self.errors: ErrorLogCollector | None = None
        self._tokens: dict[str, FakeInteraction] = {}
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.host = "127.0.0.1"
        self.port = 0

    # ----------------------------------------------------------------- lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> FakeDiscord:
        """Listen on ``host`` (loopback) at a free port."""
        self._loop = asyncio.get_running_loop()
        app = web.Application(middlewares=[self.rest.middleware], client_max_size=64 * 1024 * 1024)
        self.rest.add_routes(app)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self.host, self.port = self._runner.addresses[0][:2]
        return self

    async def stop(self) -> None:
        """Close every websocket and stop listening."""
        for conn in self.gateway.connections:
            if not conn.closed:
                conn.dropped = True
                await conn.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        """What ``discord.http.Route.BASE`` must be."""
        return self.base_url + API

    @property
    def gateway_url(self) -> str:
        """What ``DiscordWebSocket.DEFAULT_GATEWAY`` must be."""
        return f"ws://{self.host}:{self.port}/"

    @property
    def resume_gateway_url(self) -> str:
        """READY's ``resume_gateway_url``: this server too, on a path that tells resumes apart."""
        return f"ws://{self.host}:{self.port}/resume/"

    def loop_time(self) -> float:
        """The event loop's clock."""
        return (self._loop or asyncio.get_running_loop()).time()

    # ----------------------------------------------------------------- world

    def add_user(self, name: str, *, bot: bool = False) -> FakeUser:
        """A user known to Discord (not yet in any guild)."""
        user = FakeUser(snowflake(), name, bot=bot)
        self.users[user.id] = user
        return user

    def add_guild(self, name: str = "Study Group", *, owner_id: int | None = None) -> FakeGuild:
        """A guild the bot is in (GUILD_CREATE is sent at IDENTIFY, or now if connected)."""
        guild = FakeGuild(self, name, owner_id)
        self.guilds[guild.id] = guild
        guild.announced = True
        self.gateway.broadcast("GUILD_CREATE", guild.to_gateway_payload())
        return guild

    @property
    def guild(self) -> FakeGuild:
        """The first guild (most tests have one)."""
        return next(iter(self.guilds.values()))

    def channel_messages(
        self, channel: FakeChannel | int, *, include_ephemeral: bool = False
    ) -> list[FakeMessage]:
        """Live messages in a channel or thread, oldest first (ephemeral ones on request)."""
        cid = channel if isinstance(channel, int) else channel.id
        return [
            m
            for m in sorted(self.messages.values(), key=lambda m: m.id)
            if m.channel_id == cid and not m.deleted and (include_ephemeral or not m.ephemeral)
        ]

    def bot_messages(self) -> list[FakeMessage]:
        """Every message the bot created, in any channel, oldest first."""
        return [
            m
            for m in sorted(self.messages.values(), key=lambda m: m.id)
            if m.author is self.bot_user
        ]

    def followups(self, token: str) -> list[FakeMessage]:
        """Followup messages sent with an interaction token."""
        return self._tokens[token].followups

    def threads(self, parent: FakeChannel | None = None) -> list[FakeChannel]:
        """Threads (optionally only those under ``parent``)."""
        return [
            c
            for c in self.channels.values()
            if c.is_thread and (parent is None or c.parent_id == parent.id)
        ]

    def dm_channel(self, user: FakeUser | FakeMember) -> FakeChannel | None:
        """The DM channel the bot opened with this user, if any."""
        uid = user.id
        return next(
            (c for c in self.channels.values() if c.recipient and c.recipient.id == uid), None
        )

    def requests_to(self, method: str, pattern: str) -> list[RecordedRequest]:
        """Recorded requests whose path matches a glob, e.g. ``"/channels/*/messages"``."""
        return [
            r for r in self.requests if r.method == method and fnmatch.fnmatchcase(r.path, pattern)
        ]

    @property
    def unhandled_requests(self) -> list[RecordedRequest]:
        """Requests to routes this fake does not implement (answered 404)."""
        return [r for r in self.requests if r.unhandled]

    def synced_commands(self, guild: FakeGuild | None = None) -> list[dict[str, Any]]:
        """The command payloads synced for a guild (``None``: global)."""
        return self.commands.get(guild.id if guild else None, [])

    @property
    def heartbeats(self) -> int:
        """Heartbeats (op 1) received so far."""
        return len(self.gateway.heartbeat_times)

    @property
    def heartbeat_times(self) -> list[float]:
        """Loop time of each heartbeat received."""
        return self.gateway.heartbeat_times

    @property
    def identify_count(self) -> int:
        """IDENTIFYs accepted (one per bot start or invalidated session)."""
        return self.gateway.identify_count

    @property
    def resume_count(self) -> int:
        """RESUMEs accepted."""
        return self.gateway.resume_count

    @property
    def connections(self) -> list[GatewayConnection]:
        """Every websocket connection, oldest first (``.path``, ``.query``, ``.close_code``)."""
        return self.gateway.connections

    @property
    def sessions(self) -> dict[str, GatewaySession]:
        """Gateway sessions by id."""
        return self.gateway.sessions

    @property
    def received_frames(self) -> list[dict[str, Any]]:
        """Every gateway frame the bot sent (IDENTIFY, heartbeats, presence, …)."""
        return self.gateway.received_frames

    @property
    def sent_frames(self) -> list[dict[str, Any]]:
        """Every gateway frame sent to the bot."""
        return self.gateway.sent_frames

    def interaction_by_token(self, token: str) -> FakeInteraction | None:
        """The interaction an interaction/webhook token belongs to."""
        return self._tokens.get(token)

    # ----------------------------------------------------------------- waiting

    def watch_errors(self, collector: ErrorLogCollector) -> None:
        """Make every wait fail fast with the bot's error log instead of timing out."""
        self.errors = collector
        collector.subscribe(self._on_bot_error)

    def _on_bot_error(self, record: logging.LogRecord) -> None:
        text = ErrorLogCollector.text(record)
        for _, fut in self._waiters:
            if not fut.done():
                fut.set_exception(
                    BotLoggedError(f"the bot logged an error while a test waited:\n{text}")
                )

    def notify(self) -> None:
        """Re-check every waiter (called after each request and gateway frame)."""
        for predicate, fut in list(self._waiters):
            if fut.done():
                continue
            try:
                if predicate():
                    fut.set_result(None)
            except Exception as exc:
                fut.set_exception(exc)

    async def wait_until(
        self, predicate: Callable[[], bool], *, within: float = 5.0, what: str = ""
    ) -> None:
        """Wait (event driven, no polling) until ``predicate()`` holds after some request/frame."""
        if self.errors is not None:
            self.errors.assert_clean()
        if predicate():
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (predicate, fut)
        self._waiters.append(entry)
        try:
            await asyncio.wait_for(fut, within)
        except TimeoutError:
            recent = "\n  ".join(f"{r.route} -> {r.status}" for r in self.requests[-8:])
            message = f"timed out after {within}s waiting for {what or predicate}"
            raise TimeoutError(f"{message}; last requests:\n  {recent}") from None
        finally:
            self._waiters.remove(entry)

    async def settle(self, within: float = 5.0) -> None:
        """Wait until no REST request is being answered, then let the bot run a few steps.

        Every simulated user action settles first, so a click right after a reply finds the
        view the bot registers once that reply reached it (people are slower than bots).
        """
        await self.wait_until(lambda: self.inflight == 0, within=within, what="in-flight requests")
        for _ in range(10):
            await asyncio.sleep(0)

    async def wait_for_message(
        self,
        channel: FakeChannel | int,
        predicate: Callable[[FakeMessage], bool] | None = None,
        *,
        include_ephemeral: bool = False,
        within: float = 5.0,
    ) -> FakeMessage:
        """The oldest live message in ``channel`` matching ``predicate`` (waits for it)."""

        def find() -> FakeMessage | None:
            messages = self.channel_messages(channel, include_ephemeral=include_ephemeral)
            return next((m for m in messages if predicate is None or predicate(m)), None)

        await self.wait_until(lambda: find() is not None, within=within, what="a matching message")
        found = find()
        assert found is not None
        return found

    async def wait_for_heartbeats(self, count: int, within: float = 5.0) -> None:
        """Wait until ``count`` heartbeats in total were received."""
        await self.wait_until(
            lambda: self.heartbeats >= count, within=within, what=f"{count} heartbeats"
        )

    async def wait_for_resume(self, count: int = 1, within: float = 5.0) -> None:
        """Wait until ``count`` RESUMEs in total succeeded."""
        await self.wait_until(
            lambda: self.resume_count >= count, within=within, what=f"{count} resume(s)"
        )

    # ----------------------------------------------------------------- faults

    def inject_429(
        self,
        method: str,
        pattern: str,
        *,
        times: int = 1,
        retry_after: float = 0.05,
        is_global: bool = False,
    ) -> RateLimitRule:
        """Answer the next ``times`` requests to a path glob (``/channels/*/messages``) with 429."""
        rule = RateLimitRule(method.upper(), pattern, times, retry_after, is_global)
        self.rate_limits.append(rule)
        return rule

    async def drop_gateway(self, code: int = 4000) -> None:
        """Close every live websocket as a network fault would; the sessions stay resumable."""
        await self.gateway.drop(code)

    def request_reconnect(self) -> None:
        """Send op 7 RECONNECT on every live connection (the client resumes)."""
        self.gateway.request_reconnect()

    def invalidate_sessions(self, *, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION; if not resumable, the bot must IDENTIFY again."""
        self.gateway.invalidate_sessions(resumable=resumable)

    # ----------------------------------------------------------------- user simulator

    async def slash(
        self,
        user: FakeMember,
        channel: FakeChannel,
        command: str,
        options: Mapping[str, Any] | None = None,
        *,
        subcommand: str | Sequence[str] | None = None,
        enforce_permissions: bool = True,
    ) -> FakeInteraction:
        """``user`` runs ``/command [group] [subcommand] options…`` in ``channel``.

        ``command`` may hold the whole path (``"config limit set"``). Raises
        :class:`CommandNotPermittedError` when Discord would hide the command from this user.
        """
        name, path = self._command_path(command, subcommand)
        spec = self.find_command(name, user.guild)
        self._check_command_permissions(spec, user, enforce_permissions)
        data = build_command_data(
            spec,
            path,
            options or {},
            focused=None,
            permissions=user.permissions,
            attachment=self._as_attachment,
        )
        return await self._dispatch_interaction(APPLICATION_COMMAND, user, channel, data)

    async def autocomplete(
        self,
        user: FakeMember,
        channel: FakeChannel,
        command: str,
        focused: str,
        value: str = "",
        options: Mapping[str, Any] | None = None,
        *,
        subcommand: str | Sequence[str] | None = None,
        within: float = 5.0,
    ) -> list[dict[str, Any]]:
        """``user`` types ``value`` into option ``focused``; returns the bot's choices."""
        name, path = self._command_path(command, subcommand)
        spec = self.find_command(name, user.guild)
        data = build_command_data(
            spec,
            path,
            {**(options or {}), focused: value},
            focused=focused,
            permissions=user.permissions,
            attachment=self._as_attachment,
        )
        interaction = await self._dispatch_interaction(AUTOCOMPLETE, user, channel, data)
        await self.wait_until(
            lambda: interaction.choices is not None, within=within, what="autocomplete choices"
        )
        assert interaction.choices is not None
        return interaction.choices

    async def click(
        self,
        user: FakeMember,
        message: FakeMessage,
        custom_id: str | None = None,
        *,
        label: str | None = None,
        values: Sequence[str] | None = None,
    ) -> FakeInteraction:
        """``user`` presses a button (or picks ``values`` in a select) on ``message``."""
        comp = message.component(custom_id, label=label)
        if "custom_id" not in comp:
            raise ValueError(
                f"component {comp.get('label')!r} is a link button; it sends no interaction"
            )
        if comp.get("disabled"):
            raise ValueError(f"component {comp['custom_id']!r} is disabled")
        data: dict[str, Any] = {"custom_id": comp["custom_id"], "component_type": comp["type"]}
        if comp["type"] in SELECT_TYPES:
            data["values"] = [str(v) for v in values or []]
            allowed = [o["value"] for o in comp.get("options", [])]
            if allowed and not set(data["values"]) <= set(allowed):
                raise ValueError(
                    f"select {comp['custom_id']!r} offers {allowed}, not {data['values']}"
                )
        channel = self.channels[message.channel_id]
        return await self._dispatch_interaction(COMPONENT, user, channel, data, message)

    async def submit_modal(
        self,
        user: FakeMember,
        source: FakeInteraction | FakeMessage,
        custom_id: str | None = None,
        values: Mapping[str, Any] | None = None,
        *,
        within: float = 5.0,
    ) -> FakeInteraction:
        """``user`` submits the modal that ``source`` opened; ``values`` by input id or label.

        ``source`` is the interaction answered with the modal, or the message whose component
        opened it (then the latest interaction on it, the user's own first, is used). Waits for
        the bot to open the modal; ``custom_id``, if given, must match it.
        """
        if isinstance(source, FakeMessage):
            on_message = [i for i in self.interactions.values() if i.message is source]
            mine = [i for i in on_message if i.user is user]
            if not on_message:
                raise LookupError(f"nobody used a component of message {source.id}")
            source = (mine or on_message)[-1]  # its modal is awaited below
        modal = await source.modal(within)
        if custom_id is not None and custom_id != modal.custom_id:
            raise ValueError(f"the open modal is {modal.custom_id!r}, not {custom_id!r}")
        data = {"custom_id": modal.custom_id, "components": modal.submission(values or {})}
        return await self._dispatch_interaction(
            MODAL_SUBMIT, user, source.channel, data, source.message
        )

    async def send_message(
        self,
        user: FakeMember,
        channel: FakeChannel,
        content: str,
        *,
        reply_to: FakeMessage | None = None,
    ) -> FakeMessage:
        """``user`` posts a plain message (MESSAGE_CREATE, content per the bot's intents)."""
        await self.settle()
        payload: dict[str, Any] = {"content": content}
        if reply_to is not None:
            payload["message_reference"] = {
                "message_id": str(reply_to.id),
                "channel_id": str(channel.id),
            }
        message = self.new_message(channel, user.user, payload, {})
        self.announce_message(message)
        return message

    def find_command(self, name: str, guild: FakeGuild | None) -> dict[str, Any]:
        """A synced chat-input command by name: the guild's first, then global."""
        scopes = ([guild.id] if guild else []) + [None]
        for scope in scopes:
            for spec in self.commands.get(scope, []):
                if spec["name"] == name and spec.get("type", 1) == 1:
                    return spec
        synced = {str(k): [c["name"] for c in v] for k, v in self.commands.items()}
        raise LookupError(f"/{name} is not synced (Discord would not offer it); synced: {synced}")

    @staticmethod
    def _command_path(
        command: str, subcommand: str | Sequence[str] | None
    ) -> tuple[str, list[str]]:
        parts = command.split()
        if isinstance(subcommand, str):
            parts += subcommand.split()
        elif subcommand:
            parts += list(subcommand)
        return parts[0], parts[1:]

    @staticmethod
    def _check_command_permissions(
        spec: Mapping[str, Any], user: FakeMember, enforce: bool
    ) -> None:
        needed = spec.get("default_member_permissions")
        if not enforce or needed is None:
            return
        bits = int(needed) or discord.Permissions(administrator=True).value
        if not user.has(bits):
            raise CommandNotPermittedError(
                f"{user.name} cannot see /{spec['name']} (needs permission bits {bits})"
            )

    def _as_attachment(self, value: Any) -> FakeAttachment:
        if isinstance(value, FakeAttachment):
            return value
        filename, data = value
        return self.new_attachment(0, filename, data)

    async def _dispatch_interaction(
        self,
        type_: int,
        user: FakeMember,
        channel: FakeChannel,
        data: dict[str, Any],
        message: FakeMessage | None = None,
    ) -> FakeInteraction:
        await self.settle()
        session = self.gateway.active_session()
        interaction = FakeInteraction(self, type_, user, channel, data, message)
        self.interactions[interaction.id] = interaction
        self._tokens[interaction.token] = interaction
        self.gateway.dispatch(session, "INTERACTION_CREATE", interaction.to_payload())
        return interaction

    # ----------------------------------------------------------------- messages

    def new_attachment(self, channel_id: int, filename: str, data: bytes) -> FakeAttachment:
        """Store an uploaded file; its URL serves the bytes back (the fake CDN)."""
        aid = snowflake()
        url = f"{self.base_url}/attachments/{channel_id}/{aid}/{filename}"
        attachment = FakeAttachment(aid, filename, data, url)
        self.attachments[aid] = attachment
        return attachment

    def new_message(
        self,
        channel: FakeChannel,
        author: FakeUser,
        payload: dict[str, Any],
        files: dict[int, FakeAttachment],
        *,
        interaction: FakeInteraction | None = None,
        flags: int = 0,
    ) -> FakeMessage:
        """Create and store a message from a create body (not yet announced on the gateway)."""
        guild_id = channel.guild.id if channel.guild else None
        message = FakeMessage(snowflake(), channel.id, author, guild_id)
        message.apply(payload, files, edit=False)
        message.flags |= flags
        if interaction is not None:
            message.webhook_id = self.app_id
            message.type = 20 if interaction.type == APPLICATION_COMMAND else 0
            message.interaction_metadata = interaction.metadata()
        if message.message_reference:
            referenced = self.messages.get(int(message.message_reference.get("message_id", 0)))
            message.type = 19
            message.replied_user_id = referenced.author.id if referenced else None
        self.messages[message.id] = message
        if not message.ephemeral:
            channel.last_message_id = message.id
            channel.message_count += 1
        return message

    def announce_message(self, message: FakeMessage) -> None:
        """MESSAGE_CREATE to sessions with the intents for it (content per MESSAGE_CONTENT)."""
        if message.ephemeral:
            return
        channel = self.channels[message.channel_id]
        intent = (
            discord.Intents(guild_messages=True)
            if channel.guild
            else discord.Intents(dm_messages=True)
        )
        for session in self.gateway.live_sessions():
            if not session.intents & intent.value:
                continue
            payload = message.to_payload(self.users)
            if channel.guild is not None and message.author.id in channel.guild.members:
                member = channel.guild.members[message.author.id].to_payload()
                del member["user"]
                payload["member"] = member
            can_read = session.intents & discord.Intents(message_content=True).value or (
                message.author is self.bot_user
                or channel.guild is None
                or self.bot_user.id in message.pinged_user_ids
            )
            if not can_read:
                payload.update(content="", embeds=[], attachments=[], components=[])
            self.gateway.dispatch(session, "MESSAGE_CREATE", payload)

    def fill_deferred(
        self, message: FakeMessage, payload: dict[str, Any], files: dict[int, FakeAttachment]
    ) -> None:
        """The first followup/edit after a 'thinking' deferral replaces the placeholder."""
        ephemeral = message.flags & EPHEMERAL
        message.apply(payload, files, edit=True)
        message.flags = (message.flags & ~(LOADING | EPHEMERAL)) | ephemeral

    # ----------------------------------------------------------------- payloads

    def me_payload(self) -> dict[str, Any]:
        """The bot's own user object (GET /users/@me, READY)."""
        return {**self.bot_user.to_payload(), "verified": True, "mfa_enabled": False, "flags": 0}

    def application_payload(self) -> dict[str, Any]:
        """GET /oauth2/applications/@me."""
        return {
            "id": str(self.app_id),
            "name": self.bot_user.name,
            "icon": None,
            "description": "",
            "summary": "",
            "rpc_origins": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": self.app_owner.to_payload(),
            "team": None,
            "verify_key": "0" * 64,
            "flags": 0,
            "bot": self.bot_user.to_payload(),
            "interactions_endpoint_url": None,
            "redirect_uris": [],
            "tags": [],
            "approximate_guild_count": len(self.guilds),
            "integration_types_config": {"0": {}},
        }
