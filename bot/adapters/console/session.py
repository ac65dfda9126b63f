"""The interactive terminal session: ask, read a multi-line answer, grade, offer next steps.

Input comes from a ``read_line`` callable (``input`` in a terminal, a scripted list in tests)
that raises ``EOFError`` at the end of input; it runs in a worker thread so the event loop
stays free while the user types. Output goes to a ``rich`` console.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

from rich.console import Console

from bot.adapters.console import render
from bot.core.errors import PracticeError, RateLimitedError
from bot.core.leaderboard import Scope
from bot.core.models import Difficulty
from bot.core.practice import AskResult, PracticeService, Submission
from bot.core.schedule import Period

CONSOLE_GUILD_ID = 0
"""The local "server" of the terminal (Discord snowflakes are never 0)."""
CONSOLE_MEMBER_ID = 0
"""The local member of the terminal."""

END_OF_ANSWER = "."


class _QuitError(Exception):
    """The user asked to leave."""


class ConsoleSession:
    """A practice session for the local member.

    Args:
        service: The practice service.
        console: Where to print.
        read_line: Returns the next input line (without newline); raises ``EOFError`` at end.
        topic: Restrict questions to a topic.
        difficulty: Restrict questions to a difficulty.
        guild_id: The local server id.
        member_id: The local member id.
        new_key: Makes an idempotency key per answer.
    """

    def __init__(
        self,
        service: PracticeService,
        console: Console,
        read_line: Callable[[str], str] = input,
        *,
        topic: str | None = None,
        difficulty: Difficulty | None = None,
        guild_id: int = CONSOLE_GUILD_ID,
        member_id: int = CONSOLE_MEMBER_ID,
        new_key: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        """Set the session up; nothing happens until ``run``."""
        self._service = service
        self._console = console
        self._read_line = read_line
        self._topic = topic
        self._difficulty = difficulty
        self._guild = guild_id
        self._member = member_id
        self._new_key = new_key

    async def _read(self, prompt: str) -> str:
        self._console.print(prompt, end="", markup=False, highlight=False)
        return await asyncio.to_thread(self._read_line, "")

    async def run(self, question_id: str | None = None) -> int:
        """Run until the user quits or input ends; returns the exit code."""
        self._console.print(render.WELCOME)
        try:
            next_ask: AskResult | None = None
            if question_id is not None:
                next_ask = await self._service.ask_question(self._guild, self._member, question_id)
            while True:
                ask = next_ask or await self._service.ask(
                    self._guild, self._member, self._topic, self._difficulty
                )
                next_ask = await self._practise(ask)
        except _QuitError:
            pass
        except PracticeError as exc:
            self._console.print(render.error_text(exc))
            return 1
        self._console.print(render.GOODBYE)
        return 0

    async def _practise(self, ask: AskResult) -> AskResult | None:
        """One question; returns a question to ask next (review) or None for a new one."""
        q = ask.question
        self._console.print(render.question_panel(ask))
        self._console.print(render.ANSWER_HELP)
        answer = await self._read_answer(ask)
        if answer is None:
            self._console.print(render.SKIPPED)
            return None
        self._console.print(render.GRADING)
        while True:
            try:
                outcome = await self._service.submit_answer(
                    Submission(self._guild, self._member, q.id, answer, self._new_key())
                )
                break
            except RateLimitedError as exc:
                # Keep the typed answer: say how long to wait and let the user resubmit it.
                self._console.print(render.error_text(exc))
                try:
                    retry = (await self._read(render.RATE_LIMITED_RETRY + " ")).strip().lower()
                except EOFError:
                    raise _QuitError() from None
                if retry in {"/skip", "skip"}:
                    return None
                if retry in {"/quit", "quit"}:
                    raise _QuitError() from None
        self._console.print(render.outcome_panel(outcome))
        follow_ups = 0
        while True:
            try:
                choice = (await self._read(render.MENU_PROMPT)).strip().lower()
            except EOFError:
                raise _QuitError() from None
            command, _, arg = choice.partition(" ")
            if command in {"", "?", "help"}:
                self._console.print(render.MENU)
            elif command in {"n", "next"}:
                return None
            elif command in {"q", "quit", "exit"}:
                raise _QuitError()
            elif command in {"h", "hint"}:
                hint = await self._service.hint(self._guild, self._member, q.id)
                self._console.print(render.hint_text(hint))
            elif command in {"m", "model", "reveal"}:
                reveal = await self._service.reveal(self._guild, self._member, q.id)
                self._console.print(render.reveal_panel(reveal))
            elif command in {"f", "follow-up", "followup"}:
                text = await self._service.follow_up(self._guild, q.id, follow_ups)
                follow_ups += 1
                self._console.print(render.follow_up_text(text))
            elif command in {"s", "stats"}:
                stats = await self._service.member_stats(self._guild, self._member)
                self._console.print(render.stats_panel(stats))
            elif command in {"l", "leaderboard", "board"}:
                await self._board(arg)
            elif command in {"r", "review"}:
                due = await self._service.review_next(self._guild, self._member)
                if due is None:
                    self._console.print(render.NO_REVIEW_DUE)
                else:
                    return due
            else:
                self._console.print(render.UNKNOWN_CHOICE.format(choice=choice), markup=False)
                self._console.print(render.MENU)

    async def _board(self, arg: str) -> None:
        period, scope = Period.WEEK, Scope.MEMBERS
        for word in arg.split():
            if word in {"groups", "group"}:
                scope = Scope.GROUPS
            elif word in {p.value for p in Period}:
                period = Period(word)
            elif word == "all-time":
                period = Period.ALL_TIME
        standings = await self._service.standings(
            self._guild, period, scope, viewer_id=self._member
        )
        self._console.print(render.standings_table(standings, you=self._member))

    async def _read_answer(self, ask: AskResult) -> str | None:
        """Read lines until ``.`` or end of input; handle /commands given before the text."""
        lines: list[str] = []
        q = ask.question
        while True:
            try:
                line = await self._read(render.ANSWER_PROMPT)
            except EOFError:
                if not lines:
                    raise _QuitError() from None
                break
            if line.strip() == END_OF_ANSWER:
                if lines and any(x.strip() for x in lines):
                    break
                self._console.print(render.EMPTY_ANSWER)
                continue
            if not lines and line.startswith("/"):
                command = line.strip().lower()
                if command == "/hint":
                    hint = await self._service.hint(self._guild, self._member, q.id)
                    self._console.print(render.hint_text(hint))
                elif command == "/reveal":
                    reveal = await self._service.reveal(self._guild, self._member, q.id)
                    self._console.print(render.reveal_panel(reveal))
                elif command == "/skip":
                    return None
                elif command == "/quit":
                    raise _QuitError()
                else:
                    self._console.print(render.ANSWER_HELP)
                continue
            lines.append(line)
        return "\n".join(lines).strip("\n")


async def grade_once(
    service: PracticeService,
    question_id: str,
    answer: str,
    *,
    key: str | None = None,
    guild_id: int = CONSOLE_GUILD_ID,
    member_id: int = CONSOLE_MEMBER_ID,
) -> dict[str, object]:
    """Grade one answer non-interactively; returns the ``--json`` object.

    A ``PracticeError`` becomes ``{"error": code, "message": ...}``.
    """
    try:
        outcome = await service.submit_answer(
            Submission(guild_id, member_id, question_id, answer, key or uuid.uuid4().hex)
        )
    except PracticeError as exc:
        return render.error_json(exc)
    return render.outcome_json(outcome)
