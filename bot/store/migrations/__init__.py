"""Numbered schema migrations, applied in order at start-up.

Each migration is a module ``mNNNN_<name>.py`` whose docstring says WHY it exists and which
exposes ``statements(dialect: str) -> list[str]``. Applied versions are recorded in
``schema_migrations``; a migration runs in one transaction with its record, so a crash never
leaves a half-applied version. Never edit a shipped migration: add the next number.
"""
