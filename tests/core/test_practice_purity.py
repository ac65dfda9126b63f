"""The practice engine's core modules import no adapter libraries."""

from __future__ import annotations

import json
import subprocess
import sys

MODULES = [
    "bot.core.practice",
    "bot.core.schedule",
    "bot.core.streaks",
    "bot.core.scoring",
    "bot.core.review",
    "bot.core.leaderboard",
    "bot.core.groups",
    "bot.core.guild_settings",
    "bot.core.questions",
    "bot.core.store_ports",
    "bot.core.serialize",
    "bot.core.clock",
]
FORBIDDEN = [
    "discord",
    "langchain",
    "langchain_core",
    "chromadb",
    "sentence_transformers",
    "sqlalchemy",
    "apscheduler",
    "torch",
    "rich",
]


def test_core_practice_modules_load_no_adapter_library() -> None:
    code = (
        "import importlib, json, sys\n"
        f"for m in {MODULES!r}: importlib.import_module(m)\n"
        f"print(json.dumps([f for f in {FORBIDDEN!r} if f in sys.modules]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(out.stdout) == []
