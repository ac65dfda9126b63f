"""The one rule: the domain core never imports an adapter's library."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = ("discord", "langchain", "langchain_core", "chromadb", "sentence_transformers",
             "sqlalchemy", "apscheduler", "torch")  # fmt: skip


def test_importing_bot_core_loads_no_adapter_library() -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        "import bot.core\n"
        "for m in pkgutil.walk_packages(bot.core.__path__, 'bot.core.'):\n"
        "    importlib.import_module(m.name)\n"
        f"bad = sorted(n for n in sys.modules if n.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "", f"bot.core pulled in: {result.stdout.strip()}"


def test_cli_help_does_not_load_the_model_stack() -> None:
    code = (
        "import sys\n"
        "from bot.cli import build_parser\n"
        "build_parser()\n"
        "print(','.join(n for n in ('torch', 'chromadb', 'discord') if n in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == ""
