# Two commands do all the set-up on a fresh clone:
#   make run    install (first time only), ingest knowledge/ if needed, start the bot
#               (Discord with DISCORD_TOKEN set, otherwise the terminal practice session)
#   make test   install (first time only), then lint, format check, types, Dockerfile lint, tests
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export ANONYMIZED_TELEMETRY := False
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test install lint typecheck dockerlint pytest bench clean

run: $(STAMP)
	$(BIN)/interview-bot run

test: $(STAMP) lint typecheck dockerlint pytest

install: $(STAMP)

# torch goes in first, pinned by constraints.txt on every later install: an unpinned resolve
# pulls a multi-GB CUDA build. The stamp makes a second `make` a no-op.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt torch==2.13.0
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

dockerlint: $(STAMP)
	$(BIN)/hadolint Dockerfile

pytest: $(STAMP)
	bash tests/services/ensure-postgres.sh
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/interview-bot bench all

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
