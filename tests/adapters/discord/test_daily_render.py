"""The daily question's and ``/question``'s render builders against Discord's limits.

Questions are admin text (``/question add``): prompts, model answers and key points full of
mentions, markdown and invisible characters must never ping, never break the markdown around
them and never push an embed past Discord's limits. The view and form builders must fit too.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import discord
import pytest

from bot.adapters.discord.cogs.daily import (
    parse_time,
    resolve_timezone,
    split_topics,
    timezone_suggestions,
)
from bot.adapters.discord.cogs.questions import question_form
from bot.adapters.discord.render import daily as wording
from bot.adapters.discord.render import questions as question_wording
from bot.adapters.discord.render.common import (
    ACTION_ROWS,
    CUSTOM_ID,
    EMBED_DESCRIPTION,
    EMBED_FIELDS,
    EMBED_TITLE,
    EMBED_TOTAL,
    FIELD_VALUE,
    INPUT_LABEL,
    LABEL_DESCRIPTION,
    MODAL_INPUT,
    PLACEHOLDER,
)
from bot.adapters.discord.views import daily_view
from bot.core.guild_settings import GuildSettings
from bot.core.models import Citation, KeyPoint
from bot.core.practice import DailyQuestion, DailyRecap, MissedPoint, TopScorer
from bot.core.store_ports import DailyPost
from bot.question_admin import MAX_GUILD_QUESTIONS, QuestionDraft
from bot.scheduler import DailyStatus, PostResult, PostStatus
from tests.fakes import make_question

MASS_MENTION = re.compile(r"(?<!\\)@(everyone|here)")
USER_MENTION = re.compile(r"<@!?\d+>")
ZW = "\u200b\u200c\u200d\u2060\ufeff"
NOW = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)


def hostile(length: int) -> str:
    piece = f"**bold @everyone <@123456789012345678> `code` ||spoiler|| {ZW} _x_ ~~y~~ > quote\n"
    return (piece * (length // len(piece) + 1))[:length]


def hostile_question(qid: str = "g1234567890123456789-what-is-attention-and-why") -> object:
    base = make_question(qid, topic="evaluation", points=6, guild_id=1234567890123456789)
    points = tuple(
        replace(p, statement=hostile(300), terms=(hostile(40),)) for p in base.key_points
    )
    return replace(base, prompt=hostile(1000), model_answer=hostile(3000), key_points=points)


def daily_of(question: object) -> DailyQuestion:
    return DailyQuestion(
        guild_id=1,
        local_date=date(2031, 3, 3),
        question=question,  # type: ignore[arg-type]
        opens_at=NOW,
        closes_at=NOW + timedelta(hours=24),
        closed=False,
    )


def check_embed(embed: discord.Embed, mentions: frozenset[str] = frozenset()) -> None:
    """Within every limit; no live mention but ``mentions`` (the bot's own, of top scorers)."""
    data = embed.to_dict()
    assert len(embed) <= EMBED_TOTAL
    assert len(data.get("title", "")) <= EMBED_TITLE
    assert len(data.get("description", "")) <= EMBED_DESCRIPTION
    assert len(data.get("fields", [])) <= EMBED_FIELDS
    for f in data.get("fields", []):
        assert 0 < len(f["value"]) <= FIELD_VALUE, f["name"]
    text = "\n".join(strings(data))
    assert not MASS_MENTION.search(text), text[:500]
    assert set(USER_MENTION.findall(text)) <= mentions, text[:500]
    # The only invisible character left is the one escaping a mention ("@\u200beveryone").
    assert not any(ch in text.replace("@\u200b", "@") for ch in ZW)


def strings(value: object) -> list[str]:
    """Every string inside an embed's dict."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def test_daily_post_thread_and_closed_post_fit() -> None:
    question = hostile_question()
    daily = daily_of(question)
    (post,) = wording.daily_post(daily).embeds
    check_embed(post)
    assert "<@123456789012345678>" not in str(post.to_dict())  # admin text never mentions
    assert len(wording.thread_name(daily)) <= 100
    intro = wording.thread_intro(daily)
    assert intro.content is not None and len(intro.content) <= 2000
    recap = DailyRecap(1, daily.local_date, question, 0, 0.0, (), (), True)  # type: ignore[arg-type]
    (closed,) = wording.closed_post(daily, recap).embeds
    check_embed(closed)


def test_the_daily_buttons_custom_id_fits_with_the_longest_server_id() -> None:
    qid = "g12345678901234567890-" + "a" * 40 + "-99"
    (button,) = daily_view(qid, date(2031, 3, 3)).children
    assert len(getattr(button, "custom_id", "")) <= CUSTOM_ID
    assert daily_view(qid, date(2031, 3, 3)).to_components()


def test_recap_fits_and_mentions_only_as_names() -> None:
    question = hostile_question()
    missed = tuple(
        MissedPoint(f"p{i}", hostile(400), 9 - i, Citation("note", hostile(200), hostile(200)))
        for i in range(6)
    )
    top = tuple(TopScorer(10**17 + i, 0.9 - i / 10, 100 - i) for i in range(3))
    recap = DailyRecap(1, date(2031, 3, 3), question, 42, 0.61, missed, top, True)  # type: ignore[arg-type]
    (embed,) = wording.recap(recap).embeds
    check_embed(embed, frozenset(f"<@{s.member_id}>" for s in top))
    fields = {f["name"]: f["value"] for f in embed.to_dict()["fields"]}
    assert fields["Participation"] == "42 members answered"
    assert USER_MENTION.findall(fields["Top scorers"]) == [f"<@{10**17 + i}>" for i in range(3)]
    assert "<@123456789012345678>" not in fields["Model answer"]
    assert embed.title == wording.recap_title(date(2031, 3, 3))

    nobody = DailyRecap(1, date(2031, 3, 3), question, 0, 0.0, (), (), True)  # type: ignore[arg-type]
    (empty,) = wording.recap(nobody).embeds
    check_embed(empty)
    names = [f["name"] for f in empty.to_dict()["fields"]]
    assert names == ["Participation", "Model answer"]


def test_daily_replies_fit() -> None:
    settings = GuildSettings(
        daily_channel_id=5,
        daily_time=time(9),
        timezone="America/Argentina/ComodRivadavia",
        topics=tuple(f"topic-{i}-{'x' * 30}" for i in range(30)),
        window_hours=168,
    )
    (setup,) = wording.setup_done(settings, "<#5>", NOW, today_open=True).embeds
    check_embed(setup)
    post = DailyPost(1, date(2031, 3, 3), "q", "t", NOW, 5, 6, 6, NOW)
    status = DailyStatus(settings, False, NOW, date(2031, 3, 3), daily_of(hostile_question()), post)
    (shown,) = wording.status(status, "<#5>", "https://discord.com/channels/1/5/6").embeds
    check_embed(shown)
    for status_ in PostStatus:
        reply = wording.now_result(
            PostResult(status_, date(2031, 3, 3), post, NOW), "<#5>", "https://x"
        )
        assert reply.content and len(reply.content) <= 2000
    for reply in (
        wording.invalid_time(hostile(500)),
        wording.invalid_timezone(hostile(500)),
        wording.invalid_topics([hostile(100)] * 30, ["a", "b"]),
        wording.setup_failed(hostile(1000)),
        wording.missing_permissions("<#5>", ["send_messages", "create_public_threads"]),
    ):
        (embed,) = reply.embeds
        check_embed(embed)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("09:00", time(9)),
        ("9", time(9)),
        ("9:05", time(9, 5)),
        ("18.30", time(18, 30)),
        ("7h45", time(7, 45)),
        ("9am", time(9)),
        ("12am", time(0)),
        ("12 PM", time(12)),
        ("6:30 p.m.", time(18, 30)),
        ("00:00", time(0)),
        ("23:59", time(23, 59)),
        ("24:00", None),
        ("9:60", None),
        ("13pm", None),
        ("0am", None),
        ("nine", None),
        ("", None),
        ("9:5", None),
    ],
)
def test_posting_times_people_type(typed: str, expected: time | None) -> None:
    assert parse_time(typed) == expected


def test_timezones_people_type() -> None:
    assert resolve_timezone("europe/berlin") == "Europe/Berlin"
    assert resolve_timezone(" America/New York ") == "America/New_York"
    assert resolve_timezone("utc") == resolve_timezone("GMT") == "UTC"
    assert resolve_timezone("Mars/Olympus_Mons") is None
    assert resolve_timezone("+02:00") is None
    assert timezone_suggestions("berl")[0] == "Europe/Berlin"
    assert "America/New_York" in timezone_suggestions("new_y")
    assert len(timezone_suggestions("a")) == 25
    assert timezone_suggestions("")[0] == "UTC"
    assert split_topics(" transformers, ML-foundations,,transformers ") == [
        "transformers",
        "ml-foundations",
    ]


# -- /question -------------------------------------------------------------------------------


def test_question_form_fits_and_keeps_a_draft() -> None:
    draft = QuestionDraft(
        question=hostile(5000),
        model_answer=hostile(5000),
        key_points=hostile(5000),
        topic="transformers",
        difficulty="hard",
    )
    modal = question_form(draft)
    payload = modal.to_dict()
    assert len(payload["title"]) <= 45
    assert len(payload["components"]) <= ACTION_ROWS
    for label in payload["components"]:
        assert len(label["label"]) <= INPUT_LABEL
        assert len(label.get("description", "")) <= LABEL_DESCRIPTION
        text = label["component"]
        assert text["max_length"] <= MODAL_INPUT
        assert len(text.get("placeholder", "")) <= PLACEHOLDER
        assert len(text.get("value", "")) <= text["max_length"]
    values = {
        c["component"]["custom_id"]: c["component"].get("value") for c in payload["components"]
    }
    assert values["topic"] == "transformers" and values["difficulty"] == "hard"
    empty = question_form(QuestionDraft()).to_dict()
    assert all("value" not in c["component"] for c in empty["components"])


def test_question_replies_fit() -> None:
    question = hostile_question()
    (added,) = question_wording.added(question).embeds  # type: ignore[arg-type]
    check_embed(added)
    assert "<@123456789012345678>" not in str(added.to_dict())
    (problems,) = question_wording.problems([hostile(400)] * 40).embeds
    check_embed(problems)
    many = [hostile_question(f"g1-q{i:03d}") for i in range(MAX_GUILD_QUESTIONS)]
    for page in (1, 7, 50, 99):
        (listing,) = question_wording.listing(many, page).embeds  # type: ignore[arg-type]
        check_embed(listing)
    assert "Page 50 of 50" in str(question_wording.listing(many, 99).embeds[0].to_dict())  # type: ignore[arg-type]
    for reply in (
        question_wording.removed(hostile(300)),
        question_wording.not_found(hostile(300)),
        question_wording.is_open_daily(hostile(300)),
        question_wording.limit_reached(),
    ):
        assert reply.content is not None and len(reply.content) <= 2000
        assert not MASS_MENTION.search(reply.content)
    choice = question_wording.id_choice_name(question)  # type: ignore[arg-type]
    assert len(choice) <= 100
    for name, value in question_wording.topic_choices():
        assert 1 <= len(name) <= 100 and value


def test_key_point_weights_show_in_the_added_reply() -> None:
    question = make_question("g1-q", points=1, guild_id=1)
    question = replace(question, key_points=(KeyPoint("p1", "A heavy point here.", 2.0),))
    (added,) = question_wording.added(question).embeds
    assert "(×2)" in str(added.to_dict())
