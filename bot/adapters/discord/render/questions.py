"""Wording of ``/question``: the form an admin fills in, and the replies about server questions.

Everything an admin typed is shown escaped (``fit``/``fit_line``): a question is user text.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.adapters.discord.render.common import (
    COLOUR_BAD,
    COLOUR_GOOD,
    COLOUR_INFO,
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
    plural,
)
from bot.adapters.discord.render.practice import difficulty_name, topic_name
from bot.bank import TOPICS
from bot.core.models import Question
from bot.question_admin import KEY_POINTS, MAX_GUILD_QUESTIONS

# -- commands and options -----------------------------------------------------------------------
CMD_QUESTION = "This server's own questions (admins)"
CMD_ADD = "Add a question of this server (opens a form)"
CMD_LIST = "List this server's own questions"
CMD_REMOVE = "Remove one of this server's questions"
OPT_TOPIC = "Topic of the new question"
OPT_DIFFICULTY = "Difficulty of the new question"
OPT_PAGE = "Page of the list"
OPT_QUESTION_ID = "The question to remove (start typing to search)"

# -- the form -----------------------------------------------------------------------------------
FORM_TITLE = "New server question"
LABEL_PROMPT = "Question"
LABEL_MODEL_ANSWER = "Model answer"
LABEL_KEY_POINTS = "Key points, one per line"
LABEL_TOPIC = "Topic"
LABEL_DIFFICULTY = "Difficulty"
DESC_PROMPT = "What members are asked."
DESC_MODEL_ANSWER = "What a strong candidate would say (shown after answering and in recaps)."
DESC_KEY_POINTS = (
    f"{KEY_POINTS[0]}-{KEY_POINTS[1]} claims a good answer makes. Optional: [2] weight, | terms"
)
DESC_TOPIC = "A topic id: " + ", ".join(TOPICS)
DESC_DIFFICULTY = "easy, medium or hard"
PH_PROMPT = "Why does validation loss rise while training loss keeps falling?"
PH_MODEL_ANSWER = "The model is overfitting: it memorises the training data…"
PH_KEY_POINTS = "[2] The model memorises noise in the training data | overfitting, memorises"
PH_TOPIC = "ml-foundations"
PH_DIFFICULTY = "medium"
LABEL_FIX = "Fix and resubmit"

PAGE_SIZE = 10
PROMPT_IN_LIST = 90


def form_title() -> str:
    """The form's title (at most 45 characters)."""
    return FORM_TITLE[:MODAL_TITLE]


def form_fields() -> dict[str, tuple[str, str, str]]:
    """``input id -> (label, description, placeholder)``, each within Discord's limits."""
    raw = {
        "question": (LABEL_PROMPT, DESC_PROMPT, PH_PROMPT),
        "model_answer": (LABEL_MODEL_ANSWER, DESC_MODEL_ANSWER, PH_MODEL_ANSWER),
        "key_points": (LABEL_KEY_POINTS, DESC_KEY_POINTS, PH_KEY_POINTS),
        "topic": (LABEL_TOPIC, DESC_TOPIC, PH_TOPIC),
        "difficulty": (LABEL_DIFFICULTY, DESC_DIFFICULTY, PH_DIFFICULTY),
    }
    return {
        key: (label[:INPUT_LABEL], _short(desc, LABEL_DESCRIPTION), _short(ph, PLACEHOLDER))
        for key, (label, desc, ph) in raw.items()
    }


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def topic_choices() -> list[tuple[str, str]]:
    """``(name, value)`` of the topic option."""
    return [(name[:100], topic) for topic, name in TOPICS.items()]


# -- replies ------------------------------------------------------------------------------------


def added(question: Question, *, replaced: bool = False) -> Reply:
    """A question was added (or replaced)."""
    builder = EmbedBuilder(
        title="Question replaced" if replaced else "Question added",
        description=fit(question.prompt, 1500),
        colour=COLOUR_GOOD,
        footer=f"{question.id} · only this server sees it",
    )
    builder.add("Topic", topic_name(question.topic), inline=True)
    builder.add("Difficulty", difficulty_name(question.difficulty), inline=True)
    points = [
        f"• {fit_line(p.statement, 200)}" + (f" (×{p.weight:g})" if p.weight != 1 else "")
        for p in question.key_points
    ]
    builder.add(f"Key points ({len(points)})", join_lines(points, FIELD_VALUE))
    builder.add(
        "Next",
        "Members get it from `/practice` (its topic and difficulty) and in the daily question; "
        "it is graded against these key points like every other question.",
    )
    return Reply.of(builder.build())


def problems(found: Sequence[str]) -> Reply:
    """The form had problems (nothing was saved)."""
    lines = [f"• {fit_line(p, 300)}" for p in found]
    return Reply.of(
        EmbedBuilder(
            title="Question not saved",
            description=join_lines(lines, EMBED_DESCRIPTION)
            + "\n\nPress **Fix and resubmit** to edit what you typed.",
            colour=COLOUR_BAD,
        ).build()
    )


def limit_reached() -> Reply:
    """The server has as many questions as allowed."""
    return Reply.text(
        f"This server already has {MAX_GUILD_QUESTIONS} questions of its own, the most "
        "allowed. Remove some with `/question remove` first."
    )


def listing(questions: Sequence[Question], page: int) -> Reply:
    """A page of the server's own questions."""
    if not questions:
        return Reply.of(
            EmbedBuilder(
                "This server's questions",
                "This server has no questions of its own yet. `/question add` adds one.",
                colour=COLOUR_NEUTRAL,
            ).build()
        )
    pages = max(1, -(-len(questions) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = questions[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    lines = [
        f"`{q.id}` · {topic_name(q.topic)} · {difficulty_name(q.difficulty)}\n"
        f"  {fit_line(q.prompt, PROMPT_IN_LIST)}"
        for q in shown
    ]
    return Reply.of(
        EmbedBuilder(
            title=f"This server's questions ({len(questions)})",
            description=join_lines(lines, EMBED_DESCRIPTION),
            colour=COLOUR_INFO,
            footer=f"Page {page} of {pages} · {plural(len(questions), 'question')}",
        ).build()
    )


def removed(question_id: str) -> Reply:
    """A question was removed."""
    return Reply.text(
        f"Removed `{fit_line(question_id, 90)}`. Answers already given keep their scores."
    )


def not_found(question_id: str) -> Reply:
    """No server question with that id."""
    return Reply.text(
        f"This server has no question `{fit_line(question_id, 90)}` of its own (shipped "
        "questions cannot be removed). `/question list` shows the ids."
    )


def is_open_daily(question_id: str) -> Reply:
    """Refuse to remove the question of a daily that is still open."""
    return Reply.text(
        f"`{fit_line(question_id, 90)}` is the question of a daily that is still open. "
        "Remove it after its recap."
    )


def id_choice_name(question: Question) -> str:
    """An autocomplete entry for ``/question remove``."""
    text = f"{question.id} · {' '.join(question.prompt.split())}"
    return text if len(text) <= 100 else text[:99] + "…"
