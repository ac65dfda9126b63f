"""Server questions: validation and naming (``bot.question_admin``) and the bulk-import CLI.

The CLI runs end to end on a temp data dir: a real SQLite database, a real persistent Chroma
index and the real embedding model; an imported question is then graded by the real grader,
which reads its key points back from Chroma by question id like a shipped question's.
"""

from __future__ import annotations

import argparse
import json
import textwrap
from pathlib import Path

import pytest

from bot.bank import check_bank
from bot.cli import questions as cli
from bot.config import Settings
from bot.core.models import Difficulty
from bot.question_admin import (
    MAX_GUILD_QUESTIONS,
    QuestionDraft,
    guild_prefix,
    parse_point_line,
    plan_import,
    question_from_draft,
    slugify,
    unique_id,
)
from bot.store import open_store
from tests.fakes import make_question
from tests.ingest.conftest import NOTE, QUESTIONS, write

GUILD = 987654321098765432

GOOD_YAML = """\
questions:
  - id: eval-ab-test
    topic: evaluation
    difficulty: medium
    question: How would you run an A/B test to compare two chat models?
    model_answer: >-
      Split live traffic at random between the two models, pick one primary metric in
      advance, run until the sample is large enough, and check the difference is significant.
    key_points:
      - id: random-split
        weight: 2
        statement: Traffic is split at random between the two model variants.
        terms: [random split, randomised]
      - id: primary-metric
        statement: One primary success metric is chosen before the test starts.
        terms: [primary metric]
        source: overfitting-basics#Early stopping
    hints: [Think about how users are assigned.]
  - id: eval-judge
    topic: evaluation
    difficulty: hard
    question: What are the risks of using an LLM as a judge?
    model_answer: >-
      The judge model has biases such as favouring longer answers and its own style, so it
      must be calibrated against human ratings.
    key_points:
      - id: bias
        statement: Judge models favour longer answers and their own writing style.
"""


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    """A tiny valid knowledge base (one note, one question)."""
    root = tmp_path / "knowledge"
    write(root / "article.md", "---\ntitle: A\n---\n# A\n\n## Why\n\nBecause.\n")
    write(root / "notes" / "overfitting-basics.md", NOTE)
    write(root / "questions" / "basics.yaml", QUESTIONS)
    return root


@pytest.fixture
def settings(tmp_path: Path, knowledge: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", knowledge_dir=knowledge, _env_file=None)


def _shipped(knowledge: Path):
    return check_bank(knowledge, strict=False)[0]


# -- naming and the form ---------------------------------------------------------------------


def test_ids_are_prefixed_slugs_that_never_clash() -> None:
    assert slugify("What is  Overfitting?? Explain, briefly & clearly, please now") == (
        "what-is-overfitting-explain-briefly"
    )
    assert slugify("Ünïcödé café") == "unicode-cafe"
    assert slugify("???") == "question"
    assert len(slugify("word " * 50)) <= 40
    taken = {f"{guild_prefix(7)}a-b", f"{guild_prefix(7)}a-b-2"}
    assert unique_id(7, "a-b", taken) == "g7-a-b-3"
    assert unique_id(8, "a-b", taken) == "g8-a-b"


def test_key_point_lines_take_an_optional_weight_and_terms() -> None:
    assert parse_point_line("[2] Attention weighs tokens | attention, weights", 1) == {
        "id": "p1",
        "weight": 2,
        "statement": "Attention weighs tokens",
        "terms": ["attention", "weights"],
    }
    assert parse_point_line("  Plain statement here  ", 3) == {
        "id": "p3",
        "weight": 1,
        "statement": "Plain statement here",
    }


def _draft(**changes: str) -> QuestionDraft:
    values = {
        "question": "Why does validation loss rise while training loss falls?",
        "model_answer": "The model overfits: it memorises noise in the training data.",
        "key_points": "[2] The model memorises noise in the training data | memorises\n"
        "Early stopping keeps the best validation checkpoint",
        "topic": "ML-Foundations ",
        "difficulty": "Medium",
    }
    values.update(changes)
    return QuestionDraft(**values)


def test_a_valid_form_becomes_a_server_question() -> None:
    question, problems = question_from_draft(_draft(), GUILD, f"g{GUILD}-why")
    assert problems == [] and question is not None
    assert question.id == f"g{GUILD}-why" and question.guild_id == GUILD
    assert (question.topic, question.difficulty) == ("ml-foundations", Difficulty.MEDIUM)
    first, second = question.key_points
    assert (first.id, first.weight, first.terms) == ("p1", 2.0, ("memorises",))
    assert (second.id, second.weight) == ("p2", 1.0)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"topic": "cooking"}, "Topic must be one of"),
        ({"difficulty": "extreme"}, "Difficulty must be easy, medium or hard"),
        ({"question": "Why?"}, "The question needs 10 to 1000 characters"),
        ({"model_answer": "Short."}, "The model answer needs 20 to 3000 characters"),
        ({"key_points": ""}, "Write 1 to 6 key points"),
        ({"key_points": "\n".join(f"Point number {i} is here" for i in range(7))}, "got 7"),
        ({"key_points": "Too short"}, "Key point 1: key point needs a 'statement' sentence"),
        ({"key_points": "[7] A weight that is too big"}, "Key point 1: key point 'weight'"),
        ({"key_points": "x" * 20 + " and more words " + "y" * 300}, "under 300 characters"),
    ],
)
def test_form_problems_are_plain_sentences(changes, expected) -> None:
    question, problems = question_from_draft(_draft(**changes), GUILD, f"g{GUILD}-why")
    assert question is None
    assert any(expected in p for p in problems), problems


# -- planning an import ----------------------------------------------------------------------


def test_plan_a_yaml_import(tmp_path: Path, knowledge: Path) -> None:
    path = write(tmp_path / "mine.yaml", GOOD_YAML)
    existing = [make_question(f"{guild_prefix(GUILD)}eval-judge", guild_id=GUILD)]
    plan = plan_import(path, GUILD, shipped=_shipped(knowledge), existing=existing)
    assert plan.problems == ()
    ids = [q.id for q in plan.questions]
    assert ids == [f"g{GUILD}-eval-ab-test", f"g{GUILD}-eval-judge"]
    assert all(q.guild_id == GUILD for q in plan.questions)
    assert plan.replaced == {f"g{GUILD}-eval-judge"}
    cited = plan.citations[ids[0]]["primary-metric"]
    assert cited is not None and (cited.title, cited.heading) == (
        "Overfitting basics",
        "Early stopping",
    )


def test_plan_a_json_import_with_prefixed_ids(tmp_path: Path, knowledge: Path) -> None:
    data = {
        "questions": [
            {
                "id": f"g{GUILD}-already-prefixed",
                "topic": "career",
                "difficulty": "easy",
                "question": "How do you explain a model's limits to a product manager?",
                "model_answer": "Plainly, with examples of failures and what they cost users.",
                "key_points": [{"id": "plain", "statement": "Use plain words and examples."}],
            }
        ]
    }
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    plan = plan_import(path, GUILD, shipped=_shipped(knowledge), existing=[])
    assert plan.problems == ()
    assert [q.id for q in plan.questions] == [f"g{GUILD}-already-prefixed"]


def test_plan_reports_every_problem_with_file_and_line(tmp_path: Path, knowledge: Path) -> None:
    bad = textwrap.dedent(
        """\
        questions:
          - id: dup
            topic: cooking
            difficulty: easy
            question: Short but fine question text?
            model_answer: A model answer that is long enough.
            key_points:
              - id: a
                statement: One statement with enough words.
          - id: dup
            topic: career
            difficulty: easy
            question: Another question text here?
            model_answer: A model answer that is long enough.
            key_points:
              - id: a
                statement: One statement with enough words.
                source: no-such-note#Nowhere
          - id: dup-2
            topic: career
            difficulty: easy
            question: Another question text here?
            model_answer: A model answer that is long enough.
            key_points:
              - id: a
                statement: One statement with enough words.
                source: overfitting-basics#No such heading
        """
    )
    path = write(tmp_path / "bad.yaml", bad)
    plan = plan_import(path, GUILD, shipped=_shipped(knowledge), existing=[])
    messages = [str(p) for p in plan.problems]
    assert any("bad.yaml:3" in m and "topic 'cooking'" in m for m in messages), messages
    assert any("no-such-note#Nowhere" in m for m in messages), messages
    assert any("No such heading" in m for m in messages), messages


def test_plan_refuses_shipped_ids_and_the_server_limit(tmp_path: Path, knowledge: Path) -> None:
    path = write(tmp_path / "mine.yaml", GOOD_YAML)
    shipped = _shipped(knowledge)
    full = [
        make_question(f"{guild_prefix(GUILD)}q{i}", guild_id=GUILD)
        for i in range(MAX_GUILD_QUESTIONS - 1)
    ]
    plan = plan_import(path, GUILD, shipped=shipped, existing=full)
    assert any("the limit is" in str(p) for p in plan.problems)
    shipped.questions[f"g{GUILD}-eval-judge"] = make_question(f"g{GUILD}-eval-judge")
    plan = plan_import(path, GUILD, shipped=shipped, existing=[])
    assert any("shipped question's id" in str(p) for p in plan.problems)


# -- the CLI ---------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="interview-bot")
    cli.register(parser.add_subparsers(dest="command"))
    return parser


def _run(settings: Settings, *argv: str) -> int:
    args = _parser().parse_args(list(argv))
    code: int = args.handler(args, settings)
    return code


def test_cli_rejects_a_bad_guild_id(capsys) -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(["question", "import", "--guild", "abc", "x.yaml"])
    assert "not a server id" in capsys.readouterr().err


def test_cli_import_problems_change_nothing(tmp_path: Path, settings: Settings, capsys) -> None:
    path = write(tmp_path / "bad.yaml", GOOD_YAML.replace("topic: evaluation", "topic: x", 1))
    assert _run(settings, "question", "import", "--guild", str(GUILD), str(path)) == 1
    out = capsys.readouterr().out
    assert "topic 'x'" in out and "nothing imported" in out
    assert _run(settings, "question", "import", "--guild", str(GUILD), str(tmp_path)) == 2
    missing = tmp_path / "missing.yaml"
    assert _run(settings, "question", "import", "--guild", str(GUILD), str(missing)) == 2


async def _stored(settings: Settings) -> list[str]:
    store = await open_store(settings.resolved_database_url)
    try:
        return [q.id for q in await store.list_questions(GUILD)]
    finally:
        await store.close()


def test_cli_import_list_grade_and_remove(
    tmp_path: Path, settings: Settings, embedder, capsys
) -> None:
    import asyncio

    from bot.app import build_grader, build_index, ensure_index
    from bot.retrieval.rubric import ChromaRubricRetriever

    ensure_index(settings)  # the shipped (tiny) knowledge, as `make run` does first
    path = write(tmp_path / "mine.yaml", GOOD_YAML)
    args = ("question", "import", "--guild", str(GUILD), str(path))
    assert _run(settings, *args, "--dry-run") == 0
    assert "dry run: 2 question(s) valid (2 new, 0 replaced" in capsys.readouterr().out
    assert asyncio.run(_stored(settings)) == []

    assert _run(settings, *args) == 0
    assert "imported 2 question(s): 2 new, 0 replaced" in capsys.readouterr().out
    ab, judge = f"g{GUILD}-eval-ab-test", f"g{GUILD}-eval-judge"
    assert asyncio.run(_stored(settings)) == [ab, judge]
    assert _run(settings, *args) == 0  # again: replaced, no stale key points left behind
    assert "0 new, 2 replaced" in capsys.readouterr().out

    assert _run(settings, "question", "list", "--guild", str(GUILD)) == 0
    listed = capsys.readouterr().out
    assert ab in listed and "2 question(s) in server" in listed

    # Graded exactly like a shipped question: key points read back from Chroma by id.
    index = build_index(settings)
    plan = plan_import(path, GUILD, shipped=_shipped(settings.knowledge_dir), existing=[])
    question = plan.questions[0]
    rubric = ChromaRubricRetriever(index).rubric(question)
    assert [r.point.id for r in rubric] == ["random-split", "primary-metric"]
    assert rubric[1].citation is not None and rubric[1].citation.heading == "Early stopping"
    assert rubric[0].citation is not None  # no source: the closest note section is cited
    grade = build_grader(settings, index).grade(
        question,
        "Users are randomly split between the two model variants. Before starting we pick "
        "one primary success metric and we wait for a big enough sample.",
    )
    assert grade.score > 5 and all(p.status != "missed" for p in grade.points)

    assert _run(settings, "question", "remove", "--guild", str(GUILD), ab) == 0
    assert _run(settings, "question", "remove", "--guild", str(GUILD), ab) == 1
    assert _run(settings, "question", "remove", "--guild", str(GUILD), "tiny-overfit") == 1
    assert asyncio.run(_stored(settings)) == [judge]
    assert index.get({"question_id": ab}) == []
    assert len(index.get({"question_id": judge})) == 1
