"""0004 daily answers: the texts of the answers to each server's open daily question.

Why: a member who pastes another member's daily answer earned what the original earned
(the gaming corpus, ``tests/reliability/gaming.py``). Comparing a new daily answer with the
answers other members already sent to the same daily needs their texts, which ``attempts``
does not keep. They live here, written in the same transaction as their attempt, only while
the daily is open: closing the daily deletes its rows, and forget-me deletes a member's.
"""

from __future__ import annotations


def statements(dialect: str) -> list[str]:
    """DDL for ``dialect`` (``sqlite`` or ``postgresql``)."""
    day = "DATE" if dialect == "postgresql" else "TEXT"
    big = "BIGINT"
    return [
        f"""CREATE TABLE daily_answers (
            guild_id {big} NOT NULL,
            local_date {day} NOT NULL,
            attempt_id {big} NOT NULL,
            member_id {big} NOT NULL,
            answer TEXT NOT NULL,
            PRIMARY KEY (guild_id, local_date, attempt_id)
        )""",
        # forget-me deletes by member.
        "CREATE INDEX ix_daily_answers_member ON daily_answers (guild_id, member_id)",
    ]
