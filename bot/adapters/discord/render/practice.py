"""Wording of the practice flow: the question, the answer modal, the grade, hints, model answers.

The grade is the product's core promise: the score, which rubric points the answer covered
(quoting the member's own sentence), which it missed (with a nudge and the note section that
teaches it), the points with the reason when there are none, the streak and the rank change.
Grades the grader is unsure of, and answers it flagged, say so plainly.
"""

from __future__ import annotations

from datetime import date

import discord

from bot.adapters.discord.render.common import (
    CHOICE_NAME,
    COLOUR_BAD,
    COLOUR_GOOD,
    COLOUR_INFO,
    COLOUR_MIXED,
    COLOUR_NEUTRAL,
    EMBED_DESCRIPTION,
    FIELD_VALUE,
    INPUT_LABEL,
    LABEL_DESCRIPTION,
    MODAL_TITLE,
    PLACEHOLDER,
    EmbedBuilder,
    Reply,
    fit,
    fit_line,
    join_lines,
    plain,
    plural,
    score_bar,
)
from bot.bank import TOPICS
from bot.core.models import Citation, Difficulty, GradeFlag, KeyPoint, PointResult, PointStatus
from bot.core.practice import AnswerOutcome, AskResult, HintResult, RevealResult
from bot.core.schedule import Period
from bot.core.scoring import AttemptMode, ZeroReason

# -- commands and options (descriptions are shown in Discord's command picker) ---------------
CMD_PRACTICE = "Get an interview question to answer privately"
OPT_TOPIC = "Only questions on this topic"
OPT_DIFFICULTY = "Only questions of this difficulty"
CMD_HINT = "A hint for your latest question (costs points if you have not answered yet)"
CMD_REVEAL = "Show the model answer of your latest question"

DIFFICULTY_NAMES = {Difficulty.EASY: "Easy", Difficulty.MEDIUM: "Medium", Difficulty.HARD: "Hard"}

# -- buttons and modal --------------------------------------------------------------------------
LABEL_ANSWER = "Answer"
LABEL_HINT = "Hint"
LABEL_SKIP = "Skip"
LABEL_MODEL = "Model answer"
LABEL_FOLLOW_UP = "Follow-up"
LABEL_NEXT_FOLLOW_UP = "Another follow-up"
LABEL_TRY_ANOTHER = "Try another"
LABEL_NEXT_REVIEW = "Next review"
MODAL_TITLE_TEXT = "Your answer"
MODAL_DAILY_TITLE = "Your answer to the daily question"
INPUT_LABEL_TEXT = "Your answer"
INPUT_PLACEHOLDER = "Explain in your own words, as you would in an interview."

MODE_LABELS = {
    AttemptMode.DAILY: "daily question",
    AttemptMode.PRACTICE: "practice",
    AttemptMode.REVIEW: "review",
}
PERIOD_LABELS = {
    Period.TODAY: "today",
    Period.WEEK: "this week",
    Period.MONTH: "this month",
    Period.ALL_TIME: "all time",
}
FLAG_TEXT = {
    GradeFlag.EMPTY: "The answer was empty.",
    GradeFlag.TOO_SHORT: "The answer is very short: a full explanation scores better.",
    GradeFlag.GIBBERISH: "The answer does not read as sentences, so it cannot be graded.",
    GradeFlag.OFF_TOPIC: "The answer seems to be about something else than the question.",
    GradeFlag.COPIED_REFERENCE: "The answer copies the reference text instead of explaining it "
    "in your own words.",
    GradeFlag.PARROTED_QUESTION: "The answer mostly repeats the question.",
    GradeFlag.INJECTION: "The answer contains instructions aimed at the grader.",
    GradeFlag.KEYWORD_SALAD: "Keywords without explanations earn little: write full sentences.",
    GradeFlag.LIST_IGNORED: "A list of keywords in the answer was not graded: explain each idea "
    "in a sentence instead.",
    GradeFlag.LOW_CONFIDENCE: "The grader is not sure about this one: take the score as a rough "
    "guide (confidence {confidence:.0%}).",
}
ZERO_TEXT = {
    ZeroReason.FLAGGED: "no points, because this does not count as a genuine answer.",
    ZeroReason.REVEALED: "no points, because you saw the model answer before answering.",
    ZeroReason.DAILY_ALREADY_SCORED: "no points: your one scored attempt at this daily is in.",
    ZeroReason.ALREADY_SCORED_TODAY: "no points: you already scored this question today "
    "(practice again tomorrow to earn more).",
    ZeroReason.HINTS: "no points: the hints cost everything this answer earned.",
    ZeroReason.NO_SCORE: "no points this time: the answer covered none of the key points.",
    ZeroReason.COPIED_DAILY: "no points: this answer is almost the same as one another member "
    "already sent to this daily. Only an answer in your own words earns points.",
}
FLAGGED_WHY = {
    GradeFlag.INJECTION: "Answers that try to instruct the grader earn nothing.",
    GradeFlag.COPIED_REFERENCE: "Pasted reference text earns nothing: the points are for your "
    "own explanation.",
    GradeFlag.GIBBERISH: "Random text earns nothing.",
    GradeFlag.EMPTY: "An empty answer earns nothing.",
}

STATUS_MARK = {PointStatus.COVERED: "✅", PointStatus.PARTIAL: "🟡", PointStatus.MISSED: "❌"}
POINT_CHARS = 220
EVIDENCE_CHARS = 260
PROMPT_CHARS = 1500

NO_OPEN_QUESTION = (
    "You have no open question. Start one with `/practice`, then use the buttons under it."
)
HINTS_EXHAUSTED = "No more hints for this question."
NO_FOLLOW_UP = "This question has no follow-up question."
DAILY_MODEL_LATER = "The model answer is posted with the recap when the daily closes."


def topic_name(topic: str) -> str:
    """A topic's display name (server topics show as they are)."""
    return TOPICS.get(topic, topic.replace("-", " ").capitalize())


def difficulty_name(difficulty: Difficulty | str | None) -> str:
    """``Easy`` / ``Medium`` / ``Hard``."""
    if difficulty is None:
        return "Any"
    return DIFFICULTY_NAMES.get(Difficulty(difficulty), str(difficulty))


def citation_text(citation: Citation | None) -> str:
    """``📖 Title › Heading`` (escaped), or an empty string."""
    if citation is None:
        return ""
    label = f"{citation.title} › {citation.heading}" if citation.heading else citation.title
    return f"📖 {fit_line(label, 150)}"


def source_text(source: str) -> str:
    """A ``note-id#Heading`` pointer as reading advice."""
    note, _, heading = source.partition("#")
    if heading:
        return f"Read the section “{fit_line(heading, 120)}” of the note `{fit_line(note, 80)}`."
    return f"Read the note `{fit_line(note, 80)}`."


# -- the question -------------------------------------------------------------------------------


def question(ask: AskResult, *, daily_date: date | None = None) -> Reply:
    """A question as posted under ``/practice`` and ``/review``, above its buttons."""
    q = ask.question
    if ask.mode is AttemptMode.REVIEW:
        title = f"Review · {topic_name(q.topic)}"
    else:
        title = f"Practice · {topic_name(q.topic)}"
    builder = EmbedBuilder(
        title=fit_line(title, 200),
        description=fit(q.prompt, PROMPT_CHARS),
        colour=COLOUR_INFO,
        footer=f"{q.id} · answers are private: only you see your grade",
    )
    builder.add("Difficulty", difficulty_name(q.difficulty), inline=True)
    if ask.hints_available:
        builder.add("Hints", f"{ask.hints_available} available (each costs points)", inline=True)
    if ask.mode is AttemptMode.REVIEW and ask.review_due is not None:
        builder.add("Review", f"due since {ask.review_due:%a %d %b}", inline=True)
    return Reply.of(builder.build())


def modal_title(daily: bool) -> str:
    """The answer modal's title (at most 45 characters)."""
    return (MODAL_DAILY_TITLE if daily else MODAL_TITLE_TEXT)[:MODAL_TITLE]


def modal_input_label() -> str:
    """The answer input's label."""
    return INPUT_LABEL_TEXT[:INPUT_LABEL]


def modal_input_description(prompt: str) -> str:
    """The question, shortened, under the input's label (at most 100 characters)."""
    return plain(prompt, LABEL_DESCRIPTION)


def modal_placeholder() -> str:
    """Placeholder text of the answer input."""
    return INPUT_PLACEHOLDER[:PLACEHOLDER]


# -- the grade ----------------------------------------------------------------------------------


def graded(outcome: AnswerOutcome) -> Reply:
    """The private grade of an answer."""
    grade = outcome.grade
    flagged = outcome.points.zero_reason is ZeroReason.FLAGGED
    colour = (
        COLOUR_BAD
        if flagged or grade.fraction < 0.4
        else COLOUR_GOOD
        if grade.fraction >= 0.75
        else COLOUR_MIXED
    )
    title = f"Your grade: {grade.score:.1f} / {grade.max_score:.0f}"
    lines = [score_bar(grade.fraction)]
    if outcome.duplicate:
        lines.append("This answer was already graded: here is the same result again.")
    if outcome.late:
        lines.append("The daily window had closed, so this was graded as practice.")
    for flag in grade.flags:
        text = FLAG_TEXT.get(flag, str(flag)).format(confidence=grade.confidence)
        lines.append(f"⚠️ {text}")
    lines.append("")
    lines.append(f"**Question:** {fit_line(outcome.question.prompt, 300)}")
    builder = EmbedBuilder(
        title=title,
        description=join_lines(lines, EMBED_DESCRIPTION),
        colour=colour,
        footer=f"{outcome.question.id} · {MODE_LABELS[outcome.mode]}",
    )
    key_points = {k.id: k for k in outcome.question.key_points}
    by_status: dict[PointStatus, list[PointResult]] = {s: [] for s in PointStatus}
    for point in grade.points:
        by_status[point.status].append(point)
    total = len(grade.points)
    if by_status[PointStatus.COVERED]:
        builder.add(
            f"Covered ({len(by_status[PointStatus.COVERED])}/{total})",
            _point_lines(by_status[PointStatus.COVERED], key_points),
        )
    if by_status[PointStatus.PARTIAL]:
        builder.add(
            f"Partly covered ({len(by_status[PointStatus.PARTIAL])}/{total})",
            _point_lines(by_status[PointStatus.PARTIAL], key_points),
        )
    if by_status[PointStatus.MISSED]:
        builder.add(
            f"Missed ({len(by_status[PointStatus.MISSED])}/{total})",
            _point_lines(by_status[PointStatus.MISSED], key_points),
        )
    if grade.comment:
        builder.add("Note", fit(grade.comment, 500))
    builder.add("Points", points_text(outcome), inline=True)
    builder.add("Streak", streak_text(outcome), inline=True)
    rank = rank_text(outcome)
    if rank:
        builder.add("Rank", rank, inline=True)
    if outcome.review_due is not None:
        builder.add(
            "Review",
            f"This question comes back for review on {outcome.review_due:%a %d %b} (`/review`).",
        )
    if outcome.mode is AttemptMode.DAILY:
        builder.add("Model answer", DAILY_MODEL_LATER)
    return Reply.of(builder.build())


def _point_lines(points: list[PointResult], key_points: dict[str, KeyPoint]) -> str:
    lines = []
    for p in points:
        mark = STATUS_MARK[p.status]
        line = f"{mark} **{fit_line(p.statement, POINT_CHARS)}**"
        if p.evidence and p.status is not PointStatus.MISSED:
            line += f"\n> “{fit_line(p.evidence, EVIDENCE_CHARS)}”"
        if p.status is not PointStatus.COVERED:
            nudge = _nudge(key_points.get(p.point_id))
            where = citation_text(p.citation)
            extra = " · ".join(x for x in (nudge, where) if x)
            if extra:
                line += f"\n↳ {extra}"
        lines.append(line)
    return join_lines(lines, FIELD_VALUE)


def _nudge(point: KeyPoint | None) -> str:
    """A hint for a missed point: the key terms a good answer uses."""
    if point is None or not point.terms:
        return ""
    terms = ", ".join(f"“{fit_line(t, 40)}”" for t in point.terms[:3])
    return f"Hint: think about {terms}"


def points_text(outcome: AnswerOutcome) -> str:
    """The points awarded, or why there are none."""
    p = outcome.points
    if p.zero_reason is not None:
        text = f"**+0** — {ZERO_TEXT[p.zero_reason]}"
        if p.zero_reason is ZeroReason.FLAGGED:
            why = [FLAGGED_WHY[f] for f in outcome.grade.flags if f in FLAGGED_WHY]
            if why:
                text += " " + " ".join(why)
        return text
    text = f"**+{p.total}** of {p.max_points}"
    if p.hint_penalty:
        text += f" (hints −{p.hint_penalty})"
    return text


def streak_text(outcome: AnswerOutcome) -> str:
    """The streak after the answer."""
    s = outcome.streak
    text = f"🔥 {plural(s.current, 'day')} (best {s.best})"
    if s.grace_used:
        text += ", kept alive by the grace day"
    elif s.extended:
        text += ", extended today"
    return text


def rank_text(outcome: AnswerOutcome) -> str:
    """The rank change on the server's board, if the member is on it."""
    r = outcome.rank
    if r is None:
        return ""
    period = PERIOD_LABELS[r.period]
    if r.before is None:
        return f"New on the board {period}: #{r.after} ({r.points} points)"
    if r.after < r.before:
        return f"Up from #{r.before} to **#{r.after}** {period} ({r.points} points)"
    return f"#{r.after} {period} ({r.points} points)"


# -- hints, model answers, follow-ups ------------------------------------------------------------


def hint(result: HintResult) -> Reply:
    """A hint, and what it costs."""
    if result.exhausted:
        return Reply.text(HINTS_EXHAUSTED)
    body = fit(result.text, 1500) if result.text else source_text(result.source or "")
    cost = f"It costs {result.cost} points on your answer." if result.cost else "This hint is free."
    embed = EmbedBuilder(
        title=f"💡 Hint {result.number}", description=f"{body}\n\n{cost}", colour=COLOUR_MIXED
    ).build()
    return Reply.of(embed)


def reveal(result: RevealResult) -> Reply:
    """The model answer, with the forfeit warning when it applies."""
    text = fit(result.model_answer, 3500)
    if result.forfeits:
        text += (
            "\n\n⚠️ You saw the model answer before answering: answers to this question earn "
            "no points until it is asked again."
        )
    embed = EmbedBuilder(title="📘 Model answer", description=text, colour=COLOUR_NEUTRAL).build()
    return Reply.of(embed)


def follow_up(text: str | None, number: int) -> Reply:
    """A follow-up question to think through (ungraded)."""
    if text is None:
        return Reply.text(NO_FOLLOW_UP)
    embed = EmbedBuilder(
        title=f"❓ Follow-up {number}",
        description=f"{fit(text, 1500)}\n\nThink it through, or discuss it with your group.",
        colour=COLOUR_INFO,
    ).build()
    return Reply.of(embed)


def no_open_question() -> Reply:
    """``/hint`` or ``/reveal`` without a recent question."""
    return Reply.text(NO_OPEN_QUESTION)


def difficulty_choices() -> list[tuple[str, str]]:
    """``(name, value)`` of the difficulty option's choices."""
    return [(DIFFICULTY_NAMES[d], d.value) for d in Difficulty]


def topic_choice_name(topic: str, count: int) -> str:
    """An autocomplete entry for a topic."""
    return plain(f"{topic_name(topic)} ({plural(count, 'question')})", CHOICE_NAME)


def embed_of(reply: Reply) -> discord.Embed:
    """The first embed of a reply (for tests and composed messages)."""
    return reply.embeds[0]
