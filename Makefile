# Two commands do all the set-up on a fresh machine (Python 3.11+ and make):
#   make rehearse   run a whole café offline and write its exports to rehearsal-out/
#   make test       lint, type-check and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: rehearse test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

rehearse: $(STAMP)
	$(BIN)/blether rehearse --out rehearsal-out

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

test: $(STAMP)
	bash scripts/install-chromium.sh
	sh scripts/install-postgresql.sh
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/export_bench.py --rows 1000000

clean:
	rm -rf $(VENV) rehearsal-out .pytest_cache .ruff_cache
