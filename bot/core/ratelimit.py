"""Per-member rate limits: a sliding-window log, pure and driven by the caller's clock.

Grading an answer is the bot's one expensive operation (an embedding run on the CPU), so a
member pasting answers in a loop could starve everyone else on the server. The practice service
allows at most ``limit`` graded answers per ``window`` for each (server, member); one more is
refused with the exact wait until the oldest answer in the window ages out.

A sliding-window *log* (the instants of the recent events) rather than a token bucket: with
limits this small (a handful per minute) it costs a few datetimes per active member, and the
wait it reports is exact, so "try again in 12 seconds" is true to the second.

The state lives in memory, per process. That is enough: every interaction of a server reaches
the one process (shard) that owns that server, and a restart forgetting the last minute of
answers is harmless. Nothing here reads a clock: the caller passes ``now`` (from the injected
``Clock``), so tests move time by hand.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta

SWEEP_EVERY = 1024
"""Forget idle keys after this many acquisitions, so memory follows active members only."""


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A limit of ``limit`` events per ``window`` (``limit`` 0: no limit at all).

    Attributes:
        limit: Events allowed per window; 0 disables the limit.
        window: The length of the sliding window.
    """

    limit: int
    window: timedelta

    def __post_init__(self) -> None:
        """Refuse nonsense limits (a programming error, not a member's)."""
        if self.limit < 0:
            raise ValueError("a rate limit cannot be negative")
        if self.window <= timedelta(0):
            raise ValueError("a rate-limit window must be positive")

    @property
    def unlimited(self) -> bool:
        """Whether this limit lets everything through."""
        return self.limit == 0


class SlidingWindowLimiter:
    """At most ``rule.limit`` events per ``rule.window`` for each key.

    ``acquire`` is synchronous and never awaits, so on one event loop the check and the
    recording of an event cannot interleave with another coroutine's: two answers submitted
    at the same instant cannot both take the last slot.
    """

    def __init__(self) -> None:
        """An empty limiter (no key has any event yet)."""
        self._events: dict[Hashable, tuple[deque[datetime], timedelta]] = {}
        self._acquisitions = 0

    def __len__(self) -> int:
        """Keys currently tracked (idle ones are swept away periodically)."""
        return len(self._events)

    def acquire(self, key: Hashable, now: datetime, rule: RateLimit) -> timedelta | None:
        """Record an event for ``key`` at ``now`` if ``rule`` allows it.

        Args:
            key: Whose events (e.g. ``(guild_id, member_id)``).
            now: The current instant (timezone-aware, from the caller's clock).
            rule: The limit to apply.

        Returns:
            None when the event was allowed (and recorded); otherwise how long to wait
            before the next event would be allowed (nothing is recorded).
        """
        if rule.unlimited:
            return None
        self._acquisitions += 1
        if self._acquisitions % SWEEP_EVERY == 0:
            self._sweep(now)
        wait = self.retry_after(key, now, rule)
        if wait is not None:
            return wait
        events, _ = self._events.setdefault(key, (deque(), rule.window))
        events.append(now)
        self._events[key] = (events, rule.window)
        return None

    def retry_after(self, key: Hashable, now: datetime, rule: RateLimit) -> timedelta | None:
        """How long ``key`` must wait for its next event (None: it may go now). Records nothing."""
        if rule.unlimited:
            return None
        entry = self._events.get(key)
        if entry is None:
            return None
        events, _ = entry
        start = now - rule.window
        while events and events[0] <= start:
            events.popleft()
        if len(events) < rule.limit:
            return None
        # The event that frees a slot is the one ``limit`` places before the end of the log
        # (the log may hold more than ``limit`` events if the limit was lowered meanwhile).
        freeing = events[len(events) - rule.limit]
        wait = freeing + rule.window - now
        # A clock that stepped backwards must not promise a wait longer than one window.
        return min(max(wait, timedelta(0)), rule.window)

    def _sweep(self, now: datetime) -> None:
        """Drop keys whose every event is older than their window."""
        idle = [
            key
            for key, (events, window) in self._events.items()
            if not events or events[-1] <= now - window
        ]
        for key in idle:
            del self._events[key]
