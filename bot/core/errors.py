"""Domain errors raised by the practice engine.

Front-ends catch ``PracticeError`` and render its ``code`` (all wording lives in the adapters'
render modules), so every error carries a stable machine-readable code and the facts needed to
phrase it; the message is for logs only.
"""

from __future__ import annotations


class PracticeError(Exception):
    """Base class: something the member or admin asked for cannot be done.

    Attributes:
        code: Stable identifier a render module maps to user-facing wording.
        details: Facts for the wording (names, ids, limits).
    """

    code = "practice_error"

    def __init__(self, message: str = "", **details: object) -> None:
        """Build the error with a log message and the details the wording needs."""
        super().__init__(message or self.code)
        self.details: dict[str, object] = details


class QuestionNotFoundError(PracticeError):
    """No question with that id is visible in this server."""

    code = "question_not_found"


class NoQuestionAvailableError(PracticeError):
    """No question matches the requested topic/difficulty in this server."""

    code = "no_question"


class InvalidSettingError(PracticeError):
    """A server or member setting was given an invalid value."""

    code = "invalid_setting"


class DailyNotFoundError(PracticeError):
    """There is no daily question for that server and date."""

    code = "daily_not_found"


class DailyMismatchError(PracticeError):
    """The submission names a daily date whose question is a different one."""

    code = "daily_mismatch"


class DailyNotOpenError(PracticeError):
    """The daily question has not been posted yet."""

    code = "daily_not_open"


class RateLimitedError(PracticeError):
    """The member sent more graded answers than the server allows per window.

    Details: ``retry_after`` (seconds, float), ``wait_seconds`` (the same, rounded up to a
    whole second, at least 1), ``limit`` (answers per window) and ``window_seconds``.
    """

    code = "rate_limited"

    @property
    def retry_after(self) -> float:
        """Seconds to wait before the next answer can be graded."""
        value = self.details.get("retry_after", 0.0)
        return float(value) if isinstance(value, int | float) else 0.0


class GroupError(PracticeError):
    """Base class of study-group errors."""

    code = "group_error"


class GroupNotFoundError(GroupError):
    """No group with that name (or id) in this server."""

    code = "group_not_found"


class GroupNameTakenError(GroupError):
    """Another group in this server already has that name."""

    code = "group_name_taken"


class InvalidGroupNameError(GroupError):
    """The name is empty, too long or made of unusable characters."""

    code = "group_name_invalid"


class AlreadyInGroupError(GroupError):
    """The member already belongs to a group in this server (at most one per server)."""

    code = "already_in_group"


class NotInGroupError(GroupError):
    """The member belongs to no group in this server."""

    code = "not_in_group"


class NotAllowedError(GroupError):
    """Only the group's creator or a server admin may do that."""

    code = "not_allowed"


class DuplicateSubmissionError(Exception):
    """Raised by a store when a submission's idempotency key was already recorded."""


class DailyAlreadyScoredError(Exception):
    """Raised by a store when a member already has a scored attempt at that daily."""
