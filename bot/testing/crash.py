"""Crash and restart: SIGKILL the bot at random moments while members answer, then audit the data.

:func:`run_kill_loop` runs the bot as a child process (:mod:`bot.testing.botproc`) against the
loopback fake Discord. Each cycle starts the bot (each restart plays a later day, so streaks
grow and break across restarts), fires a burst of answers from different members through the
real Answer button -> modal path, waits a random (seeded) moment of the burst (after a random
number of its graded replies, plus a random delay) and SIGKILLs the process. The last cycle is
not killed: it finishes its burst and stops cleanly. Every reply that arrived must be a grade,
and no process may log an ERROR. :func:`audit` then reads the database and checks, by
interaction id (the idempotency key):

* every answer whose graded reply reached Discord is recorded exactly once, with the score the
  member was shown;
* an answer the bot never acknowledged is not recorded (it defers before any work);
* no answer is recorded twice, and nothing is recorded that nobody submitted;
* each member's running total and per-day roll-ups equal the sums of their recorded answers,
  and each streak equals the one recomputed from the days of their genuine answers.

Used by ``tests/reliability/test_kill_restart.py`` (20 kills, model stand-in) and
``interview-bot bench kill`` (more kills, optionally the real model).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.testing.harness import REPO_ROOT, BotProcess

if TYPE_CHECKING:
    from tests.fakediscord import FakeDiscord, FakeMember, FakeMessage
    from tests.fakediscord.interactions import FakeInteraction

GRADE_TITLE = re.compile(r"^Your grade: (?P<score>\d+(?:\.\d)?) / (?P<max>\d+)")
ANSWER_ID = re.compile(r"^ib:answer:(?P<qid>[^:]+):")


@dataclass
class Submitted:
    """One answer a member submitted, and what the fake Discord saw of it."""

    key: str
    guild_id: int
    member_id: int
    cycle: int
    interaction: FakeInteraction

    @property
    def acknowledged(self) -> bool:
        """The bot answered the interaction (deferred) before it died or finished."""
        return self.interaction.callback is not None

    @property
    def other_reply(self) -> str | None:
        """What the member was shown instead of a grade (an error message), if anything."""
        original = self.interaction.original
        if original is None or original.loading or self.shown_score is not None:
            return None
        title = original.embeds[0].get("title") if original.embeds else None
        return str(title or original.content or "(an empty message)")

    @property
    def shown_score(self) -> float | None:
        """The score in the graded reply the member received, if one arrived."""
        original = self.interaction.original
        if original is None or original.loading or not original.embeds:
            return None
        match = GRADE_TITLE.match(str(original.embed.get("title", "")))
        return float(match["score"]) if match else None


@dataclass
class KillReport:
    """The outcome of a kill loop.

    Attributes:
        kills: SIGKILLs delivered (restarts = kills).
        cycles: Bot processes started.
        submitted: Answers submitted (modal submits dispatched).
        acknowledged: ... that the bot acknowledged.
        graded: ... whose graded reply arrived.
        recorded: Attempts in the database.
        unanswered: Acknowledged, no reply (the bot died in between): recorded at most once.
        recorded_unseen: ... of which recorded (killed between the commit and the reply).
        problems: Everything the audit found wrong (empty: all good).
        seconds: Wall time of the loop.
        startup_seconds: Time from spawning the bot to its command sync, per start.
        best_streak: Longest streak stored (restarts play successive days).
    """

    kills: int = 0
    cycles: int = 0
    submitted: int = 0
    acknowledged: int = 0
    graded: int = 0
    recorded: int = 0
    unanswered: int = 0
    recorded_unseen: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    startup_seconds: list[float] = field(default_factory=list)
    best_streak: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly figures."""
        ordered = sorted(self.startup_seconds)
        return {
            "kills": self.kills,
            "cycles": self.cycles,
            "submitted": self.submitted,
            "acknowledged": self.acknowledged,
            "graded": self.graded,
            "unanswered_after_kill": self.unanswered,
            "recorded_but_unseen": self.recorded_unseen,
            "recorded": self.recorded,
            "best_streak": self.best_streak,
            "problems": self.problems,
            "seconds": round(self.seconds, 1),
            "startup_p50_s": round(ordered[len(ordered) // 2], 2) if ordered else None,
        }


def answer_text(question: Any, rng: random.Random) -> str:
    """A plausible answer: some of the question's key points in other words, plus filler.

    Some answers are genuine (they earn points and streak days), some are flagged (off topic,
    too short), so the audit covers both kinds.
    """
    from bot.evaluation.bench import bench_answers

    filler = bench_answers()[rng.randrange(4)].split(". ")
    parts: list[str] = []
    for point in question.key_points:
        if rng.random() < 0.6:
            terms = ", ".join(point.terms[:2]) if point.terms else point.statement
            parts.append(f"I think {terms} matters here because of how the model behaves.")
    parts += filler[: rng.randint(0, 3)]
    if not parts:
        parts = ["No idea."]
    return " ".join(p.rstrip(".") + "." for p in parts)


async def _answer(
    server: FakeDiscord,
    member: FakeMember,
    message: FakeMessage,
    text: str,
    submitted: list[Submitted],
    cycle: int,
) -> None:
    """Press Answer, submit the modal; record the submission (its reply is read later)."""
    click = await server.click(member, message, label="Answer")
    await click.modal(within=10)
    submit = await server.submit_modal(member, click, values={"answer": text}, within=10)
    submitted.append(Submitted(str(submit.id), member.guild.id, member.id, cycle, submit))
    await submit.response(within=60)


def _graded_at_least(submitted: list[Submitted], cycle: int, replies: int) -> bool:
    """Whether ``replies`` answers of ``cycle`` got their graded reply."""
    return sum(s.shown_score is not None for s in submitted if s.cycle == cycle) >= replies


async def run_kill_loop(
    server: FakeDiscord,
    workdir: Path,
    *,
    kills: int = 20,
    seed: int = 1,
    members: int = 8,
    burst: int = 5,
    embedder: str = "hash",
    ms_per_text: float = 4.0,
    kill_window: float = 0.6,
    reply_delay_ms: float = 150.0,
    database_url: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> KillReport:
    """Start, load and SIGKILL the bot ``kills`` times, then stop it cleanly and audit.

    Args:
        server: A started fake Discord (this function adds a guild and members to it).
        workdir: Data directory of the bot (its SQLite database unless ``database_url``).
        kills: SIGKILLs to deliver.
        seed: Seeds members, answers, days and kill moments (what a kill cuts off still
            depends on timing).
        members: Members in the server.
        burst: Answers fired at once per cycle (from different members).
        embedder: ``"hash"`` (the model stand-in, fast restarts) or ``"real"``.
        ms_per_text: Cost of the stand-in per sentence (mimics the model's time).
        kill_window: A kill comes uniform in [0, kill_window] s after a random number of the
            burst's graded replies (0 to burst - 1) arrived.
        reply_delay_ms: The bot waits this long between recording an answer and replying,
            so some kills land in between (an answer recorded that the member never saw).
        database_url: Another database (e.g. PostgreSQL) instead of SQLite in ``workdir``.
        progress: Called with a line per cycle.
    """
    from bot.bank import load_bank

    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not a secret
    started = time.perf_counter()
    report = KillReport()
    bank = load_bank(REPO_ROOT / "knowledge")
    guild = server.add_guild("Crash Test")
    channel = guild.add_text_channel("practice")
    people = [guild.add_member(f"member{i}") for i in range(members)]
    env = {
        "DATA_DIR": str(workdir),
        "KNOWLEDGE_DIR": str(REPO_ROOT / "knowledge"),
        "LOG_LEVEL": "WARNING",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    questions: dict[int, FakeMessage] = {}
    submitted: list[Submitted] = []
    day = 0
    for cycle in range(kills + 1):
        last = cycle == kills
        options = ["--embedder", embedder, "--ms-per-text", str(ms_per_text)]
        options += ["--days-offset", str(day), "--reply-delay-ms", str(reply_delay_ms)]
        bot = BotProcess(server, env=env, options=options, log_path=workdir / "bot.log")
        t0 = time.perf_counter()
        await bot.start()
        report.startup_seconds.append(time.perf_counter() - t0)
        report.cycles += 1
        if not questions:
            for person in people:
                ask = await server.slash(person, channel, "practice")
                questions[person.id] = await ask.response(within=30)
        chosen = rng.sample(people, min(burst, len(people)))
        tasks = []
        for person in chosen:
            message = questions[person.id]
            qid = ANSWER_ID.match(str(message.component(label="Answer")["custom_id"]))
            assert qid is not None
            text = answer_text(bank.questions[qid["qid"]], rng)
            tasks.append(
                asyncio.create_task(_answer(server, person, message, text, submitted, cycle))
            )
        if last:
            await asyncio.gather(*tasks)
            await bot.stop()
        else:
            # A random moment of the burst, whatever the machine's speed: once a random number
            # of its graded replies (0 .. burst-1) arrived, plus a random delay. Kills then land
            # before, during and after grading, and between recording an answer and replying.
            replies = rng.randrange(len(chosen))
            try:
                await server.wait_until(
                    functools.partial(_graded_at_least, submitted, cycle, replies),
                    within=60,
                    what=f"{replies} graded replies of cycle {cycle}",
                )
            except TimeoutError as exc:
                report.problems.append(f"cycle {cycle}: the burst stalled: {exc}")
            await asyncio.sleep(rng.uniform(0, kill_window))
            bot.kill()
            await bot.wait_killed()
            report.kills += 1
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                    await task
        # The next process plays the same day, the next one, or a later one (0-3 days on:
        # with one grace day, a gap of 3 breaks the streak).
        day += rng.choice((0, 1, 1, 2, 3))
        if progress is not None:
            done = sum(s.shown_score is not None for s in submitted)
            progress(f"cycle {cycle + 1}/{kills + 1}: {len(submitted)} submitted, {done} graded")
    report.submitted = len(submitted)
    report.acknowledged = sum(s.acknowledged for s in submitted)
    report.graded = sum(s.shown_score is not None for s in submitted)
    report.unanswered = report.acknowledged - report.graded
    url = database_url or f"sqlite+aiosqlite:///{workdir / 'interview-bot.db'}"
    # Every reply that arrived is a grade: an error message after a restart is a failure too.
    report.problems += [
        f"answer {s.key} got {s.other_reply!r} instead of a grade"
        for s in submitted
        if s.other_reply is not None
    ]
    report.recorded, report.best_streak, problems = await audit(url, submitted)
    report.problems += problems
    report.problems += logged_errors(workdir / "bot.log")
    report.recorded_unseen = report.recorded - report.graded
    report.seconds = time.perf_counter() - started
    return report


def logged_errors(log: Path) -> list[str]:
    """ERROR and CRITICAL lines the bot processes wrote (a restart must not log any)."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    return [
        f"the bot logged: {line[:300]}" for line in lines if re.search(r" (ERROR|CRITICAL) ", line)
    ]


async def audit(url: str, submitted: list[Submitted]) -> tuple[int, int, list[str]]:
    """Check the database against what members saw; return (attempts, best streak, problems)."""
    from sqlalchemy import select

    from bot.core import streaks
    from bot.store.engine import create_engine
    from bot.store.schema import attempts, daily_points, member_totals
    from bot.store.schema import streaks as streak_table

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(select(attempts))).mappings().all()
            totals = (await conn.execute(select(member_totals))).mappings().all()
            days = (await conn.execute(select(daily_points))).mappings().all()
            kept = (await conn.execute(select(streak_table))).mappings().all()
    finally:
        await engine.dispose()
    problems: list[str] = []
    by_key: dict[tuple[int, int, str], list[Any]] = defaultdict(list)
    for row in rows:
        by_key[(row["guild_id"], row["member_id"], row["idempotency_key"])].append(row)
    for key, found in by_key.items():
        if len(found) > 1:
            problems.append(f"answer {key[2]} recorded {len(found)} times")
    known = {(s.guild_id, s.member_id, s.key): s for s in submitted}
    for key in by_key:
        if key not in known:
            problems.append(f"attempt {key[2]} matches no submitted answer")
    for sub in submitted:
        found = by_key.get((sub.guild_id, sub.member_id, sub.key), [])
        shown = sub.shown_score
        if shown is not None:
            if len(found) != 1:
                problems.append(f"graded answer {sub.key} is recorded {len(found)} times")
            elif abs(found[0]["fraction"] * 10 - shown) > 0.051:
                problems.append(
                    f"answer {sub.key}: member saw {shown}, recorded {found[0]['fraction'] * 10}"
                )
        elif not sub.acknowledged and found:
            problems.append(f"answer {sub.key} was never acknowledged but is recorded")
    problems += _check_rollups(rows, totals, days)
    problems += _check_streaks(rows, kept, streaks.advance)
    best = max((k["best_days"] for k in kept), default=0)
    return len(rows), best, problems


def _check_rollups(rows: Any, totals: Any, days: Any) -> list[str]:
    problems: list[str] = []
    want_total: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
    want_day: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        if not (row["genuine"] or row["points"]):
            continue  # the store adds nothing for these
        for acc in (
            want_total[(row["guild_id"], row["member_id"])],
            want_day[(row["guild_id"], row["local_date"], row["member_id"])],
        ):
            acc[0] += row["points"]
            acc[1] += 1 if row["genuine"] else 0
    have_total: dict[tuple[Any, ...], list[int]] = {
        (t["guild_id"], t["member_id"]): [t["points"], t["attempts"]] for t in totals
    }
    have_day: dict[tuple[Any, ...], list[int]] = {
        (d["guild_id"], d["local_date"], d["member_id"]): [d["points"], d["attempts"]] for d in days
    }
    for name, want, have in (("total", want_total, have_total), ("day", want_day, have_day)):
        for key in set(want) | set(have):
            if want.get(key, [0, 0]) != have.get(key, [0, 0]):
                problems.append(
                    f"{name} roll-up {key}: stored {have.get(key)}, answers sum to {want.get(key)}"
                )
    return problems


def _check_streaks(rows: Any, kept: Any, advance: Callable[..., Any]) -> list[str]:
    from bot.core.streaks import StreakState

    active: dict[tuple[int, int], set[date]] = defaultdict(set)
    for row in rows:
        if row["genuine"]:
            active[(row["guild_id"], row["member_id"])].add(row["local_date"])
    have = {(k["guild_id"], k["member_id"]): k for k in kept}
    problems = []
    for key in set(active) | set(have):
        state = StreakState()
        for day in sorted(active.get(key, ())):
            state = advance(state, day, 1)
        stored = have.get(key)
        got = (
            (stored["current_days"], stored["best_days"], stored["last_day"])
            if stored
            else (0, 0, None)
        )
        if got != (state.current, state.best, state.last_day):
            problems.append(
                f"streak of member {key[1]}: stored {got}, answers give "
                f"{(state.current, state.best, state.last_day)}"
            )
    return problems


def run_kill_bench(*, kills: int, embedder: str = "hash", seed: int = 1) -> dict[str, Any]:
    """``bench kill``: the kill loop in a temp dir against a fresh fake Discord."""
    import shutil
    import sys
    import tempfile

    from bot.testing.harness import fakediscord

    def say(line: str) -> None:
        sys.stderr.write(line + "\n")

    async def main(workdir: Path) -> KillReport:
        server = fakediscord().FakeDiscord()
        await server.start()
        try:
            return await run_kill_loop(
                server,
                workdir,
                kills=kills,
                seed=seed,
                embedder=embedder,
                # With the real model, bursts take longer: spread the kills over them.
                kill_window=0.6 if embedder == "hash" else 3.0,
                progress=say,
            )
        finally:
            await server.stop()

    workdir = Path(tempfile.mkdtemp(prefix="bench-kill-"))
    try:
        if embedder == "real":
            # The real grader reads the rubrics from the knowledge index: build it once.
            from bot.testing.load import ingest_shipped

            say(f"ingesting the shipped knowledge into {workdir / 'chroma'}")
            ingest_shipped(workdir)
        report = asyncio.run(main(workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return {"embedder": embedder, "seed": seed, **report.as_dict()}


def format_kill(r: dict[str, Any]) -> str:
    """Human-readable lines for a kill bench result."""
    lines = [
        f"{r['kills']} SIGKILLs and restarts ({r['embedder']} embedder, seed {r['seed']}, "
        f"{r['seconds']} s, start-up p50 {r['startup_p50_s']} s)",
        f"answers submitted {r['submitted']}, acknowledged {r['acknowledged']}, graded reply "
        f"{r['graded']}, acknowledged but cut off by a kill {r['unanswered_after_kill']} "
        f"(of which recorded before the kill: {r['recorded_but_unseen']})",
        f"attempts in the database {r['recorded']}; longest streak {r['best_streak']} days",
        "audit: "
        + (
            "every graded answer recorded exactly once; totals and streaks agree"
            if not r["problems"]
            else f"{len(r['problems'])} problem(s)"
        ),
    ]
    lines += [f"  - {p}" for p in r["problems"][:20]]
    return "\n".join(lines)
