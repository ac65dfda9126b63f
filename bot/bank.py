"""The shipped knowledge base: load and validate notes and the question bank.

Every problem is reported with the file and line it comes from, so a content author can fix a
malformed file without reading a traceback. ``load_bank`` raises ``KnowledgeError`` listing all
problems at once; ``check_bank`` returns them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.core.models import Citation, Difficulty, KeyPoint, Question

TOPICS: dict[str, str] = {
    "ml-foundations": "Machine-learning foundations",
    "transformers": "Transformer architectures",
    "fine-tuning": "Pretraining, fine-tuning and alignment",
    "training-at-scale": "Training at scale",
    "generative-systems": "Generative systems: diffusion, RAG, serving",
    "evaluation": "Evaluation beyond accuracy",
    "responsible-ai": "Ethics and responsible AI",
    "career": "Career growth and collaboration",
}
KINDS = frozenset({"explain", "compare", "debug", "design", "trade-off"})
QUESTION_FIELDS = frozenset(
    {
        "id",
        "topic",
        "difficulty",
        "kind",
        "question",
        "model_answer",
        "key_points",
        "hints",
        "follow_ups",
    }
)
POINT_FIELDS = frozenset({"id", "weight", "statement", "terms", "source"})
NOTE_FIELDS = frozenset({"title", "topic"})
MODEL_ANSWER_WORDS = (80, 200)
KEY_POINTS_RANGE = (3, 6)
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


class KnowledgeError(ValueError):
    """The knowledge base has problems; ``problems`` lists them as ``file:line: message``."""

    def __init__(self, problems: list[Problem]) -> None:
        """Build the error from its problems."""
        self.problems = problems
        shown = "\n".join(str(p) for p in problems[:50])
        more = f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s) in the knowledge base:\n{shown}{more}")


@dataclass(frozen=True, slots=True)
class Problem:
    """One validation problem, located in a file."""

    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        """``path:line: message``."""
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Section:
    """A headed section of a note."""

    heading: str
    level: int
    line: int
    text: str


@dataclass(frozen=True, slots=True)
class Note:
    """A reference note (``knowledge/notes/<id>.md``)."""

    id: str
    title: str
    topic: str
    path: Path
    body: str
    sections: tuple[Section, ...]

    @property
    def headings(self) -> frozenset[str]:
        """Every heading text in the note."""
        return frozenset(s.heading for s in self.sections)

    @property
    def words(self) -> int:
        """Word count of the body."""
        return len(self.body.split())


@dataclass(slots=True)
class Bank:
    """The loaded knowledge base."""

    root: Path
    notes: dict[str, Note] = field(default_factory=dict)
    questions: dict[str, Question] = field(default_factory=dict)
    question_files: dict[str, Path] = field(default_factory=dict)

    def citation(self, source: str | None) -> Citation | None:
        """Resolve a ``note-id#Heading`` source to a citation (None if unknown)."""
        if not source:
            return None
        note_id, _, heading = source.partition("#")
        note = self.notes.get(note_id.strip())
        if note is None:
            return None
        return Citation(note_id=note.id, title=note.title, heading=heading.strip())


# --- YAML with line numbers -------------------------------------------------------------------


class _Lined(dict[str, Any]):
    """A mapping that remembers the line of itself and of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]


def _construct(node: yaml.Node, loader: yaml.SafeLoader) -> Any:
    """Turn a composed YAML node into Python values, keeping line numbers on mappings."""
    if isinstance(node, yaml.MappingNode):
        result = _Lined()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = str(_construct(key_node, loader))
            result[key] = _construct(value_node, loader)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(child, loader) for child in node.value]
    return loader.construct_object(node, deep=True)


# libyaml's composer when PyYAML was built with it: the question files parse in 0.06 s instead
# of 1.2 s (measured on the shipped bank), which every bot start and test pays. Same nodes, same
# line marks.
_COMPOSER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str, path: Path, line_offset: int = 0) -> Any:
    """Parse YAML text, raising ``KnowledgeError`` with the file and line on a syntax error."""
    try:
        node = yaml.compose(text, Loader=_COMPOSER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 + line_offset if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise KnowledgeError([Problem(path, line, f"invalid YAML: {reason}")]) from exc
    if node is None:
        return None
    loader = yaml.SafeLoader("")
    try:
        value = _construct(node, loader)
    finally:
        loader.dispose()
    if line_offset:
        _shift_lines(value, line_offset)
    return value


def _shift_lines(value: Any, offset: int) -> None:
    if isinstance(value, _Lined):
        value.line += offset
        value.key_lines = {k: v + offset for k, v in value.key_lines.items()}
        for child in value.values():
            _shift_lines(child, offset)
    elif isinstance(value, list):
        for child in value:
            _shift_lines(child, offset)


def _line(mapping: Any, key: str | None = None) -> int | None:
    if not isinstance(mapping, _Lined):
        return None
    if key is not None and key in mapping.key_lines:
        return mapping.key_lines[key]
    return mapping.line


# --- Notes -----------------------------------------------------------------------------------


def split_front_matter(text: str, path: Path) -> tuple[dict[str, Any], str, int]:
    """Split ``---`` front matter from a Markdown body.

    Returns:
        The front matter mapping (empty if none), the body, and the line number the body
        starts on (1-based).
    """
    if not text.startswith("---"):
        return {}, text, 1
    lines = text.splitlines(keepends=True)
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            meta = parse_yaml("".join(lines[1:index]), path, line_offset=1)
            if meta is None:
                meta = {}
            if not isinstance(meta, dict):
                raise KnowledgeError([Problem(path, 2, "front matter must be a mapping")])
            return meta, "".join(lines[index + 1 :]), index + 2
    raise KnowledgeError([Problem(path, 1, "front matter opened with '---' is never closed")])


def markdown_sections(body: str, first_line: int = 1) -> tuple[Section, ...]:
    """Headed sections of a Markdown body (fenced code blocks are not scanned for headings)."""
    sections: list[Section] = []
    current: tuple[str, int, int] | None = None
    buffer: list[str] = []
    in_fence = False
    for offset, raw in enumerate(body.splitlines()):
        if raw.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        match = None if in_fence else HEADING.match(raw)
        if match:
            if current:
                sections.append(Section(current[0], current[1], current[2], "\n".join(buffer)))
            current = (match.group(2).strip(), len(match.group(1)), first_line + offset)
            buffer = []
        else:
            buffer.append(raw)
    if current:
        sections.append(Section(current[0], current[1], current[2], "\n".join(buffer)))
    return tuple(sections)


def load_note(path: Path) -> Note:
    """Load and validate one note; raises ``KnowledgeError`` naming the file and line."""
    text = _read_text(path)
    meta, body, body_line = split_front_matter(text, path)
    problems: list[Problem] = []
    for key in sorted(set(meta) - NOTE_FIELDS):
        problems.append(Problem(path, _line(meta, key), f"unknown front matter field {key!r}"))
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append(Problem(path, _line(meta, "title") or 1, "front matter needs a 'title'"))
    topic = meta.get("topic")
    if topic not in TOPICS:
        problems.append(
            Problem(path, _line(meta, "topic") or 1, f"topic {topic!r} is not one of {_topics()}")
        )
    sections = markdown_sections(body, body_line)
    if not [s for s in sections if s.level >= 2]:
        problems.append(Problem(path, body_line, "a note needs at least one '##' section"))
    if problems:
        raise KnowledgeError(problems)
    return Note(
        id=path.stem,
        title=str(title).strip(),
        topic=str(topic),
        path=path,
        body=body,
        sections=sections,
    )


def _read_text(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise KnowledgeError([Problem(path, None, f"not UTF-8 text ({exc.reason})")]) from exc
    except OSError as exc:
        raise KnowledgeError([Problem(path, None, f"cannot read: {exc.strerror}")]) from exc
    if not text.strip():
        raise KnowledgeError([Problem(path, None, "file is empty")])
    return text


def _topics() -> str:
    return ", ".join(TOPICS)


# --- Questions -------------------------------------------------------------------------------


def _text_list(
    value: Any, path: Path, line: int | None, name: str, problems: list[Problem]
) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append(Problem(path, line, f"'{name}' must be a list of strings"))
        return ()
    items: list[str] = []
    for position, item in enumerate(value, 1):
        if isinstance(item, dict):
            # The classic YAML trap: an unquoted "text: more text" is parsed as a mapping.
            problems.append(
                Problem(
                    path,
                    _line(item) or line,
                    f"'{name}' item {position} was read as a mapping: quote text containing ': '",
                )
            )
        elif isinstance(item, bool) or item is None or not str(item).strip():
            problems.append(Problem(path, line, f"'{name}' item {position} must be a text"))
        else:
            items.append(str(item).strip())  # numbers such as 512 are fine as terms
    return tuple(items)


def parse_key_point(raw: Any, path: Path, problems: list[Problem]) -> KeyPoint | None:
    """Validate one key point mapping; append problems and return None when it is unusable."""
    if not isinstance(raw, dict):
        problems.append(Problem(path, None, "each key point must be a mapping"))
        return None
    start = len(problems)
    for key in sorted(set(raw) - POINT_FIELDS):
        problems.append(Problem(path, _line(raw, key), f"unknown key point field {key!r}"))
    point_id = raw.get("id")
    if not isinstance(point_id, str) or not ID_PATTERN.match(point_id):
        problems.append(Problem(path, _line(raw, "id"), "key point 'id' must be kebab-case"))
    weight = raw.get("weight", 1)
    if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 3:
        problems.append(Problem(path, _line(raw, "weight"), "key point 'weight' must be 1, 2 or 3"))
    statement = raw.get("statement")
    if not isinstance(statement, str) or len(statement.split()) < 4:
        problems.append(
            Problem(path, _line(raw, "statement"), "key point needs a 'statement' sentence")
        )
    terms = _text_list(raw.get("terms"), path, _line(raw, "terms"), "terms", problems)
    source = raw.get("source")
    if source is not None and not isinstance(source, str):
        problems.append(Problem(path, _line(raw, "source"), "'source' must be 'note-id#Heading'"))
    if len(problems) > start:
        return None
    return KeyPoint(
        id=str(point_id),
        statement=" ".join(str(statement).split()),
        weight=float(weight),
        terms=tuple(t.lower() for t in terms),
        source=str(source).strip() if source else None,
    )


def parse_question(raw: Any, path: Path, problems: list[Problem]) -> Question | None:
    """Validate one question mapping; append problems and return None when it is unusable."""
    if not isinstance(raw, dict):
        problems.append(Problem(path, None, "each entry of 'questions' must be a mapping"))
        return None
    start = len(problems)
    for key in sorted(set(raw) - QUESTION_FIELDS):
        problems.append(Problem(path, _line(raw, key), f"unknown question field {key!r}"))
    qid = raw.get("id")
    if not isinstance(qid, str) or not ID_PATTERN.match(qid):
        problems.append(Problem(path, _line(raw, "id"), "question 'id' must be kebab-case"))
    topic = raw.get("topic")
    if topic not in TOPICS:
        problems.append(
            Problem(path, _line(raw, "topic"), f"topic {topic!r} is not one of {_topics()}")
        )
    difficulty = raw.get("difficulty")
    if difficulty not in {d.value for d in Difficulty}:
        problems.append(
            Problem(path, _line(raw, "difficulty"), "difficulty must be easy, medium or hard")
        )
    kind = raw.get("kind", "explain")
    if kind not in KINDS:
        problems.append(Problem(path, _line(raw, "kind"), f"kind must be one of {sorted(KINDS)}"))
    prompt = raw.get("question")
    if not isinstance(prompt, str) or not prompt.strip():
        problems.append(Problem(path, _line(raw), "question needs a 'question' text"))
    model_answer = raw.get("model_answer")
    if not isinstance(model_answer, str) or not model_answer.strip():
        problems.append(Problem(path, _line(raw), "question needs a 'model_answer'"))
    raw_points = raw.get("key_points")
    points: list[KeyPoint] = []
    if not isinstance(raw_points, list):
        problems.append(Problem(path, _line(raw), "question needs a 'key_points' list"))
    else:
        for raw_point in raw_points:
            point = parse_key_point(raw_point, path, problems)
            if point is not None:
                points.append(point)
        ids = Counter(p.id for p in points)
        for point_id, count in ids.items():
            if count > 1:
                problems.append(
                    Problem(path, _line(raw, "key_points"), f"key point id {point_id!r} repeated")
                )
        if not points and not len(problems) > start:
            problems.append(Problem(path, _line(raw, "key_points"), "no key points"))
    hints = _text_list(raw.get("hints"), path, _line(raw, "hints"), "hints", problems)
    follow_ups = _text_list(
        raw.get("follow_ups"), path, _line(raw, "follow_ups"), "follow_ups", problems
    )
    if len(problems) > start:
        return None
    return Question(
        id=str(qid),
        topic=str(topic),
        difficulty=Difficulty(str(difficulty)),
        prompt=" ".join(str(prompt).split()),
        model_answer=" ".join(str(model_answer).split()),
        key_points=tuple(points),
        kind=str(kind),
        hints=hints,
        follow_ups=follow_ups,
    )


def load_question_file(path: Path, problems: list[Problem]) -> list[tuple[Question, int | None]]:
    """Load one question file; append its problems; return the valid questions with lines."""
    try:
        data = parse_yaml(_read_text(path), path)
    except KnowledgeError as exc:
        problems.extend(exc.problems)
        return []
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        problems.append(Problem(path, 1, "expected a mapping with a 'questions:' list"))
        return []
    for key in sorted(set(data) - {"questions"}):
        problems.append(Problem(path, _line(data, key), f"unknown top-level field {key!r}"))
    loaded = []
    for raw in data["questions"]:
        question = parse_question(raw, path, problems)
        if question is not None:
            loaded.append((question, _line(raw)))
    return loaded


# --- The whole bank --------------------------------------------------------------------------


def _validate_bank_rules(
    bank: Bank, lines: dict[str, int | None], problems: list[Problem], strict: bool
) -> None:
    """Cross-file rules: sources resolve; with ``strict``, the shipped bank's size and coverage."""
    for qid, question in bank.questions.items():
        path, line = bank.question_files[qid], lines.get(qid)
        for point in question.key_points:
            if not point.source:
                if strict:
                    problems.append(
                        Problem(path, line, f"{qid}/{point.id}: key point has no source")
                    )
                continue
            note_id, _, heading = point.source.partition("#")
            note = bank.notes.get(note_id.strip())
            if note is None:
                problems.append(
                    Problem(path, line, f"{qid}/{point.id}: source note {note_id!r} not found")
                )
            elif heading.strip() not in note.headings:
                problems.append(
                    Problem(
                        path,
                        line,
                        f"{qid}/{point.id}: note {note.id!r} has no heading {heading.strip()!r}",
                    )
                )
        if strict:
            _validate_shipped_question(question, path, line, problems)
    if strict:
        _validate_coverage(bank, problems)


def _validate_shipped_question(
    question: Question, path: Path, line: int | None, problems: list[Problem]
) -> None:
    """Size rules every shipped question meets (admin-added questions are freer)."""
    qid = question.id
    words = len(question.model_answer.split())
    low, high = MODEL_ANSWER_WORDS
    if not low <= words <= high:
        problems.append(
            Problem(path, line, f"{qid}: model answer has {words} words (want {low}-{high})")
        )
    n_points = len(question.key_points)
    if not KEY_POINTS_RANGE[0] <= n_points <= KEY_POINTS_RANGE[1]:
        problems.append(Problem(path, line, f"{qid}: {n_points} key points (want 3-6)"))
    if not question.hints:
        problems.append(Problem(path, line, f"{qid}: needs at least one hint"))


def _validate_coverage(bank: Bank, problems: list[Problem]) -> None:
    """Every topic has a question at every difficulty."""
    present = {(q.topic, q.difficulty) for q in bank.questions.values()}
    for topic in TOPICS:
        for difficulty in Difficulty:
            if (topic, difficulty) not in present:
                problems.append(
                    Problem(
                        bank.root / "questions",
                        None,
                        f"topic {topic!r} has no {difficulty.value} question",
                    )
                )


def check_bank(root: Path, strict: bool = True) -> tuple[Bank, list[Problem]]:
    """Load everything under ``root`` and return the bank with every problem found.

    Args:
        root: The knowledge directory.
        strict: Also apply the shipped bank's content rules (answer length, 3-6 points, hints,
            every topic at every difficulty). Malformed files are reported either way.
    """
    problems: list[Problem] = []
    bank = Bank(root=root)
    notes_dir, questions_dir = root / "notes", root / "questions"
    for path in sorted(notes_dir.glob("*.md")):
        try:
            note = load_note(path)
        except KnowledgeError as exc:
            problems.extend(exc.problems)
            continue
        bank.notes[note.id] = note
    lines: dict[str, int | None] = {}
    for path in sorted(questions_dir.glob("*.y*ml")):
        for question, line in load_question_file(path, problems):
            if question.id in bank.questions:
                first = bank.question_files[question.id]
                problems.append(
                    Problem(path, line, f"duplicate question id {question.id!r} (also in {first})")
                )
                continue
            bank.questions[question.id] = question
            bank.question_files[question.id] = path
            lines[question.id] = line
    if not bank.questions:
        problems.append(Problem(questions_dir, None, "no questions found"))
    else:
        _validate_bank_rules(bank, lines, problems, strict)
    return bank, problems


def load_bank(root: Path) -> Bank:
    """Load the knowledge base under ``root``; raise ``KnowledgeError`` if anything is wrong."""
    bank, problems = check_bank(root)
    if problems:
        raise KnowledgeError(problems)
    return bank
