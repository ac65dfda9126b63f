"""SIGKILL the bot at random moments while members answer; restart; audit the database.

The bot runs as a real child process (``bot.testing.botproc``) against the loopback fake Discord
in this process, with the real service, store (SQLite, WAL), Discord adapter and grader code.
Only the model is swapped for the deterministic ``HashEmbedder`` (with a per-sentence cost that
mimics it): a start with the real model takes about 16 s on 2 cores instead of about 2-3 s,
so 21 starts would take several minutes (figures in docs/reliability.md#crash-and-restart).
``interview-bot bench kill --embedder real`` runs the same loop with the real model.

What is checked (``bot.testing.crash.audit``): every answer whose graded reply the fake received
is recorded exactly once with the score the member saw; an answer never acknowledged is not
recorded; nothing is recorded twice; member totals, per-day roll-ups and streaks agree with the
recorded answers; every reply that arrived is a grade; no process logged an ERROR. The other
tests show the audit catches each kind of damage.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from types import SimpleNamespace

from bot.app import build_service, load_shipped_bank
from bot.config import Settings
from bot.core.practice import Submission
from bot.testing.crash import Submitted, audit, logged_errors, run_kill_loop
from bot.testing.harness import REPO_ROOT
from tests.fakediscord import FakeDiscord
from tests.fakes import FakeClock, FakeGrader

KILLS = 20


async def test_sigkill_at_random_moments_never_loses_or_doubles_a_graded_answer(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    report = await run_kill_loop(fake_discord, tmp_path / "data", kills=KILLS, seed=20261130)
    figures = json.dumps(report.as_dict(), indent=1)
    assert report.kills == KILLS, figures
    assert report.problems == [], figures
    # The loop did real work: answers were graded across restarts, and restarts played
    # successive days, so some streak spans several processes.
    assert report.graded >= KILLS, figures
    assert report.recorded >= report.graded, figures
    assert report.best_streak >= 2, figures
    print(f"\nkill/restart: {figures}")


def _seen(key: str, guild_id: int, member_id: int, score: float | None) -> Submitted:
    """A submission as the fake Discord saw it: acknowledged, with this graded reply (or none)."""
    original = (
        None
        if score is None
        else SimpleNamespace(
            loading=False, embeds=[{}], embed={"title": f"Your grade: {score:.1f} / 10"}
        )
    )
    interaction = SimpleNamespace(callback=object(), original=original)
    return Submitted(key, guild_id, member_id, 0, interaction)  # type: ignore[arg-type]


async def test_the_audit_finds_every_kind_of_damage(tmp_path: Path) -> None:
    """The audit is what makes the kill test able to fail: it must report a lost, doubled,
    mis-scored or unknown answer and totals or streaks that disagree with the answers."""
    settings = Settings(data_dir=tmp_path, knowledge_dir=REPO_ROOT / "knowledge", _env_file=None)
    clock = FakeClock()
    service, store = await build_service(settings, grader=FakeGrader(), clock=clock)
    guild, seen = 7, []
    try:
        question = next(iter(load_shipped_bank(settings).questions.values()))
        text = " ".join(f"{k.terms[0]}." for k in question.key_points if k.terms) or "x."
        for n, (member, days) in enumerate([(1, 0), (2, 0), (1, 1), (1, 0)]):
            clock.advance(days=days)
            out = await service.submit_answer(
                Submission(guild, member, question.id, text, str(n + 1))
            )
            seen.append(_seen(str(n + 1), guild, member, out.grade.score))
    finally:
        await store.close()
    url = f"sqlite+aiosqlite:///{tmp_path / 'interview-bot.db'}"
    count, best, problems = await audit(url, seen)
    assert (count, problems) == (4, [])
    assert best == 2  # member 1 answered on two successive days

    db = sqlite3.connect(tmp_path / "interview-bot.db")
    try:
        damage = [
            ("UPDATE member_totals SET points = points + 1 WHERE member_id = 2", "total roll-up"),
            ("UPDATE daily_points SET attempts = attempts + 1 WHERE member_id = 2", "day roll-up"),
            ("UPDATE streaks SET current_days = 5 WHERE member_id = 1", "streak of member 1"),
            (
                "UPDATE attempts SET fraction = fraction / 2 WHERE idempotency_key = '2'",
                "member saw",
            ),
            (
                "UPDATE attempts SET idempotency_key = '99' WHERE idempotency_key = '3'",
                "matches no",
            ),
        ]
        for sql, expected in damage:
            db.execute(sql)
            db.commit()
            _, _, problems = await audit(url, seen)
            assert any(expected in p for p in problems), (sql, problems)
        # Answer 3 is now missing (re-keyed above): a graded reply with no record is reported.
        assert any("graded answer 3 is recorded 0 times" in p for p in problems)
    finally:
        db.close()
    # An answer the bot never acknowledged must not be recorded.
    unacked = _seen("1", guild, 1, None)
    unacked.interaction.callback = None  # type: ignore[misc]
    _, _, problems = await audit(url, [unacked, *seen[1:]])
    assert "answer 1 was never acknowledged but is recorded" in problems


def test_the_kill_loop_reports_errors_the_bot_logged(tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    log.write_text(
        "2026-11-30 03:27:54,008 WARNING discord.client: PyNaCl is not installed\n"
        "2026-11-30 03:27:55,100 ERROR bot.scheduler: the start-up catch-up failed\n"
        "Traceback (most recent call last):\n",
        encoding="utf-8",
    )
    assert logged_errors(log) == [
        "the bot logged: 2026-11-30 03:27:55,100 ERROR bot.scheduler: the start-up catch-up failed"
    ]
    assert logged_errors(tmp_path / "missing.log") == []
