# Two commands do all the set-up on a fresh machine:
#   make demo   creates .venv if needed, installs, opens the console on the embedded mock
#   make test   the same venv, then lint, format check, layer check, type check and the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint proto screenshots bench clean help soak soak-hostile exit-codes i18n

help:
	@echo "make demo         open the console on the embedded mock IPC (creates .venv on first use)"
	@echo "make test         lint, layer check, type check and all tests (what CI runs)"
	@echo "make soak         long runs: 10,000 approval-model sequences, 50 SIGKILL restart cycles"
	@echo "make proto        regenerate hmi/pb from proto/"
	@echo "make i18n         extract the texts, update resources/locale/*/ipc-hmi.po, compile the .mo (docs/i18n.md)"
	@echo "make screenshots  render docs/screenshots/*.png from the mock scenarios"
	@echo "make bench        run the ratio benchmarks in benchmarks/"
	@echo "make soak-hostile the loader fuzz tests with many more examples (part of make soak)"
	@echo "make exit-codes   rewrite the exit-code tables in README.md and docs/*.md from hmi/core/errors.py"
	@echo "make clean        remove .venv and caches"

# Checks what a fresh machine may lack, with a message that names it, then installs.
$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: '$(PYTHON)' not found. Install Python 3.11 or newer (Debian/Ubuntu: apt-get install python3 python3-venv), or run 'make PYTHON=/path/to/python3.11'." >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || { echo "error: Python 3.11 or newer is needed; '$(PYTHON)' is $$($(PYTHON) -V 2>&1). Run 'make PYTHON=python3.11' (or newer)." >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { echo "error: the Python venv module is missing. Debian/Ubuntu: apt-get install python3-venv" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	@$(BIN)/python -m hmi.preflight
	$(BIN)/ipc-hmi --demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

test: lint
	QT_QPA_PLATFORM=$${QT_QPA_PLATFORM:-offscreen} $(BIN)/python -m pytest

# Long runs kept out of `make test` (see docs/approval-safety.md for counts and times).
soak: $(STAMP)
	MODEL_EXAMPLES=10000 QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:logging --timeout=3600 tests/core/test_approval_model.py
	RESTART_CYCLES=50 QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -s --timeout=1800 tests/ui/test_restart_cycles.py

proto: $(STAMP)
	$(BIN)/python tools/gen_proto.py

i18n: $(STAMP)
	$(BIN)/python tools/i18n.py

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python tools/screenshots.py docs/screenshots

# Loader fuzz tests (issue 10) with 5000 examples each; `make soak` runs them too.
soak: soak-hostile
soak-hostile: $(STAMP)
	HYPOTHESIS_PROFILE=soak QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider tests/hostile/test_loaders_fuzz.py

exit-codes: $(STAMP)
	$(BIN)/python tools/gen_exit_codes.py

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
