"""Faults while members answer: the bot recovers, nobody meets silence, nothing is lost or doubled.

Each fault is real, not a mock: the fake Discord drops the gateway websocket or answers REST
with 429 (as Discord does); another connection holds an exclusive SQLite lock; a TCP proxy in
front of the real PostgreSQL stops accepting (connection refused) and cuts live connections; a
real ``chroma run`` server is stopped. The answer is checked by its interaction id, the
idempotency key, in the database. Any ERROR logged by the bot fails a test: a dependency that is
briefly down is not a bug, so it is logged as a WARNING and the member is told to try again,
with their answer shown back.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from bot.adapters.discord.client import BotDeps, create_bot
from bot.app import build_grader, build_service
from bot.bank import Bank, check_bank
from bot.config import Settings
from bot.core.models import Grade, Question
from bot.store import engine as store_engine
from bot.store import open_store
from bot.store.sql import SqlStore
from tests.adapters.discord.conftest import World, run_slash
from tests.fakediscord import FakeDiscord, FakeMember, FakeMessage
from tests.fakediscord.fixtures import StartBot
from tests.fakediscord.interactions import FakeInteraction
from tests.fakes import FakeClock, FakeGrader
from tests.ingest.conftest import NOTE, QUESTIONS, write
from tests.store.conftest import PG_URL

ANSWER = "term0 is the first point. term1 is the second."
TRY_AGAIN = "Please try again"


class HeldGrader(FakeGrader):
    """``FakeGrader`` that, once armed, holds the next grade until the test releases it."""

    def __init__(self) -> None:
        super().__init__()
        self.armed = False
        self.entered = threading.Event()
        self.release = threading.Event()

    def grade(self, question: Question, answer: str) -> Grade:
        if self.armed:
            self.armed = False
            self.entered.set()
            assert self.release.wait(30), "the test never released the grade"
        return super().grade(question, answer)


@pytest.fixture
def grader() -> HeldGrader:
    """The grader of the adapter suite's ``deps`` (used by every bot in this module)."""
    return HeldGrader()


async def until(predicate: object, what: str, within: float = 30.0) -> None:
    """Wait for another thread's progress (bounded)."""
    assert callable(predicate)
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.005)


async def open_answer_box(
    server: FakeDiscord, member: FakeMember, question: FakeMessage
) -> FakeInteraction:
    """``member`` presses Answer under ``question``; returns the click (its modal is open)."""
    click = await server.click(member, question, label="Answer")
    await click.modal()
    return click


async def attempts_with_key(store: SqlStore, world: World, member: FakeMember, key: int) -> int:
    """How many attempts the database holds for this interaction id (0 or 1)."""
    found = await store.find_attempt(world.guild.id, member.id, str(key))
    return 0 if found is None else 1


def assert_try_again(reply: FakeMessage, answer: str) -> None:
    """The member was told to try again, with their answer to paste back."""
    assert reply.ephemeral
    embed = reply.embed
    assert embed["title"] == TRY_AGAIN
    assert "try again in a minute" in embed["description"]
    assert answer.split(".")[0] in embed["description"].replace("\\", "")


# -- Discord faults -----------------------------------------------------------------------------


async def test_a_gateway_drop_during_a_grade_loses_nothing(
    world: World, bot: object, deps: BotDeps, grader: HeldGrader
) -> None:
    server = world.server
    question = await run_slash(server, world.alice, world.channel, "practice")
    click = await open_answer_box(server, world.alice, question)
    grader.armed = True
    submit = await server.submit_modal(world.alice, click, values={"answer": ANSWER})
    assert (await submit.wait_callback()).type == 5  # deferred: "thinking..."
    await until(grader.entered.is_set, "the grade to start")

    await server.drop_gateway()
    # A command sent while the bot is disconnected is replayed when it RESUMEs.
    during = await server.slash(world.bob, world.channel, "practice")
    grader.release.set()
    graded = await submit.response(within=30)
    await server.wait_for_resume(1, within=30)
    bob_question = await during.response(within=30)

    assert graded.embed["title"].startswith("Your grade")
    assert len(submit.followups) == 1
    assert bob_question.component(label="Answer")
    assert server.identify_count == 1  # resumed, not a new session
    assert await attempts_with_key(deps.store, world, world.alice, submit.id) == 1


async def test_a_429_on_the_followup_is_retried_and_the_grade_delivered_once(
    world: World, bot: object, deps: BotDeps
) -> None:
    server = world.server
    question = await run_slash(server, world.alice, world.channel, "practice")
    click = await open_answer_box(server, world.alice, question)
    rule = server.inject_429("POST", "/webhooks/*", times=2, retry_after=0.05)
    submit = await server.submit_modal(world.alice, click, values={"answer": ANSWER})
    graded = await submit.response(within=30)

    assert rule.hits == 2  # refused twice, delivered on the third try
    assert graded.embed["title"].startswith("Your grade")
    assert len(submit.followups) == 1
    assert len(server.requests_to("POST", f"/webhooks/*/{submit.token}")) == 3
    assert await attempts_with_key(deps.store, world, world.alice, submit.id) == 1


# -- SQLite locked by another connection ----------------------------------------------------------


@contextlib.contextmanager
def exclusive_lock(db: Path) -> Iterator[threading.Event]:
    """Another connection holds ``BEGIN EXCLUSIVE`` on ``db`` until the yielded event is set."""
    held, done = threading.Event(), threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(db, isolation_level=None, timeout=30)
        try:
            conn.execute("BEGIN EXCLUSIVE")
            held.set()
            done.wait(60)
            conn.execute("ROLLBACK")
        finally:
            conn.close()

    thread = threading.Thread(target=hold, name="sqlite-locker")
    thread.start()
    assert held.wait(30), "could not take the lock"
    try:
        yield done
    finally:
        done.set()
        thread.join(30)


async def test_a_briefly_locked_sqlite_database_delays_the_answer_without_failing_it(
    world: World, bot: object, deps: BotDeps, settings: Settings
) -> None:
    server = world.server
    question = await run_slash(server, world.alice, world.channel, "practice")
    click = await open_answer_box(server, world.alice, question)
    with exclusive_lock(settings.data_dir / "interview-bot.db") as unlock:
        submit = await server.submit_modal(world.alice, click, values={"answer": ANSWER})
        await submit.wait_callback()
        # The write waits for the lock (busy timeout), it does not fail.
        await asyncio.sleep(0.3)
        assert submit.original is not None and submit.original.loading
        unlock.set()
    graded = await submit.response(within=30)
    assert graded.embed["title"].startswith("Your grade")
    assert await attempts_with_key(deps.store, world, world.alice, submit.id) == 1


async def test_sqlite_locked_past_the_busy_timeout_tells_the_member_and_a_retry_succeeds(
    world: World, bot: object, deps: BotDeps, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Waiting 10 s (the production busy timeout) would be slow: new connections wait 0.2 s.
    monkeypatch.setattr(store_engine, "SQLITE_BUSY_TIMEOUT_MS", 200)
    await deps.store.engine.dispose()
    server = world.server
    question = await run_slash(server, world.alice, world.channel, "practice")
    click = await open_answer_box(server, world.alice, question)
    with exclusive_lock(settings.data_dir / "interview-bot.db"):
        failed = await server.submit_modal(world.alice, click, values={"answer": ANSWER})
        reply = await failed.response(within=30)
    assert_try_again(reply, ANSWER)
    assert await attempts_with_key(deps.store, world, world.alice, failed.id) == 0

    retry_click = await open_answer_box(server, world.alice, question)
    retry = await server.submit_modal(world.alice, retry_click, values={"answer": ANSWER})
    assert (await retry.response(within=30)).embed["title"].startswith("Your grade")
    assert await attempts_with_key(deps.store, world, world.alice, retry.id) == 1
    assert await attempts_with_key(deps.store, world, world.alice, failed.id) == 0


# -- PostgreSQL refusing connections ------------------------------------------------------------


class TcpProxy:
    """A loopback TCP proxy to PostgreSQL that can stop (refuse, cut) and start again."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        """Listen (on the same port as before, if it had one)."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Refuse new connections and cut every live one (as a crashed server would)."""
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update({writer, up_writer})

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.IncompleteReadError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@pytest.fixture
async def pg_through_proxy() -> AsyncIterator[tuple[TcpProxy, SqlStore]]:
    """A store in a fresh PostgreSQL schema, reached through a :class:`TcpProxy`."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://"))
    await admin.execute(f'CREATE SCHEMA "{schema}"')
    proxy = TcpProxy(5432)
    await proxy.start()
    url = PG_URL.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    store = await open_store(url, schema=schema)
    try:
        yield proxy, store
    finally:
        await store.close()
        with contextlib.suppress(Exception):
            await proxy.stop()
        await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await admin.close()


async def test_postgresql_refusing_connections_tells_the_member_and_a_retry_succeeds(
    world: World,
    start_bot: StartBot,
    settings: Settings,
    bank: Bank,
    grader: HeldGrader,
    pg_through_proxy: tuple[TcpProxy, SqlStore],
) -> None:
    proxy, store = pg_through_proxy
    clock = FakeClock()
    service, _ = await build_service(settings, grader=grader, clock=clock, store=store, bank=bank)
    deps = BotDeps(settings=settings, service=service, store=store, clock=clock)
    await start_bot(create_bot(settings, deps, guild_ready_timeout=0.05))
    server = world.server
    question = await run_slash(server, world.alice, world.channel, "practice")
    click = await open_answer_box(server, world.alice, question)

    await proxy.stop()  # PostgreSQL is unreachable: refused, and pooled connections cut
    failed = await server.submit_modal(world.alice, click, values={"answer": ANSWER})
    assert_try_again(await failed.response(within=30), ANSWER)

    await proxy.start()  # back: the pool reconnects on its own (pre-ping)
    retry_click = await open_answer_box(server, world.alice, question)
    retry = await server.submit_modal(world.alice, retry_click, values={"answer": ANSWER})
    assert (await retry.response(within=30)).embed["title"].startswith("Your grade")
    assert await attempts_with_key(store, world, world.alice, retry.id) == 1
    assert await attempts_with_key(store, world, world.alice, failed.id) == 0


# -- A Chroma server that is down ---------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ChromaServer:
    """``chroma run`` on a fixed loopback port and directory; stop and start it again."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start and wait until it accepts connections."""
        chroma = Path(sys.executable).with_name("chroma")
        self.process = subprocess.Popen(
            [str(chroma), "run", "--path", str(self.path), "--host", "127.0.0.1",
             "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={"ANONYMIZED_TELEMETRY": "False", "PATH": "/usr/bin:/bin"},
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            assert self.process.poll() is None, "chroma server exited"
            time.sleep(0.1)
        pytest.fail("chroma server did not start in 60 s")

    def stop(self) -> None:
        """Stop it (its data stays on disk)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


async def test_a_chroma_server_that_is_down_tells_the_member_and_a_retry_succeeds(
    world: World, start_bot: StartBot, tmp_path: Path, embedder: object
) -> None:
    from ingest.cli import ingest

    root = tmp_path / "knowledge"
    write(root / "notes" / "overfitting-basics.md", NOTE)
    write(root / "questions" / "basics.yaml", QUESTIONS)
    chroma = ChromaServer(tmp_path / "chroma-server")
    chroma.start()
    try:
        settings = Settings(
            data_dir=tmp_path / "data",
            knowledge_dir=root,
            chroma_host="127.0.0.1",
            chroma_port=chroma.port,
            _env_file=None,
        )
        assert ingest(settings, []).chunks > 0
        bank, _ = check_bank(root, strict=False)
        clock = FakeClock()
        service, store = await build_service(
            settings, grader=build_grader(settings), clock=clock, bank=bank
        )
        try:
            deps = BotDeps(settings=settings, service=service, store=store, clock=clock)
            await start_bot(create_bot(settings, deps, guild_ready_timeout=0.05))
            server = world.server
            question = await run_slash(server, world.alice, world.channel, "practice")
            click = await open_answer_box(server, world.alice, question)
            answer = "Overfitting: the model memorises noise in the training data."

            await asyncio.to_thread(chroma.stop)  # the rubric cannot be read now
            failed = await server.submit_modal(world.alice, click, values={"answer": answer})
            assert_try_again(await failed.response(within=60), answer)

            await asyncio.to_thread(chroma.start)
            retry_click = await open_answer_box(server, world.alice, question)
            retry = await server.submit_modal(world.alice, retry_click, values={"answer": answer})
            assert (await retry.response(within=60)).embed["title"].startswith("Your grade")
            assert await attempts_with_key(store, world, world.alice, retry.id) == 1
            assert await attempts_with_key(store, world, world.alice, failed.id) == 0
        finally:
            await store.close()
    finally:
        chroma.stop()


# -- what counts as "briefly unavailable" -------------------------------------------------------


def _wrapped(inner: BaseException) -> BaseException:
    """``inner`` as SQLAlchemy raises it (a wrapper with ``orig`` and a cause)."""
    import sqlalchemy.exc

    outer = sqlalchemy.exc.OperationalError("SELECT 1", {}, inner)
    outer.__cause__ = inner
    return outer


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (_wrapped(sqlite3.OperationalError("database is locked")), True),
        (ConnectionRefusedError(111, "Connect call failed"), True),
        (TimeoutError(), True),
        (_wrapped(sqlite3.OperationalError("no such table: attempts")), False),
        (ValueError("a bug"), False),
        (KeyError("also a bug"), False),
    ],
)
def test_only_unreachable_storage_counts_as_unavailable(
    error: BaseException, unavailable: bool
) -> None:
    from bot.adapters.unavailable import is_unavailable

    assert is_unavailable(error) is unavailable


def test_the_try_again_message_shows_any_answer_back_within_discord_limits() -> None:
    from bot.adapters.discord.render.errors import unavailable

    answer = "@everyone <@123> **bold** ```code``` " + "long answer " * 400
    embed = unavailable("abc123", answer).embeds[0].to_dict()
    assert len(embed["description"]) <= 4096
    assert "abc123" in embed["description"]
    assert "@everyone" not in embed["description"].replace("@\u200beveryone", "")
    assert "\\*\\*bold\\*\\*" in embed["description"]
