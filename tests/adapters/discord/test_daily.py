"""End to end: ``/daily`` through the real bot and the fake Discord.

The bot's own scheduler runs (APScheduler with its SQLite job store in the temp data dir); the
tests drive it deterministically: the fake clock says what time it is, and the job functions
APScheduler would call (``run_daily_job`` / ``run_recap_job``) are awaited directly. The clock
is set in the future so APScheduler, which wakes on the real clock, never fires on its own.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.adapters.discord.client import InterviewBot
from bot.adapters.discord.cogs.daily import DailyCog
from bot.scheduler import daily_job_id, run_daily_job, run_recap_job
from tests.adapters.discord.conftest import BotFactory, World, answer_question, run_slash
from tests.fakediscord import CommandNotPermittedError, FakeChannel, FakeMessage
from tests.fakediscord.fixtures import StartBot
from tests.fakes import FakeClock

MONDAY = datetime(2031, 3, 3, 6, 0, tzinfo=UTC)  # 07:00 in Berlin


@pytest.fixture
def clock() -> FakeClock:
    """Monday 06:00 UTC, 2031: after every real instant these tests run at."""
    return FakeClock(MONDAY)


@pytest.fixture
def daily_channel(world: World) -> FakeChannel:
    """The channel the daily goes to (exists before the bot connects)."""
    return world.guild.add_text_channel("daily")


def cog_of(bot: InterviewBot) -> DailyCog:
    # Extensions are loaded as fresh module objects: compare by name, not by class identity.
    cog = bot.get_cog("Daily")
    assert cog is not None and type(cog).__name__ == "DailyCog"
    return cog  # type: ignore[return-value]


async def ready(bot: InterviewBot) -> DailyCog:
    """The daily cog once its scheduler started and caught up."""
    cog = cog_of(bot)
    await asyncio.wait_for(cog.ready.wait(), 5)
    return cog


async def setup_daily(world: World, channel: FakeChannel, **options: object) -> FakeMessage:
    values: dict[str, object] = {"channel": channel, "time": "09:00", "timezone": "UTC"}
    values.update(options)
    return await run_slash(world.server, world.admin, world.channel, "daily setup", values)


def posts(world: World, channel: FakeChannel) -> list[FakeMessage]:
    """The daily posts in ``channel`` (messages with an Answer button)."""
    return [
        m
        for m in world.server.channel_messages(channel)
        if any(c.get("label") == "Answer" for row in m.components for c in row["components"])
        or (m.embeds and m.embed["title"].startswith("Daily question"))
    ]


def recaps(world: World, thread_id: int) -> list[FakeMessage]:
    return [
        m
        for m in world.server.channel_messages(thread_id)
        if m.embeds and m.embed["title"].startswith("Daily recap")
    ]


def fields(message: FakeMessage) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message.embed.get("fields", [])}


async def test_setup_then_the_scheduled_post_opens_a_thread(
    world: World, bot: InterviewBot, daily_channel: FakeChannel, clock: FakeClock
) -> None:
    cog = await ready(bot)
    reply = await setup_daily(world, daily_channel, time="9am", timezone="europe/berlin")
    assert reply.ephemeral and not reply.pings_anyone
    assert reply.embed["title"] == "Daily question set up"
    assert "09:00 Europe/Berlin" in reply.embed["description"]
    assert daily_channel.mention in reply.embed["description"]
    assert "<t:" in fields(reply)["First question"]
    (job,) = [j for j in cog.scheduler.jobs() if j.id == daily_job_id(world.guild.id)]
    assert str(job.trigger.timezone) == "Europe/Berlin" and "hour='9'" in str(job.trigger)

    clock.set(datetime(2031, 3, 3, 8, 0, tzinfo=UTC))  # 09:00 in Berlin: the cron job fires
    await run_daily_job(cog.scheduler.name, world.guild.id)
    (post,) = posts(world, daily_channel)
    assert post.embed["title"] == "Daily question · Mon 03 Mar 2031"
    assert not post.ephemeral and not post.pings_anyone
    (button,) = [c for row in post.components for c in row["components"]]
    assert button["label"] == "Answer" and button["custom_id"].endswith(":2031-03-03")
    assert "<t:" in fields(post)["Closes"]

    (thread,) = world.server.threads(daily_channel)
    assert thread.id == post.id and thread.name.startswith("Daily 03 Mar")
    (intro,) = world.server.channel_messages(thread)
    assert "recap" in intro.content and not intro.pings_anyone
    record = await bot.deps.store.get_daily_post(world.guild.id, date(2031, 3, 3))
    assert record is not None and record.posted
    assert (record.channel_id, record.message_id, record.thread_id) == (
        daily_channel.id,
        post.id,
        thread.id,
    )

    await run_daily_job(cog.scheduler.name, world.guild.id)  # fired again: nothing more
    assert len(posts(world, daily_channel)) == 1


async def test_answering_the_daily_one_scored_attempt_then_one_recap(
    world: World, bot: InterviewBot, daily_channel: FakeChannel, clock: FakeClock
) -> None:
    server = world.server
    cog = await ready(bot)
    await setup_daily(world, daily_channel, time="07:00", window_hours=3)
    clock.set(datetime(2031, 3, 3, 7, 0, tzinfo=UTC))
    await run_daily_job(cog.scheduler.name, world.guild.id)
    (post,) = posts(world, daily_channel)
    daily = await bot.deps.service.daily_question(world.guild.id, date(2031, 3, 3))
    terms = " and ".join(f"term{i}" for i in range(len(daily.question.key_points)))

    first = await answer_question(server, world.alice, post, f"It is about {terms}.")
    assert first.ephemeral and first.embed["footer"]["text"].endswith("daily question")
    assert fields(first)["Points"].startswith("**+")
    assert not fields(first)["Points"].startswith("**+0**")
    second = await answer_question(server, world.alice, post, f"Again: {terms}.")
    assert "your one scored attempt at this daily is in" in fields(second)["Points"]
    bob = await answer_question(server, world.bob, post, "I only know term0.")
    assert bob.ephemeral
    scored = await bot.deps.store.daily_attempts(world.guild.id, date(2031, 3, 3))
    assert sorted(a.record.member_id for a in scored) == sorted([world.alice.id, world.bob.id])
    # Answers stay private until the recap: nothing public but the post and the thread.
    assert [m.id for m in server.channel_messages(daily_channel)] == [post.id]
    (thread,) = server.threads(daily_channel)

    clock.set(daily.closes_at - timedelta(seconds=1))
    await run_recap_job(cog.scheduler.name, world.guild.id, "2031-03-03")
    assert recaps(world, thread.id) == []
    clock.set(daily.closes_at)
    await asyncio.gather(
        run_recap_job(cog.scheduler.name, world.guild.id, "2031-03-03"),
        run_recap_job(cog.scheduler.name, world.guild.id, "2031-03-03"),
    )
    (recap,) = recaps(world, thread.id)
    assert recap.allowed_mentions == {"parse": []} and not recap.pings_anyone
    shown = fields(recap)
    assert shown["Participation"] == "2 members answered"
    assert "%" in shown["Average score"]
    assert "missed by" in shown["Most-missed points"]
    assert f"model answer for {daily.question.id}" in shown["Model answer"]
    top = shown["Top scorers"].splitlines()
    assert top[0].startswith("🥇") and f"<@{world.alice.id}>" in top[0]
    assert f"<@{world.bob.id}>" in top[1]
    # The post is closed: its Answer button is gone.
    assert post.embed["title"].endswith("closed") and post.components == []
    assert "2 members" in fields(post)["Answers"]

    late = await run_slash(server, world.admin, world.channel, "daily status")
    assert "Open now" not in fields(late)


async def test_a_missed_post_is_made_once_at_start_up_and_never_after_its_window(
    world: World,
    daily_channel: FakeChannel,
    start_bot: StartBot,
    make_bot: BotFactory,
    clock: FakeClock,
) -> None:
    first = await start_bot(make_bot())
    await ready(first.client)  # type: ignore[arg-type]
    await setup_daily(world, daily_channel, time="09:00", window_hours=4)
    await first.stop()

    clock.set(datetime(2031, 3, 3, 10, 30, tzinfo=UTC))  # down across 09:00, inside the window
    second = await start_bot(make_bot())
    await ready(second.client)  # type: ignore[arg-type]
    (post,) = posts(world, daily_channel)
    assert post.embed["title"] == "Daily question · Mon 03 Mar 2031"
    await second.stop()

    clock.advance(minutes=30)  # a restart inside the window: no second post
    third = await start_bot(make_bot())
    await ready(third.client)  # type: ignore[arg-type]
    assert len(posts(world, daily_channel)) == 1
    await third.stop()

    # Down from Monday 11:00 to Wednesday 14:00: Tuesday's and Wednesday's windows (09-13)
    # closed meanwhile, so neither is posted; Monday's recap is owed and comes once.
    clock.set(datetime(2031, 3, 5, 14, 0, tzinfo=UTC))
    fourth = await start_bot(make_bot())
    await ready(fourth.client)  # type: ignore[arg-type]
    assert len(posts(world, daily_channel)) == 1
    (thread,) = world.server.threads(daily_channel)
    assert len(recaps(world, thread.id)) == 1
    await fourth.stop()
    fifth = await start_bot(make_bot())
    await ready(fifth.client)  # type: ignore[arg-type]
    assert len(recaps(world, thread.id)) == 1
    for day in (date(2031, 3, 4), date(2031, 3, 5)):
        assert await fifth.client.deps.store.get_daily_post(world.guild.id, day) is None  # type: ignore[attr-defined]


async def test_now_status_and_off(
    world: World, bot: InterviewBot, daily_channel: FakeChannel, clock: FakeClock
) -> None:
    server, admin = world.server, world.admin
    await ready(bot)
    off = await run_slash(server, admin, world.channel, "daily status")
    assert off.embed["title"] == "Daily question: off"
    not_set = await run_slash(server, admin, world.channel, "daily now")
    assert "not set up" in not_set.content

    reply = await setup_daily(world, daily_channel, time="05:00", topics="transformers")
    assert "/daily now" in fields(reply)["Today"]  # set up after today's posting time
    assert posts(world, daily_channel) == []  # ... which is not posted by itself

    now = await run_slash(server, admin, world.channel, "daily now")
    assert now.ephemeral and "is posted in" in now.content and "discord.com/channels" in now.content
    (post,) = posts(world, daily_channel)
    assert "Transformer" in fields(post)["Topic"]
    again = await run_slash(server, admin, world.channel, "daily now")
    assert "already posted" in again.content and len(posts(world, daily_channel)) == 1

    status = await run_slash(server, admin, world.channel, "daily status")
    assert status.embed["title"] == "Daily question: on"
    shown = fields(status)
    assert "is posted" in shown["Open now"] and str(post.id) in shown["Open now"]
    assert "<t:" in shown["Next question"]

    stopped = await run_slash(server, admin, world.channel, "daily off")
    assert "is off" in stopped.content
    assert not [j for j in cog_of(bot).scheduler.jobs() if j.id.startswith("daily:")]
    again_off = await run_slash(server, admin, world.channel, "daily off")
    assert "already off" in again_off.content
    status = await run_slash(server, admin, world.channel, "daily status")
    assert status.embed["title"] == "Daily question: off"


async def test_now_before_the_posting_time_says_when(
    world: World, bot: InterviewBot, daily_channel: FakeChannel
) -> None:
    await ready(bot)
    await setup_daily(world, daily_channel, time="18:30")
    reply = await run_slash(world.server, world.admin, world.channel, "daily now")
    assert "cannot open before its posting time" in reply.content and "<t:" in reply.content
    assert posts(world, daily_channel) == []


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"time": "25:00"}, "is not a time I understand"),
        ({"time": "noonish"}, "is not a time I understand"),
        ({"time": "13pm"}, "is not a time I understand"),
        ({"timezone": "Mars/Olympus_Mons"}, "is not a timezone I know"),
        ({"timezone": "CEST+2"}, "is not a timezone I know"),
        ({"topics": "transformers, cooking"}, "Unknown topic(s): `cooking`"),
        ({"topics": "transformers", "difficulty": "easy"}, "No question here matches"),
    ],
)
async def test_invalid_setup_gets_a_clear_private_error(
    world: World, bot: InterviewBot, daily_channel: FakeChannel, options, expected
) -> None:
    reply = await setup_daily(world, daily_channel, **options)
    assert reply.ephemeral
    text = reply.content or reply.embed["description"]
    assert expected in text
    settings = await bot.deps.service.guild_settings(world.guild.id)
    assert settings.daily_channel_id is None  # nothing saved


async def test_timezone_and_topic_autocomplete(
    world: World, bot: InterviewBot, daily_channel: FakeChannel
) -> None:
    server = world.server
    zones = await server.autocomplete(
        world.admin,
        world.channel,
        "daily setup",
        focused="timezone",
        value="berl",
        options={"channel": daily_channel, "time": "9"},
    )
    assert {"name": "Europe/Berlin", "value": "Europe/Berlin"} in zones
    topics = await server.autocomplete(
        world.admin,
        world.channel,
        "daily setup",
        focused="topics",
        value="transformers, ml",
        options={"channel": daily_channel, "time": "9", "timezone": "UTC"},
    )
    assert [c["value"] for c in topics] == ["transformers, ml-foundations"]


async def test_plain_members_cannot_use_daily(
    world: World, bot: InterviewBot, daily_channel: FakeChannel
) -> None:
    server, bob = world.server, world.bob
    with pytest.raises(CommandNotPermittedError):  # Discord hides it from members
        await server.slash(bob, world.channel, "daily status")
    for command, options in (
        ("daily setup", {"channel": daily_channel, "time": "09:00", "timezone": "UTC"}),
        ("daily now", {}),
        ("daily off", {}),
        ("daily status", {}),
    ):
        # A server that overrode the default permissions: the bot still refuses.
        denied = await run_slash(
            server, bob, world.channel, command, options, enforce_permissions=False
        )
        assert denied.ephemeral and "Manage Server" in denied.content
    assert (await bot.deps.service.guild_settings(world.guild.id)).daily_channel_id is None


async def test_posts_that_landed_before_a_crash_are_adopted_not_repeated(
    world: World,
    daily_channel: FakeChannel,
    start_bot: StartBot,
    make_bot: BotFactory,
    clock: FakeClock,
) -> None:
    """The process dies between Discord accepting the post (or recap) and the database
    recording it: the next start takes the stale claim over, finds the message, keeps it."""
    first = await start_bot(make_bot())
    cog = await ready(first.client)  # type: ignore[arg-type]
    await setup_daily(world, daily_channel, time="07:00", window_hours=2)
    store, service = cog.bot.deps.store, cog.bot.deps.service
    guild, day = world.guild.id, date(2031, 3, 3)
    clock.set(datetime(2031, 3, 3, 7, 0, tzinfo=UTC))
    daily = await service.daily_question(guild, day)
    await store.claim_daily_post(guild, day, daily.question.id, "dead", clock.now(), clock.now())
    landed = await cog.post_daily(daily_channel.id, daily)  # ... and the process dies here
    await first.stop()

    clock.advance(minutes=5)  # the claim's lease ran out
    second = await start_bot(make_bot())
    await ready(second.client)  # type: ignore[arg-type]
    (post,) = posts(world, daily_channel)
    record = await store.get_daily_post(guild, day)
    assert record is not None and record.posted
    assert (
        (record.message_id, record.thread_id)
        == (post.id, landed.thread_id)
        == (
            landed.message_id,
            post.id,
        )
    )
    await second.stop()

    clock.set(daily.closes_at + timedelta(minutes=1))
    await store.claim_daily_recap(guild, day, "dead", clock.now(), clock.now())
    third = await start_bot(make_bot())
    cog = cog_of(third.client)  # type: ignore[arg-type]
    await asyncio.wait_for(cog.ready.wait(), 5)  # the recap claim is fresh: it waits
    (thread,) = world.server.threads(daily_channel)
    assert recaps(world, thread.id) == []
    recap = await service.close_daily(guild, day)
    await cog.post_recap(record, recap)  # the dead run's recap had landed after all
    await third.stop()

    clock.advance(minutes=5)
    fourth = await start_bot(make_bot())
    await ready(fourth.client)  # type: ignore[arg-type]
    (only,) = recaps(world, thread.id)
    done = await store.get_daily_post(guild, day)
    assert done is not None and done.recapped and done.recap_message_id == only.id
