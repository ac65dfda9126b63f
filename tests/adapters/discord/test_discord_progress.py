"""End to end: /leaderboard with pages, /stats with its chart, /review, /topics, /help."""

from __future__ import annotations

from bot.adapters.discord.charts import PNG_SIGNATURE
from bot.adapters.discord.client import BotDeps, InterviewBot
from bot.core.practice import Submission
from tests.adapters.discord.conftest import World, answer_question, run_slash
from tests.fakes import FakeClock


async def _score(deps: BotDeps, guild_id: int, member_id: int, answer: str, key: str) -> None:
    ask = await deps.service.ask(guild_id, member_id)
    await deps.service.submit_answer(Submission(guild_id, member_id, ask.question.id, answer, key))


async def test_leaderboard_pages_with_buttons(
    world: World, bot: InterviewBot, deps: BotDeps
) -> None:
    server = world.server
    players = [world.guild.add_member(f"player{i:02d}") for i in range(12)]
    for i, player in enumerate(players):
        # Different scores: player i covers a different number of key points.
        await _score(deps, world.guild.id, player.id, "term0 term1 term2"[: 5 + i % 3 * 6], f"k{i}")

    board = await run_slash(server, world.alice, world.channel, "leaderboard")
    assert not board.ephemeral and not board.pings_anyone  # public, but nobody is pinged
    assert board.embed["title"] == "🏆 Leaderboard · members · this week"
    assert board.embed["footer"]["text"].startswith("Page 1/2 · 12 entries")
    assert board.embed["description"].count("\n") == 9  # ten rows
    assert "🥇" in board.embed["description"] and "<@" in board.embed["description"]
    previous, following = (c for row in board.components for c in row["components"])
    assert previous["disabled"] and not following.get("disabled")

    page = await server.click(world.bob, board, label="Next")
    await page.wait_callback()
    assert page.callback is not None and page.callback.type == 6  # then the message is edited
    await server.wait_until(lambda: board.embed["footer"]["text"].startswith("Page 2/2"))
    assert "`#11`" in board.embed["description"]
    previous, following = (c for row in board.components for c in row["components"])
    assert not previous.get("disabled") and following["disabled"]

    groups = await run_slash(
        server, world.alice, world.channel, "leaderboard", {"period": "all", "scope": "groups"}
    )
    assert "No study group has scored all time" in groups.embed["description"]
    assert groups.components == []  # a single page has no buttons


async def test_stats_has_a_chart_and_respects_privacy(
    world: World, bot: InterviewBot, deps: BotDeps, clock: FakeClock
) -> None:
    server, alice = world.server, world.alice
    empty = await run_slash(server, alice, world.channel, "stats")
    assert "no answers yet" in empty.embed["description"] and not empty.attachments

    for _ in range(3):
        question = await run_slash(server, alice, world.channel, "practice")
        await answer_question(server, alice, question, "term0 is what matters.")
        clock.advance(days=1)
    stats = await run_slash(server, alice, world.channel, "stats")
    assert stats.ephemeral and not stats.pings_anyone
    assert stats.embed["title"] == "📈 Progress of alice"
    (chart,) = stats.attachments
    assert chart.filename == "stats.png" and chart.data.startswith(PNG_SIGNATURE)
    assert stats.embed["image"]["url"] == "attachment://stats.png"
    fields = {f["name"]: f["value"] for f in stats.embed["fields"]}
    assert "3 days" in fields["Streak"] and "Topics (best first)" in fields

    seen_by_bob = await run_slash(server, world.bob, world.channel, "stats", {"member": alice})
    assert "Progress of alice" in seen_by_bob.embed["title"]
    await run_slash(server, alice, world.channel, "privacy leaderboard", {"visibility": "off"})
    hidden = await run_slash(server, world.bob, world.channel, "stats", {"member": alice})
    assert hidden.content == "alice keeps their progress private." and not hidden.attachments


async def test_review_asks_due_questions_first(
    world: World, bot: InterviewBot, clock: FakeClock
) -> None:
    server, bob = world.server, world.bob
    empty = await run_slash(server, bob, world.channel, "review")
    assert "review queue is empty" in empty.embed["description"]
    assert [c["label"] for row in empty.components for c in row["components"]] == ["Try another"]

    question = await run_slash(server, bob, world.channel, "practice", {"difficulty": "medium"})
    poor = await answer_question(server, bob, question, "I am not sure at all.")
    review_field = next(f for f in poor.embed["fields"] if f["name"] == "Review")
    assert "comes back for review" in review_field["value"]

    clock.advance(days=1)
    review = await run_slash(server, bob, world.channel, "review")
    queue, asked = review.embeds
    assert queue["title"] == "🗂️ Your review queue" and "1 question due now" in queue["description"]
    assert asked["title"].startswith("Review ·") and "q-bias" in asked["footer"]["text"]
    graded = await answer_question(server, bob, review, "term0 term1 term2 all covered.")
    assert graded.embed["footer"]["text"].endswith("review")
    labels = [c["label"] for row in graded.components for c in row["components"]]
    assert labels[-1] == "Next review"
    nothing_due = await (await server.click(bob, graded, label="Next review")).response()
    assert nothing_due.content.startswith("Nothing is due for review")
    assert nothing_due.embed["title"].startswith("Practice")


async def test_topics_and_help(world: World, bot: InterviewBot) -> None:
    server = world.server
    topics = await run_slash(server, world.alice, world.channel, "topics")
    text = topics.embed["description"]
    assert "**Machine-learning foundations** (`ml-foundations`) — 2 questions" in text
    assert "1 easy · 1 medium" in text

    help_page = await run_slash(server, world.alice, world.channel, "help")
    fields = {f["name"]: f["value"] for f in help_page.embed["fields"]}
    for name in ("/practice", "/leaderboard", "/stats", "/group create", "/privacy forget-me"):
        assert f"`{name}`" in fields["Commands"]
