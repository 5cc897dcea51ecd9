# newswatch: `make run` (monitor on embedded defaults), `make test` (whole suite), `make demo`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run demo test check lint typecheck services bench eval clean fault-test

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
