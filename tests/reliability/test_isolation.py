"""Server isolation: nothing of one server is visible from another, through any command.

Two servers, each with members, a study group, answers, a server-only question, a configured
daily and boards; one member belongs to both. Every command, autocomplete and button a member
or admin of one server can use is run there, and nothing it shows may carry a marker of the
other server: its question (id, prompt, topic), group, answers' text, members or channel.
Both directions are checked.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from bot.adapters.discord.client import BotDeps, InterviewBot
from bot.bank import TOPICS
from bot.core.leaderboard import Scope
from bot.core.models import Difficulty
from bot.core.schedule import Period
from tests.adapters.discord.conftest import World, answer_question, run_slash
from tests.fakediscord import FakeChannel, FakeDiscord, FakeGuild, FakeMember, FakeMessage
from tests.fakediscord.interactions import FakeModal
from tests.fakes import FakeClock, make_question
from tests.reliability.support import crafted_button, everything_seen, forged_modal, texts_of

REFUSALS = (
    "There is no study group called",
    "has no question",
    "No question matches",
    "no longer available",
)
"""How the bot says the other server's thing does not exist here."""


@dataclass
class Server:
    """One server of the test and what only it should ever show."""

    name: str
    guild: FakeGuild
    channel: FakeChannel
    admin: FakeMember
    member: FakeMember
    topic: str
    question_id: str = ""
    markers: tuple[str, ...] = ()


@pytest.fixture
def bravo(world: World) -> FakeGuild:
    """The second server (exists before the bot connects)."""
    return world.server.add_guild("Bravo Server")


async def _seed(
    server: FakeDiscord, deps: BotDeps, clock: FakeClock, s: Server, shared: FakeMember
) -> None:
    """Give server ``s`` a question, a group, answers, a daily and a board."""
    tag = s.name.upper()
    question = replace(
        make_question(f"g{s.guild.id}-{s.name}-only", s.topic, Difficulty.EASY, 2, s.guild.id),
        prompt=f"{tag}PROMPT what is special about {s.name}?",
    )
    await deps.store.add_question(question, clock.now())
    s.question_id = question.id
    await run_slash(
        server,
        s.admin,
        s.channel,
        "daily setup",
        {
            "channel": s.channel,
            "time": "09:00",
            "timezone": "UTC",
            "topics": s.topic,
        },
    )
    for who in (s.member, shared):
        reply = await run_slash(server, who, s.channel, "practice", {"topic": s.topic})
        clock.advance(seconds=20)
        await answer_question(server, who, reply, f"{tag}EVIDENCE says term0. And term1.")
        await run_slash(server, who, s.channel, "hint")
    await run_slash(server, s.member, s.channel, "group create", {"name": f"{tag} Secret Crew"})
    await run_slash(server, shared, s.channel, "group join", {"name": f"{tag} Secret Crew"})
    s.markers = (
        question.id,
        f"{tag}PROMPT",
        f"{tag}EVIDENCE",
        f"{tag} Secret Crew",
        s.topic,
        TOPICS[s.topic],
        str(s.member.id),
        str(s.channel.id),
    )


def _leaks(shown: list[FakeMessage | FakeModal], markers: tuple[str, ...]) -> list[str]:
    found = []
    for item in shown:
        if isinstance(item, FakeModal):
            strings = [item.title, *(str(v) for v in item.fields.values())]
        else:
            strings = list(
                texts_of(
                    {"content": item.content, "embeds": item.embeds, "components": item.components}
                )
            )
            strings += [a.filename for a in item.attachments]
        for marker in markers:
            found += [f"{marker!r} in {s[:120]!r}" for s in strings if marker in s]
    return found


async def _probe(server: FakeDiscord, here: Server, other: Server, shared: FakeMember) -> list:
    """Everything a member and an admin of ``here`` can run; returns the leaks of ``other``."""
    leaks: list[str] = []
    ch = here.channel

    async def run(who: FakeMember, command: str, options: dict | None = None) -> None:
        shown = await everything_seen(await server.slash(who, ch, command, options))
        # What the member typed may be echoed back ("no group called X here"): not a leak.
        typed = [str(v) for v in (options or {}).values()]
        markers = tuple(m for m in other.markers if not any(m in t for t in typed))
        leaks.extend(f"/{command}: {leak}" for leak in _leaks(shown, markers))
        if len(markers) < len(other.markers) and not any(
            refusal in text
            for item in shown
            if isinstance(item, FakeMessage)
            for text in texts_of({"content": item.content, "embeds": item.embeds})
            for refusal in REFUSALS
        ):
            leaks.append(f"/{command} {options}: not refused: {shown}")

    for who in (here.member, shared):
        await run(who, "topics")
        await run(who, "help")
        await run(who, "practice", {"topic": other.topic})
        await run(who, "review")
        await run(who, "hint")
        await run(who, "reveal")
        await run(who, "stats")
        await run(who, "group list")
        await run(who, "group join", {"name": f"{other.name.upper()} Secret Crew"})
        await run(
            who,
            "group rename",
            {"name": f"{other.name.upper()} Secret Crew", "new_name": "Taken over"},
        )
        await run(who, "group delete", {"name": f"{other.name.upper()} Secret Crew"})
        for period in Period:
            for scope in Scope:
                await run(who, "leaderboard", {"period": period.value, "scope": scope.value})
    await run(here.member, "stats", {"member": shared})
    for command in ("question list", "daily status"):
        await run(here.admin, command)
    await run(here.admin, "question remove", {"question_id": other.question_id})

    for command, option, typed in (
        ("practice", "topic", ""),
        ("practice", "topic", other.topic[:4]),
        ("group join", "name", ""),
        ("group join", "name", other.name.upper()[:3]),
        ("question remove", "question_id", ""),
        ("question remove", "question_id", other.question_id[:6]),
        ("daily setup", "topics", ""),
    ):
        choices = await server.autocomplete(here.admin, ch, command, option, typed)
        leaks += _leaks_in_choices(command, choices, other.markers)

    # Buttons and the answer box naming the other server's question, by id.
    qid = other.question_id
    for custom_id in (
        f"ib:hint:{qid}",
        f"ib:model:{qid}",
        f"ib:followup:{qid}:0",
        f"ib:answer:{qid}:-",
    ):
        message = crafted_button(server, ch, custom_id)
        shown = await everything_seen(await server.click(shared, message, label="Press"))
        leaks += [f"{custom_id}: {leak}" for leak in _leaks(shown, other.markers)]
        if not any(
            "no longer available" in " ".join(texts_of({"embeds": m.embeds}))
            for m in shown
            if isinstance(m, FakeMessage)
        ):
            leaks.append(f"{custom_id}: was not refused: {shown}")
    submit = await forged_modal(
        server, shared, ch, f"ib:answer-modal:{qid}:-", {"answer": "term0 term1"}
    )
    shown = await everything_seen(submit)
    leaks += [f"answer modal: {leak}" for leak in _leaks(shown, other.markers)]
    return leaks


def _leaks_in_choices(command: str, choices: list[dict], markers: tuple[str, ...]) -> list[str]:
    return [
        f"/{command} autocomplete: {marker!r} in {c}"
        for c in choices
        for marker in markers
        if marker in str(c.get("name")) or marker in str(c.get("value"))
    ]


async def test_nothing_of_one_server_is_visible_from_the_other(
    world: World,
    bravo: FakeGuild,
    bot: InterviewBot,
    deps: BotDeps,
    clock: FakeClock,
    questions_without_index: None,
) -> None:
    server = world.server
    alpha = Server("alpha", world.guild, world.channel, world.admin, world.alice, "responsible-ai")
    bravo_channel = bravo.add_text_channel("bravo-general")
    beta = Server(
        "bravo",
        bravo,
        bravo_channel,
        bravo.add_member("bea", admin=True),
        bravo.add_member("ben"),
        "career",
    )
    # One person in both servers.
    shared = world.bob
    shared_in_bravo = bravo._join(shared.user, [])
    await _seed(server, deps, clock, alpha, shared)
    await _seed(server, deps, clock, beta, shared_in_bravo)

    # Sanity: each server does show its own data (the probes can see what they look for).
    own = await everything_seen(await server.slash(alpha.admin, alpha.channel, "question list"))
    assert _leaks(own, (alpha.question_id,)), "the probe cannot see this server's own data"

    leaks = await _probe(server, alpha, beta, shared)
    leaks += await _probe(server, beta, alpha, shared_in_bravo)
    assert not leaks, "\n".join(leaks[:30])

    # Nothing was changed across servers by the attempts above.
    for s in (alpha, beta):
        assert await deps.store.get(s.guild.id, s.question_id) is not None
        groups = await deps.service.list_groups(s.guild.id)
        assert [g.name for g in groups] == [f"{s.name.upper()} Secret Crew"]
        board = await deps.service.standings(s.guild.id, Period.ALL_TIME, Scope.MEMBERS)
        assert {r.subject_id for r in board.rows} == {s.member.id, shared.id}
