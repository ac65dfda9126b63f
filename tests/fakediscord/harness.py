"""Point discord.py at the fake server and run a real Client/Bot against it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from types import TracebackType

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from .server import FakeDiscord


@contextlib.contextmanager
def patch_discord(server: FakeDiscord) -> Iterator[FakeDiscord]:
    """Aim every REST route, the gateway and the CDN at ``server``; restore them on exit.

    discord.py builds each URL from ``Route.BASE`` and connects to
    ``DiscordWebSocket.DEFAULT_GATEWAY`` (then to READY's resume_gateway_url, which the fake
    points at itself), so the bot under test needs no change at all.
    """
    saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY, discord.Asset.BASE)
    Route.BASE = server.api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(server.gateway_url)
    discord.Asset.BASE = server.base_url
    try:
        yield server
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY, discord.Asset.BASE = saved


class RunningBot:
    """A discord.py client started with ``client.start(token)`` in a task, stopped cleanly.

    Use ``async with RunningBot(server, bot):`` or the ``start_bot`` fixture.
    """

    def __init__(
        self,
        server: FakeDiscord,
        client: discord.Client,
        *,
        token: str | None = None,
        expect_sync: bool = True,
        within: float = 5.0,
    ) -> None:
        self.server = server
        self.client = client
        self.token = token or server.token
        self.expect_sync = expect_sync
        self.within = within
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> RunningBot:
        """Start the client; return once it is READY (and, if expected, synced its commands)."""
        if self.server.api_base != Route.BASE:
            raise RuntimeError(
                "discord.py is not patched: use patch_discord(server) or fake_discord"
            )
        syncs_before = self.server.sync_count
        self.task = asyncio.create_task(self.client.start(self.token), name="fakediscord-bot")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.within
        # The client has no awaitable "ready" before login; poll is_ready() briefly.
        while not self.client.is_ready():
            if self.task.done():
                await self.task
                raise RuntimeError("the bot stopped before it became ready")
            if loop.time() > deadline:
                await self.stop()
                raise TimeoutError(f"the bot was not ready within {self.within}s")
            await asyncio.sleep(0.005)
        if self.expect_sync:
            await self.server.wait_until(
                lambda: self.server.sync_count > syncs_before,
                within=max(0.1, deadline - loop.time()),
                what="the bot to sync its application commands",
            )
        return self

    async def stop(self) -> None:
        """Close the client and wait for ``start()`` to return (re-raising its failure)."""
        if self.task is None:
            return
        task, self.task = self.task, None
        if not self.client.is_closed():
            await self.client.close()
        try:
            await asyncio.wait_for(task, self.within)
        except asyncio.CancelledError:
            if not task.cancelled():
                raise

    async def __aenter__(self) -> discord.Client:
        await self.start()
        return self.client

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
