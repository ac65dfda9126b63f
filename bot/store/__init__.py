"""SQL persistence for the practice engine (the ONLY package with SQL).

``open_store(settings.resolved_database_url)`` returns a migrated ``SqlStore`` that implements
``bot.core.store_ports.PracticeStore`` and ``GuildQuestionStore`` (and serves the servers' own
questions as a ``QuestionCatalog``).
"""

from bot.store.sql import SqlStore, open_store

__all__ = ["SqlStore", "open_store"]
