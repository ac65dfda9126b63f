"""pytest fixtures for end-to-end tests against the fake Discord.

Make them available with ``pytest_plugins = ["tests.fakediscord.fixtures"]`` in the root
``tests/conftest.py`` (or import the fixtures into a test module / a package conftest).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from typing import Any

import discord
import pytest

from .harness import RunningBot, patch_discord
from .logs import ErrorLogCollector
from .server import FakeDiscord

StartBot = Callable[..., Awaitable[RunningBot]]


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Generator[None, object, object]:
    """Fail the test itself (not only its teardown) if the bot logged an error meanwhile."""
    result = yield
    server = pyfuncitem.funcargs.get("fake_discord")
    if isinstance(server, FakeDiscord) and server.errors is not None and server.errors.unexpected():
        report = server.errors.report()
        server.errors.clear()  # reported here; teardown reports only later errors
        pytest.fail(f"the bot logged errors:\n{report}", pytrace=False)
    return result


@pytest.fixture
def fakediscord_error_loggers() -> tuple[str, ...]:
    """Loggers whose ERROR records fail the test; override to add e.g. ``"bot"``."""
    return ("discord",)


@pytest.fixture
def fakediscord_options() -> dict[str, Any]:
    """Keyword arguments for :class:`FakeDiscord`; override to change e.g. heartbeat_interval."""
    return {}


@pytest.fixture
async def fake_discord(
    fakediscord_error_loggers: tuple[str, ...], fakediscord_options: dict[str, Any]
) -> AsyncIterator[FakeDiscord]:
    """A started fake Discord with discord.py patched to use it.

    ERROR records from the watched loggers fail the test (waits fail fast on them too);
    call ``fake_discord.errors.allow(regex)`` or ``.clear()`` for an error a test expects.
    """
    # The fake's own failures (aiohttp.server, fakediscord) fail the test as well.
    loggers = (*fakediscord_error_loggers, "aiohttp.server", "fakediscord")
    collector = ErrorLogCollector(loggers).install()
    server = FakeDiscord(**fakediscord_options)
    server.watch_errors(collector)
    await server.start()
    try:
        with patch_discord(server):
            yield server
    finally:
        await server.stop()
        collector.uninstall()
    if collector.unexpected():
        pytest.fail(f"the bot logged errors:\n{collector.report()}", pytrace=False)


@pytest.fixture
async def start_bot(fake_discord: FakeDiscord) -> AsyncIterator[StartBot]:
    """``await start_bot(bot)`` starts a Client/Bot, waits for READY and command sync.

    Returns the :class:`RunningBot` (``.client``, ``await .stop()``); every bot still running
    is closed cleanly at teardown, before the error log is checked.
    """
    async with contextlib.AsyncExitStack() as stack:

        async def _start(client: discord.Client, **kwargs: Any) -> RunningBot:
            runner = RunningBot(fake_discord, client, **kwargs)
            stack.push_async_callback(runner.stop)
            return await runner.start()

        yield _start
