"""Every shipped knowledge file loads and meets the schema in knowledge/README.md."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.bank import TOPICS, KnowledgeError, check_bank, load_bank, load_note
from bot.cli import main
from bot.config import REPO_ROOT
from bot.core.models import Difficulty

KNOWLEDGE = REPO_ROOT / "knowledge"
# CI lays shared/ beside the clone; a developer's checkout has it at /work/shared.
SEED_CANDIDATES = (REPO_ROOT.parent / "shared", Path("/work/shared"))
SEED_ARTICLE = next(
    (d / "seed" / "article.txt" for d in SEED_CANDIDATES if (d / "seed" / "article.txt").exists()),
    SEED_CANDIDATES[0] / "seed" / "article.txt",
)


def test_the_shipped_knowledge_base_has_no_problems() -> None:
    _, problems = check_bank(KNOWLEDGE)
    assert problems == [], "\n".join(str(p) for p in problems)


def test_the_bank_is_big_enough_and_covers_every_topic_at_every_difficulty() -> None:
    bank = load_bank(KNOWLEDGE)
    assert len(bank.questions) >= 150
    assert len(bank.notes) >= 30
    present = {(q.topic, q.difficulty) for q in bank.questions.values()}
    assert present == {(t, d) for t in TOPICS for d in Difficulty}
    kinds = {q.kind for q in bank.questions.values()}
    assert kinds == {"explain", "compare", "debug", "design", "trade-off"}


def test_every_note_is_300_to_900_words_with_sections() -> None:
    bank = load_bank(KNOWLEDGE)
    for note in bank.notes.values():
        assert 300 <= note.words <= 900, f"{note.path}: {note.words} words"
        assert sum(1 for s in note.sections if s.level == 2) >= 3, note.path


def test_every_key_point_cites_a_real_note_section() -> None:
    bank = load_bank(KNOWLEDGE)
    for question in bank.questions.values():
        for point in question.key_points:
            citation = bank.citation(point.source)
            assert citation is not None, (question.id, point.id)
            assert citation.heading in bank.notes[citation.note_id].headings


def test_key_point_ids_are_unique_within_each_question_and_weights_valid() -> None:
    bank = load_bank(KNOWLEDGE)
    for question in bank.questions.values():
        ids = [p.id for p in question.key_points]
        assert len(ids) == len(set(ids)), question.id
        assert all(p.weight in (1.0, 2.0, 3.0) for p in question.key_points), question.id
        assert 1 <= len(question.hints) <= 2 and 1 <= len(question.follow_ups) <= 2, question.id


def _shingles(text: str, n: int = 8) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9']+", text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_no_sentence_is_copied_from_the_seed_article() -> None:
    seed = _shingles(SEED_ARTICLE.read_text(encoding="utf-8"))
    for path in sorted(KNOWLEDGE.rglob("*")):
        if path.suffix in {".md", ".yaml"} and path.name != "README.md":
            overlap = seed & _shingles(path.read_text(encoding="utf-8"))
            assert not overlap, f"{path} shares 8-word runs with the seed article: {overlap}"


def _bank_with(tmp_path: Path, questions_yaml: str) -> Path:
    root = tmp_path / "knowledge"
    (root / "notes").mkdir(parents=True)
    (root / "questions").mkdir()
    (root / "notes" / "n.md").write_text(
        "---\ntitle: N\ntopic: ml-foundations\n---\n# N\n\n## Part\n\ntext\n", encoding="utf-8"
    )
    (root / "questions" / "q.yaml").write_text(questions_yaml, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ("questions:\n  - id: a\n    topic: [\n", 4, "invalid YAML"),
        ("questions:\n  - id: a\n    topic: cooking\n", 3, "topic 'cooking' is not one of"),
        ("questions:\n  - id: a\n    difficulty: extreme\n", 3, "difficulty must be"),
        ("questions:\n  - id: Bad Id\n", 2, "must be kebab-case"),
        ("questions:\n  - id: a\n    colour: red\n", 3, "unknown question field 'colour'"),
        (
            "questions:\n  - id: a\n    key_points:\n      - id: p\n        weight: 7\n",
            5,
            "weight' must be 1, 2 or 3",
        ),
        (
            "questions:\n  - id: a\n    hints:\n      - see: this\n",
            4,
            "read as a mapping: quote text containing ': '",
        ),
    ],
)
def test_a_malformed_question_file_names_the_file_line_and_problem(
    tmp_path: Path, content: str, line: int, message: str
) -> None:
    root = _bank_with(tmp_path, content)
    _, problems = check_bank(root)
    located = [p for p in problems if p.path.name == "q.yaml"]
    assert any(p.line == line and message in p.message for p in located), [str(p) for p in problems]


def test_a_source_pointing_at_a_missing_heading_is_reported(tmp_path: Path) -> None:
    bank_yaml = (KNOWLEDGE / "questions" / "overfitting-regularisation.yaml").read_text()
    root = _bank_with(tmp_path, bank_yaml)
    _, problems = check_bank(root, strict=False)
    assert any("source note" in p.message and "not found" in p.message for p in problems)


def test_a_note_with_bad_front_matter_names_the_line(tmp_path: Path) -> None:
    note = tmp_path / "bad.md"
    note.write_text("---\ntitle: ok\ntopic: [oops\n---\n# x\n## y\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as error:
        load_note(note)
    # YAML notices the unclosed list where the front matter ends, on line 4.
    assert f"{note}:4: invalid YAML" in str(error.value)


def test_knowledge_stats_json_reports_counts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["knowledge", "stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    bank = load_bank(KNOWLEDGE)
    assert stats["questions"] == len(bank.questions)
    assert stats["notes"] == len(bank.notes)
    assert stats["key_points"] == sum(len(q.key_points) for q in bank.questions.values())
    assert set(stats["topics"]) == set(TOPICS)


def test_knowledge_check_exits_non_zero_on_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _bank_with(tmp_path, "questions:\n  - id: a\n    topic: cooking\n")
    monkeypatch.setenv("KNOWLEDGE_DIR", str(root))
    assert main(["knowledge", "check"]) == 1
    assert "q.yaml:3" in capsys.readouterr().out
