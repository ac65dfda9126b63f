"""The ingest job end to end: real model, real persistent Chroma in a temp dir."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from bot.config import Settings
from bot.retrieval import embeddings
from bot.retrieval.vectorstore import IndexMismatchError, KnowledgeIndex, chroma_client
from ingest.cli import ingest, run
from tests.ingest.conftest import write


def _index(settings: Settings) -> KnowledgeIndex:
    return KnowledgeIndex(
        chroma_client(settings), settings.chroma_collection, embeddings.MODEL_NAME
    )


def _ids_of(settings: Settings, source: str) -> set[str]:
    return _index(settings).ids_by_source().get(source, set())


def test_second_run_with_nothing_changed_embeds_nothing_and_loads_no_model(
    settings: Settings, embedder: embeddings.SentenceEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = ingest(settings, [])
    assert first.embedded == first.chunks > 0
    assert first.added == 3  # article, note, question file
    assert not first.problems

    def no_model() -> embeddings.SentenceEmbedder:
        raise AssertionError("a no-change run must not load the model")

    monkeypatch.setattr(embeddings, "get_embedder", no_model)
    second = ingest(settings, [])
    assert (second.embedded, second.deleted, second.added, second.updated) == (0, 0, 0, 0)
    assert second.unchanged == 3
    assert second.chunks == first.chunks


def test_key_points_are_passages_with_question_point_topic_and_citation(
    settings: Settings, embedder: embeddings.SentenceEmbedder
) -> None:
    ingest(settings, [])
    points = _index(settings).get({"question_id": "tiny-overfit"})
    assert {p.metadata["point_id"] for p in points} == {"memorises", "early-stop"}
    early = next(p for p in points if p.metadata["point_id"] == "early-stop")
    assert early.metadata["topic"] == "ml-foundations"
    assert early.metadata["cite_title"] == "Overfitting basics"
    assert early.metadata["cite_heading"] == "Early stopping"
    assert early.metadata["source"] == "questions/basics.yaml"


def test_note_chunks_know_their_title_and_heading(
    settings: Settings, embedder: embeddings.SentenceEmbedder
) -> None:
    ingest(settings, [])
    chunks = _index(settings).get({"note_id": "overfitting-basics"})
    # The introduction (under the title only) has no section heading.
    headings = {c.metadata["heading"] for c in chunks}
    assert headings == {"", "Recognising overfitting", "Early stopping"}
    assert all(c.metadata["title"] == "Overfitting basics" for c in chunks)


def test_editing_one_file_replaces_only_its_chunks(
    settings: Settings, knowledge: Path, embedder: embeddings.SentenceEmbedder
) -> None:
    ingest(settings, [])
    note_before = _ids_of(settings, "notes/overfitting-basics.md")
    article_before = _ids_of(settings, "article.md")
    note = knowledge / "notes" / "overfitting-basics.md"
    note.write_text(note.read_text().replace("a few epochs", "five epochs"), encoding="utf-8")

    report = ingest(settings, [])

    assert (report.updated, report.unchanged, report.added, report.removed) == (1, 2, 0, 0)
    assert report.embedded == 1 and report.deleted == 1  # only the edited section
    note_after = _ids_of(settings, "notes/overfitting-basics.md")
    assert len(note_after - note_before) == 1 and len(note_before - note_after) == 1
    assert _ids_of(settings, "article.md") == article_before


def test_deleting_a_file_removes_its_chunks(
    settings: Settings, knowledge: Path, embedder: embeddings.SentenceEmbedder
) -> None:
    ingest(settings, [])
    (knowledge / "article.md").unlink()
    report = ingest(settings, [])
    assert report.removed == 1
    assert _ids_of(settings, "article.md") == set()
    assert _ids_of(settings, "notes/overfitting-basics.md")


def test_index_built_with_another_model_is_a_clear_error_until_rebuild(
    settings: Settings, embedder: embeddings.SentenceEmbedder, capsys: pytest.CaptureFixture[str]
) -> None:
    KnowledgeIndex(chroma_client(settings), settings.chroma_collection, "some-other-model").open(
        create=True
    )
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        ingest(settings, [])
    args = argparse.Namespace(paths=[], rebuild=False, json=False)
    assert run(args, settings) == 2
    assert "rerun `python -m ingest --rebuild`" in capsys.readouterr().err

    rebuilt = ingest(settings, [], rebuild=True)
    assert rebuilt.embedded == rebuilt.chunks > 0


def test_malformed_files_are_reported_with_file_and_line_and_the_rest_is_ingested(
    settings: Settings, tmp_path: Path, embedder: embeddings.SentenceEmbedder
) -> None:
    docs = tmp_path / "docs"
    write(docs / "good.md", "# Good\n\n## Part\n\nUseful text about attention.\n")
    write(docs / "bad-front-matter.md", "---\ntitle: [unclosed\n---\n# Bad\n")
    write(docs / "empty.txt", "   \n")
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    write(docs / "page.html", "<html><title>Page</title><h2>Heads</h2><p>Text here.</p></html>")
    write(docs / "notes.txt", "Plain text notes about tokenisation.")
    (docs / "image.png").write_bytes(b"\x89PNG")
    bad_question = settings.knowledge_dir / "questions" / "broken.yaml"
    write(bad_question, "questions:\n  - id: x\n    topic: [\n")

    report = ingest(settings, [docs])

    messages = [str(p) for p in report.problems]
    assert any("bad-front-matter.md:3" in m and "invalid YAML" in m for m in messages), messages
    assert any("empty.txt" in m and "empty" in m for m in messages)
    assert any("broken.pdf" in m and "PDF" in m for m in messages)
    assert any("broken.yaml:4" in m for m in messages), messages
    assert report.skipped == [str((docs / "image.png").resolve())]
    root = str(docs.resolve())
    sources = _index(settings).ids_by_source([root])
    assert set(sources) == {"good.md", "page.html", "notes.txt"}
    assert _ids_of(settings, "questions/basics.yaml")  # the valid question file still went in

    args = argparse.Namespace(paths=[docs], rebuild=False, json=True)
    assert run(args, settings) == 1  # something failed: the exit code says so


def test_a_file_that_breaks_keeps_its_previous_chunks(
    settings: Settings, knowledge: Path, embedder: embeddings.SentenceEmbedder
) -> None:
    ingest(settings, [])
    before = _ids_of(settings, "questions/basics.yaml")
    write(knowledge / "questions" / "basics.yaml", "questions: [\n")
    report = ingest(settings, [])
    assert report.problems
    assert _ids_of(settings, "questions/basics.yaml") == before


def test_user_paths_do_not_disturb_each_other_or_the_knowledge(
    settings: Settings, tmp_path: Path, embedder: embeddings.SentenceEmbedder
) -> None:
    a = write(tmp_path / "mine" / "a.md", "# A\n\n## One\n\nAlpha text.\n")
    b = write(tmp_path / "mine" / "b.md", "# B\n\n## Two\n\nBeta text.\n")
    ingest(settings, [a])
    ingest(settings, [b])
    index = _index(settings)
    assert index.ids_by_source([str(a.resolve())]).keys() == {"a.md"}
    assert index.ids_by_source([str(b.resolve())]).keys() == {"b.md"}
    assert _ids_of(settings, "notes/overfitting-basics.md")


def test_json_summary_is_the_last_line_of_stdout(
    settings: Settings, embedder: embeddings.SentenceEmbedder, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(argparse.Namespace(paths=[], rebuild=False, json=True), settings) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for key in ("added", "updated", "removed", "unchanged", "chunks", "seconds"):
        assert key in summary
    assert summary["added"] == 3
