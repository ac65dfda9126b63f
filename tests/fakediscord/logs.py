"""Collect ERROR records from discord.py (and named loggers) so a test fails on them.

discord.py only *logs* exceptions raised inside app commands, buttons, modals and event
handlers, so a broken handler would otherwise look like a bot that merely stayed silent.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections.abc import Callable, Iterable


class BotLoggedError(AssertionError):
    """The bot under test logged an ERROR record (a handler raised, a task crashed, …)."""


class ErrorLogCollector(logging.Handler):
    """A logging handler that keeps ERROR (and worse) records from the watched loggers."""

    def __init__(self, loggers: Iterable[str] = ("discord",), level: int = logging.ERROR) -> None:
        super().__init__(level)
        self.logger_names: tuple[str, ...] = tuple(dict.fromkeys(loggers))
        self.records: list[logging.LogRecord] = []
        self._allowed: list[re.Pattern[str]] = []
        self._listeners: list[Callable[[logging.LogRecord], None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.get_ident()
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def install(self) -> ErrorLogCollector:
        """Attach to every watched logger (records of child loggers propagate up to it)."""
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        self._thread = threading.get_ident()
        for name in self.logger_names:
            logging.getLogger(name).addHandler(self)
        return self

    def uninstall(self) -> None:
        """Detach from the watched loggers."""
        for name in self.logger_names:
            logging.getLogger(name).removeHandler(self)

    def watch(self, *names: str) -> None:
        """Also collect errors from these loggers (e.g. the bot's own ``"bot"``)."""
        for name in names:
            if name not in self.logger_names:
                self.logger_names += (name,)
                logging.getLogger(name).addHandler(self)

    def allow(self, pattern: str) -> None:
        """Treat records whose formatted text matches this regex as expected."""
        self._allowed.append(re.compile(pattern))

    def subscribe(self, listener: Callable[[logging.LogRecord], None]) -> None:
        """Call ``listener`` (on the event loop's thread) for each unexpected record."""
        self._listeners.append(listener)

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record (called by logging, from any thread)."""
        record.fakediscord_text = self.format(record)
        self.records.append(record)
        if self.is_allowed(record):
            return
        for listener in self._listeners:
            if self._loop is not None and threading.get_ident() != self._thread:
                self._loop.call_soon_threadsafe(listener, record)
            else:
                listener(record)

    def is_allowed(self, record: logging.LogRecord) -> bool:
        """Whether an :meth:`allow` pattern covers this record."""
        text = self.text(record)
        return any(p.search(text) for p in self._allowed)

    def unexpected(self) -> list[logging.LogRecord]:
        """The records no :meth:`allow` pattern covers."""
        return [r for r in self.records if not self.is_allowed(r)]

    def clear(self) -> None:
        """Forget every record so far (after a test asserted on an expected error)."""
        self.records.clear()

    @staticmethod
    def text(record: logging.LogRecord) -> str:
        """The record formatted with its traceback."""
        return str(getattr(record, "fakediscord_text", record.getMessage()))

    def report(self, records: Iterable[logging.LogRecord] | None = None) -> str:
        """A readable report of the (unexpected) records."""
        chosen = self.unexpected() if records is None else list(records)
        return "\n\n".join(self.text(r) for r in chosen)

    def assert_clean(self) -> None:
        """Raise :class:`BotLoggedError` if any unexpected ERROR record was logged."""
        bad = self.unexpected()
        if bad:
            raise BotLoggedError(f"the bot logged {len(bad)} error(s):\n{self.report(bad)}")
