"""``/privacy forget-me``: everything about the member in that server goes, and only there.

A member active in two servers (answers, a daily answer, a low score queued for review, hints
and a revealed answer, a study group they created, a leaderboard opt-out) asks to be forgotten
in one. Every table is read by SQL introspection, so a table added later is checked too:

* in that server no row mentions the member any more (no column holds their id, no text
  contains it);
* every row of that server that did not mention them is untouched, and a row that did only
  survives with their id removed (a group they created stays, without a creator);
* every row of the other server is exactly as it was.

Run against SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text

from bot.adapters.discord.client import BotDeps, InterviewBot
from bot.app import build_service
from bot.bank import Bank
from bot.config import Settings
from bot.store import open_store
from bot.store.sql import SqlStore
from tests.adapters.discord.conftest import World, answer_question, run_slash
from tests.fakediscord import FakeChannel, FakeDiscord, FakeGuild, FakeMember
from tests.fakes import FakeClock, FakeGrader
from tests.reliability.support import state_report, table_names
from tests.store.conftest import PG_URL, _dsn

Row = dict[str, Any]


@pytest.fixture(params=["sqlite", "postgresql"])
async def backend(
    request: pytest.FixtureRequest, settings: Settings
) -> AsyncIterator[tuple[str, str | None]]:
    """A (url, schema) pair: the temp SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        yield settings.resolved_database_url, None
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(_dsn(PG_URL))
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        yield PG_URL, schema
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()


@pytest.fixture
async def deps(
    backend: tuple[str, str | None],
    settings: Settings,
    bank: Bank,
    grader: FakeGrader,
    clock: FakeClock,
) -> AsyncIterator[BotDeps]:
    """The bot's dependencies over the chosen backend."""
    url, schema = backend
    store = await open_store(url, schema=schema)
    service, store = await build_service(
        settings, grader=grader, clock=clock, bank=bank, store=store
    )
    try:
        yield BotDeps(settings=settings, service=service, store=store, clock=clock)
    finally:
        await store.close()


@pytest.fixture
def bravo(world: World) -> FakeGuild:
    """The second server (exists before the bot connects)."""
    return world.server.add_guild("Bravo Server")


async def all_rows(store: SqlStore) -> dict[str, list[Row]]:
    """Every row of every table, as dicts."""
    out: dict[str, list[Row]] = {}
    async with store.engine.connect() as conn:
        for table in await table_names(store):
            result = await conn.execute(text(f'SELECT * FROM "{table}"'))
            out[table] = [dict(r._mapping) for r in result]
    return out


def mentions(row: Row, member_id: int) -> list[str]:
    """The columns of ``row`` that hold the member's id (as a value or inside text)."""
    needle = str(member_id)
    return [
        col
        for col, value in row.items()
        if value == member_id or (isinstance(value, str) and needle in value)
    ]


def in_guild(row: Row, guild_id: int) -> bool:
    """Whether a row belongs to a server (rows of tables without ``guild_id`` belong to all)."""
    return "guild_id" not in row or row["guild_id"] == guild_id


def without(row: Row, member_id: int) -> Row:
    """``row`` with the member's id cleared from every column holding it."""
    return {k: (None if k in mentions(row, member_id) else v) for k, v in row.items()}


def _key(row: Row) -> str:
    return repr(sorted(row.items(), key=lambda kv: kv[0]))


async def play(
    server: FakeDiscord,
    clock: FakeClock,
    admin: FakeMember,
    channel: FakeChannel,
    member: FakeMember,
    group: str,
) -> None:
    """The member does a bit of everything in one server."""
    low = await run_slash(server, member, channel, "practice", {"topic": "ml-foundations"})
    await answer_question(server, member, low, "Only term0 here.")  # low: queued for review
    clock.advance(seconds=20)
    await run_slash(server, member, channel, "hint")
    await run_slash(server, member, channel, "reveal")
    await run_slash(server, member, channel, "group create", {"name": group})
    await run_slash(server, member, channel, "privacy leaderboard", {"visibility": "off"})
    # The daily question: posted now, answered once.
    await run_slash(
        server, admin, channel, "daily setup", {"channel": channel, "time": "9", "timezone": "UTC"}
    )
    await run_slash(server, admin, channel, "daily now")
    post = next(m for m in server.channel_messages(channel) if m.components)
    clock.advance(seconds=20)
    await answer_question(server, member, post, "term0 and term1, twice: term0 term1.")


async def test_forget_me_removes_everything_there_and_nothing_elsewhere(
    world: World,
    bravo: FakeGuild,
    bot: InterviewBot,
    deps: BotDeps,
    clock: FakeClock,
    backend: tuple[str, str | None],
) -> None:
    server = world.server
    carol, dave = world.alice, world.bob
    bravo_channel = bravo.add_text_channel("bravo-general")
    bravo_admin = bravo.add_member("bea", admin=True)
    erin = bravo.add_member("erin")
    carol_in_bravo = bravo._join(carol.user, [])

    await play(server, clock, world.admin, world.channel, carol, "Carol crew")
    await play(server, clock, bravo_admin, bravo_channel, carol_in_bravo, "Carol crew")
    # Others' data, which must stay: dave joins carol's group and answers; erin plays in Bravo.
    await run_slash(server, dave, world.channel, "group join", {"name": "Carol crew"})
    question = await run_slash(server, dave, world.channel, "practice")
    await answer_question(server, dave, question, "term0 term1 term2.")
    question = await run_slash(server, erin, bravo_channel, "practice")
    await answer_question(server, erin, question, "term0 term1 term2.")

    alpha, beta = world.guild.id, bravo.id
    before = await all_rows(deps.store)
    about_her = {
        t: [r for r in rows if in_guild(r, alpha) and mentions(r, carol.id)]
        for t, rows in before.items()
    }
    # She is in the tables the feature must clear (the test would prove nothing otherwise).
    touched = {t for t, rows in about_her.items() if rows}
    assert {
        "attempts",
        "daily_answers",
        "daily_points",
        "member_totals",
        "streaks",
        "review_items",
        "question_states",
        "group_members",
        "member_settings",
        "study_groups",
    } <= touched, touched
    bravo_stats = await deps.service.member_stats(beta, carol.id)

    warning = await run_slash(server, carol, world.channel, "privacy forget-me")
    confirm = await server.click(carol, warning, label="Yes, delete my data")
    await confirm.wait_callback()
    await server.wait_until(lambda: warning.embed["title"] == "Data deleted")
    assert not warning.pings_anyone

    after = await all_rows(deps.store)
    problems = []
    for table in sorted(set(before) | set(after)):
        old, new = before.get(table, []), after.get(table, [])
        # 1. Nothing in Alpha mentions her any more.
        for row in new:
            if in_guild(row, alpha) and "guild_id" in row and mentions(row, carol.id):
                problems.append(f"{table}: still about her: {row}")
        # 2. Bravo is exactly as it was.
        old_b = sorted(_key(r) for r in old if "guild_id" in r and r["guild_id"] == beta)
        new_b = sorted(_key(r) for r in new if "guild_id" in r and r["guild_id"] == beta)
        if old_b != new_b:
            problems.append(f"{table}: the other server changed")
        # 3. Alpha rows not about her are untouched; rows about her are gone or cleared of her.
        old_a = [r for r in old if "guild_id" in r and r["guild_id"] == alpha]
        new_a = {_key(r) for r in new if "guild_id" in r and r["guild_id"] == alpha}
        allowed = {_key(r) for r in old_a if not mentions(r, carol.id)}
        allowed |= {_key(without(r, carol.id)) for r in old_a if mentions(r, carol.id)}
        kept = {_key(r) for r in old_a if not mentions(r, carol.id)}
        if not kept <= new_a:
            problems.append(f"{table}: rows of others in that server were changed or deleted")
        if not new_a <= allowed:
            problems.append(f"{table}: unexpected rows {sorted(new_a - allowed)[:2]}")
        # Tables without a server column must not hold her at all... in that server's data.
        if old and "guild_id" not in old[0]:
            problems += [f"{table}: holds her id: {r}" for r in new if mentions(r, carol.id)]
    assert not problems, "\n".join(problems)

    # What members see agrees: she is gone here, untouched there, her group lives on.
    here = await deps.service.member_stats(alpha, carol.id)
    assert here.attempts == 0 and here.group is None and here.total_points == 0
    assert (await deps.service.member_settings(alpha, carol.id)).leaderboard_opt_out is False
    assert await deps.service.member_stats(beta, carol.id) == bravo_stats
    crew = next(g for g in await deps.service.list_groups(alpha) if g.name == "Carol crew")
    assert crew.created_by is None and crew.members == 1  # dave is still in it
    url, schema = backend
    report = await state_report(url, schema=schema)
    assert not report.problems, report.problems
