"""``interview-bot grade`` and ``interview-bot eval``: grade one answer, or measure the grader.

``grade --question-id ID`` grades against a shipped question (rubric from the Chroma index);
``grade --question TEXT --reference TEXT`` builds an ad-hoc rubric from the reference and reads
it back through a temporary Chroma collection, the same path the evaluation harness uses.

``eval --dataset FILE.jsonl`` grades a human-graded dataset and prints agreement metrics;
``eval fit`` refits ``bot/core/grader_params.json`` on the train splits.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import REPO_ROOT, Settings

if TYPE_CHECKING:
    from bot.core.models import Grade, Question
    from bot.core.ports import RubricRetriever

DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "asag"
DEFAULT_PARAMS_PATH = REPO_ROOT / "bot" / "core" / "grader_params.json"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``grade`` and ``eval`` commands."""
    grade = sub.add_parser(
        "grade",
        help="grade one answer against a bank question or an ad-hoc reference",
        description="Grade an answer. Give --question-id for a shipped question, or "
        "--question and --reference for an ad-hoc one. The answer comes from --answer, "
        "--answer-file or standard input.",
    )
    which = grade.add_mutually_exclusive_group(required=True)
    which.add_argument("--question-id", help="id of a shipped question")
    which.add_argument("--question", help="ad-hoc question text (needs --reference)")
    grade.add_argument("--reference", help="ad-hoc model answer")
    source = grade.add_mutually_exclusive_group()
    source.add_argument("--answer", help="the answer text")
    source.add_argument("--answer-file", type=Path, help="read the answer from this file")
    grade.add_argument("--json", action="store_true", help="print one JSON object")
    grade.set_defaults(handler=_grade)

    ev = sub.add_parser(
        "eval",
        help="measure the grader on a human-graded dataset (or `eval fit` to recalibrate)",
        description="Grade every row of a JSONL dataset and print n, Pearson, Spearman, RMSE "
        "and, for labelled data, accuracy and macro-F1. `eval fit` refits the calibration on "
        "the train splits only.",
    )
    ev.add_argument("action", nargs="?", choices=("fit",), help="`fit`: refit grader_params.json")
    ev.add_argument("--dataset", type=Path, help="JSONL file with graded answers")
    ev.add_argument("--split", help="only rows of this split")
    ev.add_argument("--method", choices=("grader", "cosine"), default="grader")
    ev.add_argument("--json", action="store_true", help="last line of stdout is a JSON object")
    ev.add_argument("--plot", type=Path, help="write a predicted-vs-human scatter (PNG)")
    ev.add_argument("--predictions", type=Path, help="write one JSON line per row")
    ev.add_argument("--limit", type=int, help="only the first N rows (quick looks)")
    ev.add_argument(
        "--retriever",
        choices=("chroma", "memory"),
        default="chroma",
        help="rubric retrieval path (chroma: the production path)",
    )
    ev.add_argument("--out", type=Path, default=DEFAULT_PARAMS_PATH, help="fit: output file")
    ev.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="fit: folder holding the ASAG datasets",
    )
    ev.set_defaults(handler=_eval)


def _retriever(settings: Settings) -> RubricRetriever:
    """The rubric retriever for shipped questions (the app's Chroma index)."""
    from bot.app import build_retriever

    return build_retriever(settings)


def _read_answer(args: argparse.Namespace) -> str:
    if args.answer is not None:
        return str(args.answer)
    if args.answer_file is not None:
        return Path(args.answer_file).read_text(encoding="utf-8")
    return sys.stdin.read()


def grade_to_dict(grade: Grade, question: Question) -> dict[str, Any]:
    """The JSON form of a grade (what ``grade --json`` prints)."""
    return {
        "question_id": question.id,
        "score": grade.score,
        "max_score": grade.max_score,
        "confidence": grade.confidence,
        "flags": [str(f) for f in grade.flags],
        "comment": grade.comment,
        "points": [
            {
                "id": p.point_id,
                "statement": p.statement,
                "status": str(p.status),
                "score": p.score,
                "evidence": p.evidence,
                "citation": None
                if p.citation is None
                else {
                    "note_id": p.citation.note_id,
                    "title": p.citation.title,
                    "heading": p.citation.heading,
                    "label": p.citation.label,
                },
            }
            for p in grade.points
        ],
        "signals": grade.extras,
    }


def _print_grade(grade: Grade, question: Question) -> None:
    print(
        f"Question {question.id}: {grade.score:.1f} / {grade.max_score:.0f}"
        f"  (confidence {grade.confidence:.2f})"
    )
    if grade.flags:
        print("Flags: " + ", ".join(str(f) for f in grade.flags))
    for p in grade.points:
        print(f"- [{p.status}] {p.statement}")
        if p.evidence:
            print(f"    evidence: {p.evidence}")
        if p.citation and p.status != "covered":
            print(f"    review:   {p.citation.label}")
    print(grade.comment)


def _grade(args: argparse.Namespace, settings: Settings) -> int:
    from bot.core.grading import EmbeddingGrader, load_params, reference_question
    from bot.retrieval.embeddings import get_embedder

    answer = _read_answer(args)
    embedder = get_embedder()
    if args.question_id:
        from bot.bank import load_bank

        bank = load_bank(settings.knowledge_dir)
        question = bank.questions.get(args.question_id)
        if question is None:
            print(f"unknown question id {args.question_id!r}", file=sys.stderr)
            return 2
        try:
            grade = EmbeddingGrader(embedder, _retriever(settings), load_params()).grade(
                question, answer
            )
        except LookupError as exc:
            print(f"{exc}", file=sys.stderr)
            return 3
    else:
        if not args.reference:
            print("--question needs --reference (the model answer)", file=sys.stderr)
            return 2
        from bot.retrieval.rubric import temporary_rubric_retriever

        question = reference_question(args.question, args.reference)
        with temporary_rubric_retriever(embedder, [question]) as retriever:
            grade = EmbeddingGrader(embedder, retriever, load_params()).grade(question, answer)
    if args.json:
        print(json.dumps(grade_to_dict(grade, question)))
    else:
        _print_grade(grade, question)
    return 0


def _fmt(v: Any) -> str:
    return "-" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from bot.retrieval.embeddings import get_embedder

    if args.action == "fit":
        return _fit(args)
    if args.dataset is None:
        print("eval needs --dataset FILE.jsonl (or `eval fit`)", file=sys.stderr)
        return 2
    from bot.core.grading import load_params
    from bot.evaluation.datasets import load_rows
    from bot.evaluation.harness import (
        chroma_retriever,
        evaluate,
        memory_retriever,
        plot,
        write_predictions,
    )

    rows = load_rows(args.dataset, args.split)
    if args.limit:
        rows = rows[: args.limit]
    if not rows:
        print(f"no rows in {args.dataset} (split {args.split!r})", file=sys.stderr)
        return 2
    started = time.perf_counter()
    factory = chroma_retriever if args.retriever == "chroma" else memory_retriever
    result = evaluate(rows, get_embedder(), args.method, load_params(), factory, progress=True)
    seconds = time.perf_counter() - started
    if args.predictions:
        write_predictions(args.predictions, result.predictions)
    if args.plot:
        r = _fmt(result.metrics.pearson)
        title = f"{args.dataset.stem} {args.split or 'all'} ({args.method}): r={r}"
        plot(args.plot, rows, result.predictions, title)
    summary = {
        "dataset": str(args.dataset),
        "split": args.split,
        **result.summary(),
        "seconds": round(seconds, 1),
    }
    m = result.metrics
    print(f"dataset {args.dataset.name} split {args.split or 'all'} method {args.method}")
    print(
        f"n={m.n} pearson={_fmt(m.pearson)} spearman={_fmt(m.spearman)} rmse={_fmt(m.rmse)} "
        f"accuracy={_fmt(m.accuracy)} macro_f1={_fmt(m.macro_f1)} ({seconds:.0f} s)"
    )
    if args.json:
        print(json.dumps(summary))
    return 0


def _fit(args: argparse.Namespace) -> int:
    import logging

    from bot.evaluation.fit import fit_params, load_train_sets
    from bot.retrieval.embeddings import get_embedder

    logging.getLogger("bot.evaluation.fit").setLevel(logging.INFO)
    datasets = load_train_sets(args.data_dir)
    params = fit_params(datasets, get_embedder())
    Path(args.out).write_text(params.to_json(), encoding="utf-8")
    print(f"wrote {args.out}: bias={params.score_bias} weights={list(params.score_weights)}")
    print("cross-validated by question (train only): " + json.dumps(params.cv))
    return 0
