"""ONE end-to-end check with the real grader: a tiny knowledge base ingested into a temp Chroma,
the real model, /practice -> Answer -> a cited grade quoting the member's own sentence."""

from __future__ import annotations

from pathlib import Path

from bot.adapters.discord.client import BotDeps, create_bot
from bot.app import build_grader, build_service
from bot.bank import check_bank
from bot.config import Settings
from bot.retrieval.embeddings import SentenceEmbedder
from ingest.cli import ingest
from tests.adapters.discord.conftest import World, answer_question, run_slash
from tests.fakediscord.fixtures import StartBot
from tests.fakes import FakeClock
from tests.ingest.conftest import NOTE, QUESTIONS, write


async def test_real_grader_quotes_evidence_and_cites_the_notes(
    world: World, start_bot: StartBot, tmp_path: Path, embedder: SentenceEmbedder
) -> None:
    root = tmp_path / "knowledge"
    write(
        root / "article.md", "---\ntitle: The article\n---\n# The article\n\n## Why\n\nBecause.\n"
    )
    write(root / "notes" / "overfitting-basics.md", NOTE)
    write(root / "questions" / "basics.yaml", QUESTIONS)
    settings = Settings(data_dir=tmp_path / "data", knowledge_dir=root, _env_file=None)
    assert ingest(settings, []).chunks > 0
    bank, _ = check_bank(root, strict=False)
    clock = FakeClock()
    service, store = await build_service(
        settings, grader=build_grader(settings), clock=clock, bank=bank
    )
    try:
        deps = BotDeps(settings=settings, service=service, store=store, clock=clock)
        await start_bot(create_bot(settings, deps, guild_ready_timeout=0.05))
        server = world.server
        question = await run_slash(server, world.alice, world.channel, "practice")
        assert "validation loss rises" in question.embed["description"]
        graded = await answer_question(
            server,
            world.alice,
            question,
            "This is overfitting: the model memorises noise in the training data instead of "
            "learning general patterns. I would plot both curves to confirm it.",
        )
        fields = {f["name"]: f["value"] for f in graded.embed["fields"]}
        covered = next(v for k, v in fields.items() if k.startswith("Covered"))
        assert "memorises noise" in covered and "> “" in covered
        missed = next(v for k, v in fields.items() if k.startswith(("Missed", "Partly")))
        assert "📖 Overfitting basics › Early stopping" in missed
    finally:
        await store.close()
