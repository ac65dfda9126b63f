"""Simulated interactions: what a user's click, slash command or modal submit looks like.

:class:`FakeInteraction` is both the INTERACTION_CREATE payload the fake gateway dispatches and
the record of how the bot answered it (callback, original response, followups, modal, choices).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import discord

from .models import (
    FakeAttachment,
    FakeChannel,
    FakeMember,
    FakeMessage,
    FakeRole,
    FakeUser,
    snowflake,
)

if TYPE_CHECKING:
    from .server import FakeDiscord

APPLICATION_COMMAND, COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5
SELECT_TYPES = (3, 5, 6, 7, 8)
_VALUE_TYPES = {3: "string", 4: "integer", 5: "boolean", 6: "user", 7: "channel", 8: "role"}


class CommandNotPermittedError(PermissionError):
    """Discord would not show this command to the user (default_member_permissions)."""


@dataclass
class CallbackRecord:
    """The bot's POST /interactions/{id}/{token}/callback."""

    type: int
    data: dict[str, Any]
    files: list[FakeAttachment] = field(default_factory=list)


@dataclass
class FakeModal:
    """A modal the bot opened (callback type 9)."""

    custom_id: str
    title: str
    components: list[dict[str, Any]]

    @property
    def fields(self) -> dict[str, dict[str, Any]]:
        """Inputs by custom_id; a Label's text is copied into its input's ``label``."""
        return {c["custom_id"]: c for c in self._inputs(self.components, None)}

    def _inputs(
        self, comps: Sequence[dict[str, Any]], label: str | None
    ) -> Iterator[dict[str, Any]]:
        for comp in comps:
            if comp["type"] == 1:
                yield from self._inputs(comp.get("components", []), None)
            elif comp["type"] == 18:
                yield from self._inputs([comp["component"]], comp.get("label"))
            elif "custom_id" in comp:
                yield {**comp, "label": comp.get("label") or label}

    def submission(self, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The ``data.components`` of a submit, mirroring the modal's layout.

        ``values`` is keyed by input custom_id or label; Discord's client-side checks
        (required, min/max length) are applied and raise ``ValueError``.
        """
        by_key = dict(values)
        for cid, spec in self.fields.items():
            if spec.get("label") in by_key and cid not in by_key:
                by_key[cid] = by_key.pop(spec["label"])
        unknown = set(by_key) - set(self.fields)
        if unknown:
            raise ValueError(
                f"modal {self.title!r} has no input {sorted(unknown)}; it has {list(self.fields)}"
            )
        for cid, spec in self.fields.items():
            if spec["type"] != 4:
                continue
            value = str(by_key.get(cid, ""))
            if spec.get("required", True) and not value:
                raise ValueError(f"modal input {cid!r} is required")
            if value and not spec.get("min_length", 0) <= len(value) <= spec.get(
                "max_length", 4000
            ):
                raise ValueError(f"modal input {cid!r}: {len(value)} characters is out of bounds")
        return [c for c in (self._submit(c, by_key) for c in self.components) if c]

    def _submit(self, comp: dict[str, Any], values: Mapping[str, Any]) -> dict[str, Any] | None:
        if comp["type"] == 1:
            return {
                "type": 1,
                "components": [
                    x for x in (self._submit(c, values) for c in comp["components"]) if x
                ],
            }
        if comp["type"] == 18:
            inner = self._submit(comp["component"], values)
            return {"type": 18, "id": comp.get("id", 0), "component": inner} if inner else None
        if "custom_id" not in comp:
            return None
        out: dict[str, Any] = {
            "type": comp["type"],
            "id": comp.get("id", 0),
            "custom_id": comp["custom_id"],
        }
        if comp["type"] == 4:
            out["value"] = str(values.get(comp["custom_id"], ""))
        else:
            raw = values.get(comp["custom_id"], [])
            out["values"] = [str(v) for v in (raw if isinstance(raw, list | tuple) else [raw])]
        return out


class FakeInteraction:
    """One simulated user action and everything the bot did in answer to it."""

    def __init__(
        self,
        server: FakeDiscord,
        type_: int,
        user: FakeMember,
        channel: FakeChannel,
        data: dict[str, Any],
        message: FakeMessage | None = None,
    ) -> None:
        self.server = server
        self.id = snowflake()
        self.token = f"fake-interaction-{self.id}-{secrets.token_hex(8)}"
        self.type = type_
        self.user = user
        self.channel = channel
        self.data = data
        self.message = message
        self.created_at = server.loop_time()
        self.callback: CallbackRecord | None = None
        self.original: FakeMessage | None = None
        self.followups: list[FakeMessage] = []
        self.opened_modal: FakeModal | None = None
        self.choices: list[dict[str, Any]] | None = None

    def __repr__(self) -> str:
        return f"<FakeInteraction id={self.id} type={self.type} user={self.user.name!r}>"

    def to_payload(self) -> dict[str, Any]:
        """The INTERACTION_CREATE payload."""
        guild = self.user.guild
        payload: dict[str, Any] = {
            "id": str(self.id),
            "application_id": str(self.server.app_id),
            "type": self.type,
            "token": self.token,
            "version": 1,
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
            "channel_id": str(self.channel.id),
            "channel": self.channel.to_interaction_payload(self.user.permissions),
            "member": self.user.to_payload(with_permissions=True),
            "app_permissions": str(guild.me.permissions),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
            "data": self.data,
        }
        if self.message is not None:
            payload["message"] = self.message.to_payload(self.server.users)
        return payload

    def metadata(self) -> dict[str, Any]:
        """The ``interaction_metadata`` of messages answering this interaction."""
        meta: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "user": self.user.user.to_payload(),
            "authorizing_integration_owners": {"0": str(self.user.guild.id)},
        }
        if self.message is not None:
            meta["interacted_message_id"] = str(self.message.id)
        return meta

    async def wait_callback(self, within: float = 5.0) -> CallbackRecord:
        """Wait for the bot's interaction callback (fails fast if the bot logs an error)."""
        await self.server.wait_until(
            lambda: self.callback is not None, within=within, what=f"a callback to {self}"
        )
        assert self.callback is not None
        return self.callback

    async def response(self, within: float = 5.0) -> FakeMessage:
        """The message the user sees as the answer.

        Type 4: the sent message. Type 5 (deferred): the placeholder once a followup or an edit
        replaced 'thinking…'. Types 6/7: the component's (updated) message.
        """
        callback = await self.wait_callback(within)
        if callback.type in (8, 9):
            kind = "a modal (use .modal())" if callback.type == 9 else "autocomplete choices"
            raise AssertionError(f"{self} was answered with {kind}, not a message")
        if callback.type == 5:
            await self.server.wait_until(
                lambda: self.original is not None and not self.original.loading,
                within=within,
                what=f"the deferred response of {self} to be filled",
            )
        assert self.original is not None, f"{self} has no message response"
        return self.original

    async def modal(self, within: float = 5.0) -> FakeModal:
        """The modal the bot opened in answer."""
        callback = await self.wait_callback(within)
        assert self.opened_modal is not None, (
            f"{self} was answered with type {callback.type}, not a modal"
        )
        return self.opened_modal

    async def followup(self, index: int = 0, within: float = 5.0) -> FakeMessage:
        """The ``index``-th followup message (the first one may be the filled deferral)."""
        await self.server.wait_until(
            lambda: len(self.followups) > index, within=within, what=f"followup #{index} of {self}"
        )
        return self.followups[index]


def build_command_data(
    command: Mapping[str, Any],
    path: Sequence[str],
    values: Mapping[str, Any],
    *,
    focused: str | None,
    permissions: int,
    attachment: Any,
) -> dict[str, Any]:
    """``data`` of an APPLICATION_COMMAND (or AUTOCOMPLETE) interaction for a synced command.

    Option types, choices, bounds and required flags come from the synced payload, so a test
    cannot send what a real Discord client could not.
    """
    data: dict[str, Any] = {
        "id": str(command["id"]),
        "name": command["name"],
        "type": command.get("type", 1),
    }
    if command.get("guild_id"):
        data["guild_id"] = str(command["guild_id"])
    defs: list[dict[str, Any]] = list(command.get("options") or [])
    target: list[dict[str, Any]] = []
    data["options"] = target
    for name in path:
        group = next((o for o in defs if o["name"] == name and o["type"] in (1, 2)), None)
        if group is None:
            raise LookupError(f"/{command['name']} has no subcommand {name!r}")
        entry: dict[str, Any] = {"type": group["type"], "name": name, "options": []}
        target.append(entry)
        target = entry["options"]
        defs = list(group.get("options") or [])
    subs = [o["name"] for o in defs if o["type"] in (1, 2)]
    if subs:
        raise ValueError(f"/{command['name']} {' '.join(path)} needs a subcommand: {subs}")
    by_name = {o["name"]: o for o in defs}
    unknown = set(values) - set(by_name)
    if unknown:
        raise ValueError(f"unknown option(s) {sorted(unknown)}; the command has {list(by_name)}")
    resolved: dict[str, dict[str, Any]] = {}
    for spec in defs:
        name = spec["name"]
        if name not in values:
            if spec.get("required") and focused is None:
                raise ValueError(f"option {name!r} is required")
            continue
        target.append(
            _option(spec, values[name], resolved, name == focused, permissions, attachment)
        )
    if resolved:
        data["resolved"] = resolved
    return data


def _option(
    spec: Mapping[str, Any],
    value: Any,
    resolved: dict[str, dict[str, Any]],
    focused: bool,
    permissions: int,
    attachment: Any,
) -> dict[str, Any]:
    kind = spec["type"]
    out: dict[str, Any] = {"type": kind, "name": spec["name"]}
    if isinstance(value, discord.app_commands.Choice):
        value = value.value
    if focused:
        return {**out, "value": str(value), "focused": True}
    if kind in (3, 4, 10):
        value = {3: str, 4: int, 10: float}[kind](value)
        choices = [c["value"] for c in spec.get("choices") or []]
        if choices and value not in choices:
            raise ValueError(f"option {spec['name']!r}: {value!r} is not one of {choices}")
        low = spec.get("min_length" if kind == 3 else "min_value")
        high = spec.get("max_length" if kind == 3 else "max_value")
        size = len(value) if kind == 3 else value
        if (low is not None and size < low) or (high is not None and size > high):
            raise ValueError(f"option {spec['name']!r}: {value!r} is out of bounds [{low}, {high}]")
        return {**out, "value": value}
    if kind == 5:
        return {**out, "value": bool(value)}
    if kind == 11:
        att: FakeAttachment = attachment(value)
        resolved.setdefault("attachments", {})[str(att.id)] = att.to_payload()
        return {**out, "value": str(att.id)}
    if isinstance(value, FakeRole) and kind in (8, 9):
        resolved.setdefault("roles", {})[str(value.id)] = value.to_payload()
    elif isinstance(value, FakeMember) and kind in (6, 9):
        resolved.setdefault("users", {})[str(value.id)] = value.user.to_payload()
        member = value.to_payload(with_permissions=True)
        del member["user"]
        resolved.setdefault("members", {})[str(value.id)] = member
    elif isinstance(value, FakeUser) and kind in (6, 9):
        resolved.setdefault("users", {})[str(value.id)] = value.to_payload()
    elif isinstance(value, FakeChannel) and kind == 7:
        resolved.setdefault("channels", {})[str(value.id)] = value.to_interaction_payload(
            permissions
        )
    else:
        expected = _VALUE_TYPES.get(kind, f"type {kind}")
        raise TypeError(f"option {spec['name']!r} takes a {expected}, got {value!r}")
    return {**out, "value": str(value.id)}
