"""A loopback fake Discord (REST + Gateway) for end-to-end tests of an unmodified discord.py bot.

See README.md in this folder. The main names::

    server = FakeDiscord(); await server.start()
    with patch_discord(server):
        async with RunningBot(server, bot):
            interaction = await server.slash(alice, channel, "practice", {"topic": "rnn"})
            reply = await interaction.response()
"""

from .gateway import FakeGateway, GatewayConnection, GatewaySession
from .harness import RunningBot, patch_discord
from .interactions import CallbackRecord, CommandNotPermittedError, FakeInteraction, FakeModal
from .logs import BotLoggedError, ErrorLogCollector
from .models import (
    FakeAttachment,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeMessage,
    FakeRole,
    FakeUser,
)
from .rest import RateLimitRule, RecordedRequest
from .server import FakeDiscord

__all__ = [
    "BotLoggedError",
    "CallbackRecord",
    "CommandNotPermittedError",
    "ErrorLogCollector",
    "FakeAttachment",
    "FakeChannel",
    "FakeDiscord",
    "FakeGateway",
    "FakeGuild",
    "FakeInteraction",
    "FakeMember",
    "FakeMessage",
    "FakeModal",
    "FakeRole",
    "FakeUser",
    "GatewayConnection",
    "GatewaySession",
    "RateLimitRule",
    "RecordedRequest",
    "RunningBot",
    "patch_discord",
]
