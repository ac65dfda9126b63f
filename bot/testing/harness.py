"""The bot as a child process, driven through the loopback fake Discord.

:class:`BotProcess` starts ``python -m bot.testing.botproc`` against a running
``tests.fakediscord.FakeDiscord``, waits until it has identified and synced its commands, and
kills it (SIGKILL) or stops it (SIGTERM, collecting its exit report). :func:`fakediscord` imports
the fake, which lives with the tests in the source checkout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakediscord import FakeDiscord

REPO_ROOT = Path(__file__).resolve().parents[2]


def fakediscord() -> ModuleType:
    """The ``tests.fakediscord`` package (the loopback fake Discord).

    It is test code that ships in the repository, not in the installed package: when the
    console script runs from elsewhere, the checkout's root is put on ``sys.path`` first.

    Raises:
        RuntimeError: Not running from a source checkout.
    """
    try:
        import tests.fakediscord as fake
    except ModuleNotFoundError:
        if not (REPO_ROOT / "tests" / "fakediscord" / "__init__.py").is_file():
            raise RuntimeError(
                "this benchmark drives the bot through tests/fakediscord: run it from a "
                "source checkout of interview-bot"
            ) from None
        sys.path.insert(0, str(REPO_ROOT))
        import tests.fakediscord as fake
    return fake


def proc_status_mb(pid: int, field: str) -> float | None:
    """A memory field of ``/proc/<pid>/status`` in MiB (``VmHWM``: peak RSS; ``VmRSS``: now)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)  # reported in kB
    return None


def proc_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of process ``pid`` so far (``/proc/<pid>/stat``)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # After the command name: state is field 3, utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class BotProcess:
    """One run of the bot in a child process.

    Args:
        server: The fake Discord it connects to (running in this process's event loop).
        env: Environment of the child (``DATA_DIR``, ``DATABASE_URL``, ...), on top of ours.
        options: Extra ``botproc`` options (``--embedder hash``, ``--days-offset 3``, ...).
        log_path: Where the child's stderr goes (read back when it fails).
    """

    def __init__(
        self,
        server: FakeDiscord,
        *,
        env: Mapping[str, str],
        options: Sequence[str] = (),
        log_path: Path,
    ) -> None:
        self.server = server
        self.env = {**os.environ, **env}
        self.options = list(options)
        self.log_path = log_path
        self.proc: asyncio.subprocess.Process | None = None
        self._stdout: asyncio.Task[None] | None = None
        self._lines: list[str] = []
        self._new_line = asyncio.Condition()

    @property
    def pid(self) -> int:
        """The child's process id."""
        assert self.proc is not None, "not started"
        return self.proc.pid

    async def start(self, within: float = 120.0) -> BotProcess:
        """Start the child; return once it identified and synced its commands.

        Raises:
            RuntimeError: The child exited first (the message holds its log's tail).
            TimeoutError: It did not become ready ``within`` seconds.
        """
        identified, synced = self.server.identify_count, self.server.sync_count
        cmd = [
            sys.executable,
            "-m",
            "bot.testing.botproc",
            "--base-url",
            self.server.base_url,
            "--token",
            self.server.token,
            *self.options,
        ]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                *cmd,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
                env=self.env,
                cwd=str(REPO_ROOT),
            )
        assert self.proc.stdout is not None
        self._stdout = asyncio.create_task(self._read_stdout(self.proc.stdout))
        exited = asyncio.create_task(self.proc.wait())
        ready = asyncio.create_task(
            self.server.wait_until(
                lambda: self.server.identify_count > identified and self.server.sync_count > synced,
                within=within,
                what="the bot process to connect and sync",
            )
        )
        done, _ = await asyncio.wait({exited, ready}, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            raise RuntimeError(f"the bot process exited early:\n{self.log_tail()}")
        exited.cancel()
        ready.result()
        return self

    async def _read_stdout(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            async with self._new_line:
                self._lines.append(line.decode(errors="replace").strip())
                self._new_line.notify_all()

    async def report(self, within: float = 30.0) -> dict[str, Any]:
        """The running bot's counters now (SIGUSR1 makes it print them)."""
        return await self._ask(signal.SIGUSR1, within)

    async def measure_model(self, within: float = 120.0) -> dict[str, Any]:
        """Time the model alone inside the running bot (SIGUSR2; the bot must be idle)."""
        return await self._ask(signal.SIGUSR2, within)

    async def _ask(self, sig: signal.Signals, within: float) -> dict[str, Any]:
        """Send ``sig``; return the JSON line the bot prints in answer."""
        assert self.proc is not None
        async with self._new_line:
            seen = len(self._lines)
            self.proc.send_signal(sig)
            await asyncio.wait_for(self._new_line.wait_for(lambda: len(self._lines) > seen), within)
            answer: dict[str, Any] = json.loads(self._lines[seen])
        return answer

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind happens in the child."""
        assert self.proc is not None
        if self.proc.returncode is None:
            os.kill(self.proc.pid, signal.SIGKILL)

    async def wait_killed(self) -> None:
        """Reap a killed child."""
        assert self.proc is not None
        await self.proc.wait()
        if self._stdout is not None:
            with contextlib.suppress(Exception):
                await self._stdout

    async def stop(self, within: float = 30.0) -> dict[str, Any]:
        """SIGTERM, wait for a clean exit, return its exit report (peak RSS, batch counters).

        Raises:
            RuntimeError: It did not exit cleanly (the message holds its log's tail).
        """
        assert self.proc is not None
        assert self._stdout is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), within)
        except TimeoutError:
            self.kill()
            await self.proc.wait()
            raise RuntimeError(
                f"the bot did not stop within {within}s:\n{self.log_tail()}"
            ) from None
        await self._stdout
        out = [line for line in self._lines if line]
        if self.proc.returncode != 0 or not out:
            raise RuntimeError(f"the bot exited with {self.proc.returncode}:\n{self.log_tail()}")
        report: dict[str, Any] = json.loads(out[-1])
        return report

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the child's stderr."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])
