"""Question catalogs and the policies that choose a question.

``StaticCatalog`` serves an in-memory bank (the shipped questions from ``bot.bank``);
``CompositeCatalog`` stacks catalogs (shipped + a server's own, from the store) so the
composition root decides what is visible without the service knowing where questions live.
The pickers are pure: practice avoids what the member saw recently, the daily avoids what the
server had recently and is chosen deterministically from (server, date) so two processes that
race to post the same daily agree on it.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime

from bot.core.models import Difficulty, Question
from bot.core.ports import QuestionCatalog


class StaticCatalog:
    """A fixed set of questions: shipped ones (``guild_id`` None) are visible everywhere."""

    def __init__(self, questions: Iterable[Question]) -> None:
        """Index ``questions`` by id (later duplicates are ignored)."""
        self._by_id: dict[str, Question] = {}
        for q in questions:
            self._by_id.setdefault(q.id, q)

    async def questions(self, guild_id: int) -> Sequence[Question]:
        """Questions visible in ``guild_id``."""
        return [q for q in self._by_id.values() if q.guild_id in (None, guild_id)]

    async def get(self, guild_id: int, question_id: str) -> Question | None:
        """The question if visible in ``guild_id``."""
        q = self._by_id.get(question_id)
        return q if q is not None and q.guild_id in (None, guild_id) else None


class CompositeCatalog:
    """Several catalogs seen as one; on an id clash the earlier catalog wins."""

    def __init__(self, *parts: QuestionCatalog) -> None:
        """Stack ``parts`` in priority order."""
        self._parts = parts

    async def questions(self, guild_id: int) -> Sequence[Question]:
        """The union of the parts' questions, first part winning on duplicate ids."""
        seen: dict[str, Question] = {}
        for part in self._parts:
            for q in await part.questions(guild_id):
                seen.setdefault(q.id, q)
        return list(seen.values())

    async def get(self, guild_id: int, question_id: str) -> Question | None:
        """The question from the first part that has it."""
        for part in self._parts:
            q = await part.get(guild_id, question_id)
            if q is not None:
                return q
        return None


def matching(
    questions: Iterable[Question],
    topics: Iterable[str] = (),
    difficulty: Difficulty | None = None,
) -> list[Question]:
    """Questions in any of ``topics`` (all when empty) at ``difficulty`` (any when None)."""
    wanted = set(topics)
    return sorted(
        (
            q
            for q in questions
            if (not wanted or q.topic in wanted)
            and (difficulty is None or q.difficulty == difficulty)
        ),
        key=lambda q: q.id,
    )


def pick_question(
    candidates: Sequence[Question],
    last_seen: Mapping[str, datetime],
    rng: random.Random,
) -> Question | None:
    """A random question the member has not seen recently.

    When everything matching was seen recently, the one seen longest ago comes back first.
    """
    if not candidates:
        return None
    fresh = [q for q in candidates if q.id not in last_seen]
    if fresh:
        return rng.choice(fresh)
    return min(candidates, key=lambda q: (last_seen[q.id], q.id))


def pick_daily(
    candidates: Sequence[Question],
    last_used: Mapping[str, date],
    guild_id: int,
    day: date,
) -> Question | None:
    """The daily question of ``guild_id`` on ``day``: unused recently, chosen stably.

    Args:
        candidates: Questions matching the server's daily topics and difficulty.
        last_used: When each question was last a daily, within the no-repeat window.
        guild_id: The server (part of the stable choice).
        day: The daily's local date (part of the stable choice).
    """
    if not candidates:
        return None
    pool = sorted((q for q in candidates if q.id not in last_used), key=lambda q: q.id)
    if not pool:
        return min(candidates, key=lambda q: (last_used[q.id], q.id))
    digest = hashlib.sha256(f"{guild_id}:{day.isoformat()}".encode()).digest()
    return pool[int.from_bytes(digest[:8], "big") % len(pool)]
