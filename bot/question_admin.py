"""A server's own questions: validate, name, index and store what its admins add.

Shared by the ``/question`` commands (one question from a modal) and the bulk import CLI
(``interview-bot question import``, a file in the ``knowledge/questions`` schema). Questions are
checked with the same parsers as the shipped bank (``bot.bank``), with limits suited to
admins (1-6 key points, no word-count rule on the model answer), and named
``g<server id>-<slug>`` so they can never take a shipped id or another server's.

Their key points are embedded into the same Chroma collection as the shipped ones (under their
own ingest root, which re-ingesting ``knowledge/`` leaves alone), so the grader reads them back
by question id exactly like a shipped question's.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bot.bank import TOPICS, Problem, load_question_file, parse_key_point, parse_question
from bot.core.models import Citation, Difficulty, Question

if TYPE_CHECKING:
    from bot.bank import Bank
    from bot.core.ports import Embedder
    from bot.retrieval.vectorstore import KnowledgeIndex

MAX_GUILD_QUESTIONS = 500
"""Questions one server may own (a listing stays browsable; the index stays small)."""
PROMPT_CHARS = (10, 1000)
MODEL_ANSWER_CHARS = (20, 3000)
KEY_POINTS = (1, 6)
KEY_POINT_CHARS = 300
SLUG_WORDS = 6
SLUG_CHARS = 40

_WEIGHT = re.compile(r"^\[\s*([0-9]+)\s*\]\s*")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_MODAL_SOURCE = Path("<question form>")


class GuildQuestions(Protocol):
    """What this module needs from the store (``GuildQuestionStore`` + the catalog read)."""

    async def add_question(self, question: Question, at: datetime) -> None:
        """Add or replace a server question."""
        ...

    async def remove_question(self, guild_id: int, question_id: str) -> bool:
        """Remove a server question; True if it existed."""
        ...

    async def list_questions(self, guild_id: int) -> list[Question]:
        """The server's own questions, by id."""
        ...


@dataclass(frozen=True, slots=True)
class QuestionDraft:
    """What an admin typed in the question form (kept to re-open the form after an error).

    Attributes:
        question: The question prompt.
        model_answer: What a strong answer says.
        key_points: One key point per line: ``[2] statement | term, term`` (weight and terms
            optional).
        topic: A topic id (``bot.bank.TOPICS``).
        difficulty: ``easy``, ``medium`` or ``hard``.
    """

    question: str = ""
    model_answer: str = ""
    key_points: str = ""
    topic: str = ""
    difficulty: str = ""


def guild_prefix(guild_id: int) -> str:
    """The id prefix of a server's questions."""
    return f"g{guild_id}-"


def is_guild_question_id(guild_id: int, question_id: str) -> bool:
    """Whether ``question_id`` names one of ``guild_id``'s own questions."""
    return question_id.startswith(guild_prefix(guild_id))


def slugify(text: str) -> str:
    """A short kebab-case slug of ``text`` (ASCII; ``question`` when nothing is left)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = ""
    for word in [w for w in _NOT_SLUG.split(ascii_text.lower()) if w][:SLUG_WORDS]:
        longer = f"{slug}-{word}" if slug else word
        if len(longer) > SLUG_CHARS:
            # Whole words only; a single huge word is cut.
            slug = slug or word[:SLUG_CHARS]
            break
        slug = longer
    return slug or "question"


def unique_id(guild_id: int, slug: str, taken: set[str]) -> str:
    """``g<guild>-<slug>``, with ``-2``, ``-3``... appended while the id is ``taken``."""
    base = f"{guild_prefix(guild_id)}{slug}"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def parse_point_line(line: str, number: int) -> dict[str, Any]:
    """One form line ``[weight] statement | term, term`` as a bank key-point mapping."""
    weight: Any = 1
    text = line.strip()
    match = _WEIGHT.match(text)
    if match:
        weight = int(match.group(1))
        text = text[match.end() :]
    statement, _, terms = text.partition("|")
    raw: dict[str, Any] = {"id": f"p{number}", "weight": weight, "statement": statement.strip()}
    listed = [t.strip() for t in terms.split(",") if t.strip()]
    if listed:
        raw["terms"] = listed
    return raw


def question_from_draft(
    draft: QuestionDraft, guild_id: int, question_id: str
) -> tuple[Question | None, list[str]]:
    """Validate a form and build the server question; returns it or the problems found.

    Problems are plain sentences for the admin (no file or line: the form has none).
    """
    problems: list[str] = []
    topic = draft.topic.strip().lower()
    if topic not in TOPICS:
        problems.append(f"Topic must be one of: {', '.join(TOPICS)}.")
    difficulty = draft.difficulty.strip().lower()
    if difficulty not in {d.value for d in Difficulty}:
        problems.append("Difficulty must be easy, medium or hard.")
    problems += _length_problems(draft.question, draft.model_answer)
    lines = [line for line in draft.key_points.splitlines() if line.strip()]
    low, high = KEY_POINTS
    if not low <= len(lines) <= high:
        problems.append(f"Write {low} to {high} key points, one per line (got {len(lines)}).")
    points: list[dict[str, Any]] = []
    for number, line in enumerate(lines[:high], 1):
        raw = parse_point_line(line, number)
        found: list[Problem] = []
        parse_key_point(raw, _MODAL_SOURCE, found)
        problems += [f"Key point {number}: {p.message}." for p in found]
        if len(raw["statement"]) > KEY_POINT_CHARS:
            problems.append(f"Key point {number}: keep it under {KEY_POINT_CHARS} characters.")
        points.append(raw)
    if problems:
        return None, problems
    raw_question = {
        "id": question_id,
        "topic": topic,
        "difficulty": difficulty,
        "question": draft.question,
        "model_answer": draft.model_answer,
        "key_points": points,
    }
    found = []
    question = parse_question(raw_question, _MODAL_SOURCE, found)
    if question is None:
        return None, [f"{p.message}." for p in found]
    return replace(question, guild_id=guild_id), []


def visible_length(text: str) -> int:
    """Characters of ``text`` a reader sees: format characters (zero-width spaces, bidi
    controls) and control characters do not count, nor does surrounding whitespace."""
    kept = "".join(ch for ch in text if unicodedata.category(ch) not in {"Cf", "Cc"})
    return len(kept.strip())


def _length_problems(prompt: str, model_answer: str) -> list[str]:
    problems = []
    low, high = PROMPT_CHARS
    # A prompt of fifty zero-width spaces is "50 characters" but shows nothing to answer.
    if not low <= visible_length(prompt) <= high:
        problems.append(f"The question needs {low} to {high} characters.")
    low, high = MODEL_ANSWER_CHARS
    if not low <= visible_length(model_answer) <= high:
        problems.append(f"The model answer needs {low} to {high} characters.")
    return problems


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """A validated import file: the questions to write and their citations.

    Attributes:
        questions: The server questions (ids prefixed), in file order.
        citations: Resolved ``source`` citations per question and key point.
        replaced: Ids that already exist in the server (they are replaced).
        problems: Everything wrong with the file (nothing is imported when non-empty).
    """

    questions: tuple[Question, ...]
    citations: Mapping[str, Mapping[str, Citation | None]]
    replaced: frozenset[str]
    problems: tuple[Problem, ...]


def plan_import(
    path: Path,
    guild_id: int,
    *,
    shipped: Bank,
    existing: Sequence[Question],
) -> ImportPlan:
    """Read and validate a question file (YAML or JSON, ``knowledge/questions`` schema).

    Ids are prefixed with ``g<guild>-`` (unless they already are); ``source`` must name a
    shipped note and heading. All-or-nothing: any problem means nothing is imported.

    Args:
        path: The file.
        guild_id: The server that will own the questions.
        shipped: The shipped bank (its notes resolve sources; its ids are off limits).
        existing: The server's current questions (same id: replaced; counted for the limit).
    """
    problems: list[Problem] = []
    # JSON is YAML too: one loader reports both with file and line.
    loaded = load_question_file(path, problems)
    questions: list[Question] = []
    citations: dict[str, dict[str, Citation | None]] = {}
    seen: set[str] = set()
    for question, line in loaded:
        qid = question.id
        if not is_guild_question_id(guild_id, qid):
            qid = f"{guild_prefix(guild_id)}{qid}"
        if qid in seen:
            problems.append(Problem(path, line, f"duplicate question id {question.id!r}"))
            continue
        if qid in shipped.questions:
            problems.append(Problem(path, line, f"{qid!r} is a shipped question's id"))
            continue
        seen.add(qid)
        for message in _length_problems(question.prompt, question.model_answer):
            problems.append(Problem(path, line, f"{question.id}: {message}"))
        low, high = KEY_POINTS
        if not low <= len(question.key_points) <= high:
            problems.append(
                Problem(path, line, f"{question.id}: {low} to {high} key points allowed")
            )
        cited: dict[str, Citation | None] = {}
        for point in question.key_points:
            if point.source:
                citation = shipped.citation(point.source)
                note = shipped.notes.get(point.source.partition("#")[0].strip())
                heading = point.source.partition("#")[2].strip()
                if citation is None or note is None or heading not in note.headings:
                    problems.append(
                        Problem(
                            path,
                            line,
                            f"{question.id}/{point.id}: source {point.source!r} is not a "
                            "shipped note section",
                        )
                    )
                cited[point.id] = citation
        citations[qid] = cited
        questions.append(replace(question, id=qid, guild_id=guild_id))
    current = {q.id for q in existing}
    replaced = frozenset(q.id for q in questions if q.id in current)
    total = len(current | {q.id for q in questions})
    if total > MAX_GUILD_QUESTIONS:
        problems.append(
            Problem(
                path,
                None,
                f"the server would have {total} questions; the limit is {MAX_GUILD_QUESTIONS}",
            )
        )
    if not loaded and not problems:
        problems.append(Problem(path, None, "no questions found"))
    return ImportPlan(tuple(questions), citations, replaced, tuple(problems))


async def add_questions(
    store: GuildQuestions,
    index: KnowledgeIndex,
    embedder: Embedder,
    questions: Sequence[Question],
    at: datetime,
    citations: Mapping[str, Mapping[str, Citation | None]] | None = None,
) -> int:
    """Embed the questions' key points into the index, then store the questions.

    The index is written first: a stored question whose rubric is missing could be asked
    but not graded. A question being replaced loses its old key points first (chunk ids
    follow the text, so stale points would otherwise linger). Embedding and Chroma calls run
    in a worker thread. Returns the chunks written.
    """
    if not questions:
        return 0
    written = await asyncio.to_thread(_index, index, embedder, questions, citations or {})
    try:
        for question in questions:
            if question.guild_id is None:
                raise ValueError(f"{question.id}: a server question needs its guild_id")
            await store.add_question(question, at)
    except BaseException:
        # Keep index and store in step: undo the rubric of what could not be stored.
        await asyncio.to_thread(_unindex, index, [q.id for q in questions])
        raise
    return written


async def remove_guild_question(
    store: GuildQuestions, index: KnowledgeIndex, guild_id: int, question_id: str
) -> bool:
    """Remove one of the server's questions and its key points; True if it existed."""
    if not is_guild_question_id(guild_id, question_id):
        return False
    removed = await store.remove_question(guild_id, question_id)
    if removed:
        await asyncio.to_thread(_unindex, index, [question_id])
    return removed


def _index(
    index: KnowledgeIndex,
    embedder: Embedder,
    questions: Sequence[Question],
    citations: Mapping[str, Mapping[str, Citation | None]],
) -> int:
    from bot.retrieval.rubric import index_questions

    _unindex(index, [q.id for q in questions])
    return index_questions(index, embedder, questions, citations)


def _unindex(index: KnowledgeIndex, question_ids: Sequence[str]) -> None:
    from bot.retrieval.rubric import remove_question

    if not index.exists():
        return
    for question_id in question_ids:
        remove_question(index, question_id)
