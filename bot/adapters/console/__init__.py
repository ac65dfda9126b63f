"""The terminal front-end: interview practice over ``PracticeService`` with ``rich``.

The console plays as one fixed local member of one fixed local server
(``CONSOLE_GUILD_ID`` / ``CONSOLE_MEMBER_ID``, both 0), so its history, streak and review
queue live in the same database as the Discord bot's without colliding with real snowflakes.
"""

from bot.adapters.console.session import CONSOLE_GUILD_ID, CONSOLE_MEMBER_ID, ConsoleSession

__all__ = ["CONSOLE_GUILD_ID", "CONSOLE_MEMBER_ID", "ConsoleSession"]
