"""ALL user-facing wording of the terminal front-end (ready for translation).

Functions here turn the service's result objects into ``rich`` renderables or plain strings.
Anything that came from a user or the knowledge base is escaped before it reaches rich markup,
so an answer containing ``[bold]`` prints literally.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.core.errors import PracticeError
from bot.core.leaderboard import Scope, Standings
from bot.core.models import Citation, GradeFlag, PointStatus
from bot.core.practice import (
    AnswerOutcome,
    AskResult,
    HintResult,
    MemberStats,
    RevealResult,
    outcome_to_dict,
)
from bot.core.schedule import Period
from bot.core.scoring import AttemptMode, ZeroReason

WELCOME = (
    "[bold]Interview practice[/bold] — answer in your own words; you are graded against a "
    "cited rubric."
)
ANSWER_HELP = (
    "Type your answer (several lines are fine). Finish with a line containing only [bold].[/bold]"
    " or press Ctrl-D.\nBefore answering you can type [bold]/hint[/bold] (costs points), "
    "[bold]/reveal[/bold] (forfeits the points), [bold]/skip[/bold] or [bold]/quit[/bold]."
)
ANSWER_PROMPT = "> "
MENU = (
    "[bold]h[/bold] hint · [bold]m[/bold] model answer · [bold]f[/bold] follow-up · "
    "[bold]n[/bold] next · [bold]r[/bold] review · [bold]s[/bold] stats · "
    "[bold]l[/bold] leaderboard (l week|month|today|all, l groups) · [bold]q[/bold] quit"
)
MENU_PROMPT = "choice> "
GOODBYE = "Bye — your progress is saved."
EMPTY_ANSWER = "Nothing to grade: write an answer, or /skip."
SKIPPED = "Skipped."
UNKNOWN_CHOICE = "Unknown choice {choice!r}."
NO_FOLLOW_UP = "This question has no follow-up."
NO_REVIEW_DUE = "Nothing is due for review. Well done!"
GRADING = "Grading…"
JSON_NEEDS_QUESTION = "--json needs --question-id ID (and the answer on standard input)."
JSON_NEEDS_PIPE = "--json reads the answer from standard input: pipe or redirect it."
BANK_PROBLEMS = "The question bank has {count} problem(s); practising with what loaded."

MODE_LABELS = {
    AttemptMode.DAILY: "daily question",
    AttemptMode.PRACTICE: "practice",
    AttemptMode.REVIEW: "review (due)",
}
STATUS_MARKS = {
    PointStatus.COVERED: "[green]✔ covered[/green]",
    PointStatus.PARTIAL: "[yellow]◐ partly covered[/yellow]",
    PointStatus.MISSED: "[red]✘ missed[/red]",
}
FLAG_TEXT = {
    GradeFlag.EMPTY: "The answer was empty.",
    GradeFlag.TOO_SHORT: "The answer is very short: explain more.",
    GradeFlag.GIBBERISH: "The answer does not read as text.",
    GradeFlag.OFF_TOPIC: "The answer seems to be about something else.",
    GradeFlag.COPIED_REFERENCE: "The answer copies the model answer: no points.",
    GradeFlag.PARROTED_QUESTION: "The answer mostly repeats the question.",
    GradeFlag.INJECTION: "The answer tries to instruct the grader: no points.",
    GradeFlag.KEYWORD_SALAD: "Keywords without explanations earn little: write sentences.",
    GradeFlag.LIST_IGNORED: "A list of keywords in the answer was not graded: explain each idea "
    "in a sentence instead.",
    GradeFlag.LOW_CONFIDENCE: "The grader is unsure about this one: take the score lightly.",
}
ZERO_TEXT = {
    ZeroReason.FLAGGED: "No points: this does not count as a genuine answer.",
    ZeroReason.REVEALED: "No points: you saw the model answer before answering.",
    ZeroReason.DAILY_ALREADY_SCORED: "No points: your scored attempt at this daily is in.",
    ZeroReason.ALREADY_SCORED_TODAY: "No points: you already scored this question today.",
    ZeroReason.HINTS: "No points: the hints cost everything this answer earned.",
    ZeroReason.NO_SCORE: "No points this time: the answer covered none of the key points.",
    ZeroReason.COPIED_DAILY: "No points: this answer is almost the same as another member's "
    "answer to this daily.",
}
PERIOD_LABELS = {
    Period.TODAY: "today",
    Period.WEEK: "this week",
    Period.MONTH: "this month",
    Period.ALL_TIME: "all time",
}
ERROR_TEXT = {
    "question_not_found": "No question with id {question_id!s}.",
    "no_question": "No question matches that topic and difficulty.",
    "invalid_setting": "Invalid value for {setting!s}.",
    "group_not_found": "No group called {name!s}.",
    "group_name_taken": "A group called {name!s} already exists.",
    "group_name_invalid": "That group name cannot be used.",
    "already_in_group": "You are already in a group: leave it first.",
    "not_in_group": "You are not in a group.",
    "not_allowed": "Only the group's creator or an admin can do that.",
    "daily_not_found": "There is no daily question for that day.",
    "daily_mismatch": "That is not the daily question of that day.",
    "daily_not_open": "That daily question is not open yet.",
    "rate_limited": "Too many answers in a row (the limit is {limit!s} per "
    "{window_seconds!s} seconds): try again in {wait_seconds!s} s.",
}
RATE_LIMITED_RETRY = "Press Enter to submit the same answer again, or type /skip."


def citation_label(citation: Citation | None) -> str:
    """``Title > Heading`` or an empty string."""
    return citation.label if citation is not None else ""


def source_label(source: str) -> str:
    """A ``note-id#Heading`` source as reading advice."""
    note, _, heading = source.partition("#")
    return f"the section “{heading}” of the note {note}" if heading else f"the note {note}"


def question_panel(ask: AskResult) -> RenderableType:
    """The question as shown before answering."""
    q = ask.question
    subtitle = f"{q.topic} · {q.difficulty} · {MODE_LABELS[ask.mode]}"
    if ask.hints_available:
        subtitle += f" · {ask.hints_available} hint(s) available"
    return Panel(
        Text(q.prompt),
        title=f"[bold]{escape(q.id)}[/bold]",
        subtitle=escape(subtitle),
        border_style="cyan",
    )


def outcome_panel(outcome: AnswerOutcome) -> RenderableType:
    """The graded answer: score, points covered/missed with evidence and citations, points,
    streak, rank change."""
    grade = outcome.grade
    lines: list[RenderableType] = []
    header = Text.from_markup(
        f"[bold]Score {grade.score:.1f} / {grade.max_score:.0f}[/bold]  "
        f"({MODE_LABELS[outcome.mode]})"
    )
    lines.append(header)
    if outcome.duplicate:
        lines.append(Text("(This answer was already recorded: showing the original grade.)"))
    if outcome.late:
        lines.append(Text("The daily window had closed: scored as practice."))
    for flag in grade.flags:
        lines.append(Text.from_markup(f"[yellow]⚠ {escape(FLAG_TEXT.get(flag, str(flag)))}[/]"))
    table = Table(show_header=True, header_style="bold", expand=True, show_lines=True)
    table.add_column("Key point", ratio=3)
    table.add_column("Verdict", ratio=1)
    table.add_column("Evidence / where to read", ratio=3)
    for p in grade.points:
        if p.status is PointStatus.COVERED and p.evidence:
            detail = f"“{escape(p.evidence)}”"
        else:
            where = citation_label(p.citation)
            detail = f"See: {escape(where)}" if where else ""
            if p.evidence:
                detail = f"“{escape(p.evidence)}”\n{detail}"
        table.add_row(escape(p.statement), STATUS_MARKS[p.status], detail)
    lines.append(table)
    if grade.comment:
        lines.append(Text(grade.comment))
    lines.append(Text.from_markup(points_line(outcome)))
    lines.append(Text.from_markup(streak_line(outcome)))
    rank = rank_line(outcome)
    if rank:
        lines.append(Text.from_markup(rank))
    if outcome.review_due is not None:
        lines.append(
            Text(f"Queued for review: due {outcome.review_due:%a %d %b} (/review brings it back).")
        )
    return Panel(Group(*lines), title="Your grade", border_style="green")


def points_line(outcome: AnswerOutcome) -> str:
    """How many points were awarded and why."""
    p = outcome.points
    if p.zero_reason is not None:
        return f"[bold]+0 points[/bold] — {escape(ZERO_TEXT[p.zero_reason])}"
    extra = f" (hints −{p.hint_penalty})" if p.hint_penalty else ""
    return f"[bold]+{p.total} points[/bold] of {p.max_points}{extra}"


def streak_line(outcome: AnswerOutcome) -> str:
    """The streak after the answer."""
    s = outcome.streak
    text = f"Streak: [bold]{s.current}[/bold] day(s) (best {s.best})"
    if s.grace_used:
        text += " — kept alive by the grace day"
    elif s.extended:
        text += " — extended today"
    return text


def rank_line(outcome: AnswerOutcome) -> str | None:
    """The rank change on the server's rank board, if shown."""
    r = outcome.rank
    if r is None:
        return None
    period = PERIOD_LABELS[r.period]
    if r.before is None:
        return f"You entered the board for {period} at #{r.after} ({r.points} points)."
    if r.after < r.before:
        return f"Up from #{r.before} to [bold]#{r.after}[/bold] {period} ({r.points} points)."
    return f"Rank #{r.after} {period} ({r.points} points)."


def hint_text(hint: HintResult) -> str:
    """A hint, with what it costs."""
    if hint.exhausted:
        return "No more hints for this question."
    body = escape(hint.text) if hint.text else f"Read {escape(source_label(hint.source or ''))}."
    cost = f" (−{hint.cost} points on your answer)" if hint.cost else ""
    return f"[bold]Hint {hint.number}[/bold]{cost}: {body}"


def reveal_panel(reveal: RevealResult) -> RenderableType:
    """The model answer, with the forfeit warning when it applies."""
    note = (
        "\n\n[yellow]You saw the model answer before answering: answers to this question "
        "earn no points until it is asked again.[/yellow]"
        if reveal.forfeits
        else ""
    )
    return Panel(
        Text.from_markup(escape(reveal.model_answer) + note),
        title="Model answer",
        border_style="magenta",
    )


def follow_up_text(text: str | None) -> str:
    """A follow-up question to think about (ungraded)."""
    if text is None:
        return NO_FOLLOW_UP
    return f"[bold]Follow-up[/bold] (think it through, or discuss it): {escape(text)}"


def stats_panel(stats: MemberStats) -> RenderableType:
    """The member's progress."""
    lines: list[RenderableType] = [
        Text.from_markup(
            f"Attempts: [bold]{stats.attempts}[/bold] · average "
            f"[bold]{stats.average:.0%}[/bold] · points [bold]{stats.total_points}[/bold]"
            + (f" · rank #{stats.rank}" if stats.rank else "")
        ),
        Text.from_markup(
            f"Streak: [bold]{stats.streak.current}[/bold] day(s) (best {stats.streak.best})"
            + (" — answer today to keep it!" if stats.streak.at_risk else "")
        ),
        Text(f"Review: {stats.review_due} question(s) due."),
    ]
    if stats.group:
        lines.append(Text(f"Study group: {stats.group}"))
    if stats.topics:
        table = Table("Topic", "Attempts", "Average", "Mastery", header_style="bold")
        for t in stats.topics:
            table.add_row(escape(t.topic), str(t.attempts), f"{t.average:.0%}", f"{t.mastery:.0%}")
        lines.append(table)
    if stats.weakest_points:
        weak = Table("Often missed", "Missed", "Read", header_style="bold")
        for w in stats.weakest_points:
            weak.add_row(
                escape(w.statement), f"{w.missed}/{w.seen}", escape(citation_label(w.citation))
            )
        lines.append(weak)
    if stats.history:
        lines.append(Text("Recent scores: " + sparkline([f for _, f in stats.history[-30:]])))
    return Panel(Group(*lines), title="Your progress", border_style="blue")


def sparkline(values: Sequence[float]) -> str:
    """Scores in [0, 1] as a one-line bar chart."""
    bars = "▁▂▃▄▅▆▇█"
    return "".join(bars[min(len(bars) - 1, int(v * len(bars)))] for v in values)


def standings_table(standings: Standings, you: int | None = None) -> RenderableType:
    """A leaderboard page."""
    period = PERIOD_LABELS[standings.period]
    if standings.scope is Scope.GROUPS:
        table = Table(
            "#", "Group", "Points / active member", "Active", "Members", "Points",
            title=f"Study groups — {period}", header_style="bold",
        )  # fmt: skip
        for r in standings.rows:
            table.add_row(
                str(r.rank), escape(r.name or ""), f"{r.per_member:.1f}",
                str(r.active_members), str(r.members), str(r.points),
            )  # fmt: skip
    else:
        table = Table("#", "Member", "Points", "Answers", title=f"Members — {period}")
        for r in standings.rows:
            who = "you" if r.subject_id == you else f"member {r.subject_id}"
            table.add_row(str(r.rank), who, str(r.points), str(r.attempts))
    if not standings.rows:
        return Text(f"Nobody is on the board for {period} yet.")
    footer = f"page {standings.page}/{standings.pages}"
    if standings.viewer is not None:
        footer += f" · you: #{standings.viewer.rank}"
    table.caption = footer
    return table


def error_text(error: PracticeError) -> str:
    """User-facing wording for a domain error."""
    template = ERROR_TEXT.get(error.code, "That did not work.")
    try:
        return escape(template.format(**error.details))
    except (KeyError, IndexError):
        return escape(template.split("{")[0].strip() or "That did not work.")


def outcome_json(outcome: AnswerOutcome) -> dict[str, Any]:
    """The ``--json`` object: the grade plus the points awarded."""
    data = outcome_to_dict(outcome)
    data["points_awarded"] = outcome.points.total
    return data


def error_json(error: PracticeError) -> dict[str, Any]:
    """The ``--json`` object for a failure."""
    return {"error": error.code, "message": error_text(error)}
