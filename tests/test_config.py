"""Settings: every knob documented, defaults sane, the token never required or printed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import REPO_ROOT, Settings


def test_env_example_lists_every_setting() -> None:
    example = (REPO_ROOT / ".env.example").read_text(encoding="utf-8")
    named = set(re.findall(r"^#?\s*([A-Z_]+)=", example, flags=re.MULTILINE))
    assert {name.upper() for name in Settings.model_fields} <= named


def test_defaults_need_no_token_and_keep_state_under_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None)
    assert settings.discord_token is None
    assert settings.resolved_chroma_path == tmp_path / "chroma"
    assert settings.resolved_database_url == f"sqlite+aiosqlite:///{tmp_path / 'interview-bot.db'}"


def test_environment_overrides_and_the_token_is_not_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "secret-token-value")
    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    settings = Settings(_env_file=None)
    assert settings.chroma_host == "127.0.0.1"
    assert settings.discord_token is not None
    assert settings.discord_token.get_secret_value() == "secret-token-value"
    assert "secret-token-value" not in repr(settings)
