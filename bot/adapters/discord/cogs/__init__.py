"""Slash-command cogs, one feature each.

``client.InterviewBot.setup_hook`` loads EVERY module in this package automatically: a new cog
only needs a module here with ``async def setup(bot)``. Modules starting with ``_`` are skipped.
"""
