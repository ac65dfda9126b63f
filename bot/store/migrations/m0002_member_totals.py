"""0002 member totals: a running all-time total per member and server.

Why: the all-time board summed every per-day roll-up of a server (about 7,700 rows per server
in the one-million-answer bench: 21 ms p50 on SQLite), and that cost grows with every day of
history. A per-member running total, updated in the same transaction as each answer, keeps the
all-time board a read of one row per member. Backfilled from ``daily_points``.
"""

from __future__ import annotations


def statements(dialect: str) -> list[str]:
    """DDL (and backfill) for ``dialect``."""
    del dialect  # the same SQL on SQLite and PostgreSQL
    return [
        """CREATE TABLE member_totals (
            guild_id BIGINT NOT NULL,
            member_id BIGINT NOT NULL,
            points INTEGER NOT NULL,
            attempts INTEGER NOT NULL,
            PRIMARY KEY (guild_id, member_id)
        )""",
        "CREATE INDEX ix_member_totals_rank"
        " ON member_totals (guild_id, points DESC, attempts, member_id)",
        "INSERT INTO member_totals (guild_id, member_id, points, attempts)"
        " SELECT guild_id, member_id, SUM(points), SUM(attempts)"
        " FROM daily_points GROUP BY guild_id, member_id",
    ]
