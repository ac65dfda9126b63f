"""Chunking (pure): documents -> heading-aware chunks with content-derived ids.

Markdown is split on headings first (LangChain's ``MarkdownHeaderTextSplitter``) so every chunk
knows its document title and heading path, which the grader cites as "Title > Section"; long
sections are then split by size with a small overlap. A chunk's id hashes its source, heading
and text (and the chunker version), so an unchanged chunk keeps its id across runs and is never
re-embedded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from bot.core.models import Citation, Question
from bot.retrieval.vectorstore import CHUNKER_VERSION

CHUNK_CHARS = 1200
CHUNK_OVERLAP = 150
_HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3")]

MetaValue = str | int | float | bool


@dataclass(frozen=True, slots=True)
class Document:
    """A loaded source file, as Markdown-ish text.

    Attributes:
        source: Path relative to its root, POSIX style (the key for idempotent updates).
        root: The ingest root it came from (``knowledge`` or the user's path).
        title: Document title (front matter title, first heading, or file name).
        text: The body, with headings as Markdown ``#`` lines where the format has them.
        kind: ``article``, ``note`` or ``document``.
        metadata: Extra metadata copied to every chunk (topic, note id, ...).
    """

    source: str
    root: str
    title: str
    text: str
    kind: str = "document"
    metadata: Mapping[str, MetaValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Chunk:
    """One unit of the index.

    ``text`` is what is stored and shown (evidence, citations); ``embed_text`` is what gets
    embedded: the text prefixed with its title and heading, so a section is found by its subject
    even when its own sentences never name it.
    """

    id: str
    text: str
    embed_text: str
    metadata: dict[str, MetaValue]


def chunk_id(*parts: str) -> str:
    """A stable id from content: the same parts always give the same id."""
    digest = hashlib.sha256("\x1f".join((CHUNKER_VERSION, *parts)).encode("utf-8"))
    return digest.hexdigest()[:32]


def _canonical(metadata: Mapping[str, MetaValue]) -> str:
    # Metadata is part of the identity: a changed citation or weight must be rewritten too.
    return repr(sorted(metadata.items()))


def chunk_document(document: Document) -> list[Chunk]:
    """Split one document into heading-aware chunks."""
    header_splitter = MarkdownHeaderTextSplitter(headers_to_split_on=_HEADERS, strip_headers=True)
    size_splitter = RecursiveCharacterTextSplitter(
        chunk_size=CHUNK_CHARS, chunk_overlap=CHUNK_OVERLAP
    )
    chunks: list[Chunk] = []
    for section in header_splitter.split_text(document.text):
        headings = [str(section.metadata[k]) for _, k in _HEADERS[1:] if k in section.metadata]
        heading = headings[-1] if headings else ""
        heading_path = " > ".join(headings)
        for position, piece in enumerate(size_splitter.split_text(section.page_content)):
            text = piece.strip()
            if not text:
                continue
            context = " > ".join(p for p in (document.title, heading_path) if p)
            metadata: dict[str, MetaValue] = {
                **document.metadata,
                "kind": document.kind,
                "source": document.source,
                "root": document.root,
                "title": document.title,
                "heading": heading,
                "heading_path": heading_path,
                "position": position,
            }
            chunks.append(
                Chunk(
                    id=chunk_id(text, _canonical(metadata)),
                    text=text,
                    embed_text=f"{context}\n{text}",
                    metadata=metadata,
                )
            )
    return chunks


def keypoint_chunks(
    question: Question,
    source: str,
    root: str,
    citations: Mapping[str, Citation | None],
) -> list[Chunk]:
    """Each rubric key point of ``question`` as its own passage.

    The grader fetches these by question id; the citation fields point at the note section
    that teaches the point. ``citations`` maps point id to its resolved citation.
    """
    chunks = []
    for order, point in enumerate(question.key_points):
        citation = citations.get(point.id)
        metadata: dict[str, MetaValue] = {
            "kind": "keypoint",
            "source": source,
            "root": root,
            "question_id": question.id,
            "point_id": point.id,
            "order": order,
            "topic": question.topic,
            "difficulty": question.difficulty.value,
            "weight": point.weight,
            "terms": "|".join(point.terms),
            "guild_id": question.guild_id if question.guild_id is not None else 0,
            "cite_note": citation.note_id if citation else "",
            "cite_title": citation.title if citation else "",
            "cite_heading": citation.heading if citation else "",
        }
        chunks.append(
            Chunk(
                id=chunk_id(point.statement, _canonical(metadata)),
                text=point.statement,
                embed_text=point.statement,
                metadata=metadata,
            )
        )
    return chunks


def total_chars(chunks: Sequence[Chunk]) -> int:
    """Characters embedded for ``chunks`` (for throughput figures)."""
    return sum(len(c.embed_text) for c in chunks)
