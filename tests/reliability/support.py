"""Shared checks of the reliability tests: what the bot sent, and whether its state is sound.

* :func:`audit_message` / :func:`audit_all`: every message the bot created or edited pings
  nobody (``allowed_mentions`` with nothing to parse, and no ping computed the way Discord
  does), shows no traceback, no raw ``@everyone``/``@here`` and no raw mention of the corpus'
  victims, and leaves no code block or spoiler unbalanced.
* :func:`state_report`: the store reopens, and its roll-ups agree with the raw answers.
* :func:`forged_modal` / :func:`crafted_button`: interactions past Discord's own checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text

from bot.store import open_store
from bot.store.sql import SqlStore
from tests.fakediscord import FakeChannel, FakeDiscord, FakeMember, FakeMessage
from tests.fakediscord.interactions import MODAL_SUBMIT, FakeInteraction, FakeModal
from tests.reliability.hostile_inputs import VICTIM_ROLE, VICTIM_USER

RAW_EVERYONE = re.compile(r"@(everyone|here)")
"""``@everyone``/``@here`` as typed; the bot's escaping puts a zero-width space after the @."""
RAW_VICTIM = re.compile(rf"<@!?{VICTIM_USER}>|<@&{VICTIM_ROLE}>")
"""A mention of a corpus victim that survived escaping (it would render as a mention)."""
TRACEBACK = re.compile(
    r"Traceback \(most recent call last\)|File \"[^\"]*\", line \d+|Something went wrong on our"
)
"""A traceback, or the bot's own wording for an unexpected failure (a bug either way)."""


def texts_of(payload: dict[str, Any]) -> Iterator[str]:
    """Every user-visible string of a message (or edit) payload: content, embeds, components."""
    if payload.get("content"):
        yield str(payload["content"])
    for embed in payload.get("embeds") or []:
        for key in ("title", "description"):
            if embed.get(key):
                yield str(embed[key])
        for f in embed.get("fields") or []:
            yield str(f.get("name", ""))
            yield str(f.get("value", ""))
        for key in ("footer", "author"):
            part = embed.get(key) or {}
            if part.get("text") or part.get("name"):
                yield str(part.get("text") or part.get("name"))
    yield from _component_texts(payload.get("components") or [])


def _component_texts(components: Iterable[dict[str, Any]]) -> Iterator[str]:
    for comp in components:
        for key in ("label", "placeholder", "value", "content", "description", "title"):
            if comp.get(key):
                yield str(comp[key])
        for option in comp.get("options") or []:
            yield str(option.get("label", ""))
            yield str(option.get("description", "") or "")
        yield from _component_texts(comp.get("components") or [])
        if isinstance(comp.get("component"), dict):
            yield from _component_texts([comp["component"]])


def audit_texts(where: str, strings: Iterable[str]) -> list[str]:
    """Problems in user-visible strings: tracebacks, raw mentions, unbalanced markdown."""
    problems = []
    for s in strings:
        if TRACEBACK.search(s):
            problems.append(f"{where}: traceback or unexpected error shown: {s[:200]!r}")
        if RAW_EVERYONE.search(s):
            problems.append(f"{where}: raw @everyone/@here: {s[:200]!r}")
        if RAW_VICTIM.search(s):
            problems.append(f"{where}: raw mention of a victim: {s[:200]!r}")
        if s.count("```") % 2:
            problems.append(f"{where}: unbalanced code block: {s[:200]!r}")
        if s.count("||") % 2:
            problems.append(f"{where}: unbalanced spoiler: {s[:200]!r}")
    return problems


def _mentions_allowed(rules: dict[str, Any] | None) -> bool:
    if rules is None:
        return True  # Discord's default: everything in the content pings
    return bool(rules.get("parse") or rules.get("users") or rules.get("roles"))


def audit_message(message: FakeMessage) -> list[str]:
    """Problems with one bot message and each of its edits."""
    where = f"message {message.id}"
    problems = []
    if message.pings_anyone:
        problems.append(f"{where}: pings {message.pinged_user_ids or message.pinged_role_ids}")
    if message.content and _mentions_allowed(message.allowed_mentions):
        problems.append(f"{where}: content sent without allowed_mentions=none")
    payload = {
        "content": message.content,
        "embeds": message.embeds,
        "components": message.components,
    }
    problems += audit_texts(where, texts_of(payload))
    for n, edit in enumerate(message.edits, 1):
        if edit.get("content") and _mentions_allowed(edit.get("allowed_mentions")):
            problems.append(f"{where} edit {n}: content without allowed_mentions=none")
        problems += audit_texts(f"{where} edit {n}", texts_of(edit))
    return problems


def audit_all(server: FakeDiscord) -> list[str]:
    """Problems with every message the bot ever created (ephemeral ones and edits included)."""
    problems = []
    for message in server.bot_messages():
        problems += audit_message(message)
    return problems


def audit_modal(where: str, modal: FakeModal) -> list[str]:
    """Problems with a modal the bot opened (its title, labels, descriptions, defaults)."""
    strings = [modal.title, *_component_texts(modal.components)]
    return audit_texts(where, strings)


async def everything_seen(
    interaction: FakeInteraction, *, edits_before: int = 0, within: float = 5.0
) -> list[FakeMessage | FakeModal]:
    """Every answer the member got: the response (or modal), edits, followups.

    A silent acknowledgement (type 6: "I will edit the message") counts only once the message
    was edited or a followup arrived; waiting for nothing fails the test, as silence should.
    """
    callback = await interaction.wait_callback(within)
    if callback.type == 9:
        return [await interaction.modal(within)]
    if callback.type == 6 and interaction.message is not None:
        message = interaction.message
        await interaction.server.wait_until(
            lambda: len(message.edits) > edits_before or bool(interaction.followups),
            within=within,
            what=f"an edit or a followup after {interaction}",
        )
        return [message, *interaction.followups]
    first = await interaction.response(within)
    return [first, *(m for m in interaction.followups if m is not first)]


async def forged_modal(
    server: FakeDiscord,
    member: FakeMember,
    channel: FakeChannel,
    custom_id: str,
    values: dict[str, str],
    message: FakeMessage | None = None,
) -> FakeInteraction:
    """A modal submission Discord would not check: any custom id, any values, any length."""
    components = [
        {
            "type": 18,
            "id": n,
            "component": {"type": 4, "id": 100 + n, "custom_id": key, "value": value},
        }
        for n, (key, value) in enumerate(values.items(), 1)
    ]
    data = {"custom_id": custom_id, "components": components}
    return await server._dispatch_interaction(MODAL_SUBMIT, member, channel, data, message)


def crafted_button(server: FakeDiscord, channel: FakeChannel, custom_id: str) -> FakeMessage:
    """A bot message carrying one button with ``custom_id`` (as an old or forged post would)."""
    payload = {
        "content": "",
        "embeds": [{"title": "A crafted message"}],
        "components": [
            {
                "type": 1,
                "components": [{"type": 2, "style": 2, "label": "Press", "custom_id": custom_id}],
            }
        ],
        "allowed_mentions": {"parse": []},
    }
    return server.new_message(channel, server.bot_user, payload, {})


@dataclass
class StateReport:
    """What :func:`state_report` found.

    Attributes:
        rows: Row count per table.
        problems: Every inconsistency (empty when the state is sound).
    """

    rows: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


CONSISTENCY_QUERIES = {
    "member_totals match the per-day roll-up": """
        SELECT t.guild_id, t.member_id FROM member_totals t
        LEFT JOIN (SELECT guild_id, member_id, SUM(points) AS p, SUM(attempts) AS a
                   FROM daily_points GROUP BY guild_id, member_id) d
          ON d.guild_id = t.guild_id AND d.member_id = t.member_id
        WHERE d.p IS NULL OR d.p <> t.points OR d.a <> t.attempts""",
    "member_totals match the raw answers": """
        SELECT t.guild_id, t.member_id FROM member_totals t
        LEFT JOIN (SELECT guild_id, member_id,
                          SUM(points) AS p,
                          SUM(CASE WHEN genuine THEN 1 ELSE 0 END) AS a
                   FROM attempts WHERE genuine OR points <> 0
                   GROUP BY guild_id, member_id) r
          ON r.guild_id = t.guild_id AND r.member_id = t.member_id
        WHERE r.p IS NULL OR r.p <> t.points OR r.a <> t.attempts""",
    "every scoring answer has a total": """
        SELECT a.guild_id, a.member_id FROM attempts a
        LEFT JOIN member_totals t ON t.guild_id = a.guild_id AND t.member_id = a.member_id
        WHERE (a.genuine OR a.points <> 0) AND t.member_id IS NULL""",
    "memberships point at a group of the same server": """
        SELECT m.guild_id, m.member_id FROM group_members m
        LEFT JOIN study_groups g ON g.id = m.group_id AND g.guild_id = m.guild_id
        WHERE g.id IS NULL""",
    "one answer per idempotency key": """
        SELECT guild_id, member_id FROM attempts
        GROUP BY guild_id, member_id, idempotency_key HAVING COUNT(*) > 1""",
    "points and scores are in range": """
        SELECT guild_id, member_id FROM attempts
        WHERE points < 0 OR fraction < 0 OR fraction > 1""",
}


async def table_names(store: SqlStore) -> list[str]:
    """Every table of the migrated schema (by introspection: new tables are covered too)."""

    def names(sync_conn: Any) -> list[str]:
        from sqlalchemy import inspect

        return sorted(inspect(sync_conn).get_table_names())

    async with store.engine.connect() as conn:
        return await conn.run_sync(names)


async def state_report(url: str, *, schema: str | None = None) -> StateReport:
    """Reopen the store at ``url`` (as a restarted bot would) and check its invariants."""
    report = StateReport()
    store = await open_store(url, schema=schema)
    try:
        async with store.engine.connect() as conn:
            for table in await table_names(store):
                count = (await conn.execute(text(f'SELECT COUNT(*) FROM "{table}"'))).scalar()
                report.rows[table] = int(count or 0)
            for rule, sql in CONSISTENCY_QUERIES.items():
                bad = (await conn.execute(text(sql))).fetchall()
                if bad:
                    report.problems.append(f"{rule}: {[tuple(r) for r in bad[:5]]}")
    finally:
        await store.close()
    return report
