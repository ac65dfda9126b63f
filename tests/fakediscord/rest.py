"""The fake REST API: the routes discord.py 2.7.1 calls, under ``/api/v10``.

Every call is recorded (:class:`RecordedRequest`) before anything answers it, so a test sees
what the bot asked for even when an injected 429 (:class:`RateLimitRule`) turned it away.
Unknown routes are answered 404 and listed in ``FakeDiscord.unhandled_requests``.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from .interactions import CallbackRecord, FakeInteraction, FakeModal
from .models import (
    EPHEMERAL,
    LOADING,
    FakeAttachment,
    FakeChannel,
    FakeGuild,
    FakeMessage,
    snowflake,
)

if TYPE_CHECKING:
    from .server import FakeDiscord

_log = logging.getLogger("fakediscord")
API = "/api/v10"
_NAME = re.compile(r"^[-_\w]{1,32}$")
Handler = Callable[[web.Request], Any]


@dataclass
class RecordedRequest:
    """One REST call the bot made (recorded before any injected 429 answers it)."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: list[tuple[str, str, bytes]]
    status: int = 0
    unhandled: bool = False

    @property
    def route(self) -> str:
        """``"METHOD /path"``, e.g. ``"POST /channels/1/messages"``."""
        return f"{self.method} {self.path}"


_RECORD = web.RequestKey("fake_record", RecordedRequest)


@dataclass
class RateLimitRule:
    """Answer the next ``remaining`` matching requests with a 429 (with ``Via``, as Discord)."""

    method: str
    pattern: str
    remaining: int
    retry_after: float
    is_global: bool = False
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        """Whether a request is covered (glob on the path after ``/api/v10``)."""
        return self.method in ("*", method) and fnmatch.fnmatchcase(path, self.pattern)


def _json(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    # Exactly "application/json": discord.py does not parse "application/json; charset=utf-8".
    return web.Response(
        status=status,
        body=json.dumps(data).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def _error(status: int, code: int, message: str) -> web.Response:
    return _json({"message": message, "code": code}, status)


def _no_content() -> web.Response:
    return web.Response(status=204)


class RestApi:
    """Route handlers over the :class:`FakeDiscord` world; one per server."""

    def __init__(self, server: FakeDiscord) -> None:
        self.server = server

    def _files(self, request: web.Request, channel_id: int) -> dict[int, FakeAttachment]:
        files: dict[int, FakeAttachment] = {}
        for name, filename, data in request[_RECORD].files:
            match = re.fullmatch(r"files\[(\d+)\]", name)
            if match:
                files[int(match.group(1))] = self.server.new_attachment(channel_id, filename, data)
        return files

    # ----------------------------------------------------------------- plumbing

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(API + "/"):
            response: web.StreamResponse = await handler(request)
            return response
        record = RecordedRequest(
            request.method, request.path[len(API) :], dict(request.query), None, []
        )
        self.server.inflight += 1
        try:
            await self._read_body(request, record)
            request[_RECORD] = record
            self.server.requests.append(record)
            response = await self._answer(request, record, handler)
            record.status = response.status
            # Deliver the answer before waking tests: what a test sees next, the bot has too.
            await response.prepare(request)
            await response.write_eof()
        finally:
            self.server.inflight -= 1
            self.server.notify()
        return response

    async def _answer(
        self, request: web.Request, record: RecordedRequest, handler: Handler
    ) -> web.StreamResponse:
        open_route = record.path.startswith(("/webhooks/", "/interactions/"))
        if not open_route and request.headers.get("Authorization") != f"Bot {self.server.token}":
            return _error(401, 0, "401: Unauthorized")
        for rule in self.server.rate_limits:
            if rule.remaining > 0 and rule.matches(record.method, record.path):
                rule.remaining -= 1
                rule.hits += 1
                return self._rate_limited(rule)
        try:
            response: web.StreamResponse = await handler(request)
        except web.HTTPException as exc:
            record.unhandled = True
            _log.warning("fake discord has no route for %s (%s)", record.route, exc.status)
            return _error(
                exc.status, 0, f"{exc.status}: fake discord does not implement {record.route}"
            )
        return response

    @staticmethod
    async def _read_body(request: web.Request, record: RecordedRequest) -> None:
        ctype = request.headers.get("Content-Type", "")
        if ctype.startswith("multipart/form-data"):
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader):
                    continue
                raw = await part.read(decode=False)
                if part.name == "payload_json":
                    record.json = json.loads(raw)
                else:
                    record.files.append((part.name or "", part.filename or "", bytes(raw)))
        elif ctype.startswith("application/json"):
            raw_text = await request.text()
            record.json = json.loads(raw_text) if raw_text else None

    @staticmethod
    def _rate_limited(rule: RateLimitRule) -> web.Response:
        scope = "global" if rule.is_global else "user"
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(max(1, round(rule.retry_after))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": str(rule.retry_after),
            "X-RateLimit-Scope": scope,
        }
        if rule.is_global:
            headers["X-RateLimit-Global"] = "true"
        body = {
            "message": "You are being rate limited.",
            "retry_after": rule.retry_after,
            "global": rule.is_global,
        }
        return _json(body, 429, headers)

    def add_routes(self, app: web.Application) -> None:
        """Register the gateway, CDN and API routes."""
        r = app.router
        r.add_get("/", self.server.gateway.handle)
        r.add_get("/resume/", self.server.gateway.handle)
        r.add_get("/attachments/{cid}/{aid}/{name}", self._get_attachment)
        api: list[tuple[str, str, Handler]] = [
            ("GET", "/users/@me", self._get_me),
            ("GET", "/users/{uid}", self._get_user),
            ("POST", "/users/@me/channels", self._create_dm),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/gateway", self._get_gateway),
            ("GET", "/gateway/bot", self._get_gateway),
            ("GET", "/applications/{app}/commands", self._get_commands),
            ("PUT", "/applications/{app}/commands", self._put_commands),
            ("GET", "/applications/{app}/guilds/{gid}/commands", self._get_commands),
            ("PUT", "/applications/{app}/guilds/{gid}/commands", self._put_commands),
            ("POST", "/interactions/{iid}/{token}/callback", self._interaction_callback),
            ("POST", "/webhooks/{app}/{token}", self._execute_webhook),
            ("GET", "/webhooks/{app}/{token}/messages/{mid}", self._webhook_message),
            ("PATCH", "/webhooks/{app}/{token}/messages/{mid}", self._webhook_message),
            ("DELETE", "/webhooks/{app}/{token}/messages/{mid}", self._webhook_message),
            ("GET", "/channels/{cid}", self._get_channel),
            ("GET", "/channels/{cid}/messages", self._list_messages),
            ("POST", "/channels/{cid}/messages", self._create_message),
            ("GET", "/channels/{cid}/messages/{mid}", self._channel_message),
            ("PATCH", "/channels/{cid}/messages/{mid}", self._channel_message),
            ("DELETE", "/channels/{cid}/messages/{mid}", self._channel_message),
            ("POST", "/channels/{cid}/messages/{mid}/threads", self._create_thread),
            ("POST", "/channels/{cid}/threads", self._create_thread),
            ("PUT", "/channels/{cid}/thread-members/{uid}", self._ok),
            ("DELETE", "/channels/{cid}/thread-members/{uid}", self._ok),
            ("POST", "/channels/{cid}/typing", self._ok),
            ("PUT", "/channels/{cid}/messages/{mid}/reactions/{emoji}/{who}", self._react),
            ("DELETE", "/channels/{cid}/messages/{mid}/reactions/{emoji}/{who}", self._react),
            ("GET", "/guilds/{gid}", self._get_guild),
            ("GET", "/guilds/{gid}/channels", self._get_guild_channels),
            ("GET", "/guilds/{gid}/roles", self._get_guild_roles),
            ("GET", "/guilds/{gid}/members", self._list_members),
            ("GET", "/guilds/{gid}/members/{uid}", self._get_member),
        ]
        for method, path, handler in api:
            r.add_route(method, API + path, handler)

    # ----------------------------------------------------------------- lookups

    def _channel_or_none(self, request: web.Request) -> FakeChannel | None:
        return self.server.channels.get(int(request.match_info["cid"]))

    def _guild_or_none(self, request: web.Request) -> FakeGuild | None:
        return self.server.guilds.get(int(request.match_info["gid"]))

    async def _ok(self, request: web.Request) -> web.Response:
        return _no_content()

    async def _get_me(self, request: web.Request) -> web.Response:
        return _json(self.server.me_payload())

    async def _get_user(self, request: web.Request) -> web.Response:
        user = self.server.users.get(int(request.match_info["uid"]))
        return _json(user.to_payload()) if user else _error(404, 10013, "Unknown User")

    async def _create_dm(self, request: web.Request) -> web.Response:
        user = self.server.users.get(int(request[_RECORD].json["recipient_id"]))
        if user is None:
            return _error(404, 10013, "Unknown User")
        channel = self.server.dm_channel(user)
        if channel is None:
            channel = FakeChannel(snowflake(), FakeChannel.DM, "", recipient=user)
            self.server.channels[channel.id] = channel
        return _json(channel.to_payload())

    async def _get_application(self, request: web.Request) -> web.Response:
        return _json(self.server.application_payload())

    async def _get_gateway(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return _json(
            {"url": self.server.gateway_url.rstrip("/"), "shards": 1, "session_start_limit": limit}
        )

    async def _get_attachment(self, request: web.Request) -> web.Response:
        attachment = self.server.attachments.get(int(request.match_info["aid"]))
        if attachment is None:
            return _error(404, 0, "404: Not Found")
        return web.Response(body=attachment.data, headers={"Content-Type": attachment.content_type})

    async def _get_guild(self, request: web.Request) -> web.Response:
        guild = self._guild_or_none(request)
        if guild is None:
            return _error(404, 10004, "Unknown Guild")
        return _json({**guild.to_payload(), "approximate_member_count": len(guild.members)})

    async def _get_guild_channels(self, request: web.Request) -> web.Response:
        guild = self._guild_or_none(request)
        return (
            _json([c.to_payload() for c in guild.channels])
            if guild
            else _error(404, 10004, "Unknown Guild")
        )

    async def _get_guild_roles(self, request: web.Request) -> web.Response:
        guild = self._guild_or_none(request)
        return (
            _json([r.to_payload() for r in guild.roles])
            if guild
            else _error(404, 10004, "Unknown Guild")
        )

    async def _list_members(self, request: web.Request) -> web.Response:
        guild = self._guild_or_none(request)
        if guild is None:
            return _error(404, 10004, "Unknown Guild")
        after = int(request.query.get("after", 0))
        limit = int(request.query.get("limit", 1))
        members = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)
        return _json([m.to_payload() for m in members[:limit]])

    async def _get_member(self, request: web.Request) -> web.Response:
        guild = self._guild_or_none(request)
        member = guild.members.get(int(request.match_info["uid"])) if guild else None
        return _json(member.to_payload()) if member else _error(404, 10007, "Unknown Member")

    async def _get_channel(self, request: web.Request) -> web.Response:
        channel = self._channel_or_none(request)
        return _json(channel.to_payload()) if channel else _error(404, 10003, "Unknown Channel")

    # ----------------------------------------------------------------- commands

    async def _get_commands(self, request: web.Request) -> web.Response:
        gid = request.match_info.get("gid")
        return _json(self.server.commands.get(int(gid) if gid else None, []))

    async def _put_commands(self, request: web.Request) -> web.Response:
        if int(request.match_info["app"]) != self.server.app_id:
            return _error(403, 50001, "Missing Access")
        gid_text = request.match_info.get("gid")
        gid = int(gid_text) if gid_text else None
        if gid is not None and gid not in self.server.guilds:
            return _error(403, 50001, "Missing Access")
        body: list[dict[str, Any]] = request[_RECORD].json or []
        problems = _validate_commands(body)
        if problems:
            return _json({"message": "Invalid Form Body", "code": 50035, "errors": problems}, 400)
        previous = {
            (c["name"], c.get("type", 1)): c["id"] for c in self.server.commands.get(gid, [])
        }
        stored = []
        for cmd in body:
            kind = cmd.get("type", 1)
            stored.append(
                {
                    **cmd,
                    "id": previous.get((cmd["name"], kind)) or str(snowflake()),
                    "application_id": str(self.server.app_id),
                    "version": str(snowflake()),
                    "type": kind,
                    "default_member_permissions": cmd.get("default_member_permissions"),
                    "nsfw": cmd.get("nsfw", False),
                    **({"guild_id": str(gid)} if gid is not None else {}),
                }
            )
        self.server.commands[gid] = stored
        self.server.sync_count += 1
        return _json(stored)

    # ----------------------------------------------------------------- interactions

    async def _interaction_callback(self, request: web.Request) -> web.Response:
        interaction = self.server.interactions.get(int(request.match_info["iid"]))
        if interaction is None or interaction.token != request.match_info["token"]:
            return _error(404, 10062, "Unknown interaction")
        late = self.server.interaction_timeout is not None and (
            self.server.loop_time() - interaction.created_at > self.server.interaction_timeout
        )
        if late:
            return _error(404, 10062, "Unknown interaction")
        if interaction.callback is not None:
            return _error(400, 40060, "Interaction has already been acknowledged.")
        body: dict[str, Any] = request[_RECORD].json or {}
        ctype, data = int(body["type"]), body.get("data") or {}
        files = self._files(request, interaction.channel.id)
        interaction.callback = CallbackRecord(ctype, data, list(files.values()))
        info: dict[str, Any] = {"id": str(interaction.id), "type": interaction.type}
        response: dict[str, Any] = {"interaction": info}
        message: FakeMessage | None = None
        if ctype in (4, 5):
            flags = (int(data.get("flags") or 0) & EPHEMERAL) | (LOADING if ctype == 5 else 0)
            payload = data if ctype == 4 else {}
            message = self.server.new_message(
                interaction.channel,
                self.server.bot_user,
                payload,
                files,
                interaction=interaction,
                flags=flags,
            )
            self.server.announce_message(message)
        elif ctype in (6, 7) and interaction.message is not None:
            message = interaction.message
            if ctype == 7:
                message.apply(data, files, edit=True)
        elif ctype == 8:
            interaction.choices = list(data.get("choices") or [])
        elif ctype == 9:
            interaction.opened_modal = FakeModal(
                data["custom_id"], data.get("title", ""), data.get("components", [])
            )
        elif ctype != 1:
            return _error(400, 50035, f"Invalid interaction response type {ctype}")
        if message is not None:
            interaction.original = message
            info.update(
                response_message_id=str(message.id),
                response_message_loading=message.loading,
                response_message_ephemeral=message.ephemeral,
            )
            if ctype != 6:
                response["resource"] = {
                    "type": ctype,
                    "message": message.to_payload(self.server.users),
                }
        if request.query.get("with_response", "").lower() not in ("1", "true"):
            return _no_content()
        return _json(response)

    def _interaction_for_webhook(self, request: web.Request) -> FakeInteraction | None:
        interaction = self.server.interaction_by_token(request.match_info["token"])
        if (
            interaction is None
            or int(request.match_info["app"]) != self.server.app_id
            or interaction.callback is None
        ):
            return None
        return interaction

    async def _execute_webhook(self, request: web.Request) -> web.Response:
        interaction = self._interaction_for_webhook(request)
        if interaction is None:
            return _error(404, 10015, "Unknown Webhook")
        payload: dict[str, Any] = request[_RECORD].json or {}
        files = self._files(request, interaction.channel.id)
        original = interaction.original
        assert interaction.callback is not None
        if original is not None and original.loading and interaction.callback.type == 5:
            self.server.fill_deferred(original, payload, files)
            message = original
        else:
            message = self.server.new_message(
                interaction.channel, self.server.bot_user, payload, files, interaction=interaction
            )
            self.server.announce_message(message)
        interaction.followups.append(message)
        if request.query.get("wait", "").lower() not in ("1", "true"):
            return _no_content()
        return _json(message.to_payload(self.server.users))

    async def _webhook_message(self, request: web.Request) -> web.Response:
        interaction = self._interaction_for_webhook(request)
        if interaction is None:
            return _error(404, 10015, "Unknown Webhook")
        mid = request.match_info["mid"]
        owned = [interaction.original, *interaction.followups]
        if mid == "@original":
            message = interaction.original
        else:
            message = next((m for m in owned if m is not None and m.id == int(mid)), None)
        if message is None or message.deleted:
            return _error(404, 10008, "Unknown Message")
        if request.method == "DELETE":
            message.deleted = True
            return _no_content()
        if request.method == "PATCH":
            payload: dict[str, Any] = request[_RECORD].json or {}
            files = self._files(request, message.channel_id)
            if message.loading:
                self.server.fill_deferred(message, payload, files)
            else:
                message.apply(payload, files, edit=True)
        return _json(message.to_payload(self.server.users))

    # ----------------------------------------------------------------- channels

    async def _list_messages(self, request: web.Request) -> web.Response:
        channel = self._channel_or_none(request)
        if channel is None:
            return _error(404, 10003, "Unknown Channel")
        messages = list(reversed(self.server.channel_messages(channel)))
        before, after = request.query.get("before"), request.query.get("after")
        if before:
            messages = [m for m in messages if m.id < int(before)]
        if after:
            messages = [m for m in messages if m.id > int(after)]
        limit = int(request.query.get("limit", 50))
        return _json([m.to_payload(self.server.users) for m in messages[:limit]])

    async def _create_message(self, request: web.Request) -> web.Response:
        channel = self._channel_or_none(request)
        if channel is None:
            return _error(404, 10003, "Unknown Channel")
        payload: dict[str, Any] = request[_RECORD].json or {}
        message = self.server.new_message(
            channel, self.server.bot_user, payload, self._files(request, channel.id)
        )
        if message.ephemeral:
            return _error(
                400, 50035, "Invalid Form Body (flags: ephemeral is for interactions only)"
            )
        self.server.announce_message(message)
        return _json(message.to_payload(self.server.users))

    async def _channel_message(self, request: web.Request) -> web.Response:
        message = self.server.messages.get(int(request.match_info["mid"]))
        if (
            message is None
            or message.deleted
            or message.channel_id != int(request.match_info["cid"])
        ):
            return _error(404, 10008, "Unknown Message")
        if request.method == "DELETE":
            message.deleted = True
            return _no_content()
        if request.method == "PATCH":
            if message.author is not self.server.bot_user:
                return _error(403, 50005, "Cannot edit a message authored by another user")
            payload: dict[str, Any] = request[_RECORD].json or {}
            message.apply(payload, self._files(request, message.channel_id), edit=True)
        return _json(message.to_payload(self.server.users))

    async def _react(self, request: web.Request) -> web.Response:
        message = self.server.messages.get(int(request.match_info["mid"]))
        if message is None:
            return _error(404, 10008, "Unknown Message")
        emoji = request.match_info["emoji"]
        if request.method == "PUT":
            message.reactions.append(emoji)
        elif emoji in message.reactions:
            message.reactions.remove(emoji)
        return _no_content()

    async def _create_thread(self, request: web.Request) -> web.Response:
        parent = self._channel_or_none(request)
        if parent is None or parent.guild is None:
            return _error(404, 10003, "Unknown Channel")
        body: dict[str, Any] = request[_RECORD].json or {}
        mid = request.match_info.get("mid")
        if mid is not None:
            message = self.server.messages.get(int(mid))
            if message is None or message.channel_id != parent.id:
                return _error(404, 10008, "Unknown Message")
            if message.thread_id is not None:
                return _error(400, 160004, "A thread has already been created for this message")
            thread_id, kind = message.id, FakeChannel.PUBLIC_THREAD
            message.thread_id = thread_id
        else:
            thread_id, kind = snowflake(), int(body.get("type") or FakeChannel.PRIVATE_THREAD)
        thread = FakeChannel(
            thread_id,
            kind,
            body["name"],
            parent.guild,
            parent_id=parent.id,
            owner_id=self.server.bot_user.id,
        )
        self.server.channels[thread.id] = thread
        parent.guild.threads.append(thread)
        me = {
            "id": str(thread.id),
            "user_id": str(self.server.bot_user.id),
            "join_timestamp": thread.created_at,
            "flags": 0,
        }
        self.server.gateway.broadcast(
            "THREAD_CREATE", {**thread.to_payload(), "newly_created": True, "member": me}
        )
        return _json({**thread.to_payload(), "member": me}, 201)


def _validate_commands(commands: list[dict[str, Any]]) -> dict[str, Any]:
    """What Discord rejects in a bulk overwrite (names, descriptions, option limits/order)."""
    problems: dict[str, Any] = {}
    seen: set[tuple[str, int]] = set()
    if len(commands) > 100:
        problems["_errors"] = "more than 100 commands"
    for index, cmd in enumerate(commands):
        key = (cmd.get("name", ""), cmd.get("type", 1))
        errors = _check_options(cmd) if key[1] == 1 else []
        if key in seen:
            errors.append(f"duplicate command name {key[0]!r}")
        seen.add(key)
        if errors:
            problems[str(index)] = errors
    return problems


def _check_options(node: dict[str, Any], where: str = "") -> list[str]:
    name, desc = node.get("name", ""), node.get("description", "")
    here = f"{where}{name}"
    errors = []
    if not _NAME.match(name) or name != name.lower():
        errors.append(f"{here}: invalid name")
    if not 1 <= len(desc) <= 100:
        errors.append(f"{here}: description must be 1-100 characters")
    options = node.get("options") or []
    if len(options) > 25:
        errors.append(f"{here}: more than 25 options")
    required_seen_optional = False
    for option in options:
        if option["type"] in (1, 2):
            errors += _check_options(option, here + " ")
            continue
        errors += [
            e
            for e in _check_options({**option, "options": []}, here + " ")
            if "invalid name" in e or "description" in e
        ]
        if len(option.get("choices") or []) > 25:
            errors.append(f"{here} {option['name']}: more than 25 choices")
        if option.get("required"):
            if required_seen_optional:
                errors.append(f"{here} {option['name']}: required options must come first")
        else:
            required_seen_optional = True
    return errors
