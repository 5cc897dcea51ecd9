# newswatch: `make run` (monitor on embedded defaults), `make test` (whole suite), `make demo`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run demo test check lint typecheck services bench eval clean fault-test compose-test

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo "newswatch needs Python 3.11+ (set PYTHON=python3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/newswatch run

demo: install
	$(BIN)/newswatch demo

services:
	bash scripts/ensure-services.sh

test: install services
	$(BIN)/pytest -q

# Opt-in, not part of `make test`: the compose stack on a real Docker engine (DOCKER_HOST or the
# local socket; Compose v2 >= 2.24). Skips with the reason when no engine is reachable.
compose-test: install services
	NEWSWATCH_COMPOSE_TEST=1 $(BIN)/pytest -v -s -rs --timeout 2400 tests/compose

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

check: lint typecheck

bench: install
	$(BIN)/python bench/classify.py
	$(BIN)/python bench/stories.py
	$(BIN)/python bench/fetcher.py --feeds 500

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache *.egg-info

# Opt-in (minutes): own Redis :6390 and PostgreSQL :5440, real services, faults; prints the table.
fault-test: install
	NEWSWATCH_FAULT_TESTS=1 $(BIN)/pytest -q tests/faults --timeout 600
