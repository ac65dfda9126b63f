"""The hostile-input corpus (``hostile_inputs.py``) driven through the real flows.

Each test runs one flow over its cases against the real bot and the loopback fake Discord
(FakeGrader, FakeClock, SQLite). For every case the bot must answer (a wait that gets no
answer fails), log no ERROR (the fixtures fail the test on one), show no traceback and ping
nobody (``support.audit_message``). After each flow the state must be sound: the store reopens,
its roll-ups agree with the raw answers, and every board and ``/stats`` still renders.

The last test grades every answer text with the REAL grader (the model, rubric from Chroma):
it must return a well-formed grade for each.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from bot.adapters.discord.client import BotDeps, InterviewBot
from bot.config import Settings
from bot.core.grading import EmbeddingGrader
from bot.core.leaderboard import Scope
from bot.core.models import GradeFlag
from bot.core.schedule import Period
from bot.evaluation.bench import BENCH_QUESTION
from tests.adapters.discord.conftest import World, run_slash
from tests.fakediscord import FakeMember, FakeMessage
from tests.fakediscord.interactions import FakeModal
from tests.fakediscord.models import FakeUser
from tests.fakes import FakeClock
from tests.reliability import hostile_inputs as corpus
from tests.reliability.support import (
    audit_all,
    audit_message,
    audit_modal,
    audit_texts,
    crafted_button,
    everything_seen,
    forged_modal,
    state_report,
)

DRIVEN: Counter[str] = Counter()
"""Cases actually driven per flow in this run (printed by the summary test)."""

ANSWER_SPACING = 13.0
"""Seconds between two answers of one member: under the default limit (5 per minute)."""


async def assert_sound(world: World, settings: Settings, problems: list[str]) -> None:
    """After a flow: no problem collected, every message clean, boards render, state sound."""
    server = world.server
    for period in Period:
        for scope in Scope:
            board = await run_slash(
                server,
                world.bob,
                world.channel,
                "leaderboard",
                {"period": period.value, "scope": scope.value},
            )
            assert board.embeds, f"/leaderboard {period} {scope} rendered nothing"
    for command in ("stats", "topics", "group list", "review"):
        reply = await run_slash(server, world.alice, world.channel, command)
        assert reply.embeds or reply.content, f"/{command} rendered nothing"
    problems = problems + audit_all(server)
    report = await state_report(settings.resolved_database_url)
    problems += report.problems
    assert not problems, "\n".join(problems[:40])


def _case_problems(case_id: str, message: FakeMessage | FakeModal) -> list[str]:
    if isinstance(message, FakeModal):
        return audit_modal(case_id, message)
    return [f"{case_id}: {p}" for p in audit_message(message)]


# -- the corpus itself -------------------------------------------------------------------------


def test_the_corpus_has_at_least_200_cases_in_every_category() -> None:
    flows = corpus.flows()
    print("\nhostile-input corpus:")
    for flow, count in flows.items():
        print(f"  {count:4d}  {flow}")
    print(f"  {corpus.total_cases():4d}  in total ({corpus.distinct_inputs()} distinct inputs)")
    assert corpus.total_cases() >= 200
    assert corpus.distinct_inputs() >= 200
    assert {c.category for c in corpus.texts()} == set(corpus.CATEGORIES)
    ids = [c.id for c in corpus.texts()]
    assert len(ids) == len(set(ids))
    assert all(flows.values())


def test_the_audit_catches_pings_tracebacks_and_breakouts() -> None:
    """The checks themselves: each kind of problem is caught, a clean message passes."""
    bot_user = FakeUser(1, "bot", bot=True)
    pinging = FakeMessage(1, 2, bot_user, content="@everyone <@111111111111111111>")
    found = "\n".join(audit_message(pinging))
    assert "pings" in found and "allowed_mentions" in found
    assert "raw @everyone" in found and "raw mention of a victim" in found
    quiet = {"parse": []}
    traceback = FakeMessage(2, 2, bot_user, content='File "x.py", line 3', allowed_mentions=quiet)
    assert any("traceback" in p for p in audit_message(traceback))
    fence = FakeMessage(3, 2, bot_user, embeds=[{"description": "```open"}], allowed_mentions=quiet)
    assert any("code block" in p for p in audit_message(fence))
    spoiler = FakeMessage(4, 2, bot_user, embeds=[{"title": "||x"}], allowed_mentions=quiet)
    assert any("spoiler" in p for p in audit_message(spoiler))
    clean = FakeMessage(5, 2, bot_user, content="@\u200beveryone \\`\\`\\`", allowed_mentions=quiet)
    assert audit_message(clean) == []


# -- answers ------------------------------------------------------------------------------------


async def test_answer_texts(
    world: World, bot: InterviewBot, clock: FakeClock, settings: Settings
) -> None:
    server, alice = world.server, world.alice
    question = await run_slash(server, alice, world.channel, "practice")
    qid = question.embed["footer"]["text"].split(" · ")[0]
    problems: list[str] = []
    for case in corpus.answer_cases():
        clock.advance(seconds=ANSWER_SPACING)
        if case.forged:
            submit = await forged_modal(
                server, alice, world.channel, f"ib:answer-modal:{qid}:-", {"answer": case.text}
            )
        else:
            click = await server.click(alice, question, label="Answer")
            problems += audit_modal(case.id, await click.modal())
            submit = await server.submit_modal(alice, click, values={"answer": case.text})
        graded = await submit.response()
        DRIVEN["answer modal (practice)"] += 1
        problems += _case_problems(case.id, graded)
        if not (graded.ephemeral and graded.embed["title"].startswith("Your grade")):
            problems.append(f"{case.id}: not graded privately: {graded.embeds or graded.content}")
    await assert_sound(world, settings, problems)


# -- study groups -------------------------------------------------------------------------------


async def test_group_names(world: World, bot: InterviewBot, settings: Settings) -> None:
    server, alice, bob, channel = world.server, world.alice, world.bob, world.channel
    problems: list[str] = []
    base = await run_slash(server, bob, channel, "group create", {"name": "Base camp"})
    problems += _case_problems("base", base)
    created_count = 0
    for case in corpus.group_name_cases():
        name = case.text
        created = await run_slash(server, alice, channel, "group create", {"name": name})
        problems += _case_problems(f"{case.id} create", created)
        ok = "created the study group" in (
            created.embeds[0].get("description", "") if created.embeds else ""
        )
        joined = await run_slash(server, world.owner, channel, "group join", {"name": name})
        problems += _case_problems(f"{case.id} join", joined)
        if ok:
            created_count += 1
            if "You joined" not in (joined.content or ""):
                problems.append(f"{case.id}: could not join the group just created")
            for who in (world.owner, alice):
                left = await run_slash(server, who, channel, "group leave")
                problems += _case_problems(f"{case.id} leave", left)
            deleted = await run_slash(server, world.admin, channel, "group delete", {"name": name})
            problems += _case_problems(f"{case.id} delete", deleted)
            if "was deleted" not in (deleted.content or ""):
                problems.append(f"{case.id}: the admin could not delete it: {deleted.content}")
        renamed = await run_slash(
            server, bob, channel, "group rename", {"name": "Base camp", "new_name": name}
        )
        problems += _case_problems(f"{case.id} rename", renamed)
        if "is now called" in (renamed.content or ""):
            back = await run_slash(
                server, bob, channel, "group rename", {"name": name, "new_name": "Base camp"}
            )
            problems += _case_problems(f"{case.id} rename back", back)
            if "is now called" not in (back.content or ""):
                problems.append(f"{case.id}: renamed to a name it cannot be found by again")
        choices = await server.autocomplete(alice, channel, "group join", "name", name)
        problems += audit_texts(f"{case.id} autocomplete", [c["name"] for c in choices])
        DRIVEN["/group create, join, rename"] += 1
    assert created_count >= 40  # most odd names are legal, shown escaped
    listing = await run_slash(server, bob, channel, "group list")
    problems += _case_problems("list", listing)
    await assert_sound(world, settings, problems)


# -- practice topics ----------------------------------------------------------------------------


async def test_practice_topics(world: World, bot: InterviewBot, settings: Settings) -> None:
    server, alice, channel = world.server, world.alice, world.channel
    problems: list[str] = []
    for case in corpus.topic_cases():
        reply = await run_slash(server, alice, channel, "practice", {"topic": case.text})
        problems += _case_problems(case.id, reply)
        if not reply.ephemeral:
            problems.append(f"{case.id}: a practice reply was public")
        choices = await server.autocomplete(alice, channel, "practice", "topic", case.text)
        problems += audit_texts(f"{case.id} autocomplete", [c["name"] for c in choices])
        DRIVEN["/practice topic"] += 1
    await assert_sound(world, settings, problems)


# -- /daily setup (admin) -----------------------------------------------------------------------


async def test_daily_setup_inputs(
    world: World, bot: InterviewBot, deps: BotDeps, settings: Settings
) -> None:
    server, admin, channel = world.server, world.admin, world.channel
    problems: list[str] = []
    runs: list[tuple[str, str, dict[str, Any]]] = []
    for case in corpus.daily_time_cases():
        runs.append((case.id, "/daily setup time", {"time": case.text, "timezone": "UTC"}))
    for case in corpus.daily_timezone_cases():
        runs.append((case.id, "/daily setup timezone", {"time": "09:00", "timezone": case.text}))
    for case in corpus.daily_topics_cases():
        runs.append(
            (case.id, "/daily setup topics", {"time": "9", "timezone": "UTC", "topics": case.text})
        )
    for case_id, flow, options in runs:
        reply = await run_slash(
            server, admin, channel, "daily setup", {"channel": channel, **options}
        )
        problems += _case_problems(case_id, reply)
        if not reply.ephemeral:
            problems.append(f"{case_id}: the setup reply was public")
        # Whatever was accepted, the stored settings still load and name a real zone.
        stored = await deps.service.guild_settings(world.guild.id)
        if stored.timezone not in {"UTC", "Europe/London", "America/New_York", "Asia/Kolkata"}:
            problems.append(f"{case_id}: stored an odd timezone {stored.timezone!r}")
        if options["timezone"] != "UTC":
            choices = await server.autocomplete(
                admin, channel, "daily setup", "timezone", options["timezone"]
            )
            problems += audit_texts(f"{case_id} autocomplete", [c["name"] for c in choices])
        DRIVEN[flow] += 1
    status = await run_slash(server, admin, channel, "daily status")
    problems += _case_problems("status", status)
    off = await run_slash(server, admin, channel, "daily off")
    problems += _case_problems("off", off)
    await assert_sound(world, settings, problems)


# -- /question add (admin) ----------------------------------------------------------------------


async def test_question_forms(
    world: World,
    bot: InterviewBot,
    deps: BotDeps,
    settings: Settings,
    clock: FakeClock,
    questions_without_index: None,
) -> None:
    server, admin, alice, channel = world.server, world.admin, world.alice, world.channel
    problems: list[str] = []
    fixed = False
    for case in corpus.question_form_cases():
        opened = await server.slash(admin, channel, "question add")
        submit = await server.submit_modal(admin, opened, values=case.values)
        reply = await submit.response()
        problems += _case_problems(case.id, reply)
        accepted = bool(reply.embeds) and reply.embed.get("title") != "Question not saved"
        DRIVEN["/question add form"] += 1
        if accepted != case.valid:
            problems.append(
                f"{case.id}: accepted={accepted}, expected {case.valid}: {reply.embeds}"
            )
            continue
        if not case.valid:
            if not fixed:  # Fix and resubmit reopens the form with the hostile text kept
                fix = await server.click(admin, reply, label="Fix and resubmit")
                problems += audit_modal(f"{case.id} fix", await fix.modal())
                fixed = True
            continue
        qid = reply.embed["footer"]["text"].split(" · ")[0]
        # The new question is asked, hinted, revealed and answered through the real flows.
        await deps.service.ask_question(world.guild.id, alice.id, qid)
        for command in ("hint", "reveal"):
            shown = await run_slash(server, alice, channel, command)
            problems += _case_problems(f"{case.id} /{command}", shown)
        message = crafted_button(server, channel, f"ib:answer:{qid}:-")
        click = await server.click(alice, message, label="Press")
        problems += audit_modal(f"{case.id} answer box", await click.modal())
        clock.advance(seconds=ANSWER_SPACING)
        submit = await server.submit_modal(alice, click, values={"answer": "Dropout co-adapt."})
        problems += _case_problems(f"{case.id} grade", await submit.response())
    listing = await run_slash(server, admin, channel, "question list")
    problems += _case_problems("list", listing)
    await assert_sound(world, settings, problems)


# -- crafted custom ids -------------------------------------------------------------------------


async def test_crafted_custom_ids(
    world: World, bot: InterviewBot, clock: FakeClock, settings: Settings
) -> None:
    server, alice, channel = world.server, world.alice, world.channel
    problems: list[str] = []
    for case in corpus.custom_id_cases():
        clock.advance(seconds=ANSWER_SPACING)
        if case.kind == "modal":
            submit = await forged_modal(server, alice, channel, case.custom_id, {"answer": "term0"})
            seen = await everything_seen(submit)
        else:
            message = crafted_button(server, channel, case.custom_id)
            click = await server.click(alice, message, label="Press")
            seen = await everything_seen(click)
            if isinstance(seen[0], FakeModal):  # an Answer button opened the box: answer it
                problems += audit_modal(case.id, seen[0])
                submit = await server.submit_modal(alice, click, values={"answer": "term0."})
                seen = await everything_seen(submit)
        for shown in seen:
            problems += _case_problems(case.id, shown)
        DRIVEN["crafted custom ids"] += 1
    await assert_sound(world, settings, problems)


# -- members with odd names ---------------------------------------------------------------------


async def test_odd_member_names(
    world: World, bot: InterviewBot, clock: FakeClock, settings: Settings
) -> None:
    server, bob, channel = world.server, world.bob, world.channel
    problems: list[str] = []
    odd: list[tuple[str, FakeMember]] = []
    for case in corpus.member_name_cases():
        member = world.guild.add_member(f"user{len(odd)}")
        member.nick = case.text
        member.user.global_name = case.text
        odd.append((case.id, member))
        question = await run_slash(server, member, channel, "practice")
        clock.advance(seconds=ANSWER_SPACING)
        click = await server.click(member, question, label="Answer")
        submit = await server.submit_modal(member, click, values={"answer": "term0. term1."})
        problems += _case_problems(f"{case.id} grade", await submit.response())
        for viewer, options in ((member, {}), (bob, {"member": member})):
            stats = await run_slash(server, viewer, channel, "stats", options)
            problems += _case_problems(f"{case.id} stats", stats)
        DRIVEN["odd member names"] += 1
    hidden_id, hidden = odd[0]
    await run_slash(server, hidden, channel, "privacy leaderboard", {"visibility": "off"})
    private = await run_slash(server, bob, channel, "stats", {"member": hidden})
    problems += _case_problems(f"{hidden_id} private stats", private)
    await assert_sound(world, settings, problems)


# -- the real grader on every answer text -------------------------------------------------------


NOISE = frozenset({"empty", "whitespace", "invisible", "emoji", "mention", "sql", "path", "format"})
"""Categories with nothing to say about the question: they must never earn a real grade."""


def test_the_real_grader_grades_every_answer_text(real_grader: EmbeddingGrader) -> None:
    q = BENCH_QUESTION
    worst: dict[str, float] = {}
    for case in corpus.answer_cases():
        grade = real_grader.grade(q, case.text)
        assert 0.0 <= grade.score <= grade.max_score, case.id
        assert 0.0 <= grade.fraction <= 1.0, case.id
        assert 0.0 <= grade.confidence <= 1.0, case.id
        assert [p.point_id for p in grade.points] == [k.id for k in q.key_points], case.id
        assert all(isinstance(f, GradeFlag) for f in grade.flags), case.id
        for point in grade.points:
            assert point.evidence is None or point.evidence.strip(), case.id
        if case.category in NOISE:
            worst[case.category] = max(worst.get(case.category, 0.0), grade.fraction)
        DRIVEN["real grader"] += 1
    print("\nhighest score fraction per noise category:", worst)
    assert all(v <= 0.2 for v in worst.values()), worst


def test_summary_of_driven_cases() -> None:
    """Printed at the end of the module (``-s``): how many cases each flow drove this run."""
    print("\ncases driven this run:", dict(DRIVEN), "total", sum(DRIVEN.values()))
