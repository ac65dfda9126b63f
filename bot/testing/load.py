"""``interview-bot bench load``: N members submit answers at once to the real bot.

Everything is real except Discord: the bot runs as its own process (``bot.testing.botproc``:
the real model, grader, SQLite store, Chroma index of the shipped knowledge in a temp data dir)
and talks over loopback to the fake Discord (``tests/fakediscord``) in this process, which plays
the N members and times what Discord would see.

One run, per N:

1. start the fake and the bot; a warm-up member answers each question the members will get once
   (the model, the Chroma rubric cache and each question's context are warm, as in a live bot
   or a daily-question burst where everyone answers the same question);
2. each member runs ``/practice`` and presses **Answer** (the modal opens);
3. all N submit their answer at once; per interaction the fake stamps the arrival of the
   interaction callback (Discord's 3-second deadline) and of the graded followup.

Reported beside the model's own speed, measured in this process first (sentences/s at batch 1
and at batch 32 on the same answer sentences): the share acknowledged within 3 s, p50/p95/max
time to the acknowledgement and to the graded reply, answers graded per second, the bot's peak
RSS, heartbeat gaps during the burst, and the batcher's counters.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.testing.harness import (
    REPO_ROOT,
    BotProcess,
    fakediscord,
    proc_cpu_seconds,
    proc_status_mb,
)

if TYPE_CHECKING:
    from bot.core.ports import Embedder
    from tests.fakediscord import FakeDiscord, FakeMember, FakeMessage
    from tests.fakediscord.interactions import FakeInteraction
    from tests.fakediscord.rest import RecordedRequest

DEADLINE_S = 3.0
"""Discord's deadline for the first response to an interaction."""
HEARTBEAT_SLACK = 1.0
"""Allowed lateness of a heartbeat, in intervals: a stretch of the burst with no heartbeat for
longer than interval x (1 + slack) means the bot's event loop stalled (the same bound as
tests/reliability/test_heartbeats.py)."""

_CALLBACK = re.compile(r"^/interactions/(?P<iid>\d+)/[^/]+/callback$")
_FOLLOWUP = re.compile(r"^/webhooks/\d+/(?P<token>[^/]+)$")
_ANSWER_ID = re.compile(r"^ib:answer:(?P<qid>[^:]+):")


def burst_answers(sentences: int | None = None) -> list[str]:
    """The answers members submit, in rotation.

    Built from ``bench grade``'s answers so the per-answer cost matches that benchmark's: by
    default a mix of 2, 4, 6 and all 9-12 sentences (mean ~5.6, up to 250 words); with
    ``sentences``, every answer has that many.
    """
    from bot.core import text as tx
    from bot.evaluation.bench import bench_answers

    answers = []
    for full in bench_answers():
        split = tx.split_sentences(full)
        if sentences is not None:
            answers += [" ".join(split[k : k + sentences]) for k in range(0, 6, 2)]
        else:
            answers += [" ".join(split[:n]) for n in (2, 4, 6)] + [full]
    return answers


def mean_sentences(answers: Sequence[str]) -> float:
    """Average sentences per answer (what one grade embeds)."""
    from bot.core import text as tx

    return statistics.fmean(len(tx.split_sentences(a)) for a in answers)


def measure_model(model: Embedder, seconds: float = 2.0) -> dict[str, float]:
    """``model`` alone: sentences/s at batch 1, 8 and 32 on the burst's sentences.

    The bot runs this in its own process (on SIGUSR2, see ``botproc``) just before and just
    after the burst, in a worker thread as grading does, so the floor and the burst see the
    same process, threads and machine. Two rounds over the batch sizes (drift in machine load
    hits all alike); the better run of each is kept.
    """
    from bot.core import text as tx

    sentences = [s for a in burst_answers() for s in tx.split_sentences(a)]
    model.embed(sentences[:32])  # warm-up

    def rate(batch: int) -> float:
        done = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            texts = [sentences[(done + k) % len(sentences)] for k in range(batch)]
            model.embed(texts)
            done += batch
        return done / (time.perf_counter() - start)

    best = {1: 0.0, 8: 0.0, 32: 0.0}
    for _ in range(2):
        for batch in best:
            best[batch] = max(best[batch], rate(batch))
    return {f"batch{b}_sentences_per_s": round(v, 1) for b, v in best.items()}


def ingest_shipped(data_dir: Path) -> None:
    """Index the shipped knowledge into ``data_dir/chroma`` (in a child: this process never
    opens the Chroma directory the bots read)."""
    env = {**os.environ, "DATA_DIR": str(data_dir), "KNOWLEDGE_DIR": str(REPO_ROOT / "knowledge")}
    subprocess.run(
        [sys.executable, "-m", "ingest", "--json"],
        check=True,
        env=env,
        cwd=str(REPO_ROOT),
        stdout=subprocess.DEVNULL,
    )


class _TimedRequests(list["RecordedRequest"]):
    """The fake's request log, with the loop time at which each request ARRIVED."""

    def __init__(self, server: FakeDiscord, since: float) -> None:
        super().__init__(server.requests)
        self.server = server
        self.since = since
        self.times: list[float] = [0.0] * len(self)
        self.followups = 0

    def append(self, record: RecordedRequest) -> None:
        super().append(record)
        self.times.append(self.server.loop_time())
        match = _FOLLOWUP.match(record.path) if record.method == "POST" else None
        if match:
            # A followup to a modal submitted in the burst: one graded reply more.
            interaction = self.server.interaction_by_token(match["token"])
            if interaction is not None and interaction.created_at >= self.since:
                self.followups += 1


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def _in_chunks(coros: list[Any], size: int = 25) -> list[Any]:
    out: list[Any] = []
    for i in range(0, len(coros), size):
        out += await asyncio.gather(*coros[i : i + size])
    return out


async def _ask_and_open(
    server: FakeDiscord, member: FakeMember, channel: Any
) -> tuple[FakeMember, FakeMessage, FakeInteraction]:
    ask = await server.slash(member, channel, "practice")
    question = await ask.response(within=60)
    click = await server.click(member, question, label="Answer")
    await click.modal(within=60)
    return member, question, click


async def run_load(
    users: int,
    data_dir: Path,
    *,
    batching: bool = True,
    workers: int = 32,
    max_batch: int = 64,
    heartbeat_interval: float = 1.0,
    embedder: str = "real",
    answer_sentences: int | None = None,
    bot_options: Sequence[str] = (),
    progress: Any = None,
) -> dict[str, Any]:
    """One load run with ``users`` members (see the module docstring); returns its figures.

    Args:
        users: Members submitting at once.
        data_dir: A data dir whose ``chroma/`` holds the shipped knowledge (see
            :func:`ingest_shipped`); the run's SQLite database goes in a fresh sub-directory.
        batching: Micro-batching on (production) or off (one model call per answer).
        workers: The bot's worker threads.
        max_batch: Texts per model call.
        heartbeat_interval: Gateway heartbeat interval the fake asks for (Discord: 41.25 s;
            shorter here so gaps during a burst of seconds are visible).
        embedder: ``"real"``; ``"hash"`` (no model at all) shows the cost of everything else.
        answer_sentences: Sentences per answer (default: the 2-12 mix of
            :func:`burst_answers`).
        bot_options: Extra ``botproc`` options.
        progress: Called with a line at each phase.
    """
    say = progress or (lambda _line: None)
    fake = fakediscord()
    server: FakeDiscord = fake.FakeDiscord(heartbeat_interval=heartbeat_interval)
    await server.start()
    run_dir = Path(tempfile.mkdtemp(prefix=f"load-{users}-", dir=data_dir))
    options = ["--embedder", embedder, "--workers", str(workers), "--max-batch", str(max_batch)]
    if not batching:
        options.append("--no-batching")
    options += bot_options
    env = {
        "DATA_DIR": str(run_dir),
        "CHROMA_PATH": str(data_dir / "chroma"),
        "KNOWLEDGE_DIR": str(REPO_ROOT / "knowledge"),
        "LOG_LEVEL": "WARNING",
    }
    bot = BotProcess(server, env=env, options=options, log_path=run_dir / "bot.log")
    try:
        guild = server.add_guild("Load Test")
        channel = guild.add_text_channel("practice")
        members = [guild.add_member(f"member{i}") for i in range(users)]
        t0 = time.perf_counter()
        await bot.start(within=300)
        startup = time.perf_counter() - t0
        say(f"bot ready in {startup:.1f}s; {users} members open their questions")
        opened = await _in_chunks([_ask_and_open(server, m, channel) for m in members])
        # Warm-up: one answer to each distinct question (model, rubric cache, contexts).
        seen: dict[str, FakeMessage] = {}
        for _member, question, _click in opened:
            qid = _ANSWER_ID.match(str(question.component(label="Answer")["custom_id"]))
            assert qid is not None
            seen.setdefault(qid["qid"], question)
        say(f"warm-up: {len(seen)} distinct questions")

        async def warm_one(i: int, question: FakeMessage) -> None:
            # One warm-up member per question: the answer rate limit is per member.
            warm = guild.add_member(f"warm-up{i}")
            click = await server.click(warm, question, label="Answer")
            submit = await server.submit_modal(warm, click, values={"answer": answers[0]})
            reply = await submit.response(within=120)
            if not str(reply.embed.get("title", "")).startswith("Your grade"):
                raise RuntimeError(f"warm-up answer not graded: {reply.embed}")

        answers = burst_answers(answer_sentences)
        await _in_chunks([warm_one(i, q) for i, q in enumerate(seen.values())], size=8)
        await server.settle()
        rss_before = proc_status_mb(bot.pid, "VmRSS")
        model_before = (await bot.measure_model())["model_alone"] if embedder == "real" else None
        before = await bot.report()

        hb_from = len(server.heartbeat_times)
        say(f"burst: {users} answers at once")
        fired = server.loop_time()
        load_start = round(os.getloadavg()[0], 2)
        cpu_bot, cpu_fake = proc_cpu_seconds(bot.pid), time.process_time()
        log = _TimedRequests(server, fired)
        server.requests = log
        submits: list[FakeInteraction] = list(
            await asyncio.gather(
                *(
                    server.submit_modal(m, click, values={"answer": answers[i % len(answers)]})
                    for i, (m, _q, click) in enumerate(opened)
                )
            )
        )
        await server.wait_until(
            lambda: log.followups >= users, within=1800, what="every graded reply"
        )
        await server.settle()
        done = server.loop_time()
        load_end = round(os.getloadavg()[0], 2)
        cpu_bot_end, cpu_fake = proc_cpu_seconds(bot.pid), time.process_time() - cpu_fake
        cpu_bot = cpu_bot_end - cpu_bot if cpu_bot is not None and cpu_bot_end else None
        peak = proc_status_mb(bot.pid, "VmHWM")
        after = await bot.report()
        model_after = (await bot.measure_model())["model_alone"] if embedder == "real" else None
        await bot.stop()

        def delta(key: str) -> Any:
            if after.get(key) is None:
                return None
            return round(after[key] - before[key], 2)

        return _figures(
            users,
            submits,
            log,
            server.heartbeat_times[max(0, hb_from - 1) :],
            fired,
            done,
            heartbeat_interval=heartbeat_interval,
            extra={
                "batching": batching,
                "embedder": embedder,
                "workers": workers,
                "max_batch": max_batch,
                "startup_s": round(startup, 1),
                # The machine's 1-minute load average as the burst started and ended.
                "loadavg_1m_burst": [load_start, load_end],
                "mean_sentences": round(mean_sentences(answers), 2),
                "rss_before_burst_mb": rss_before,
                "peak_rss_mb": peak or after.get("peak_rss_mb"),
                # The burst's own model calls (the warm-up's are subtracted).
                "model_calls": delta("model_calls"),
                "model_sentences": delta("texts"),
                "model_busy_s": delta("model_seconds"),
                # The model alone, in the bot, just before and just after the burst.
                "model": model_before,
                "model_after": model_after,
                "largest_batch": after.get("largest_batch"),
                "most_answers_in_a_call": after.get("most_callers_in_a_batch"),
                # CPU seconds used during the burst by the bot and by the fake Discord (this
                # process: on real Discord that work is not on the bot's machine).
                "cpu_bot_s": round(cpu_bot, 2) if cpu_bot is not None else None,
                "cpu_fake_s": round(cpu_fake, 2),
            },
        )
    finally:
        if bot.proc is not None and bot.proc.returncode is None:
            bot.kill()
            await bot.wait_killed()
        await server.stop()
        shutil.rmtree(run_dir, ignore_errors=True)


def _figures(
    users: int,
    submits: Sequence[FakeInteraction],
    log: _TimedRequests,
    heartbeats: Sequence[float],
    fired: float,
    done: float,
    *,
    heartbeat_interval: float,
    extra: dict[str, Any],
) -> dict[str, Any]:
    by_id = {str(s.id): s for s in submits}
    by_token = {s.token: s for s in submits}
    acked: dict[str, float] = {}
    replied: dict[str, float] = {}
    for record, at in zip(log, log.times, strict=True):
        if record.method != "POST":
            continue
        cb = _CALLBACK.match(record.path)
        if cb and cb["iid"] in by_id and record.status in (200, 204):
            acked.setdefault(cb["iid"], at - by_id[cb["iid"]].created_at)
        fu = _FOLLOWUP.match(record.path)
        if fu and fu["token"] in by_token and record.status in (200, 204):
            s = by_token[fu["token"]]
            replied.setdefault(str(s.id), at - s.created_at)
    graded = sum(
        1
        for s in submits
        if s.original is not None
        and not s.original.loading
        and str(s.original.embed.get("title", "")).startswith("Your grade")
    )
    ack_times = list(acked.values())
    reply_times = list(replied.values())
    first = min(s.created_at for s in submits)
    last_reply = max(s.created_at + replied[str(s.id)] for s in submits if str(s.id) in replied)
    beats = sorted(b for b in heartbeats if fired < b < done)
    # The stretches without a heartbeat from the burst's start to its end: a loop blocked
    # until after the end still shows, as the last stretch.
    gaps = [b - a for a, b in itertools.pairwise([fired, *beats, done])]
    return {
        "users": users,
        "acked_within_3s_pct": round(100 * sum(t <= DEADLINE_S for t in ack_times) / users, 1),
        "ack_p50_ms": round(1000 * statistics.median(ack_times), 1),
        "ack_p95_ms": round(1000 * _pct(ack_times, 0.95), 1),
        "ack_max_ms": round(1000 * max(ack_times), 1),
        "graded": graded,
        "reply_p50_s": round(statistics.median(reply_times), 2),
        "reply_p95_s": round(_pct(reply_times, 0.95), 2),
        "reply_max_s": round(max(reply_times), 2),
        "answers_per_s": round(users / (last_reply - first), 2),
        "dispatch_spread_ms": round(1000 * (max(s.created_at for s in submits) - first), 1),
        "burst_s": round(done - fired, 2),
        "heartbeat_interval_s": heartbeat_interval,
        "heartbeats_during_burst": len(beats),
        "heartbeat_max_gap_s": round(max(gaps), 3),
        **extra,
    }


def problems(run: dict[str, Any]) -> list[str]:
    """What makes a run fail: a missed deadline, an answer left ungraded, a stalled loop."""
    out = []
    if run["acked_within_3s_pct"] < 100:
        out.append(f"only {run['acked_within_3s_pct']}% acknowledged within {DEADLINE_S:g} s")
    if run["graded"] < run["users"]:
        out.append(f"{run['users'] - run['graded']} of {run['users']} answers not graded")
    bound = run["heartbeat_interval_s"] * (1 + HEARTBEAT_SLACK)
    if run["heartbeat_max_gap_s"] > bound:
        out.append(
            f"no heartbeat for {run['heartbeat_max_gap_s']} s during the burst (bound "
            f"{bound:g} s): the event loop stalled"
        )
    return out


def format_load(runs: Sequence[dict[str, Any]]) -> str:
    """Human-readable lines for the runs of a bench load."""
    lines = []
    cores = os.cpu_count() or 1
    for r in runs:
        burst_load = r.get("loadavg_1m_burst") or [None, None]
        per = r["model_sentences"] / r["users"] if r.get("model_sentences") else 0.0
        lines.append(
            f"-- {r['users']} members at once, batching {'on' if r['batching'] else 'off'} "
            f"({r['workers']} workers; {per:.1f} sentences embedded per answer; 1-minute load "
            f"average {r['loadavg_1m']} before the run, {burst_load[0]} / {burst_load[1]} at "
            f"the burst's start / end, on {cores} cores)"
        )
        m = r.get("model")
        if m and per:
            b1, b8, b32 = (m[f"batch{b}_sentences_per_s"] for b in (1, 8, 32))
            a = r.get("model_after") or {}
            floor = b32 / per
            lines += [
                f"model alone (in the bot, just before the burst): {b1} sentences/s at batch 1, "
                f"{b8} at batch 8, {b32} at batch 32 (just after: "
                f"{a.get('batch1_sentences_per_s')} / {a.get('batch8_sentences_per_s')} / "
                f"{a.get('batch32_sentences_per_s')})",
                f"throughput: {r['answers_per_s']} answers/s; batched floor {floor:.2f} "
                f"answers/s ({r['answers_per_s'] / floor:.0%} of it); batch-1 speed "
                f"{b1 / per:.2f} answers/s",
            ]
        else:
            lines.append(f"throughput: {r['answers_per_s']} answers/s")
        busy = r.get("model_busy_s") or 0.0
        lines += [
            f"acknowledged within 3 s: {r['acked_within_3s_pct']}%  "
            f"(p50 {r['ack_p50_ms']} ms, p95 {r['ack_p95_ms']} ms, max {r['ack_max_ms']} ms)",
            f"graded reply: p50 {r['reply_p50_s']} s, p95 {r['reply_p95_s']} s, "
            f"max {r['reply_max_s']} s ({r['graded']}/{r['users']} graded)",
            f"model during the burst: {r['model_calls']} calls for {r['model_sentences']} "
            f"sentences (up to {r['most_answers_in_a_call']} answers in one call), busy "
            f"{busy} s of {r['burst_s']} s"
            + (f", {r['model_sentences'] / busy:.1f} sentences/s" if busy else ""),
            f"CPU during the burst: bot {r.get('cpu_bot_s')} s, fake Discord "
            f"{r.get('cpu_fake_s')} s (of {cores * r['burst_s']:.1f} core-seconds)",
            f"peak RSS {r['peak_rss_mb']} MB (before the burst {r['rss_before_burst_mb']} MB)",
            f"heartbeats during the burst: {r['heartbeats_during_burst']}, longest stretch "
            f"without one {r['heartbeat_max_gap_s']} s (interval {r['heartbeat_interval_s']} s, "
            f"bound {r['heartbeat_interval_s'] * (1 + HEARTBEAT_SLACK):g} s)",
        ]
        lines += [f"FAILED: {problem}" for problem in problems(r)]
    return "\n".join(lines)


def run_load_bench(
    users: Sequence[int],
    *,
    batching: Sequence[bool] = (True,),
    workers: int = 32,
    max_batch: int = 64,
    heartbeat_interval: float = 1.0,
    answer_sentences: int | None = None,
    embedder: str = "real",
    keep: Path | None = None,
) -> list[dict[str, Any]]:
    """The whole bench: ingest once, then one run per N (and per batching mode, in turn);
    returns the runs' figures."""

    def say(line: str) -> None:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()

    data_dir = keep or Path(tempfile.mkdtemp(prefix="bench-load-"))
    try:
        if embedder == "real":
            say(f"ingesting the shipped knowledge into {data_dir / 'chroma'}")
            ingest_shipped(data_dir)
        runs = []
        for n in users:
            for mode in batching:
                load_1m = round(os.getloadavg()[0], 2)
                run = asyncio.run(
                    run_load(
                        n,
                        data_dir,
                        batching=mode,
                        workers=workers,
                        max_batch=max_batch,
                        heartbeat_interval=heartbeat_interval,
                        answer_sentences=answer_sentences,
                        embedder=embedder,
                        progress=say,
                    )
                )
                runs.append({**run, "loadavg_1m": load_1m})
                say(json.dumps(runs[-1]))
        return runs
    finally:
        if keep is None:
            shutil.rmtree(data_dir, ignore_errors=True)
