"""The fake Discord's world: users, guilds, channels, roles, members and messages.

Every object can render itself as the JSON payload that discord.py 2.7.1 parses (REST bodies and
gateway events alike), so the same data serves the client and the test assertions.
"""

from __future__ import annotations

import datetime as dt
import itertools
import mimetypes
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import discord

if TYPE_CHECKING:
    from .server import FakeDiscord

DISCORD_EPOCH_MS = 1420070400000
EPHEMERAL = 1 << 6
LOADING = 1 << 7

_counter = itertools.count(1)


def snowflake() -> int:
    """A new, strictly increasing Discord snowflake (its timestamp is now)."""
    millis = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return (millis << 22) | (next(_counter) & 0x3FFFFF)


def iso_now() -> str:
    """The current UTC time as Discord writes timestamps."""
    return dt.datetime.now(dt.UTC).isoformat()


def as_permissions(value: int | discord.Permissions | None) -> int:
    """A permission bit set from an int, a ``discord.Permissions`` or None (no bits)."""
    if value is None:
        return 0
    return value.value if isinstance(value, discord.Permissions) else int(value)


#: What @everyone may do in a new guild (what a plain member gets).
DEFAULT_EVERYONE = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    embed_links=True,
    attach_files=True,
    add_reactions=True,
    read_message_history=True,
    use_application_commands=True,
    use_external_emojis=True,
    change_nickname=True,
    create_instant_invite=True,
    connect=True,
    speak=True,
).value

#: What the bot's managed role allows by default (no Administrator: tests see missing rights).
DEFAULT_BOT = discord.Permissions(
    manage_messages=True,
    manage_threads=True,
    create_private_threads=True,
    mention_everyone=True,
).value


@dataclass(eq=False)
class FakeUser:
    """A Discord user (a person or the bot itself)."""

    id: int
    name: str
    bot: bool = False
    global_name: str | None = None

    @property
    def mention(self) -> str:
        """The ``<@id>`` mention text."""
        return f"<@{self.id}>"

    def to_payload(self) -> dict[str, Any]:
        """The user object."""
        return {
            "id": str(self.id),
            "username": self.name,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "bot": self.bot,
            "system": False,
            "public_flags": 0,
        }


@dataclass(eq=False)
class FakeRole:
    """A guild role; the role whose id is the guild's id is @everyone."""

    id: int
    name: str
    permissions: int
    position: int = 0
    managed: bool = False

    @property
    def mention(self) -> str:
        """The ``<@&id>`` mention text."""
        return f"<@&{self.id}>"

    def to_payload(self) -> dict[str, Any]:
        """The role object."""
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "managed": self.managed,
            "mentionable": False,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }


@dataclass(eq=False)
class FakeMember:
    """A user's membership of a guild; its permissions are computed from its roles."""

    user: FakeUser
    guild: FakeGuild
    roles: list[FakeRole] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=iso_now)

    @property
    def id(self) -> int:
        """The user's id."""
        return self.user.id

    @property
    def name(self) -> str:
        """The user's name."""
        return self.user.name

    @property
    def mention(self) -> str:
        """The ``<@id>`` mention text."""
        return self.user.mention

    @property
    def permissions(self) -> int:
        """Guild-wide permissions: owner and Administrator get everything."""
        if self.user.id == self.guild.owner_id:
            return discord.Permissions.all().value
        value = self.guild.everyone.permissions
        for role in self.roles:
            value |= role.permissions
        if value & discord.Permissions(administrator=True).value:
            return discord.Permissions.all().value
        return value

    def has(self, permissions: int) -> bool:
        """Whether every bit of ``permissions`` is granted."""
        return self.permissions & permissions == permissions

    def to_payload(self, *, with_permissions: bool = False) -> dict[str, Any]:
        """The guild member object (with ``permissions`` as interactions carry it)."""
        payload: dict[str, Any] = {
            "user": self.user.to_payload(),
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "roles": [str(r.id) for r in self.roles],
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_permissions:
            payload["permissions"] = str(self.permissions)
        return payload


@dataclass(eq=False)
class FakeChannel:
    """A guild text/voice/category channel, a thread (type 11/12) or a DM (type 1)."""

    id: int
    type: int
    name: str
    guild: FakeGuild | None = None
    position: int = 0
    topic: str | None = None
    parent_id: int | None = None
    owner_id: int | None = None
    recipient: FakeUser | None = None
    created_at: str = field(default_factory=iso_now)
    last_message_id: int | None = None
    message_count: int = 0

    TEXT = 0
    DM = 1
    VOICE = 2
    CATEGORY = 4
    PUBLIC_THREAD = 11
    PRIVATE_THREAD = 12

    @property
    def is_thread(self) -> bool:
        """Whether this channel is a thread."""
        return self.type in (self.PUBLIC_THREAD, self.PRIVATE_THREAD)

    @property
    def mention(self) -> str:
        """The ``<#id>`` mention text."""
        return f"<#{self.id}>"

    def to_payload(self) -> dict[str, Any]:
        """The channel object for this channel's type."""
        base: dict[str, Any] = {"id": str(self.id), "type": self.type, "flags": 0}
        last = str(self.last_message_id) if self.last_message_id else None
        if self.type == self.DM:
            recipients = [self.recipient.to_payload()] if self.recipient else []
            return {**base, "recipients": recipients, "last_message_id": last}
        assert self.guild is not None
        base.update(guild_id=str(self.guild.id), name=self.name, parent_id=_str(self.parent_id))
        if self.is_thread:
            return {
                **base,
                "owner_id": _str(self.owner_id),
                "last_message_id": last,
                "rate_limit_per_user": 0,
                "message_count": self.message_count,
                "member_count": 1,
                "total_message_sent": self.message_count,
                "thread_metadata": {
                    "archived": False,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": self.created_at,
                    "locked": False,
                    "create_timestamp": self.created_at,
                    **({"invitable": True} if self.type == self.PRIVATE_THREAD else {}),
                },
            }
        base.update(position=self.position, permission_overwrites=[], nsfw=False)
        if self.type == self.VOICE:
            return {**base, "bitrate": 64000, "user_limit": 0, "rtc_region": None}
        if self.type == self.CATEGORY:
            return base
        return {
            **base,
            "topic": self.topic,
            "last_message_id": last,
            "rate_limit_per_user": 0,
            "default_auto_archive_duration": 1440,
        }

    def to_interaction_payload(self, permissions: int) -> dict[str, Any]:
        """The channel object inside an interaction (with the invoker's permissions)."""
        return {**self.to_payload(), "permissions": str(permissions)}


class FakeGuild:
    """A guild with its @everyone role, channels, roles and members (the bot is one)."""

    def __init__(self, server: FakeDiscord, name: str, owner_id: int | None) -> None:
        self.server = server
        self.announced = False  # set once GUILD_CREATE may be sent for it
        self.id = snowflake()
        self.name = name
        self.owner_id = owner_id
        self.joined_at = iso_now()
        self.everyone = FakeRole(self.id, "@everyone", DEFAULT_EVERYONE)
        self.roles: list[FakeRole] = [self.everyone]
        self.channels: list[FakeChannel] = []
        self.threads: list[FakeChannel] = []
        self.members: dict[int, FakeMember] = {}
        bot_role = self.add_role(server.bot_user.name, permissions=server.bot_permissions)
        bot_role.managed = True
        self.me = self._join(server.bot_user, [bot_role])

    def __repr__(self) -> str:
        return f"<FakeGuild id={self.id} name={self.name!r}>"

    def add_role(
        self, name: str, *, permissions: int | discord.Permissions | None = None
    ) -> FakeRole:
        """Add a role (announced with GUILD_ROLE_CREATE if a bot is connected)."""
        role = FakeRole(snowflake(), name, as_permissions(permissions), position=len(self.roles))
        self.roles.append(role)
        self._emit("GUILD_ROLE_CREATE", {"guild_id": str(self.id), "role": role.to_payload()})
        return role

    def add_text_channel(self, name: str, *, topic: str | None = None) -> FakeChannel:
        """Add a text channel (announced with CHANNEL_CREATE if a bot is connected)."""
        return self._add_channel(name, FakeChannel.TEXT, topic=topic)

    def add_voice_channel(self, name: str) -> FakeChannel:
        """Add a voice channel."""
        return self._add_channel(name, FakeChannel.VOICE)

    def add_category(self, name: str) -> FakeChannel:
        """Add a category channel."""
        return self._add_channel(name, FakeChannel.CATEGORY)

    def _add_channel(self, name: str, type_: int, *, topic: str | None = None) -> FakeChannel:
        channel = FakeChannel(snowflake(), type_, name, self, len(self.channels), topic)
        self.channels.append(channel)
        self.server.channels[channel.id] = channel
        self._emit("CHANNEL_CREATE", channel.to_payload())
        return channel

    def add_member(
        self,
        name: str,
        *,
        permissions: int | discord.Permissions | None = None,
        admin: bool = False,
        roles: Iterable[FakeRole] = (),
        bot: bool = False,
    ) -> FakeMember:
        """Add a person (or another bot) to the guild.

        ``admin=True`` grants Administrator and Manage Guild (through a role); ``permissions``
        adds a personal role with those bits; a plain member has only @everyone's permissions.
        """
        user = self.server.add_user(name, bot=bot)
        member_roles = list(roles)
        if admin:
            bits = discord.Permissions(administrator=True, manage_guild=True).value
            member_roles.append(self.add_role(f"{name}-admin", permissions=bits))
        if permissions is not None:
            member_roles.append(self.add_role(f"{name}-perms", permissions=permissions))
        return self._join(user, member_roles)

    def _join(self, user: FakeUser, roles: list[FakeRole]) -> FakeMember:
        member = FakeMember(user, self, roles)
        self.members[user.id] = member
        if self.owner_id is None and not user.bot:
            self.owner_id = user.id
        payload = {**member.to_payload(), "guild_id": str(self.id)}
        self._emit("GUILD_MEMBER_ADD", payload, discord.Intents(members=True))
        return member

    def _emit(
        self, event: str, data: dict[str, Any], intent: discord.Intents | None = None
    ) -> None:
        if self.announced:
            self.server.gateway.broadcast(event, data, intent=intent)

    def get_channel(self, name_or_id: str | int) -> FakeChannel:
        """A channel or thread by name or id."""
        for channel in itertools.chain(self.channels, self.threads):
            if name_or_id in (channel.id, channel.name):
                return channel
        raise KeyError(name_or_id)

    def member(self, name_or_id: str | int) -> FakeMember:
        """A member by name or id."""
        for member in self.members.values():
            if name_or_id in (member.id, member.name):
                return member
        raise KeyError(name_or_id)

    def to_payload(self) -> dict[str, Any]:
        """The guild object as GET /guilds/{id} returns it."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": _str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [r.to_payload() for r in self.roles],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "incidents_data": None,
        }

    def to_gateway_payload(self) -> dict[str, Any]:
        """The GUILD_CREATE payload: the guild plus channels, threads and all members."""
        return {
            **self.to_payload(),
            "unavailable": False,
            "large": False,
            "lazy": True,
            "joined_at": self.joined_at,
            "member_count": len(self.members),
            "members": [m.to_payload() for m in self.members.values()],
            "channels": [c.to_payload() for c in self.channels],
            "threads": [t.to_payload() for t in self.threads],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }


@dataclass(eq=False)
class FakeAttachment:
    """A file uploaded with a message: its name and exact bytes."""

    id: int
    filename: str
    data: bytes
    url: str
    description: str | None = None

    @property
    def content_type(self) -> str:
        """The MIME type guessed from the file name."""
        return mimetypes.guess_type(self.filename)[0] or "application/octet-stream"

    def to_payload(self) -> dict[str, Any]:
        """The attachment object."""
        return {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.data),
            "url": self.url,
            "proxy_url": self.url,
            "content_type": self.content_type,
            "description": self.description,
        }


_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


@dataclass(eq=False)
class FakeMessage:
    """A message as the fake server stores it, with everything the bot asked for."""

    id: int
    channel_id: int
    author: FakeUser
    guild_id: int | None = None
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[FakeAttachment] = field(default_factory=list)
    flags: int = 0
    type: int = 0
    tts: bool = False
    allowed_mentions: dict[str, Any] | None = None
    message_reference: dict[str, Any] | None = None
    webhook_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    timestamp: str = field(default_factory=iso_now)
    edited_timestamp: str | None = None
    deleted: bool = False
    thread_id: int | None = None
    reactions: list[str] = field(default_factory=list)
    edits: list[dict[str, Any]] = field(default_factory=list)
    replied_user_id: int | None = None

    @property
    def ephemeral(self) -> bool:
        """Whether only the invoking user sees this message (flag 64)."""
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """Whether this is a deferred 'thinking…' placeholder (flag 128)."""
        return bool(self.flags & LOADING)

    @property
    def embed(self) -> dict[str, Any]:
        """The first embed (KeyError-free access in tests: raises if there is none)."""
        assert self.embeds, f"message {self.id} has no embed"
        return self.embeds[0]

    def iter_components(self) -> Iterator[dict[str, Any]]:
        """Every component, rows and containers flattened."""
        yield from _walk(self.components)

    def component(
        self, custom_id: str | None = None, *, label: str | None = None
    ) -> dict[str, Any]:
        """The component with this custom_id (or label)."""
        for comp in self.iter_components():
            if (custom_id is not None and comp.get("custom_id") == custom_id) or (
                label is not None and comp.get("label") == label
            ):
                return comp
        wanted = custom_id if custom_id is not None else label
        found = [c.get("custom_id") or c.get("label") for c in self.iter_components()]
        raise LookupError(f"no component {wanted!r} on message {self.id}; it has {found}")

    @property
    def pinged_user_ids(self) -> set[int]:
        """Users this message actually notifies, as Discord applies allowed_mentions."""
        if self.ephemeral:
            return set()
        parse, users, _ = self._mention_rules()
        mentioned = {int(x) for x in _USER_MENTION.findall(self.content)}
        pinged = {u for u in mentioned if "users" in parse or u in users}
        replied = (self.allowed_mentions or {}).get("replied_user", self.allowed_mentions is None)
        if self.replied_user_id and replied:
            pinged.add(self.replied_user_id)
        return pinged

    @property
    def pinged_role_ids(self) -> set[int]:
        """Roles this message actually notifies."""
        if self.ephemeral:
            return set()
        parse, _, roles = self._mention_rules()
        mentioned = {int(x) for x in _ROLE_MENTION.findall(self.content)}
        return {r for r in mentioned if "roles" in parse or r in roles}

    @property
    def pings_everyone(self) -> bool:
        """Whether @everyone/@here in the content notifies the channel."""
        parse, _, _ = self._mention_rules()
        has_text = "@everyone" in self.content or "@here" in self.content
        return not self.ephemeral and has_text and "everyone" in parse

    @property
    def pings_anyone(self) -> bool:
        """Whether this message notifies any user, role or @everyone."""
        return bool(self.pinged_user_ids or self.pinged_role_ids or self.pings_everyone)

    def _mention_rules(self) -> tuple[set[str], set[int], set[int]]:
        rules = self.allowed_mentions
        if rules is None:
            return {"users", "roles", "everyone"}, set(), set()
        return (
            set(rules.get("parse", [])),
            {int(u) for u in rules.get("users", [])},
            {int(r) for r in rules.get("roles", [])},
        )

    def apply(
        self, payload: dict[str, Any], files: dict[int, FakeAttachment], *, edit: bool
    ) -> None:
        """Apply a create or edit body (JSON or multipart payload_json) to this message."""
        if edit:
            self.edits.append(payload)
            self.edited_timestamp = iso_now()
        for key in ("content", "tts", "allowed_mentions", "message_reference"):
            if key in payload:
                setattr(self, key, payload[key] if payload[key] is not None else _EMPTY[key])
        if self.message_reference:  # Discord answers with string snowflakes
            self.message_reference = {
                k: str(v) if k.endswith("_id") and v is not None else v
                for k, v in self.message_reference.items()
            }
        if "embeds" in payload:
            self.embeds = list(payload["embeds"] or [])
        if "components" in payload:
            self.components = list(payload["components"] or [])
        if "flags" in payload and payload["flags"] is not None:
            keep = self.flags & (EPHEMERAL | LOADING) if edit else 0
            self.flags = keep | int(payload["flags"])
        if "attachments" in payload:
            kept = {int(a["id"]) for a in payload["attachments"] or []}
            self.attachments = [a for a in self.attachments if a.id in kept]
            for item in payload["attachments"] or []:
                if int(item["id"]) in files:
                    new = files[int(item["id"])]
                    new.description = item.get("description")
                    self.attachments.append(new)
        elif files:
            self.attachments.extend(files.values())

    def to_payload(self, users: dict[int, FakeUser] | None = None) -> dict[str, Any]:
        """The message object (``users`` resolves the ``mentions`` list)."""
        known = users or {}
        mentions = [
            known[u].to_payload() if u in known else FakeUser(u, str(u)).to_payload()
            for u in sorted(self.pinged_user_ids)
        ]
        payload: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": self.author.to_payload(),
            "content": self.content,
            "timestamp": self.timestamp,
            "edited_timestamp": self.edited_timestamp,
            "tts": self.tts,
            "mention_everyone": self.pings_everyone,
            "mentions": mentions,
            "mention_roles": [str(r) for r in sorted(self.pinged_role_ids)],
            "attachments": [a.to_payload() for a in self.attachments],
            "embeds": self.embeds,
            "components": self.components,
            "reactions": [],
            "pinned": False,
            "type": self.type,
            "flags": self.flags,
        }
        if self.guild_id is not None:
            payload["guild_id"] = str(self.guild_id)
        if self.webhook_id is not None:
            payload["webhook_id"] = str(self.webhook_id)
            payload["application_id"] = str(self.webhook_id)
        if self.interaction_metadata is not None:
            payload["interaction_metadata"] = self.interaction_metadata
        if self.message_reference:
            payload["message_reference"] = self.message_reference
        return payload


_EMPTY: dict[str, Any] = {
    "content": "",
    "tts": False,
    "allowed_mentions": None,
    "message_reference": None,
}


def _walk(components: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for comp in components:
        yield comp
        yield from _walk(comp.get("components", []))
        if isinstance(comp.get("component"), dict):
            yield from _walk([comp["component"]])
        if isinstance(comp.get("accessory"), dict):
            yield from _walk([comp["accessory"]])


def _str(value: int | None) -> str | None:
    return None if value is None else str(value)
