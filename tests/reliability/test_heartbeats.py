"""The event loop never blocks while answers are graded: gateway heartbeats keep flowing.

discord.py sends each heartbeat from the event loop (its keep-alive thread only schedules it),
so a loop blocked by grading shows up at the fake Discord as a gap between heartbeats longer
than the interval. The check is relative: no gap may exceed the interval by more than one
interval of slack, during a window that spans several intervals by construction. A control
test shows the same check catches a loop that does block.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.discord.client import BotDeps, create_bot
from bot.app import build_retriever, build_service, install_worker_pool
from bot.bank import check_bank
from bot.config import Settings
from bot.core import practice
from bot.core.grading import EmbeddingGrader, load_params
from bot.core.models import Grade, Question
from bot.retrieval.batching import BatchingEmbedder
from bot.retrieval.embeddings import SentenceEmbedder
from bot.testing.embedders import GatedEmbedder
from bot.testing.load import problems, run_load
from ingest.cli import ingest
from tests.adapters.discord.conftest import BotFactory, World, answer_question, run_slash
from tests.fakediscord import FakeDiscord
from tests.fakediscord.fixtures import StartBot
from tests.fakes import FakeClock, FakeGrader
from tests.ingest.conftest import NOTE, QUESTIONS, write

INTERVAL = 0.2
"""Heartbeat interval the fake asks for (Discord's is 41.25 s; short so a test sees many)."""
SLACK = 1.0
"""Allowed lateness of a heartbeat, in intervals."""
MEMBERS = 12

ANSWER = (
    "This is overfitting: the model memorises noise in the training data instead of general "
    "patterns. Training loss keeps falling while validation loss rises. Early stopping keeps "
    "the checkpoint with the best validation loss. Dropout and weight decay also help. More "
    "data makes memorisation harder."
)


@pytest.fixture
def fakediscord_options() -> dict[str, Any]:
    return {"heartbeat_interval": INTERVAL}


def stalls(
    beats: Sequence[float], start: float, end: float, interval: float = INTERVAL
) -> list[tuple[float, float]]:
    """Stretches of ``[start, end]`` with no heartbeat for longer than interval x (1 + slack)."""
    points = [start, *(b for b in beats if start < b < end), end]
    bound = interval * (1 + SLACK)
    return [(a, b) for a, b in itertools.pairwise(points) if b - a > bound]


async def until(predicate: Callable[[], bool], what: str, within: float = 60.0) -> None:
    """Wait for another thread's progress (bounded; not a timing assertion)."""
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.005)


async def test_heartbeats_keep_flowing_while_a_burst_is_graded_by_the_real_model(
    fake_discord: FakeDiscord,
    world: World,
    start_bot: StartBot,
    tmp_path: Path,
    embedder: SentenceEmbedder,
) -> None:
    # The bot's wiring: the real model behind the batcher, rubrics from Chroma, the worker
    # pool as the loop's default executor (with asyncio's 6 default threads on 2 cores, 11
    # graders could not even wait for the same batch).
    install_worker_pool()
    root = tmp_path / "knowledge"
    write(root / "notes" / "overfitting-basics.md", NOTE)
    write(root / "questions" / "basics.yaml", QUESTIONS)
    settings = Settings(data_dir=tmp_path / "data", knowledge_dir=root, _env_file=None)
    assert ingest(settings, []).chunks > 0
    bank, _ = check_bank(root, strict=False)
    gated = GatedEmbedder(embedder, armed=False)
    batcher = BatchingEmbedder(gated)
    grader = EmbeddingGrader(batcher, build_retriever(settings), load_params())
    service, store = await build_service(settings, grader=grader, clock=FakeClock(), bank=bank)
    try:
        deps = BotDeps(settings=settings, service=service, store=store, clock=FakeClock())
        await start_bot(create_bot(settings, deps, guild_ready_timeout=0.05))
        server = world.server
        members = [world.guild.add_member(f"m{i}") for i in range(MEMBERS)]
        clicks = []
        for member in members:
            question = await run_slash(server, member, world.channel, "practice")
            click = await server.click(member, question, label="Answer")
            await click.modal()
            clicks.append((member, click))
        # One answer first: the model and the question's context are warm, as in a live bot.
        warm = await run_slash(server, world.alice, world.channel, "practice")
        assert (await answer_question(server, world.alice, warm, ANSWER)).embed

        gated.armed = True
        start = server.loop_time()
        submits = await asyncio.gather(
            *(server.submit_modal(m, c, values={"answer": ANSWER}) for m, c in clicks)
        )
        # The first grade holds the model; the other eleven queue behind it in worker threads.
        await until(lambda: batcher.pending == MEMBERS - 1, "the graders to queue")
        # Hold the gate for three heartbeats: the window spans several intervals whatever
        # the machine's speed, and the loop must keep beating while a grader is stuck.
        beats = len(server.heartbeat_times)
        await server.wait_for_heartbeats(beats + 3, within=30)
        gated.release.set()
        replies = [await s.response(within=120) for s in submits]
        end = server.loop_time()
    finally:
        await store.close()

    assert all(r.embed["title"].startswith("Your grade") for r in replies)
    assert batcher.stats.most_calls == MEMBERS - 1  # the eleven went in one model call
    assert gated.max_active == 1
    window = [b for b in server.heartbeat_times if start < b < end]
    assert len(window) >= 3
    assert stalls(server.heartbeat_times, start, end) == [], (
        f"heartbeat gaps over {INTERVAL * (1 + SLACK):.2f}s while grading: "
        f"{[round(b - a, 3) for a, b in stalls(server.heartbeat_times, start, end)]}"
    )


async def test_the_load_bench_sees_a_bot_process_keep_beating_through_a_burst(
    tmp_path: Path,
) -> None:
    # The harness behind `interview-bot bench load`, end to end at a small N: the bot as its own
    # process over loopback, every member answering at once. Only the vectors are fake (no
    # model to load): each text costs 50 ms of sleep in the stand-in, so the burst lasts
    # seconds, concurrent answers have to queue for the "model", and the bench's own checks
    # (every answer acknowledged in time and graded, no stretch without heartbeats over the
    # bound) must all pass.
    run = await run_load(
        16,
        tmp_path,
        embedder="hash",
        heartbeat_interval=INTERVAL,
        bot_options=["--ms-per-text", "50"],
    )
    assert problems(run) == [], run
    assert run["graded"] == 16
    assert run["heartbeats_during_burst"] >= 3
    # Answers that arrived while the "model" was busy shared a call (the burst's own calls).
    assert run["model_calls"] < 16, run


class SlowGrader(FakeGrader):
    """A grader that takes four heartbeat intervals (sleeping, like a model computing)."""

    def grade(self, question: Question, answer: str) -> Grade:
        time.sleep(INTERVAL * 4)
        return super().grade(question, answer)


@pytest.fixture
def grader() -> FakeGrader:
    """The adapter suite's ``deps`` grade with this one here (the control test only)."""
    return SlowGrader()


async def test_the_heartbeat_check_catches_grading_on_the_event_loop(
    fake_discord: FakeDiscord,
    world: World,
    start_bot: StartBot,
    make_bot: BotFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Control: the bug this suite guards against, made on purpose. The service grades with
    # asyncio.to_thread; run it on the loop instead and the same check must report stalls.
    async def on_the_loop(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    monkeypatch.setattr(practice.asyncio, "to_thread", on_the_loop)
    await start_bot(make_bot())
    server = world.server
    question = await run_slash(server, world.alice, world.channel, "practice")
    await server.wait_for_heartbeats(len(server.heartbeat_times) + 2, within=30)
    start = server.loop_time()
    await answer_question(server, world.alice, question, "term0 term1.")
    await server.wait_for_heartbeats(len(server.heartbeat_times) + 2, within=30)
    end = server.loop_time()
    assert stalls(server.heartbeat_times, start, end) != []
