"""End-to-end tests: a small demo bot, unmodified discord.py 2.7.1, the fake Discord.

The demo bot below stands in for the real one; each test drives it as a user would and asserts
on what Discord would have shown. They double as examples of the harness API.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import time
from typing import TYPE_CHECKING, Any

import discord
import pytest
from discord import app_commands
from discord.app_commands import Choice
from discord.ext import commands

from tests.fakediscord import (
    BotLoggedError,
    CommandNotPermittedError,
    FakeChannel,
    FakeDiscord,
    FakeGuild,
    FakeInteraction,
    FakeMember,
)

if TYPE_CHECKING:
    from tests.fakediscord.fixtures import StartBot

pytest_plugins = ["tests.fakediscord.fixtures"]

TOPICS = ["transformers", "tokenization", "attention", "rnn", "cnn", "embeddings"]
BINARY = b"\x00\x01scores\r\n\xff"

# --------------------------------------------------------------------------- the demo bot


class AnswerModal(discord.ui.Modal, title="Your answer"):
    """Opened by the Answer button; defers, then grades in an ephemeral followup."""

    answer: discord.ui.TextInput[AnswerModal] = discord.ui.TextInput(
        label="Answer", custom_id="answer", style=discord.TextStyle.long, max_length=2000
    )

    def __init__(self, topic: str) -> None:
        super().__init__(custom_id=f"answer:{topic}")
        self.topic = topic

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        chars = len(self.answer.value)
        await interaction.followup.send(
            f"Graded your {self.topic} answer: {chars} characters.", ephemeral=True
        )


class PracticeView(discord.ui.View):
    """The button under a practice question."""

    def __init__(self, topic: str) -> None:
        super().__init__(timeout=60)
        self.topic = topic

    @discord.ui.button(
        label="Answer", style=discord.ButtonStyle.primary, custom_id="practice:answer"
    )
    async def answer(
        self, interaction: discord.Interaction, _: discord.ui.Button[PracticeView]
    ) -> None:
        await interaction.response.send_modal(AnswerModal(self.topic))

    @discord.ui.button(label="Hint", custom_id="practice:hint")
    async def hint(
        self, interaction: discord.Interaction, _: discord.ui.Button[PracticeView]
    ) -> None:
        await interaction.response.defer()  # type 6: acknowledge, change nothing
        await interaction.followup.send(
            f"Hint: start from what {self.topic} computes.", ephemeral=True
        )

    @discord.ui.button(label="Skip", custom_id="practice:skip")
    async def skip(
        self, interaction: discord.Interaction, _: discord.ui.Button[PracticeView]
    ) -> None:
        await interaction.response.edit_message(content="Skipped.", embed=None, view=None)  # type 7


class JoinPanel(discord.ui.View):
    """A persistent view: registered at startup, it survives restarts."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Join", style=discord.ButtonStyle.success, custom_id="panel:join")
    async def join(self, interaction: discord.Interaction, _: discord.ui.Button[JoinPanel]) -> None:
        await interaction.response.send_message(
            f"Welcome, {interaction.user.display_name}!", ephemeral=True
        )


class DemoTree(app_commands.CommandTree):
    """Answers failed checks politely; anything else is logged (and fails the test)."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, app_commands.CheckFailure):
            await interaction.response.send_message(
                "You need the Manage Server permission.", ephemeral=True
            )
            return
        await super().on_error(interaction, error)


def _busy(seconds: float) -> int:
    """CPU-bound work that holds a core for ``seconds``."""
    end, total = time.perf_counter() + seconds, 0
    while time.perf_counter() < end:
        total += sum(range(1000))
    return total


class DemoBot(commands.Bot):
    """A small bot covering the flows the real one uses."""

    def __init__(self, guild_id: int) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=DemoTree,
            help_command=None,
            guild_ready_timeout=0.05,
            chunk_guilds_at_startup=False,
        )
        self.guild_id = guild_id
        _add_demo_commands(self)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py waits 5 s before a re-IDENTIFY; a test need not."""

    async def setup_hook(self) -> None:
        self.add_view(JoinPanel())
        guild = discord.Object(id=self.guild_id)
        self.tree.copy_global_to(guild=guild)
        await self.tree.sync(guild=guild)


def _add_demo_commands(bot: DemoBot) -> None:
    tree = bot.tree

    @tree.command(description="Start a practice question")
    @app_commands.describe(topic="What to practise", difficulty="How hard", rounds="How many")
    @app_commands.choices(
        difficulty=[Choice(name="Easy", value="easy"), Choice(name="Hard", value="hard")]
    )
    async def practice(
        interaction: discord.Interaction,
        topic: str,
        difficulty: Choice[str],
        rounds: app_commands.Range[int, 1, 5] = 1,
    ) -> None:
        embed = discord.Embed(
            title=f"Practice: {topic}", description=f"{difficulty.name}, {rounds} round(s)"
        )
        embed.add_field(name="Question", value=f"Explain {topic} in two sentences.")
        await interaction.response.send_message(embed=embed, view=PracticeView(topic))

    @practice.autocomplete("topic")
    async def topic_choices(interaction: discord.Interaction, current: str) -> list[Choice[str]]:
        return [Choice(name=t.title(), value=t) for t in TOPICS if current.lower() in t][:25]

    @tree.command(description="Open a discussion thread")
    async def discuss(
        interaction: discord.Interaction, topic: str, from_message: bool = True
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        channel = interaction.channel
        assert isinstance(channel, discord.TextChannel)
        if from_message:
            starter = await channel.send(f"Discussion: {topic}")
            thread = await starter.create_thread(name=f"{topic} discussion")
        else:
            thread = await channel.create_thread(
                name=f"{topic} notes", type=discord.ChannelType.public_thread
            )
        await thread.send(f"Share your thoughts on {topic} here.")
        await interaction.followup.send(f"Opened {thread.mention}", ephemeral=True)

    @tree.command(description="Export notes as files")
    async def export(interaction: discord.Interaction, topic: str) -> None:
        notes = discord.File(io.BytesIO(f"# Notes on {topic}\n".encode()), filename="notes.md")
        await interaction.response.send_message("Your notes", file=notes, ephemeral=True)
        assert isinstance(interaction.channel, discord.TextChannel)
        await interaction.channel.send(
            "Shared scores", file=discord.File(io.BytesIO(BINARY), filename="scores.bin")
        )

    @tree.command(description="Post the join panel")
    @app_commands.default_permissions(manage_guild=True)
    async def panel(interaction: discord.Interaction) -> None:
        assert isinstance(interaction.channel, discord.TextChannel)
        await interaction.channel.send("Study group: press Join", view=JoinPanel())
        await interaction.response.send_message("Panel posted", ephemeral=True)

    @tree.command(description="Remind a member to practise")
    async def remind(
        interaction: discord.Interaction, member: discord.Member, ping: bool = False
    ) -> None:
        assert isinstance(interaction.channel, discord.TextChannel)
        text = f"{member.mention}, time to practise!"
        if ping:
            await interaction.channel.send(
                text, allowed_mentions=discord.AllowedMentions(users=[member])
            )
        else:
            await interaction.channel.send(text)  # the bot-wide default: nobody is pinged
        await interaction.response.send_message("Reminder sent", ephemeral=True)

    @tree.command(description="Announce in this channel")
    async def announce(interaction: discord.Interaction, text: str) -> None:
        assert isinstance(interaction.channel, discord.TextChannel)
        await interaction.channel.send(text)
        await interaction.response.send_message("Posted", ephemeral=True)

    @tree.command(description="Crunch numbers off the event loop")
    async def crunch(
        interaction: discord.Interaction, seconds: app_commands.Range[float, 0.0, 3.0]
    ) -> None:
        await interaction.response.defer(thinking=True)
        total = await asyncio.to_thread(_busy, seconds)
        await interaction.followup.send(f"Crunched {total > 0}")

    @tree.command(description="Post and update status messages")
    async def status(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Step 1/2")
        await interaction.edit_original_response(content="Step 2/2")  # PATCH @original
        channel = interaction.channel
        assert isinstance(channel, discord.TextChannel)
        board = await channel.send("Queued")
        await board.edit(content="Running")  # PATCH /channels/{id}/messages/{id}
        fetched = await channel.fetch_message(board.id)
        seen = [m.content async for m in channel.history(limit=10)]
        scratch = await interaction.followup.send("scratch", ephemeral=True, wait=True)
        await scratch.edit(content="scratch, edited")  # PATCH /webhooks/.../messages/{id}
        await scratch.delete()
        original = await interaction.original_response()  # GET @original
        summary = f"{original.content}; board={fetched.content}; seen={seen}"
        await interaction.followup.send(summary, ephemeral=True)

    @tree.command(description="Always fails")
    async def boom(interaction: discord.Interaction) -> None:
        raise RuntimeError("kaboom")

    config = app_commands.Group(
        name="config",
        description="Study group settings",
        default_permissions=discord.Permissions(manage_guild=True),
    )
    limit = app_commands.Group(name="limit", description="Limits", parent=config)

    @config.command(name="show", description="Show the settings")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def config_show(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("max_rounds=5", ephemeral=True)

    @limit.command(name="set", description="Set a limit")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def limit_set(
        interaction: discord.Interaction, name: str, value: app_commands.Range[int, 1, 100]
    ) -> None:
        await interaction.response.send_message(f"{name} = {value}", ephemeral=True)

    tree.add_command(config)

    @bot.command()
    async def ping(ctx: commands.Context[DemoBot]) -> None:
        await ctx.reply("pong")


# --------------------------------------------------------------------------- fixtures


class World:
    """The guild the tests play in."""

    def __init__(self, server: FakeDiscord) -> None:
        self.server = server
        self.guild: FakeGuild = server.add_guild("Study Group")
        self.owner: FakeMember = self.guild.add_member("olga")  # first human: guild owner
        self.channel: FakeChannel = self.guild.add_text_channel("practice")
        self.admin: FakeMember = self.guild.add_member("amy", admin=True)
        self.alice: FakeMember = self.guild.add_member("alice")
        self.bob: FakeMember = self.guild.add_member("bob")

    def bot(self) -> DemoBot:
        """A fresh bot instance for this guild."""
        return DemoBot(self.guild.id)


@pytest.fixture
def world(fake_discord: FakeDiscord) -> World:
    return World(fake_discord)


@pytest.fixture
async def bot(world: World, start_bot: StartBot) -> DemoBot:
    runner = await start_bot(world.bot())
    assert isinstance(runner.client, DemoBot)
    return runner.client


# --------------------------------------------------------------------------- tests


async def test_login_sync_and_ready(fake_discord: FakeDiscord, world: World, bot: DemoBot) -> None:
    server = fake_discord
    assert [r.route for r in server.requests[:2]] == [
        "GET /users/@me",
        "GET /oauth2/applications/@me",
    ]
    synced = {c["name"] for c in server.synced_commands(world.guild)}
    assert {"practice", "discuss", "export", "panel", "config"} <= synced
    assert server.identify_count == 1 and server.heartbeats >= 1
    conn = server.connections[0]
    assert conn.query["v"] == "10" and conn.query["encoding"] == "json"
    identify = next(f for f in server.received_frames if f["op"] == 2)
    assert identify["d"]["intents"] == bot.intents.value
    guild = bot.get_guild(world.guild.id)
    assert guild is not None and guild.name == "Study Group"
    assert guild.get_channel(world.channel.id) is not None
    assert guild.me is not None and guild.member_count == 5  # members: not cached w/o intent
    assert bot.user is not None and bot.user.id == server.bot_user.id
    assert server.unhandled_requests == []


async def test_slash_embed_button_modal_and_ephemeral_followup(
    fake_discord: FakeDiscord, world: World, bot: DemoBot
) -> None:
    server, alice = fake_discord, world.alice
    interaction = await server.slash(
        alice, world.channel, "practice", {"topic": "attention", "difficulty": "hard", "rounds": 2}
    )
    question = await interaction.response()
    assert question.embed["title"] == "Practice: attention"
    assert question.embed["description"] == "Hard, 2 round(s)"
    assert not question.ephemeral and question in server.channel_messages(world.channel)

    click = await server.click(alice, question, "practice:answer")
    modal = await click.modal()
    assert modal.title == "Your answer" and modal.fields["answer"]["max_length"] == 2000

    submit = await server.submit_modal(
        alice, click, "answer:attention", {"Answer": "Attention weighs tokens."}
    )
    graded = await submit.response()
    assert submit.callback is not None and submit.callback.type == 5  # deferred first
    assert graded.ephemeral and graded.content == "Graded your attention answer: 24 characters."
    assert graded not in server.channel_messages(world.channel)
    assert submit.followups == [graded]  # the first followup replaced "thinking..."

    await server.click(world.bob, question, "practice:answer")
    with pytest.raises(ValueError, match="required"):  # Discord's client checks, too
        await server.submit_modal(world.bob, question, values={"answer": ""})
    again = await server.submit_modal(world.bob, question, values={"answer": "Soft lookup."})
    assert (await again.response()).content == "Graded your attention answer: 12 characters."


async def test_component_defer_and_update_message(
    fake_discord: FakeDiscord, world: World, bot: DemoBot
) -> None:
    server, alice = fake_discord, world.alice
    question = await (
        await server.slash(alice, world.channel, "practice", {"topic": "rnn", "difficulty": "easy"})
    ).response()

    hint = await server.click(alice, question, label="Hint")
    assert (await hint.wait_callback()).type == 6 and await hint.response() is question
    tip = await hint.followup(0)
    assert tip.ephemeral and tip.content == "Hint: start from what rnn computes."

    skip = await server.click(alice, question, "practice:skip")
    updated = await skip.response()
    assert skip.callback is not None and skip.callback.type == 7
    assert updated is question and updated.content == "Skipped."
    assert updated.embeds == [] and updated.components == []


async def test_original_response_and_followup_edits(
    fake_discord: FakeDiscord, world: World, bot: DemoBot
) -> None:
    server = fake_discord
    interaction = await server.slash(world.alice, world.channel, "status")
    summary = await interaction.followup(1)
    assert summary.content == "Step 2/2; board=Running; seen=['Running', 'Step 2/2']"
    original = await interaction.response()
    assert original.content == "Step 2/2" and [e.get("content") for e in original.edits] == [
        "Step 2/2"
    ]
    scratch = interaction.followups[0]
    assert scratch.deleted and scratch.content == "scratch, edited"
    assert server.followups(interaction.token) == [scratch, summary]
    board = server.channel_messages(world.channel)[-1]
    assert board.content == "Running" and board.edited_timestamp is not None


async def test_rest_lookups_and_direct_messages(
    fake_discord: FakeDiscord, world: World, bot: DemoBot
) -> None:
    server = fake_discord
    guild = await bot.fetch_guild(world.guild.id)
    assert guild.name == "Study Group" and guild.owner_id == world.owner.id
    channel = await bot.fetch_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel) and channel.name == "practice"
    member = await guild.fetch_member(world.alice.id)
    assert member.name == "alice"
    user = await bot.fetch_user(world.bob.id)
    await user.send("Your mock interview is at 6.")
    dm = server.dm_channel(world.bob)
    assert dm is not None
    assert [m.content for m in server.channel_messages(dm)] == ["Your mock interview is at 6."]
    with pytest.raises(discord.NotFound):
        await bot.fetch_channel(12345)
    assert server.unhandled_requests == []


class HelloClient(discord.Client):
    """A plain Client with a global command tree (no commands.Bot)."""

    def __init__(self) -> None:
        super().__init__(intents=discord.Intents.none(), guild_ready_timeout=0.05)
        self.tree = app_commands.CommandTree(self)

        @self.tree.command(description="Say hello")
        async def hello(interaction: discord.Interaction, name: str) -> None:
            await interaction.response.send_message(f"Hello, {name}!")

    async def setup_hook(self) -> None:
        await self.tree.sync()  # global: PUT /applications/{app}/commands


async def test_global_commands_with_a_plain_client(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot
) -> None:
    await start_bot(HelloClient())
    assert [c["name"] for c in fake_discord.synced_commands()] == ["hello"]
    assert fake_discord.synced_commands(world.guild) == []
    hello = await fake_discord.slash(world.alice, world.channel, "hello", {"name": "Ada"})
    assert (await hello.response()).content == "Hello, Ada!"


async def test_options_are_checked_like_the_discord_client(
    fake_discord: FakeDiscord, world: World, bot: DemoBot
) -> None:
    server = fake_discord
    with pytest.raises(ValueError, match="not one of"):
        await server.slash(
            world.alice, world.channel, "practice", {"topic": "x", "difficulty": "medium"}
        )
    with pytest.raises(ValueError, match="out of bounds"):
        await server.slash(
            world.alice,
            world.channel,
            "practice",
            {"topic": "x", "difficulty": "easy", "rounds": 9},
        )
    with pytest.raises(ValueError, match="required"):
        await server.slash(world.alice, world.channel, "practice", {"topic": "x"})
    with pytest.raises(LookupError, match="not synced"):
        await server.slash(world.alice, world.channel, "nope")


async def test_autocomplete_returns_choices(
    fake_discord: FakeDiscord, world: World, bot: DemoBot
) -> None:
    choices = await fake_discord.autocomplete(
        world.alice, world.channel, "practice", focused="topic", value="tra"
    )
    assert choices == [{"name": "Transformers", "value": "transformers"}]


async def test_subcommand_groups_and_permissions(
    fake_discord: FakeDiscord, world: World, bot: DemoBot
) -> None:
    server = fake_discord
    with pytest.raises(CommandNotPermittedError):
        await server.slash(world.bob, world.channel, "config show")  # Discord hides it from bob
    forced = await server.slash(world.bob, world.channel, "config show", enforce_permissions=False)
    denied = await forced.response()
    assert denied.ephemeral and "Manage Server" in denied.content

    shown = await server.slash(world.admin, world.channel, "config", subcommand="show")
    assert (await shown.response()).content == "max_rounds=5"
    changed = await server.slash(
        world.admin, world.channel, "config limit set", {"name": "rounds", "value": 4}
    )
    assert (await changed.response()).content == "rounds = 4"


async def test_thread_from_message_and_standalone(
    fake_discord: FakeDiscord, world: World, bot: DemoBot
) -> None:
    server = fake_discord
    reply = await (
        await server.slash(world.alice, world.channel, "discuss", {"topic": "rnn"})
    ).response()
    (thread,) = server.threads(world.channel)
    starter = server.channel_messages(world.channel)[0]
    assert starter.content == "Discussion: rnn" and starter.thread_id == thread.id == starter.id
    assert thread.name == "rnn discussion" and reply.ephemeral and thread.mention in reply.content
    assert [m.content for m in server.channel_messages(thread)] == [
        "Share your thoughts on rnn here."
    ]

    await (
        await server.slash(
            world.alice, world.channel, "discuss", {"topic": "cnn", "from_message": False}
        )
    ).response()
    notes = server.threads(world.channel)[1]
    assert notes.name == "cnn notes" and notes.type == FakeChannel.PUBLIC_THREAD
    assert bot.get_channel(notes.id) is not None  # THREAD_CREATE reached the client


async def test_file_attachments_are_recorded(
    fake_discord: FakeDiscord, world: World, bot: DemoBot
) -> None:
    server = fake_discord
    reply = await (
        await server.slash(world.alice, world.channel, "export", {"topic": "rnn"})
    ).response()
    assert reply.ephemeral and [(a.filename, a.data) for a in reply.attachments] == [
        ("notes.md", b"# Notes on rnn\n")
    ]
    shared = await server.wait_for_message(world.channel, lambda m: bool(m.attachments))
    assert shared.attachments[0].filename == "scores.bin" and shared.attachments[0].data == BINARY


async def test_allowed_mentions_nobody_is_pinged(
    fake_discord: FakeDiscord, world: World, bot: DemoBot
) -> None:
    server, bob = fake_discord, world.bob
    await (await server.slash(world.alice, world.channel, "remind", {"member": bob})).response()
    quiet = await server.wait_for_message(world.channel, lambda m: bob.mention in m.content)
    assert quiet.allowed_mentions == {"parse": []} and not quiet.pings_anyone

    await (
        await server.slash(world.alice, world.channel, "announce", {"text": "@everyone mock at 6"})
    ).response()
    announcement = await server.wait_for_message(world.channel, lambda m: "@everyone" in m.content)
    assert not announcement.pings_everyone

    await (
        await server.slash(world.alice, world.channel, "remind", {"member": bob, "ping": True})
    ).response()
    loud = server.channel_messages(world.channel)[-1]
    assert loud.pinged_user_ids == {bob.id}


async def test_mention_command_gets_a_reply(
    fake_discord: FakeDiscord, world: World, bot: DemoBot
) -> None:
    server = fake_discord
    sent = await server.send_message(world.alice, world.channel, f"{server.bot_user.mention} ping")
    pong = await server.wait_for_message(world.channel, lambda m: m.content == "pong")
    assert pong.message_reference is not None and pong.message_reference["message_id"] == str(
        sent.id
    )
    assert not pong.pings_anyone  # the bot-wide AllowedMentions.none() covers the reply


async def test_persistent_view_survives_a_restart(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot
) -> None:
    server = fake_discord
    first = await start_bot(world.bot())
    await (await server.slash(world.admin, world.channel, "panel")).response()
    panel = await server.wait_for_message(world.channel, lambda m: bool(m.components))
    await first.stop()

    await start_bot(world.bot())  # a new process: same fake server, same messages
    reply = await (await server.click(world.alice, panel, "panel:join")).response()
    assert reply.ephemeral and reply.content == "Welcome, alice!"
    assert server.identify_count == 2


@pytest.mark.parametrize("route", ["/channels/*/messages", "/interactions/*/*/callback"])
async def test_rate_limited_route_is_retried(
    fake_discord: FakeDiscord, world: World, bot: DemoBot, route: str
) -> None:
    server = fake_discord
    rule = server.inject_429("POST", route, times=1, retry_after=0.05)
    interaction = await server.slash(
        world.alice, world.channel, "announce", {"text": "Mock interviews at 6"}
    )
    assert (await interaction.response()).content == "Posted"
    assert server.channel_messages(world.channel)[0].content == "Mock interviews at 6"
    assert rule.hits == 1
    assert [r.status for r in server.requests_to("POST", route)] == [429, 200]


async def test_dropped_gateway_resumes_and_replays(
    fake_discord: FakeDiscord, world: World, bot: DemoBot
) -> None:
    server = fake_discord
    await server.drop_gateway()
    # Sent while the bot is disconnected: replayed after RESUME, as Discord does.
    interaction = await server.slash(world.alice, world.channel, "announce", {"text": "still here"})
    await server.wait_for_resume(1)
    assert (await interaction.response()).content == "Posted"
    assert server.connections[-1].path == "/resume/" and server.identify_count == 1

    server.request_reconnect()  # op 7
    await server.wait_for_resume(2)
    again = await server.slash(world.alice, world.channel, "announce", {"text": "and again"})
    assert (await again.response()).content == "Posted"


async def test_invalid_session_makes_the_bot_identify_again(
    fake_discord: FakeDiscord, world: World, bot: DemoBot
) -> None:
    server = fake_discord
    server.invalidate_sessions(resumable=False)
    await server.wait_until(lambda: server.identify_count == 2, what="a new IDENTIFY")
    interaction = await server.slash(world.alice, world.channel, "announce", {"text": "back"})
    assert (await interaction.response()).content == "Posted"


async def test_heartbeats_flow_during_cpu_bound_work(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot
) -> None:
    server = fake_discord
    server.heartbeat_interval = 0.05  # read at HELLO
    await start_bot(world.bot())
    started = server.loop_time()
    interaction = await server.slash(world.alice, world.channel, "crunch", {"seconds": 0.6})
    assert (await interaction.response()).content == "Crunched True"
    beats = [t for t in server.heartbeat_times if t >= started]
    assert len(beats) >= 5, beats
    assert max(b - a for a, b in itertools.pairwise(beats)) < 0.5


async def test_handler_errors_fail_fast(
    fake_discord: FakeDiscord, world: World, bot: DemoBot
) -> None:
    interaction = await fake_discord.slash(world.alice, world.channel, "boom")
    with pytest.raises(BotLoggedError, match="kaboom"):
        await interaction.response()
    assert fake_discord.errors is not None
    fake_discord.errors.clear()  # expected here; any other error log fails the test at teardown


async def test_slow_handler_misses_the_interaction_deadline(
    fake_discord: FakeDiscord, world: World, bot: DemoBot
) -> None:
    fake_discord.interaction_timeout = 0.0  # Discord gives 3 s to answer; here, none
    assert fake_discord.errors is not None
    fake_discord.errors.allow("Unknown interaction")
    interaction = await fake_discord.slash(world.alice, world.channel, "announce", {"text": "late"})
    await fake_discord.wait_until(
        lambda: bool(fake_discord.requests_to("POST", "/interactions/*/*/callback")),
        what="the callback",
    )
    assert fake_discord.requests_to("POST", "/interactions/*/*/callback")[0].status == 404
    assert interaction.callback is None


# --------------------------------------------------------------------------- payload drift


#: Keys discord.py 2.7.1 reads with ``data[...]`` (a missing one raises and kills the client).
REQUIRED = {
    "ready": {"v", "user", "guilds", "session_id", "resume_gateway_url", "application"},
    "user": {"id", "username", "discriminator", "avatar"},
    "application": {
        "id",
        "name",
        "description",
        "icon",
        "bot_public",
        "bot_require_code_grant",
        "owner",
        "verify_key",
    },
    "guild": {"id", "channels", "members", "roles", "member_count"},
    "channel": {"id", "type", "name", "position"},
    "role": {"id", "name"},
    "member": {"user", "roles", "flags"},
    "interaction": {
        "id",
        "application_id",
        "type",
        "token",
        "version",
        "attachment_size_limit",
        "data",
        "channel",
    },
    "message": {"id", "channel_id", "type", "content", "author"},
    "thread": {
        "id",
        "parent_id",
        "owner_id",
        "name",
        "type",
        "message_count",
        "member_count",
        "thread_metadata",
    },
    "attachment": {"id", "size", "filename", "url", "proxy_url"},
}


def test_discord_py_is_the_pinned_version() -> None:
    assert discord.__version__ == "2.7.1", (
        "re-check the fake's payloads against the new discord.py, then update"
    )


async def test_gateway_payloads_have_what_discord_py_needs(
    fake_discord: FakeDiscord, world: World
) -> None:
    server = fake_discord
    ready = server.gateway.ready_payload("session")
    guild = world.guild.to_gateway_payload()
    interaction = FakeInteraction(
        server, 2, world.alice, world.channel, {"id": "1", "name": "x", "type": 1}
    )
    payload = interaction.to_payload()
    message = server.new_message(world.channel, server.bot_user, {"content": "hi"}, {})
    owner = server.bot_user.id
    thread = FakeChannel(
        message.id, 11, "t", world.guild, parent_id=world.channel.id, owner_id=owner
    )
    attachment = server.new_attachment(world.channel.id, "a.txt", b"a")
    samples = {
        "ready": [ready],
        "user": [ready["user"], payload["member"]["user"]],
        "application": [server.application_payload()],
        "guild": [guild],
        "channel": guild["channels"],
        "role": guild["roles"],
        "member": [*guild["members"], payload["member"]],
        "interaction": [payload],
        "message": [message.to_payload()],
        "thread": [thread.to_payload()],
        "attachment": [attachment.to_payload()],
    }
    for kind, payloads in samples.items():
        for sample in payloads:
            missing = REQUIRED[kind] - set(sample)
            assert not missing, f"{kind} payload lacks {missing}"

    # And discord.py itself parses them (a KeyError here is drift in discord.py).
    raw: Any = samples  # discord.py's TypedDicts are not worth restating here
    client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.01)
    state = client._connection
    try:
        state.parse_ready(raw["ready"][0])
        state.parse_guild_create(raw["guild"][0])
        parsed = discord.Interaction(data=raw["interaction"][0], state=state)
        assert parsed.user.id == world.alice.id and parsed.channel is not None
        assert discord.AppInfo(state, raw["application"][0]).id == server.app_id
        cached = state._get_guild(world.guild.id)
        assert cached is not None
        channel = cached.get_channel(world.channel.id)
        assert isinstance(channel, discord.TextChannel)
        parsed_message = discord.Message(state=state, channel=channel, data=raw["message"][0])
        assert parsed_message.content == "hi"
        parsed_thread = discord.Thread(guild=cached, state=state, data=raw["thread"][0])
        assert parsed_thread.parent_id == channel.id
    finally:
        if state._ready_task is not None:
            state._ready_task.cancel()
        await client.close()
