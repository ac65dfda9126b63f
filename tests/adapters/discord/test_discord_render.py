"""Render and view builders against Discord's limits, with hostile text everywhere."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import discord
import pytest

from bot.adapters.discord import views
from bot.adapters.discord.charts import PNG_SIGNATURE, stats_chart
from bot.adapters.discord.render import errors as error_wording
from bot.adapters.discord.render import groups as group_wording
from bot.adapters.discord.render import leaderboard as board_wording
from bot.adapters.discord.render import practice as practice_wording
from bot.adapters.discord.render import review as review_wording
from bot.adapters.discord.render import stats as stats_wording
from bot.adapters.discord.render import topics as topics_wording
from bot.adapters.discord.render.common import (
    EMBED_DESCRIPTION,
    EMBED_FIELDS,
    EMBED_TITLE,
    EMBED_TOTAL,
    FIELD_NAME,
    FIELD_VALUE,
    EmbedBuilder,
    escape,
    fit,
    hard_cut,
    join_lines,
)
from bot.bank import check_bank
from bot.config import REPO_ROOT
from bot.core import errors as core_errors
from bot.core.groups import Group
from bot.core.leaderboard import Scope, StandingRow, Standings
from bot.core.models import Citation, Difficulty, GradeFlag, KeyPoint
from bot.core.practice import (
    AnswerOutcome,
    MemberStats,
    ReviewEntry,
    TopicStats,
    WeakPoint,
)
from bot.core.review import ReviewItem
from bot.core.schedule import DateRange, Period
from bot.core.scoring import AttemptMode, PointsBreakdown, ZeroReason
from bot.core.streaks import StreakInfo
from tests.fakes import FakeGrader, make_question

ZW = "\u200b\u200c\u200d\u2060\ufeff"
MENTION = re.compile(r"<@[!&]?\d{17,20}>|@everyone|@here")
MASS_MENTION = re.compile(r"@everyone|@here")


def hostile_answer(length: int = 4000) -> str:
    """Mentions, markdown, zero-width characters, key terms, long sentences: 4,000 chars."""
    piece = (
        f"@everyone <@123456789012345678> **term0**{ZW} __bold__ `code` ||spoiler|| "
        f"> quote\n# heading [link](https://example.com) term1 \\ ~~strike~~ {ZW}"
        "<@&987654321098765432> "
    )
    text = (piece * (length // len(piece) + 1))[:length]
    assert len(text) == length
    return text


def check_embed(embed: discord.Embed, *, member_mentions: bool = False) -> None:
    """Every limit Discord enforces on an embed; no mention from user text survives.

    ``member_mentions``: the render itself names members (boards, stats) with ``<@id>``.
    """
    data = embed.to_dict()
    assert len(embed) <= EMBED_TOTAL
    assert len(data.get("title", "")) <= EMBED_TITLE
    assert len(data.get("description", "")) <= EMBED_DESCRIPTION
    assert len(data.get("fields", [])) <= EMBED_FIELDS
    for f in data.get("fields", []):
        assert 0 < len(f["name"]) <= FIELD_NAME and 0 < len(f["value"]) <= FIELD_VALUE
    text = " ".join(
        [data.get("title", ""), data.get("description", "")]
        + [f["name"] + " " + f["value"] for f in data.get("fields", [])]
    )
    pattern = MASS_MENTION if member_mentions else MENTION
    assert not pattern.search(text), "a mention survived escaping"
    for ch in "\u200c\u200d\u2060\ufeff":
        assert ch not in text


def outcome_for(question_points: int, answer: str, **changes: object) -> AnswerOutcome:
    question = make_question("q-hostile", "ml-foundations", Difficulty.HARD, points=question_points)
    grade = FakeGrader().grade(question, answer)
    outcome = AnswerOutcome(
        attempt_id=1,
        question=question,
        grade=grade,
        mode=AttemptMode.PRACTICE,
        points=PointsBreakdown(base=30, hint_penalty=10, total=20, hints_used=1, max_points=60),
        scored=True,
        streak=StreakInfo(current=3, best=9, extended=True),
        rank=None,
        review_due=date(2026, 3, 3),
        recorded_at=datetime(2026, 3, 2, tzinfo=UTC),
        local_date=date(2026, 3, 2),
    )
    return replace(outcome, **changes)  # type: ignore[arg-type]


def test_fit_escapes_and_never_leaves_a_dangling_backslash() -> None:
    for text in ["a\\b\\c\\" * 300, "**x**" * 500, hostile_answer()]:
        for limit in (10, 11, 57, 1024):
            out = fit(text, limit)
            assert len(out) <= limit
            body = out.removesuffix("…")
            trailing = len(body) - len(body.rstrip("\\"))
            assert trailing % 2 == 0, out[-10:]
    assert fit("@everyone", 50) == "@\u200beveryone"
    assert escape("**hi** <@123456789012345678>") == "\\*\\*hi\\*\\* <@\u200b123456789012345678>"
    assert escape(f"a{ZW}b\x07c") == "abc"


def test_join_lines_drops_whole_lines_and_counts_them() -> None:
    lines = [f"**line {i}** " + "x" * 80 for i in range(40)]
    out = join_lines(lines, 1024)
    assert len(out) <= 1024 and out.endswith("more…")
    assert all(line.count("**") == 2 for line in out.split("\n")[:-1])
    assert hard_cut("abc\\" + "d" * 10, 5) == "abc…"


def test_embed_builder_respects_every_limit() -> None:
    builder = EmbedBuilder("T" * 400, "d" * 5000, footer="f" * 100)
    for i in range(40):
        builder.add(f"name {i} " + "n" * 300, "v" * 2000)
    embed = builder.build()
    check_embed(embed)
    assert embed.footer.text is not None and "did not fit" in embed.footer.text


def test_grade_of_a_4000_character_hostile_answer_fits() -> None:
    answer = hostile_answer()
    outcome = outcome_for(3, answer)
    assert any(p.evidence for p in outcome.grade.points)
    reply = practice_wording.graded(outcome)
    (embed,) = reply.embeds
    check_embed(embed)
    assert reply.content is None and answer not in str(embed.to_dict())


def test_grade_with_many_points_flags_and_everything_fits() -> None:
    answer = hostile_answer() + " " + " ".join(f"term{i}." for i in range(0, 40, 2))
    flags = tuple(GradeFlag)
    outcome = outcome_for(
        40,
        answer,
        points=PointsBreakdown(
            base=0, hint_penalty=0, total=0, zero_reason=ZeroReason.FLAGGED, max_points=60
        ),
        duplicate=True,
        late=True,
    )
    outcome = replace(outcome, grade=replace(outcome.grade, flags=flags, comment="c" * 3000))
    (embed,) = practice_wording.graded(outcome).embeds
    check_embed(embed)
    points = next(f for f in embed.to_dict()["fields"] if f["name"] == "Points")
    assert "instruct the grader" in points["value"] and "Pasted reference" in points["value"]


def test_every_zero_reason_and_flag_has_wording() -> None:
    assert set(practice_wording.ZERO_TEXT) == set(ZeroReason)
    assert set(practice_wording.FLAG_TEXT) == set(GradeFlag)
    assert set(practice_wording.MODE_LABELS) == set(AttemptMode)


def test_question_modal_and_views_fit() -> None:
    question = replace(make_question("q-long"), prompt=hostile_answer(5000))
    from bot.core.practice import AskResult

    (embed,) = practice_wording.question(AskResult(question, AttemptMode.REVIEW, 3)).embeds
    check_embed(embed)
    modal = views.answer_modal(question.id, question.prompt, date(2026, 3, 2)).to_dict()
    assert len(modal["title"]) <= 45 and len(modal["custom_id"]) <= 100
    (label,) = modal["components"]
    assert label["type"] == 18 and len(label["label"]) <= 45
    assert len(label["description"]) <= 100 and "@everyone" not in label["description"]
    assert label["component"]["max_length"] == 4000
    assert label["component"]["style"] == discord.TextStyle.paragraph.value

    view = views.question_view(question.id, "ml-foundations", "hard")
    rows = view.to_components()
    assert len(rows) <= 5
    ids = [c["custom_id"] for row in rows for c in row["components"]]
    assert ids == ["ib:answer:q-long:-", "ib:hint:q-long", "ib:skip:ml-foundations:hard"]


def test_custom_ids_of_every_shipped_question_fit() -> None:
    bank, _ = check_bank(REPO_ROOT / "knowledge", strict=False)
    day = date(2026, 12, 31)
    for qid in bank.questions:
        for item in (
            views.AnswerButton(qid, day),
            views.HintButton(qid),
            views.ModelAnswerButton(qid),
            views.FollowUpButton(qid, 999),
        ):
            assert len(item.custom_id) <= 100
        assert len(views.answer_modal(qid, "p", day).custom_id) <= 100
    with pytest.raises(ValueError, match="longer than 100"):
        views.HintButton("x" * 100)


def test_unsafe_filters_are_not_embedded_in_custom_ids() -> None:
    assert views.SkipButton("a:b", "medium").custom_id == "ib:skip:-:medium"
    assert views.TryAnotherButton("x" * 80).custom_id == "ib:next:-:-"


def test_board_stats_review_topics_groups_fit() -> None:
    rows = tuple(
        StandingRow(
            rank=i + 1, subject_id=10**17 + i, points=999, name="**" + "G" * 200,
            members=5, active_members=3, per_member=333.3,
        )
        for i in range(10)
    )  # fmt: skip
    for scope in Scope:
        standings = Standings(
            Period.WEEK, scope, DateRange(date(2026, 3, 2), date(2026, 3, 8)), 1, 3, 30, rows
        )
        check_embed(board_wording.board(standings).embeds[0], member_mentions=True)

    cite = Citation("n", "T" * 300, "H" * 300)
    stats = MemberStats(
        guild_id=1,
        member_id=10**17,
        attempts=500,
        average=0.5,
        total_points=10**6,
        rank=1,
        streak=StreakInfo(3, 9, at_risk=True),
        topics=tuple(TopicStats("t" * 100 + str(i), 9, 0.5, 0.6) for i in range(40)),
        weakest_points=tuple(
            WeakPoint("q", f"p{i}", hostile_answer(500), 3, 4, cite) for i in range(5)
        ),
        history=(),
        review_due=2,
        group="@everyone " + "g" * 100,
    )
    reply = stats_wording.stats(stats, "@everyone" + "n" * 200, chart=True)
    check_embed(reply.embeds[0], member_mentions=True)

    question = replace(make_question("q"), prompt=hostile_answer(1000))
    entries = [
        ReviewEntry(question, ReviewItem("q", date(2026, 3, 2) + timedelta(days=i)), i < 20)
        for i in range(40)
    ]
    check_embed(review_wording.queue(entries).embeds[0])

    counts = {f"topic-{i}" * 5: dict.fromkeys(Difficulty, 3) for i in range(200)}
    check_embed(topics_wording.topics(counts).embeds[0])
    commands = [topics_wording.CommandHelp(f"cmd{i}", "d" * 100, i % 2 == 0) for i in range(100)]
    check_embed(topics_wording.help_page(commands).embeds[0])

    group = Group(1, 1, "@everyone **x**", 1, datetime(2026, 3, 2, tzinfo=UTC), members=4)
    check_embed(group_wording.group_list([group] * 300, group).embeds[0])
    check_embed(group_wording.created(group, 10**17).embeds[0], member_mentions=True)
    assert len(group_wording.choice_name(replace(group, name="n" * 200))) <= 100


def test_every_domain_error_has_friendly_wording() -> None:
    codes = {
        cls.code
        for cls in vars(core_errors).values()
        if isinstance(cls, type) and issubclass(cls, core_errors.PracticeError)
    }
    generic = {"practice_error", "group_error"}
    assert codes - generic <= set(error_wording.ERROR_TEXT)
    for code in codes:
        error = core_errors.PracticeError("x")
        error.code = code  # details missing on purpose: the wording must still render
        (embed,) = error_wording.practice_error(error).embeds
        assert "{" not in (embed.description or "")
    named = core_errors.GroupNotFoundError(name="**@everyone**")
    (embed,) = error_wording.practice_error(named).embeds
    assert "\\*\\*@\u200beveryone\\*\\*" in (embed.description or "")


def test_chart_is_a_png_with_or_without_data() -> None:
    start = datetime(2026, 3, 2, tzinfo=UTC)
    history = [(start + timedelta(hours=5 * i), (i % 7) / 6) for i in range(60)]
    mastery = [(f"Topic {i} with a rather long name indeed", i / 20) for i in range(20)]
    png = stats_chart(history, mastery, stats_wording.CHART_TEXT)
    assert png.startswith(PNG_SIGNATURE) and len(png) > 10_000
    assert stats_chart([], [], stats_wording.CHART_TEXT).startswith(PNG_SIGNATURE)


def test_key_point_nudge_uses_terms() -> None:
    question = replace(
        make_question("q-n"),
        key_points=(KeyPoint("p0", "Statement", terms=("**t1**", "t2", "t3", "t4")),),
    )
    outcome = replace(outcome_for(1, "nothing"), question=question)
    outcome = replace(
        outcome,
        grade=replace(outcome.grade, points=(replace(outcome.grade.points[0], point_id="p0"),)),
    )
    (embed,) = practice_wording.graded(outcome).embeds
    missed = next(f for f in embed.to_dict()["fields"] if f["name"].startswith("Missed"))
    assert "“\\*\\*t1\\*\\*”, “t2”, “t3”" in missed["value"] and "t4" not in missed["value"]
