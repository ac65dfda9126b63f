"""0003 daily posts: where and whether each server's daily question (and its recap) was posted.

Why: the daily question must be posted exactly once per server and local day, and its recap
exactly once, across restarts, catch-up runs after downtime, a cron job firing twice on the
night the clocks go back, and two processes racing. ``daily_questions`` records which question
a day has; this table records the side effect on Discord. A run first *claims* the post (a row
with its token and the claim time), posts, then records the channel, message and thread ids.
A claim that never finished (the process died mid-post) goes stale after a lease, and only then
may another run take it over, after checking the channel for a post that did land. The recap
uses the same claim-then-record pair of columns.
"""

from __future__ import annotations


def statements(dialect: str) -> list[str]:
    """DDL for ``dialect`` (``sqlite`` or ``postgresql``)."""
    pg = dialect == "postgresql"
    ts = "TIMESTAMPTZ" if pg else "TEXT"
    day = "DATE" if pg else "TEXT"
    big = "BIGINT"
    return [
        f"""CREATE TABLE daily_posts (
            guild_id {big} NOT NULL,
            local_date {day} NOT NULL,
            question_id TEXT NOT NULL,
            claim_token TEXT NOT NULL,
            claimed_at {ts} NOT NULL,
            channel_id {big},
            message_id {big},
            thread_id {big},
            posted_at {ts},
            recap_token TEXT,
            recap_claimed_at {ts},
            recap_message_id {big},
            recap_posted_at {ts},
            PRIMARY KEY (guild_id, local_date)
        )""",
        # Start-up looks for posted dailies whose recap is still owed, across every server.
        "CREATE INDEX ix_daily_posts_recap_owed ON daily_posts (recap_posted_at, guild_id)",
    ]
