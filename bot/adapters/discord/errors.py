"""The one error path of the Discord front-end: never silence, never a traceback to a member.

Slash commands (``InterviewTree.on_error``), persistent buttons and the answer modal (through
``views``) all end up in :func:`report_error`:

* a domain refusal (``PracticeError``: unknown group, no question for that topic...) becomes
  its friendly wording from ``render.errors``, logged at INFO (nothing is broken); a rate
  limit (``RateLimitedError``) says how long to wait;
* a failed check (admin-only command, used outside a server) becomes a polite refusal;
* an interaction Discord already expired cannot be answered: logged at WARNING;
* the database or the knowledge index briefly unreachable (``bot.adapters.unavailable``):
  "try again in a minute", the submitted answer shown back, logged at WARNING;
* anything else is a bug: logged at ERROR with a short reference, which the member sees too,
  so a report from a member finds the log line.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.adapters.discord.render import errors as wording
from bot.adapters.discord.render.common import Reply, send
from bot.adapters.unavailable import is_unavailable
from bot.core.errors import PracticeError, RateLimitedError

log = logging.getLogger(__name__)

T = TypeVar("T")

ADMIN_PERMISSIONS = discord.Permissions(manage_guild=True)
"""Default permissions of admin commands and command groups (servers may override them)."""

UNKNOWN_INTERACTION = 10062
"""Discord's error code for an interaction answered too late (after 3 s) or twice."""


class NotAdminError(app_commands.CheckFailure):
    """The member lacks Manage Server for an admin command."""


class GuildOnlyError(app_commands.CheckFailure):
    """The command or button needs a server (it was used in a DM)."""


def is_admin(interaction: discord.Interaction) -> bool:
    """Whether the member may use admin commands here (Manage Server or Administrator).

    ``interaction.permissions`` is what Discord computed for this member in this channel,
    so it reflects roles and overrides as they are now.
    """
    perms = interaction.permissions
    return bool(perms.manage_guild or perms.administrator)


async def _admin_predicate(interaction: discord.Interaction) -> bool:
    if interaction.guild_id is None:
        raise GuildOnlyError()
    if not is_admin(interaction):
        raise NotAdminError()
    return True


def is_admin_command(command: object) -> bool:
    """Whether a slash command (or subcommand) is admin-only: its top-level command or group
    carries non-empty default permissions (see :func:`admin_only` and ``ADMIN_PERMISSIONS``)."""
    if not isinstance(command, app_commands.Command | app_commands.Group):
        return False
    root = command.root_parent or command
    perms = root.default_permissions
    return perms is not None and perms.value != 0


def admin_check() -> Callable[[T], T]:
    """The runtime admin check alone (for subcommands of a group that sets
    ``default_permissions=ADMIN_PERMISSIONS``: Discord ignores permissions on subcommands)."""
    return app_commands.check(_admin_predicate)


def admin_only() -> Callable[[T], T]:
    """Mark a top-level command admin-only: hidden by default AND refused at run time.

    Discord hides the command from members without Manage Server, but a server can override
    that in its integration settings, so the bot checks again when the command runs.
    """

    def decorator(func: T) -> T:
        func = app_commands.default_permissions(manage_guild=True)(func)
        return app_commands.check(_admin_predicate)(func)

    return decorator


def unwrap(error: BaseException) -> BaseException:
    """The exception behind discord.py's wrappers (command invoke / transformer errors)."""
    while isinstance(error, app_commands.CommandInvokeError) and error.original is not None:
        error = error.original
    return error


def describe(interaction: discord.Interaction) -> str:
    """Where an interaction came from, for log lines (never the member's text)."""
    command = interaction.command
    if command is not None:
        return f"/{command.qualified_name}"
    data: dict[str, Any] = dict(interaction.data or {})
    custom_id = data.get("custom_id")
    return f"component {custom_id}" if custom_id else f"interaction type {interaction.type}"


async def report_error(
    interaction: discord.Interaction, error: BaseException, *, where: str | None = None
) -> None:
    """Tell the member what went wrong (ephemeral) and log it at the right level."""
    where = where or describe(interaction)
    error = unwrap(error)
    reply: Reply
    if isinstance(error, RateLimitedError):
        # Not a failure: the member is told the wait; the log keeps who and for how long.
        log.info(
            "%s refused for %s: rate limited for %.1f s",
            where,
            interaction.user.id,
            error.retry_after,
        )
        reply = wording.rate_limited(error)
    elif isinstance(error, PracticeError):
        log.info("%s refused for %s: %s", where, interaction.user.id, error.code)
        reply = wording.practice_error(error)
    elif isinstance(error, GuildOnlyError | app_commands.NoPrivateMessage):
        reply = wording.guild_only()
    elif isinstance(error, NotAdminError | app_commands.MissingPermissions):
        log.info("%s refused for %s: not an admin", where, interaction.user.id)
        reply = wording.needs_admin()
    elif isinstance(error, app_commands.CheckFailure):
        log.info("%s refused for %s: %s", where, interaction.user.id, type(error).__name__)
        reply = wording.needs_admin()
    elif isinstance(error, discord.NotFound) and error.code == UNKNOWN_INTERACTION:
        log.warning("%s: the interaction expired before the bot answered", where)
        return
    elif is_unavailable(error):
        # The database or the index is briefly unreachable: not a bug, and worth a retry.
        ref = secrets.token_hex(3)
        log.warning("%s: storage unavailable [ref %s]: %r", where, ref, error)
        reply = wording.unavailable(ref, _submitted_answer(interaction))
    else:
        ref = secrets.token_hex(3)
        log.error("unexpected error [ref %s] in %s", ref, where, exc_info=error)
        reply = wording.unexpected(ref)
    try:
        await send(interaction, reply, ephemeral=True)
    except discord.HTTPException as exc:
        # The interaction may have expired meanwhile: the log line above is all we can do.
        log.warning("%s: could not tell the member about the error: %s", where, exc)


def _submitted_answer(interaction: discord.Interaction) -> str | None:
    """The text a member submitted in a modal (shown back so a retry loses nothing)."""
    if interaction.type is not discord.InteractionType.modal_submit:
        return None
    from bot.adapters.discord.client import modal_values

    values = modal_values(dict(interaction.data or {}))
    return max(values.values(), key=len, default=None)


class InterviewTree(app_commands.CommandTree[Any]):
    """The command tree: every slash-command error goes through :func:`report_error`."""

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Offer no autocomplete choices of an admin command to a member who is no admin.

        discord.py runs a command's checks when it is invoked, not when its options are
        autocompleted, so without this a server that let members see an admin command would
        also let them list, say, its own question ids through ``/question remove``.
        """
        if interaction.type is not discord.InteractionType.autocomplete:
            return True
        try:
            command = interaction.command
        except app_commands.AppCommandError:
            return True  # discord.py reports an unknown command itself
        if not is_admin_command(command) or (interaction.guild_id and is_admin(interaction)):
            return True
        log.info(
            "autocomplete of %s refused for %s: not an admin",
            describe(interaction),
            interaction.user.id,
        )
        await interaction.response.autocomplete([])
        return False

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Report the error to the member and the log."""
        await report_error(interaction, error)
