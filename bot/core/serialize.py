"""JSON-ready conversions of domain models (for stores and the ``--json`` output).

Kept in core so every adapter writes the same shape and a stored grade can be read back by
any later version: unknown keys are ignored and missing optional keys take their defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.core.models import (
    Citation,
    Difficulty,
    Grade,
    GradeFlag,
    KeyPoint,
    PointResult,
    PointStatus,
    Question,
)


def citation_to_dict(c: Citation | None) -> dict[str, str] | None:
    """A citation as a dict (None stays None)."""
    if c is None:
        return None
    return {"note_id": c.note_id, "title": c.title, "heading": c.heading, "label": c.label}


def citation_from_dict(d: Mapping[str, Any] | None) -> Citation | None:
    """Inverse of ``citation_to_dict``."""
    if not d:
        return None
    return Citation(note_id=str(d["note_id"]), title=str(d["title"]), heading=str(d["heading"]))


def grade_to_dict(grade: Grade) -> dict[str, Any]:
    """A grade as JSON-ready data."""
    return {
        "score": grade.score,
        "max_score": grade.max_score,
        "fraction": grade.fraction,
        "confidence": grade.confidence,
        "flags": [str(f) for f in grade.flags],
        "comment": grade.comment,
        "points": [
            {
                "point_id": p.point_id,
                "statement": p.statement,
                "status": str(p.status),
                "score": p.score,
                "evidence": p.evidence,
                "citation": citation_to_dict(p.citation),
            }
            for p in grade.points
        ],
        "extras": dict(grade.extras),
    }


def grade_from_dict(d: Mapping[str, Any]) -> Grade:
    """Inverse of ``grade_to_dict`` (unknown flags are dropped)."""
    known = {f.value for f in GradeFlag}
    return Grade(
        score=float(d["score"]),
        confidence=float(d.get("confidence", 1.0)),
        points=tuple(
            PointResult(
                point_id=str(p["point_id"]),
                statement=str(p["statement"]),
                status=PointStatus(p["status"]),
                score=float(p["score"]),
                evidence=p.get("evidence"),
                citation=citation_from_dict(p.get("citation")),
            )
            for p in d.get("points", ())
        ),
        flags=tuple(GradeFlag(f) for f in d.get("flags", ()) if f in known),
        comment=str(d.get("comment", "")),
        max_score=float(d.get("max_score", 10.0)),
        extras={str(k): float(v) for k, v in dict(d.get("extras", {})).items()},
    )


def question_to_dict(q: Question) -> dict[str, Any]:
    """A question with its rubric as JSON-ready data."""
    return {
        "id": q.id,
        "topic": q.topic,
        "difficulty": str(q.difficulty),
        "prompt": q.prompt,
        "model_answer": q.model_answer,
        "kind": q.kind,
        "hints": list(q.hints),
        "follow_ups": list(q.follow_ups),
        "guild_id": q.guild_id,
        "key_points": [
            {
                "id": k.id,
                "statement": k.statement,
                "weight": k.weight,
                "terms": list(k.terms),
                "source": k.source,
            }
            for k in q.key_points
        ],
    }


def question_from_dict(d: Mapping[str, Any]) -> Question:
    """Inverse of ``question_to_dict``."""
    guild = d.get("guild_id")
    return Question(
        id=str(d["id"]),
        topic=str(d["topic"]),
        difficulty=Difficulty(d["difficulty"]),
        prompt=str(d["prompt"]),
        model_answer=str(d["model_answer"]),
        key_points=tuple(
            KeyPoint(
                id=str(k["id"]),
                statement=str(k["statement"]),
                weight=float(k.get("weight", 1.0)),
                terms=tuple(str(t) for t in k.get("terms", ())),
                source=k.get("source"),
            )
            for k in d.get("key_points", ())
        ),
        kind=str(d.get("kind", "explain")),
        hints=tuple(str(h) for h in d.get("hints", ())),
        follow_ups=tuple(str(f) for f in d.get("follow_ups", ())),
        guild_id=int(guild) if guild is not None else None,
    )
