"""``interview-bot question import|list|remove``: a server's own questions from the terminal.

``import`` bulk-loads a YAML or JSON file in the ``knowledge/questions`` schema into one
server (``--guild``): every question is validated first (all or nothing), ids are prefixed with
``g<guild>-`` so they never clash with shipped ids or another server's, key points are embedded
into the knowledge index, and the questions are stored in the bot's database. A question whose
id already exists in that server is replaced. The running bot sees them at once.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Settings

if TYPE_CHECKING:
    from bot.bank import Bank
    from bot.store.sql import SqlStore


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``question`` command."""
    parser = sub.add_parser(
        "question",
        help="manage a server's own questions (bulk import, list, remove)",
        description="A server's own questions: visible and graded only in that server.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    imp = actions.add_parser(
        "import",
        help="import questions from a YAML or JSON file (knowledge/questions schema)",
        description=(
            "Validate every question in FILE (all or nothing), embed their key points and "
            "store them as server GUILD's own questions. Same id: replaced."
        ),
    )
    imp.add_argument("--guild", type=_snowflake, required=True, help="the server (guild) id")
    imp.add_argument("file", type=Path, metavar="FILE", help="a .yaml/.yml or .json file")
    imp.add_argument("--dry-run", action="store_true", help="validate and report; change nothing")
    imp.set_defaults(handler=_import)

    listing = actions.add_parser("list", help="list a server's own questions")
    listing.add_argument("--guild", type=_snowflake, required=True, help="the server (guild) id")
    listing.set_defaults(handler=_list)

    remove = actions.add_parser("remove", help="remove one of a server's own questions")
    remove.add_argument("--guild", type=_snowflake, required=True, help="the server (guild) id")
    remove.add_argument("question_id", metavar="QUESTION_ID", help="the id shown by list")
    remove.add_argument(
        "--force",
        action="store_true",
        help="remove it even if a posted daily still owes its recap (the recap is skipped)",
    )
    remove.set_defaults(handler=_remove)


def _snowflake(value: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a server id (digits)") from exc
    if number <= 0:
        raise argparse.ArgumentTypeError("a server id is a positive number")
    return number


def _import(args: argparse.Namespace, settings: Settings) -> int:
    from bot.bank import check_bank

    path: Path = args.file
    if not path.is_file():
        print(f"error: {path} is not a file", file=sys.stderr)
        return 2
    # Only malformed shipped files matter here (their notes resolve the imported sources).
    shipped, shipped_problems = check_bank(settings.knowledge_dir, strict=False)
    if shipped_problems:
        print(
            f"warning: the shipped knowledge base has {len(shipped_problems)} problem(s); "
            "`interview-bot knowledge check` lists them",
            file=sys.stderr,
        )
    return asyncio.run(import_file(settings, args.guild, path, shipped, dry_run=args.dry_run))


def _list(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(list_guild(settings, args.guild))


def _remove(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(remove_from_guild(settings, args.guild, args.question_id, force=args.force))


async def _open(settings: Settings) -> SqlStore:
    from bot.store.sql import open_store

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return await open_store(settings.resolved_database_url)


async def import_file(
    settings: Settings, guild_id: int, path: Path, shipped: Bank, *, dry_run: bool
) -> int:
    """Import ``path`` into server ``guild_id``; returns the exit code.

    Args:
        settings: Where the database and the knowledge index are.
        guild_id: The server that will own the questions.
        path: The YAML or JSON file.
        shipped: The shipped bank (resolves ``source`` citations; its ids are off limits).
        dry_run: Validate and report only.
    """
    from datetime import UTC, datetime

    from bot.question_admin import add_questions, plan_import

    store = await _open(settings)
    try:
        existing = await store.list_questions(guild_id)
        plan = await asyncio.to_thread(
            functools.partial(plan_import, path, guild_id, shipped=shipped, existing=existing)
        )
        if plan.problems:
            for problem in plan.problems:
                print(problem)
            print(f"nothing imported: {len(plan.problems)} problem(s) in {path}")
            return 1
        added = len(plan.questions) - len(plan.replaced)
        summary = f"{added} new, {len(plan.replaced)} replaced, for server {guild_id}"
        if dry_run:
            for question in plan.questions:
                print(f"  {question.id} ({question.topic}, {question.difficulty})")
            print(f"dry run: {len(plan.questions)} question(s) valid ({summary})")
            return 0
        from bot.app import build_index
        from bot.retrieval.embeddings import get_embedder

        index = build_index(settings)
        embedder = await asyncio.to_thread(get_embedder)
        await add_questions(
            store, index, embedder, plan.questions, datetime.now(UTC), plan.citations
        )
        for question in plan.questions:
            print(f"  {question.id} ({question.topic}, {question.difficulty})")
        print(f"imported {len(plan.questions)} question(s): {summary}")
        return 0
    finally:
        await store.close()


async def list_guild(settings: Settings, guild_id: int) -> int:
    """Print server ``guild_id``'s own questions; returns the exit code."""
    store = await _open(settings)
    try:
        questions = await store.list_questions(guild_id)
    finally:
        await store.close()
    for question in questions:
        prompt = " ".join(question.prompt.split())
        print(f"{question.id}\t{question.topic}\t{question.difficulty}\t{prompt[:80]}")
    print(f"{len(questions)} question(s) in server {guild_id}")
    return 0


async def remove_from_guild(
    settings: Settings, guild_id: int, question_id: str, *, force: bool = False
) -> int:
    """Remove one of server ``guild_id``'s questions; returns the exit code."""
    from bot.app import build_index
    from bot.question_admin import remove_guild_question

    store = await _open(settings)
    try:
        owed = [
            p
            for p in await store.owed_daily_recaps()
            if p.guild_id == guild_id and p.question_id == question_id
        ]
        if owed and not force:
            print(
                f"{question_id} is the question of the daily of {owed[0].local_date}, whose "
                "recap is still to come: remove it after the recap (or pass --force)",
                file=sys.stderr,
            )
            return 1
        removed = await remove_guild_question(store, build_index(settings), guild_id, question_id)
    finally:
        await store.close()
    if not removed:
        print(f"server {guild_id} has no question {question_id!r} of its own", file=sys.stderr)
        return 1
    print(f"removed {question_id}")
    return 0
