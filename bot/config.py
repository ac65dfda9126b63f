"""Settings: every knob of the bot, read once from the environment (and ``.env``).

One ``Settings`` object is built in ``main`` and passed down; nothing reads the environment
anywhere else. ``.env.example`` lists every setting with its default.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """The bot's configuration.

    Attributes:
        data_dir: Where the bot keeps its state (Chroma index, SQLite database, scheduler jobs).
        knowledge_dir: The shipped knowledge base to ingest.
        chroma_path: Persistent Chroma directory; defaults to ``<data_dir>/chroma``.
        chroma_host: When set, talk to a Chroma server instead of a local directory.
        chroma_port: Port of that Chroma server.
        chroma_collection: Name of the knowledge collection.
        database_url: SQLAlchemy async URL; defaults to SQLite under ``data_dir``.
        discord_token: Required only when the Discord adapter starts.
        shard_count: Total shards of the bot; set with ``shard_ids`` to run a subset here.
        shard_ids: The shards this process runs (an AutoShardedBot over them).
        log_level: Python logging level name.
    """

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    data_dir: Path = Field(default=REPO_ROOT / "data")
    knowledge_dir: Path = Field(default=REPO_ROOT / "knowledge")
    chroma_path: Path | None = None
    chroma_host: str | None = None
    chroma_port: int = 8000
    chroma_collection: str = "knowledge"
    database_url: str | None = None
    discord_token: SecretStr | None = None
    shard_count: int | None = None
    shard_ids: list[int] | None = None
    log_level: str = "INFO"

    @property
    def resolved_chroma_path(self) -> Path:
        """The persistent Chroma directory actually used."""
        return self.chroma_path or self.data_dir / "chroma"

    @property
    def resolved_database_url(self) -> str:
        """The database URL actually used (SQLite under the data directory by default)."""
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'interview-bot.db'}"
