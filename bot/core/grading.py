"""Grading arithmetic: from answer sentences and rubric vectors to a cited, calibrated grade.

The grader combines four kinds of evidence, because each alone is fooled by something:

* sentence-level semantic alignment of each key point with its best answer sentence (fooled by
  negation and by sentences that merely restate the question),
* coverage of the point's content words and accepted phrasings that the question did not already
  give away (fooled by keyword lists),
* answer-level similarity to the model answer (fooled by length and by parroting),
* length and specificity (how much of the answer is about the rubric at all).

The mapping from these signals to a 0-10 score has a handful of parameters fitted on the
``train`` splits of public human-graded data (``bot/core/grader_params.json``, refit with
``interview-bot eval fit``). Embedding and retrieval sit behind the ``Embedder`` and
``RubricRetriever`` ports; everything in this module is deterministic numpy arithmetic.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections import Counter, OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.core import text as tx
from bot.core.models import Grade, GradeFlag, PointResult, PointStatus, Question
from bot.core.ports import Embedder, RubricPoint, RubricRetriever, Vectors

FloatArray = npt.NDArray[np.float64]

PARAMS_RESOURCE = "grader_params.json"

# The answer-level features fed to the score model, in order (see `score_features`).
FEATURE_NAMES = ("coverage", "answer_relative", "shortness", "lexical_precision")
# Feature values of an empty answer and of the model answer itself: the two ends of the scale.
_FLOOR_FEATURES = (0.0, 0.0, -3.0, 0.0)
_CEILING_FEATURES = (1.0, 1.0, 0.0, 1.0)


@dataclass(frozen=True, slots=True)
class GraderParams:
    """Fitted and hand-set constants of the grader.

    ``score_bias`` and ``score_weights`` are fitted on the train splits (``interview-bot eval
    fit``); the rest are set by hand and documented in docs/grading.md.

    Attributes:
        point_semantic_share: Share of semantic alignment (vs word coverage) in a point's
            coverage; the rest is word coverage.
        lexical_saturation: How many of a point's new words cover it in full.
        phrase_support: Relative semantic similarity a point needs before a full match of one of
            its multi-word terms covers it.
        score_bias: Bias of the answer-level logistic.
        score_weights: Weights of ``FEATURE_NAMES`` in the answer-level logistic, all >= 0 so
            that more evidence can never lower a score.
        covered_at: Point coverage at or above which a point is "covered".
        partial_at: Point coverage at or above which a point is "partial".
        other_topic_margin: A sentence belongs to another topic when its best cosine to another
            topic's key point beats its best cosine to this rubric by this much ...
        other_topic_floor: ... and that cosine is at least this.
        other_topic_share: An answer whose sentences belong to another topic in this share (or
            more), with none about this rubric, is off topic.
        own_topic_at: A sentence is about this rubric when its best cosine to it is at least
            this and at least its best cosine to any other topic.
        off_topic_below: Best similarity of the answer (or any sentence) to the rubric below
            which an answer with no word coverage is off topic.
        parrot_similarity: Cosine to the question at or above which a sentence only restates it.
        copy_fraction: Share of the answer's content n-grams found in the model answer and the
            note passages together (``text.copied_share``) at or above which the answer is
            flagged as copied.
        salad_cap: Highest score fraction a keyword-salad answer can get.
        evidence_cap_base: Highest score fraction of an answer with no evidence at all; the cap
            rises by ``evidence_cap_slope`` per unit of evidence (see ``evidence``), so length
            alone cannot buy a score.
        evidence_cap_slope: See ``evidence_cap_base``.
        evidence_answer_share: Weight of answer-level relative similarity in the evidence.
        length_relevance: Best cosine to the rubric (statement or phrasing) a sentence needs for
            its words to count towards the answer's length.
        too_short_ratio: Answers shorter than this share of the model answer are too short.
        too_short_min_words: ... and answers shorter than this many words always are.
        low_confidence_below: Confidence under which the grade carries ``low_confidence``.
        fitted_on: Provenance of the fitted numbers.
        cv: Cross-validated metrics of the fit (by question, train splits only).
        label_cuts: Per label set (e.g. ``"correct|incorrect"``), the score fractions that
            separate the labels, worst to best; fitted on train for the evaluation harness.
        cosine_label_cuts: The same for the plain cosine baseline.
    """

    point_semantic_share: float = 0.3
    lexical_saturation: int = 10
    phrase_support: float = 0.25
    score_bias: float = -0.2
    score_weights: tuple[float, ...] = (2.0, 0.8, 0.6, 0.5)
    covered_at: float = 0.6
    partial_at: float = 0.3
    off_topic_below: float = 0.2
    other_topic_margin: float = 0.1
    other_topic_floor: float = 0.5
    other_topic_share: float = 0.5
    own_topic_at: float = 0.5
    parrot_similarity: float = 0.9
    copy_fraction: float = 0.7
    salad_cap: float = 0.3
    evidence_cap_base: float = 0.2
    evidence_cap_slope: float = 2.0
    evidence_answer_share: float = 0.5
    length_relevance: float = 0.5
    too_short_ratio: float = 0.15
    too_short_min_words: int = 3
    low_confidence_below: float = 0.4
    fitted_on: str = "defaults (not fitted)"
    cv: dict[str, float] = field(default_factory=dict)
    label_cuts: dict[str, list[float]] = field(default_factory=dict)
    cosine_label_cuts: dict[str, list[float]] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> GraderParams:
        """Build from a JSON mapping, ignoring unknown keys (forward compatible)."""
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        if "score_weights" in kwargs:
            kwargs["score_weights"] = tuple(float(x) for x in kwargs["score_weights"])
        if len(kwargs.get("score_weights", FEATURE_NAMES)) != len(FEATURE_NAMES):
            raise ValueError(f"score_weights must have {len(FEATURE_NAMES)} values")
        return cls(**kwargs)

    def to_json(self) -> str:
        """Human-readable JSON (what ``eval fit`` writes)."""
        data = asdict(self)
        data["score_weights"] = [round(float(x), 6) for x in self.score_weights]
        data["score_bias"] = round(float(self.score_bias), 6)
        data["feature_names"] = list(FEATURE_NAMES)
        return json.dumps(data, indent=2) + "\n"


def load_params(text: str | None = None) -> GraderParams:
    """Load the shipped fitted parameters (or parse ``text`` when given)."""
    if text is None:
        text = resources.files("bot.core").joinpath(PARAMS_RESOURCE).read_text(encoding="utf-8")
    return GraderParams.from_mapping(json.loads(text))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, x))))


def _unit(v: Vectors | FloatArray) -> FloatArray:
    arr = np.asarray(v, dtype=np.float64)
    n = float(np.linalg.norm(arr))
    return arr / n if n > 0 else arr


@dataclass(frozen=True, slots=True)
class PointContext:
    """Everything about one key point that does not depend on the answer."""

    rubric: RubricPoint
    stems: frozenset[str]
    new_stems: frozenset[str]
    phrasing_stems: tuple[frozenset[str], ...]
    terms: tuple[frozenset[str], ...]
    phrasing_rows: tuple[int, ...]
    base_similarity: float
    negated: bool = False
    phrasing_negated: tuple[bool, ...] = ()
    denied: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class QuestionContext:
    """The per-question part of grading, computed once and cached.

    Attributes:
        points: The rubric points with their pre-processed words.
        point_matrix: Unit vectors of the statements followed by accepted phrasings.
        weights: Point weights, normalised to sum 1.
        question_vector: Unit vector of the question text.
        reference_vector: Unit vector of the model answer.
        reference_base: Cosine of question and model answer (what parroting earns).
        question_stems: Content stems of the question.
        question_text: The question itself.
        reference_words: Word count of the model answer.
        reference_content_words: Distinct content stems of the model answer.
        vocabulary: Content stems of the model answer and rubric that the question lacks.
        copy_sources: Model answer and note passages, for copy detection.
        term_sequences: The rubric's accepted terms of two or more content words, as stem
            sequences (for spotting lists of terms).
        term_words: Stems of its one-word terms.
    """

    points: tuple[PointContext, ...]
    point_matrix: FloatArray
    weights: FloatArray
    question_vector: FloatArray
    reference_vector: FloatArray
    reference_base: float
    question_stems: frozenset[str]
    question_text: str
    reference_words: int
    reference_content_words: int
    vocabulary: frozenset[str]
    copy_sources: tuple[str, ...]
    term_sequences: tuple[tuple[str, ...], ...] = ()
    term_words: frozenset[str] = frozenset()


def _phrasings(terms: Sequence[str]) -> list[str]:
    # Multi-word terms are accepted phrasings worth embedding; single words are matched lexically.
    return [t for t in terms if len(tx.content_words(t)) >= 3]


def build_context(
    question: Question, rubric: Sequence[RubricPoint], embedder: Embedder
) -> QuestionContext:
    """Pre-compute the answer-independent part of grading for ``question``.

    Embeds the question, the model answer and the multi-word accepted phrasings in one batch;
    statement vectors come from the index (``RubricPoint.vector``).
    """
    phrasing_texts: list[str] = []
    owners: list[list[int]] = []
    for rp in rubric:
        rows: list[int] = []
        for p in _phrasings(rp.point.terms):
            rows.append(len(rubric) + len(phrasing_texts))
            phrasing_texts.append(p)
        owners.append(rows)
    vecs = np.asarray(
        embedder.embed(
            [question.prompt, question.model_answer or question.prompt, *phrasing_texts]
        ),
        dtype=np.float64,
    )
    qv, rv = _unit(vecs[0]), _unit(vecs[1])
    statement_vecs = (
        np.vstack([_unit(rp.vector.reshape(-1)) for rp in rubric])
        if rubric
        else np.zeros((0, vecs.shape[1]))
    )
    matrix = np.vstack([statement_vecs, vecs[2:]]) if len(phrasing_texts) else statement_vecs
    q_stems = frozenset(tx.content_stems(question.prompt))
    points: list[PointContext] = []
    for i, rp in enumerate(rubric):
        stems = frozenset(tx.content_stems(rp.point.statement))
        new = stems - q_stems
        phrasings = _phrasings(rp.point.terms)
        phrasing_stems = tuple(
            (frozenset(tx.content_stems(p)) - q_stems) or frozenset(tx.content_stems(p))
            for p in phrasings
        )
        terms = tuple(
            frozenset(s)
            for s in (frozenset(tx.content_stems(t)) for t in rp.point.terms if t not in phrasings)
            if s and not s <= q_stems
        )
        base = float(statement_vecs[i] @ qv)
        points.append(
            PointContext(
                rubric=rp,
                stems=stems,
                new_stems=new or stems,
                phrasing_stems=phrasing_stems,
                terms=terms,
                phrasing_rows=tuple(owners[i]),
                base_similarity=base,
                negated=tx.is_negated(rp.point.statement),
                phrasing_negated=tuple(tx.is_negated(p) for p in phrasings),
                denied=frozenset(
                    w for c in tx.clauses(rp.point.statement) for w in tx.polarity_stems(c)[1]
                ),
            )
        )
    raw_w = np.array([max(rp.point.weight, 0.0) for rp in rubric], dtype=np.float64)
    weights = (
        raw_w / raw_w.sum() if raw_w.sum() > 0 else np.full(len(rubric), 1.0 / max(1, len(rubric)))
    )
    vocab: set[str] = set(tx.content_stems(question.model_answer))
    for rp in rubric:
        vocab.update(tx.content_stems(rp.point.statement))
        for t in rp.point.terms:
            vocab.update(tx.content_stems(t))
    term_stems = [tuple(tx.content_stems(t)) for rp in rubric for t in rp.point.terms]
    sources: list[str] = [question.model_answer] if question.model_answer else []
    for rp in rubric:
        sources.extend(getattr(rp, "passages", ()) or ())
    return QuestionContext(
        points=tuple(points),
        point_matrix=matrix,
        weights=weights,
        question_vector=qv,
        reference_vector=rv,
        reference_base=float(qv @ rv),
        question_stems=q_stems,
        question_text=question.prompt,
        reference_words=tx.word_count(question.model_answer),
        reference_content_words=len(set(tx.content_stems(question.model_answer))),
        vocabulary=frozenset(vocab - q_stems),
        copy_sources=tuple(dict.fromkeys(sources)),
        term_sequences=tuple(dict.fromkeys(t for t in term_stems if len(t) >= 2)),
        term_words=frozenset(t[0] for t in term_stems if len(t) == 1),
    )


@dataclass(frozen=True, slots=True)
class PointSignals:
    """Raw evidence for one key point.

    Attributes:
        semantic: Cosine of the best-aligned answer sentence (statement or accepted phrasing).
        relative: ``semantic`` relative to what restating the question earns, in [0, 1].
        lexical: Word coverage of the point, in [0, 1] (see ``_lexical``).
        evidence: Index (into the graded sentences) of the best-aligned sentence, if any.
    """

    semantic: float
    relative: float
    lexical: float
    evidence: int | None


@dataclass(frozen=True, slots=True)
class AnswerSignals:
    """All answer-dependent signals, before the fitted mapping is applied.

    Attributes:
        points: Per-point signals, in rubric order.
        answer_similarity: Cosine of the answer vector (normalised mean of its sentence
            vectors) and the model answer.
        answer_relative: The same, relative to what restating the question earns.
        length: log of the answer's distinct content stems over the model answer's, in [-3, 1.5].
        best_similarity: Highest similarity of the answer or any sentence to the rubric.
        lexical_precision: Share of the answer's new content words (absent from the question)
            that the model answer or rubric also uses: low for padded or rambling answers.
        contradicted: Indices of sentences that negate some key point.
        content_words: Distinct content stems in the graded sentences.
    """

    points: tuple[PointSignals, ...]
    answer_similarity: float
    answer_relative: float
    length: float
    best_similarity: float
    lexical_precision: float
    contradicted: tuple[int, ...] = ()
    content_words: int = 0


def _lexical(
    pc: PointContext,
    bags: Sequence[set[str]],
    full_bags: Sequence[set[str]],
    saturation: int,
    phrase_ok: bool,
) -> float:
    """Word-level coverage of a point by the answer's stems, in [0, 1].

    ``bags`` holds the stems each sentence may use for this point (``full_bags`` the same with
    negated clauses kept). Recall of the statement's words the question did not give away;
    single-word terms count as synonyms of missing words; an accepted multi-word term or
    phrasing present in full within one sentence covers the point, but only when ``phrase_ok``
    (some sentence is about the point at all): a generic two-word term such as "test set" turns
    up in answers to other questions. A term's words scattered over several sentences are not
    the term: "next-token" in the answer and "training" in padding do not make "next-token
    training". Partial overlap with a phrasing earns nothing: measured on train, phrasing word
    lists add more noise than recall.
    """
    if not pc.new_stems:
        return 0.0
    bag: set[str] = set().union(*bags)
    if phrase_ok and any(len(t) >= 2 and any(t <= b for b in bags) for t in pc.terms):
        return 1.0
    # A negative phrasing ("are not connected") is matched by a negative answer sentence.
    for stems, negated in zip(pc.phrasing_stems, pc.phrasing_negated, strict=True):
        if (
            phrase_ok
            and len(stems) >= 2
            and any(stems <= b for b in (full_bags if negated else bags))
        ):
            return 1.0
    found = len(pc.new_stems & bag)
    synonyms = sum(1 for t in pc.terms if len(t) == 1 and not t <= pc.new_stems and t <= bag)
    # Ten words of a point cover it in full: long reference sentences carry more words than any
    # one answer repeats (selected by cross-validation on train; see docs/grading.md).
    return min(1.0, (found + synonyms) / min(saturation, len(pc.new_stems)))


def _relative(sim: float, base: float) -> float:
    # How far past "just restating the question" a similarity goes, in [0, 1].
    return max(0.0, min(1.0, (sim - base) / max(1e-6, 1.0 - base)))


def answer_signals(
    ctx: QuestionContext,
    sentences: Sequence[str],
    vectors: Vectors | FloatArray,
    parroted: Sequence[bool] | None = None,
    saturation: int = 10,
    phrase_support: float = 0.1,
    ignored: Sequence[bool] | None = None,
    length_relevance: float = 0.0,
) -> AnswerSignals:
    """Compute the grading signals of an answer from its sentences and their vectors.

    Sentences that only restate the question, and those marked ``ignored``, count for nothing; a
    sentence that negates a key point earns nothing for that point and is left out of the
    answer-level vector.

    Args:
        ctx: The question's pre-computed context.
        sentences: The answer's sentences, injected instructions already removed.
        vectors: Unit vectors of ``sentences`` (one row each).
        parroted: Per sentence, whether it only restates the question.
        saturation: Words of a point that cover it in full (``GraderParams.lexical_saturation``).
        phrase_support: Relative similarity a point needs before a full term match covers it.
        ignored: Per sentence, whether to ignore it like a parroted one (a bare list of terms,
            a sentence written for another topic's question).
        length_relevance: Best cosine to the rubric a sentence needs for its words to count
            towards the answer's length (``GraderParams.length_relevance``).
    """
    k = len(ctx.points)
    dim = ctx.point_matrix.shape[1]
    vecs = np.asarray(vectors, dtype=np.float64).reshape(len(sentences), dim)
    # Restating the question says nothing; neither does what the caller marks ``ignored``: a
    # bare list of terms ("Key terms: dropout, weight decay, patience, ...") appended to a weak
    # answer to collect every point, or a sentence written for another topic's question.
    kept = [
        i
        for i in range(len(sentences))
        if not (parroted and parroted[i]) and not (ignored and ignored[i])
    ]
    if not kept or k == 0:
        empty = tuple(PointSignals(0.0, 0.0, 0.0, None) for _ in range(k))
        return AnswerSignals(empty, 0.0, 0.0, -3.0, 0.0, 0.0)
    sv = vecs[kept]
    sims_all = sv @ ctx.point_matrix.T
    sent_stems = [set(tx.content_stems(sentences[i])) for i in kept]
    # Words said in a negated clause assert nothing: "dropout does not prevent overfitting"
    # must not earn the word "overfitting" for another point either.
    polarity = [tx.clause_polarity(sentences[i]) for i in kept]
    affirmed = [yes for yes, _ in polarity]
    denied = [no for _, no in polarity]
    contradicted: set[int] = set()
    point_sigs: list[PointSignals] = []
    for j, pc in enumerate(ctx.points):
        sims = sims_all[:, [j, *pc.phrasing_rows]].max(axis=1)
        statement = pc.rubric.point.statement
        valid = np.array([not tx.contradicts(sentences[i], statement) for i in kept])
        contradicted.update(kept[n] for n in np.flatnonzero(~valid))
        masked = np.where(valid, sims, 0.0)
        idx = int(np.argmax(masked))
        sem = float(masked[idx])
        # A point phrased negatively ("without the penalty the policy drifts ...") is met by
        # the words an answer denies only where the point denies them too: "does not lead to
        # reward hacking" says nothing for "... drifts into degenerate outputs".
        words = (
            [affirmed[n] | (denied[n] & pc.denied) for n in range(len(kept))]
            if pc.negated
            else affirmed
        )
        bags = [words[n] for n, ok in enumerate(valid) if ok]
        full_bags = [sent_stems[n] for n, ok in enumerate(valid) if ok]
        relative = _relative(sem, pc.base_similarity)
        point_sigs.append(
            PointSignals(
                semantic=sem,
                relative=relative,
                lexical=_lexical(pc, bags, full_bags, saturation, relative >= phrase_support),
                evidence=kept[idx] if sem > 0 else None,
            )
        )
    # A sentence that negates a key point is no evidence for the model answer either.
    clean = [n for n, i in enumerate(kept) if i not in contradicted]
    if clean:
        answer_vec = _unit(sv[clean].mean(axis=0))
        a_sim = float(answer_vec @ ctx.reference_vector)
    else:
        a_sim = 0.0
    # Distinct content words, not a raw count: saying the same thing six times is not longer.
    # Only sentences about this rubric make an answer longer: generic filler ("engineers must
    # understand data, models and training") padding an answer must not buy off the
    # short-answer penalty. An answer with no such sentence (a loose paraphrase) keeps them all.
    on_topic = [n for n in range(len(kept)) if float(sims_all[n].max()) >= length_relevance]
    n_words = len(set().union(*(sent_stems[n] for n in on_topic or range(len(kept)))))
    length = max(
        -3.0, min(1.5, math.log((n_words + 1) / (max(1, ctx.reference_content_words) + 1)))
    )
    answer_new = (
        set().union(*(sent_stems[n] for n in clean)) - ctx.question_stems if clean else set()
    )
    lex_prec = len(answer_new & ctx.vocabulary) / len(answer_new) if answer_new else 0.0
    return AnswerSignals(
        points=tuple(point_sigs),
        answer_similarity=a_sim,
        answer_relative=_relative(a_sim, ctx.reference_base),
        length=length,
        best_similarity=max(a_sim, float(sims_all.max())),
        lexical_precision=lex_prec,
        contradicted=tuple(sorted(contradicted)),
        content_words=n_words,
    )


# Words that only point at the question ("The question asks: ..."): they add no content, so
# they do not save a restated question from counting as parroted.
_ABOUT_THE_QUESTION = frozenset(tx.content_stems("question questions asks asked asking"))


def parroted_sentences(
    ctx: QuestionContext, sentences: Sequence[str], vectors: Vectors | FloatArray, threshold: float
) -> list[bool]:
    """Per sentence, whether it only restates the question.

    A sentence parrots when it is nearly the question in meaning (cosine >= ``threshold``) or
    when it is mostly the question's own word sequences and adds at most one new content word.
    Merely reusing the question's vocabulary is not parroting: short answers must name the
    things the question names.
    """
    vecs = np.asarray(vectors, dtype=np.float64).reshape(
        len(sentences), ctx.question_vector.shape[0]
    )
    out: list[bool] = []
    for i, s in enumerate(sentences):
        stems = set(tx.content_stems(s))
        new = stems - ctx.question_stems - _ABOUT_THE_QUESTION
        sim = float(vecs[i] @ ctx.question_vector)
        copied = tx.copied_fraction(s, ctx.question_text, n=3) >= 0.8
        out.append(sim >= threshold or (copied and len(new) <= 1))
    return out


# Words that introduce a list of terms ("Key terms: ...", "Keywords: ...") and say nothing more.
_LIST_INTRO = frozenset(tx.content_stems("key keywords terms concepts buzzwords"))


def term_list_sentences(
    ctx: QuestionContext,
    sentences: Sequence[str],
    share: float = 0.85,
    names: int = 8,
) -> list[bool]:
    """Per sentence, whether it belongs to a list of rubric terms rather than stating anything.

    Terms glued with function words ("it is A and the B and the C"), one term per bullet and
    one term per stock sentence ("X is important. Y is important.") read as prose to a
    function-word count, yet state nothing. A sentence naming terms is dense when the terms,
    words that introduce a list ("Key terms:") and the list's frame words (said beside a term
    in three or more sentences) leave at most ``1 - share`` of its content words; or when it
    names one term and says one word more, in a run of three or more such ("X matters. Y is
    key. Z helps."). A lone "The model is overfitting." before a list stays the member's own.

    Terse honest prose can be as dense ("A few hundred tokens with overlap; too small loses
    context, too big dilutes" is five terms), so density alone is not enough: the dense
    sentences are a list when together they name ``names`` distinct terms (or 60 % of a
    smaller rubric's terms), at least three of them multi-word. An evaluation set's ad-hoc
    rubric has only single-word terms and whole reference sentences, so its answers never get
    there (measured: none of the 18,984).
    """
    named: list[set[str]] = []
    uncovered: list[list[str]] = []
    sizes: list[int] = []
    for sentence in sentences:
        stems = tx.content_stems(sentence)
        sizes.append(len(stems))
        found = tx.term_occurrences(stems, ctx.term_sequences)
        in_terms = set().union(*found.values()) if found else set()
        words = {s for i, s in enumerate(stems) if s in ctx.term_words and i not in in_terms}
        named.append({" ".join(ctx.term_sequences[t]) for t in found} | words)
        uncovered.append(
            [
                s
                for i, s in enumerate(stems)
                if i not in in_terms and s not in ctx.term_words and s not in _LIST_INTRO
            ]
        )
    frame_counts = Counter(
        w for n, rest in zip(named, uncovered, strict=True) if n for w in set(rest)
    )
    frame = {w for w, count in frame_counts.items() if count >= 3}
    rests = [[w for w in rest if w not in frame] for rest in uncovered]
    terse = [len(n) == 1 and len(r) <= 1 for n, r in zip(named, rests, strict=True)]
    run = sum(terse) >= 3
    dense = [
        bool(n) and (len(r) <= (1 - share) * size or (t and run))
        for n, r, t, size in zip(named, rests, terse, sizes, strict=True)
    ]
    listed: set[str] = set().union(*(n for n, d in zip(named, dense, strict=True) if d))
    enough = min(names, math.ceil(0.6 * (len(ctx.term_sequences) + len(ctx.term_words))))
    if len(listed) >= enough and sum(" " in n for n in listed) >= 3:
        return dense
    return [False] * len(sentences)


def other_topic_sentences(
    ctx: QuestionContext,
    vectors: Vectors | FloatArray,
    other_topic: Sequence[float],
    params: GraderParams,
) -> tuple[list[bool], bool]:
    """Which sentences were written for another topic's question, and whether the answer was.

    ``other_topic`` holds, per sentence, its best cosine to a key point of another topic's
    question (``RubricRetriever.other_topic_similarity``). A sentence is foreign when that beats
    its best cosine to this rubric clearly (``other_topic_margin``, ``other_topic_floor``); it
    is about this rubric when its own cosine is at least ``own_topic_at`` and the other one.
    An answer from the same field (another question's model answer) shares enough vocabulary
    with this rubric to collect partial credit, yet its sentences match their own question's
    rubric far better: the whole answer is foreign when most sentences are and none is about
    this rubric. Other questions of the same topic are not compared: they overlap legitimately.

    Returns:
        Per sentence whether it is foreign, and whether the whole answer is.
    """
    if len(other_topic) == 0:
        return [False] * len(vectors), False
    own = (np.asarray(vectors, dtype=np.float64) @ ctx.point_matrix.T).max(axis=1)
    other = np.asarray(other_topic, dtype=np.float64)
    foreign = (other - own >= params.other_topic_margin) & (other >= params.other_topic_floor)
    about_this = (own >= params.own_topic_at) & (own >= other)
    whole = bool(foreign.mean() >= params.other_topic_share and not about_this.any())
    return [bool(f) for f in foreign], whole


def point_coverage(sig: PointSignals, params: GraderParams) -> float:
    """Coverage of one key point in [0, 1]: semantic alignment blended with word coverage."""
    share = params.point_semantic_share
    return share * sig.relative + (1.0 - share) * sig.lexical


def score_features(signals: AnswerSignals, coverage: float) -> tuple[float, float, float, float]:
    """The inputs of the score model, in ``FEATURE_NAMES`` order."""
    # Only shortness counts, never length: a long answer must not win by volume alone.
    return (coverage, signals.answer_relative, min(0.0, signals.length), signals.lexical_precision)


def _raw(features: Sequence[float], params: GraderParams) -> float:
    z = params.score_bias + sum(w * v for w, v in zip(params.score_weights, features, strict=True))
    return _sigmoid(z)


def calibrated_fraction(features: Sequence[float], params: GraderParams) -> float:
    """Map score features to a fraction in [0, 1].

    A logistic of the features, stretched so that an empty answer maps to 0 and the model answer
    itself to 1 (the fit includes the stretch, so the fitted numbers are on this scale).
    """
    lo = _raw(_FLOOR_FEATURES, params)
    hi = _raw(_CEILING_FEATURES, params)
    if hi - lo < 1e-9:
        return 0.0
    return max(0.0, min(1.0, (_raw(features, params) - lo) / (hi - lo)))


def evidence(
    coverages: Sequence[float], weights: FloatArray, answer_relative: float, params: GraderParams
) -> float:
    """How much the answer demonstrably says: the weight of the points it at least partly
    covers (their coverage), or half its meaning beyond the question, whichever is larger.

    Coverage below the "partial" threshold is noise (a shared word, a loosely related sentence)
    and counts for nothing here.
    """
    shown = sum(
        float(w) * c for w, c in zip(weights, coverages, strict=True) if c >= params.partial_at
    )
    # Whole-answer similarity counts half: an answer from the same field (another question's
    # model answer) is fairly similar to the model answer without making any of its points.
    return max(shown, params.evidence_answer_share * answer_relative)


def evidence_cap(evidence_value: float, params: GraderParams) -> float:
    """The highest score fraction that ``evidence_value`` supports.

    A score must be backed by key points (or by meaning beyond the question): without the cap a
    long answer that misses every point still collected the length part of the score.
    """
    return min(1.0, params.evidence_cap_base + params.evidence_cap_slope * evidence_value)


def score_signals(
    signals: AnswerSignals, weights: FloatArray, params: GraderParams
) -> tuple[float, tuple[float, ...]]:
    """Map signals to (score fraction in [0, 1], per-point coverages).

    Args:
        signals: The answer's signals.
        weights: Point weights summing to 1.
        params: Fitted parameters.
    """
    cov = tuple(point_coverage(p, params) for p in signals.points)
    coverage = float(np.dot(weights, cov)) if cov else 0.0
    fraction = calibrated_fraction(score_features(signals, coverage), params)
    cap = evidence_cap(evidence(cov, weights, signals.answer_relative, params), params)
    return min(fraction, cap), cov


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything the grader found in one answer, before it is turned into a ``Grade``.

    Attributes:
        context: The question's cached context.
        sentences: The graded sentences (injected instructions removed).
        signals: The grading signals (None when nothing was left to grade).
        flags: Flags raised so far, in a stable order.
        words: Word count of the answer as submitted.
    """

    context: QuestionContext
    sentences: tuple[str, ...]
    signals: AnswerSignals | None
    flags: tuple[GradeFlag, ...]
    words: int


def _fingerprint(question: Question) -> str:
    parts = [question.id, question.prompt, question.model_answer]
    for p in question.key_points:
        parts.append("\x1f".join([p.id, p.statement, str(p.weight), *p.terms, p.source or ""]))
    return hashlib.sha256("\x1e".join(parts).encode("utf-8")).hexdigest()


class EmbeddingGrader:
    """The ``Grader`` port over an ``Embedder`` and a ``RubricRetriever``.

    Grading embeds only the answer's sentences, in one batch; key-point vectors come from the
    retriever and the question/model-answer vectors are computed once per question and kept in
    a bounded LRU cache keyed by question id and a hash of its text.
    """

    def __init__(
        self,
        embedder: Embedder,
        retriever: RubricRetriever,
        params: GraderParams | None = None,
        cache_size: int = 256,
    ) -> None:
        """Create a grader.

        Args:
            embedder: Embeds answer sentences (and, once per question, its texts).
            retriever: Supplies each question's rubric points with vectors and citations.
            params: Fitted parameters; the shipped ``grader_params.json`` when omitted.
            cache_size: How many questions' contexts to keep.
        """
        self._embedder = embedder
        self._retriever = retriever
        self.params = params or load_params()
        self._cache: OrderedDict[tuple[str, str], QuestionContext] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def context(self, question: Question) -> QuestionContext:
        """The question's context, from the cache or built (retrieval + one embedding batch)."""
        key = (question.id, _fingerprint(question))
        with self._lock:
            ctx = self._cache.get(key)
            if ctx is not None:
                self._cache.move_to_end(key)
                return ctx
        ctx = build_context(question, self._retriever.rubric(question), self._embedder)
        with self._lock:
            self._cache[key] = ctx
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return ctx

    def analyse(self, question: Question, answer: str) -> Analysis:
        """Compute signals and flags for ``answer`` (the part of grading that embeds)."""
        ctx = self.context(question)
        p = self.params
        flags: list[GradeFlag] = []
        words = tx.word_count(answer)
        if not answer.strip():
            return Analysis(ctx, (), None, (GradeFlag.EMPTY,), 0)
        sentences = tx.split_sentences(answer)
        injected = set(tx.injection_sentences(sentences))
        if injected:
            flags.append(GradeFlag.INJECTION)
            sentences = [s for i, s in enumerate(sentences) if i not in injected]
        remaining = " ".join(sentences)
        if not sentences or not tx.tokens(remaining):
            flags.append(GradeFlag.EMPTY)
            return Analysis(ctx, (), None, tuple(flags), words)
        if tx.is_gibberish(remaining):
            flags.append(GradeFlag.GIBBERISH)
            return Analysis(ctx, tuple(sentences), None, tuple(flags), words)
        if tx.word_count(remaining) < max(
            p.too_short_min_words, p.too_short_ratio * ctx.reference_words
        ):
            flags.append(GradeFlag.TOO_SHORT)
        vectors = self._embedder.embed(sentences)
        parroted = parroted_sentences(ctx, sentences, vectors, p.parrot_similarity)
        if all(parroted):
            flags.append(GradeFlag.PARROTED_QUESTION)
        # Bare lists of terms: few function words, or nothing but the rubric's own terms.
        listed = [
            tx.is_keyword_salad(sentence) or term_item
            for sentence, term_item in zip(
                sentences, term_list_sentences(ctx, sentences), strict=True
            )
        ]
        if tx.is_keyword_salad(remaining) or all(listed):
            flags.append(GradeFlag.KEYWORD_SALAD)
        if tx.copied_share(remaining, ctx.copy_sources) >= p.copy_fraction:
            flags.append(GradeFlag.COPIED_REFERENCE)
        other_topic = self._retriever.other_topic_similarity(question, vectors)
        # Sentences that say nothing about this question are ignored like parroted ones: bare
        # term lists (unless the whole answer is one: flagged and capped instead) and sentences
        # written for another topic's question (padding with other material).
        foreign, another_topic = other_topic_sentences(ctx, vectors, other_topic, p)
        lists_ignored = not all(listed)
        if lists_ignored and any(listed):
            # Tell the member why part of the answer earned nothing.
            flags.append(GradeFlag.LIST_IGNORED)
        ignored = [(lst and lists_ignored) or fgn for lst, fgn in zip(listed, foreign, strict=True)]
        signals = answer_signals(
            ctx,
            sentences,
            vectors,
            parroted,
            p.lexical_saturation,
            p.phrase_support,
            ignored=ignored,
            length_relevance=p.length_relevance,
        )
        if not all(parroted) and (
            (
                signals.best_similarity < p.off_topic_below
                and max((s.lexical for s in signals.points), default=0.0) == 0.0
            )
            or another_topic
        ):
            flags.append(GradeFlag.OFF_TOPIC)
        return Analysis(ctx, tuple(sentences), signals, tuple(flags), words)

    def grade(self, question: Question, answer: str) -> Grade:
        """Grade one answer. Deterministic: same input, same grade."""
        return finish_grade(self.analyse(question, answer), self.params)


# Flags that mean the answer earns nothing at all.
_ZERO_FLAGS = frozenset(
    {GradeFlag.EMPTY, GradeFlag.GIBBERISH, GradeFlag.OFF_TOPIC, GradeFlag.PARROTED_QUESTION}
)


def _status(coverage: float, params: GraderParams) -> PointStatus:
    if coverage >= params.covered_at:
        return PointStatus.COVERED
    if coverage >= params.partial_at:
        return PointStatus.PARTIAL
    return PointStatus.MISSED


def _confidence(
    coverages: Sequence[float],
    signals: AnswerSignals,
    flags: Sequence[GradeFlag],
    params: GraderParams,
) -> float:
    """How much to trust the grade, in [0, 1].

    Low when point coverages sit near a status threshold, when the semantic and word-level
    evidence disagree, and when the answer is too short or looks like a keyword list.
    """
    if not coverages:
        return 0.5
    margins = [
        min(1.0, min(abs(c - params.covered_at), abs(c - params.partial_at)) / 0.15)
        for c in coverages
    ]
    agreement = [1.0 - abs(p.relative - p.lexical) for p in signals.points]
    conf = 0.35 + 0.65 * (0.5 * float(np.mean(margins)) + 0.5 * float(np.mean(agreement)))
    if GradeFlag.TOO_SHORT in flags:
        conf *= 0.8
    if GradeFlag.KEYWORD_SALAD in flags or GradeFlag.INJECTION in flags:
        conf *= 0.7
    return max(0.0, min(1.0, conf))


def _comment(results: Sequence[PointResult], flags: Sequence[GradeFlag]) -> str:
    covered = sum(r.status is PointStatus.COVERED for r in results)
    partial = sum(r.status is PointStatus.PARTIAL for r in results)
    text = f"{covered} of {len(results)} key points covered"
    text += f", {partial} partly." if partial else "."
    missed = [r for r in results if r.status is not PointStatus.COVERED and r.citation]
    if missed:
        labels = list(dict.fromkeys(r.citation.label for r in missed if r.citation))
        text += " Review: " + "; ".join(labels[:2]) + "."
    if flags:
        text += " Flags: " + ", ".join(str(f) for f in flags) + "."
    return text


def finish_grade(analysis: Analysis, params: GraderParams) -> Grade:
    """Turn an ``Analysis`` into the final ``Grade`` (pure arithmetic, no embedding)."""
    ctx = analysis.context
    flags = list(analysis.flags)
    sig = analysis.signals
    zero = sig is None or any(f in _ZERO_FLAGS for f in flags)
    if sig is None:
        coverages: tuple[float, ...] = tuple(0.0 for _ in ctx.points)
        fraction = 0.0
    else:
        fraction, coverages = score_signals(sig, ctx.weights, params)
    if zero:
        fraction = 0.0
        coverages = tuple(0.0 for _ in ctx.points)
    if GradeFlag.KEYWORD_SALAD in flags:
        fraction = min(fraction, params.salad_cap)
    results: list[PointResult] = []
    for j, pc in enumerate(ctx.points):
        status = _status(coverages[j], params)
        evidence = None
        if sig is not None and status is not PointStatus.MISSED:
            idx = sig.points[j].evidence
            evidence = analysis.sentences[idx] if idx is not None else None
        results.append(
            PointResult(
                point_id=pc.rubric.point.id,
                statement=pc.rubric.point.statement,
                status=status,
                score=round(coverages[j], 3),
                evidence=evidence,
                citation=pc.rubric.citation,
            )
        )
    # A zero for an empty, gibberish or off-topic answer is a confident zero.
    confidence = 0.9 if sig is None or zero else _confidence(coverages, sig, flags, params)
    if confidence < params.low_confidence_below:
        flags.append(GradeFlag.LOW_CONFIDENCE)
    extras: dict[str, float] = {}
    if sig is not None:
        extras = {
            "coverage": round(float(np.dot(ctx.weights, coverages)) if coverages else 0.0, 4),
            "answer_similarity": round(sig.answer_similarity, 4),
            "answer_relative": round(sig.answer_relative, 4),
            "length": round(sig.length, 4),
            "lexical_precision": round(sig.lexical_precision, 4),
            "best_similarity": round(sig.best_similarity, 4),
            "fraction": round(fraction, 6),
        }
    return Grade(
        score=round(10.0 * fraction, 1),
        confidence=round(confidence, 3),
        points=tuple(results),
        flags=tuple(dict.fromkeys(flags)),
        comment=_comment(results, flags),
        max_score=10.0,
        extras=extras,
    )


def reference_question(
    prompt: str,
    reference: str,
    question_id: str | None = None,
    alternatives: Sequence[str] = (),
) -> Question:
    """An ad-hoc question whose rubric is built from a reference answer.

    Key points are the reference's sentences, each with its content words as terms. Further
    reference answers (``alternatives``) become accepted phrasings of the point they share most
    words with, so an answer matching any reference earns it. Used by ``grade --question
    --reference`` and by the evaluation harness, so both grade like a bank question.

    Args:
        prompt: The question text.
        reference: The model answer.
        question_id: Stable id; a hash of the texts when omitted.
        alternatives: Other acceptable reference answers.
    """
    from bot.core.models import Difficulty, KeyPoint

    statements = tx.split_sentences(reference) or [reference]
    extra: list[list[str]] = [[] for _ in statements]
    stems = [set(tx.content_stems(s)) for s in statements]
    for alt in alternatives:
        if alt == reference:
            continue
        if len(statements) == 1:
            extra[0].append(alt)
            continue
        for sent in tx.split_sentences(alt):
            own = set(tx.content_stems(sent))
            best = max(range(len(statements)), key=lambda i: (len(own & stems[i]), -i))
            extra[best].append(sent)
    points = tuple(
        KeyPoint(
            id=f"p{i + 1}",
            statement=statement,
            weight=1.0,
            terms=tuple(dict.fromkeys([*extra[i], *tx.content_words(statement)])),
        )
        for i, statement in enumerate(statements)
    )
    qid = (
        question_id
        or "adhoc-" + hashlib.sha256(f"{prompt}\x1e{reference}".encode()).hexdigest()[:12]
    )
    return Question(
        id=qid,
        topic="ad-hoc",
        difficulty=Difficulty.MEDIUM,
        prompt=prompt,
        model_answer=reference,
        key_points=points,
    )
