"""The real clock (the ``Clock`` port's production implementation)."""

from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    """Reads the system clock; always returns timezone-aware UTC."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        return datetime.now(UTC)
