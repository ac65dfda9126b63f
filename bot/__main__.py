"""``python -m bot``: the interview-bot command line."""

from bot.cli import main

raise SystemExit(main())
