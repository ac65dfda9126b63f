"""Loading sources: the shipped knowledge base and a user's own files.

Every file that cannot be used is reported with its path (and line where the format has lines);
the rest of the run goes on. Supported: Markdown (with optional front matter), plain text, HTML
and PDF, given as files or folders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.bank import Bank, KnowledgeError, Problem, check_bank, split_front_matter
from ingest.chunk import Chunk, Document, chunk_document, keypoint_chunks

KNOWLEDGE_ROOT = "knowledge"
SUPPORTED = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".html": "html",
             ".htm": "html", ".pdf": "pdf"}  # fmt: skip


@dataclass(slots=True)
class Loaded:
    """What a load produced: chunks by source, the sources that failed, and why."""

    chunks: list[Chunk] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    failed_sources: set[str] = field(default_factory=set)
    skipped: list[Path] = field(default_factory=list)
    bank: Bank | None = None

    def extend(self, other: Loaded) -> None:
        """Merge another load into this one."""
        self.chunks.extend(other.chunks)
        self.problems.extend(other.problems)
        self.failed_sources |= other.failed_sources
        self.skipped.extend(other.skipped)


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def load_knowledge(root: Path) -> Loaded:
    """The shipped knowledge base: article, notes, and every rubric key point as a passage."""
    loaded = Loaded()
    # Content rules (answer lengths, topic coverage) are `knowledge check`'s job, not ingest's.
    bank, problems = check_bank(root, strict=False)
    loaded.bank = bank
    loaded.problems.extend(problems)
    # A source with any problem keeps its previous chunks: a typo must not empty the index.
    loaded.failed_sources |= {_relative(p.path, root) for p in problems if p.path.is_file()}
    article = root / "article.md"
    if article.exists():
        try:
            loaded.chunks.extend(chunk_document(_markdown(article, root, "article")))
        except KnowledgeError as exc:
            loaded.problems.extend(exc.problems)
            loaded.failed_sources.add(_relative(article, root))
    for note in bank.notes.values():
        document = Document(
            source=_relative(note.path, root),
            root=KNOWLEDGE_ROOT,
            title=note.title,
            text=note.body,
            kind="note",
            metadata={"note_id": note.id, "topic": note.topic},
        )
        loaded.chunks.extend(chunk_document(document))
    for question in bank.questions.values():
        citations = {p.id: bank.citation(p.source) for p in question.key_points}
        source = _relative(bank.question_files[question.id], root)
        loaded.chunks.extend(keypoint_chunks(question, source, KNOWLEDGE_ROOT, citations))
    return loaded


def load_paths(paths: list[Path]) -> Loaded:
    """A user's own material: files or folders of Markdown, text, HTML and PDF."""
    loaded = Loaded()
    for given in paths:
        path = given.resolve()
        if not path.exists():
            loaded.problems.append(Problem(given, None, "no such file or directory"))
            continue
        root = path if path.is_dir() else path.parent
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.name.startswith("."):
                continue
            if file.suffix.lower() not in SUPPORTED:
                loaded.skipped.append(file)
                continue
            source = _relative(file, root)
            try:
                # The root id is what was given: ingesting one file never touches its siblings.
                document = load_document(file, root, str(path))
            except KnowledgeError as exc:
                loaded.problems.extend(exc.problems)
                loaded.failed_sources.add(source)
                continue
            chunks = chunk_document(document)
            if not chunks:
                loaded.problems.append(Problem(file, None, "no text found"))
                loaded.failed_sources.add(source)
            loaded.chunks.extend(chunks)
    return loaded


def load_document(path: Path, root: Path, root_id: str) -> Document:
    """Load one file as a Document; raises ``KnowledgeError`` naming the file (and line)."""
    kind = SUPPORTED.get(path.suffix.lower())
    if kind == "markdown":
        return _markdown(path, root, "document", root_id)
    if kind == "html":
        return _html(path, root, root_id)
    if kind == "pdf":
        return _pdf(path, root, root_id)
    if kind == "text":
        text = _read(path)
        return Document(_relative(path, root), root_id, path.stem, text)
    raise KnowledgeError([Problem(path, None, f"unsupported file type {path.suffix!r}")])


def _read(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise KnowledgeError([Problem(path, None, f"not UTF-8 text ({exc.reason})")]) from exc
    except OSError as exc:
        raise KnowledgeError([Problem(path, None, f"cannot read: {exc.strerror}")]) from exc
    if not text.strip():
        raise KnowledgeError([Problem(path, None, "file is empty")])
    return text


def _markdown(path: Path, root: Path, kind: str, root_id: str = KNOWLEDGE_ROOT) -> Document:
    meta, body, _ = split_front_matter(_read(path), path)
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        first = next((ln[2:].strip() for ln in body.splitlines() if ln.startswith("# ")), None)
        title = first or path.stem
    extra = {k: v for k, v in meta.items() if k == "topic" and isinstance(v, str)}
    return Document(_relative(path, root), root_id, title.strip(), body, kind, extra)


def _html(path: Path, root: Path, root_id: str) -> Document:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_read(path), "html.parser")
    for tag in soup(["script", "style", "nav", "footer"]):
        tag.decompose()
    title_tag = soup.find("title")
    title = title_tag.get_text(strip=True) if title_tag else ""
    for level in (1, 2, 3):
        for heading in soup.find_all(f"h{level}"):
            heading.replace_with(f"\n\n{'#' * level} {heading.get_text(' ', strip=True)}\n\n")
    text = soup.get_text("\n")
    lines = [line.strip() for line in text.splitlines()]
    body = "\n".join(lines).strip()
    if not body:
        raise KnowledgeError([Problem(path, None, "HTML has no text")])
    return Document(_relative(path, root), root_id, title or path.stem, body)


def _pdf(path: Path, root: Path, root_id: str) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, OSError, ValueError, KeyError) as exc:
        raise KnowledgeError([Problem(path, None, f"cannot read PDF: {exc}")]) from exc
    if not any(p.strip() for p in pages):
        raise KnowledgeError([Problem(path, None, "PDF has no extractable text")])
    body = "\n\n".join(f"## Page {n}\n\n{text}" for n, text in enumerate(pages, 1) if text.strip())
    meta_title = reader.metadata.title if reader.metadata else None
    return Document(_relative(path, root), root_id, meta_title or path.stem, body)
