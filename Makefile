# Two commands do all the set-up on a fresh machine (Python 3.11+ and make):
#   make rehearse   run a whole café offline and write its exports to rehearsal-out/
#   make test       lint, type-check and run the whole test suite
#   make bench      the benchmark suite; figures in docs/PERFORMANCE.md
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

# The benchmark suite (under ten minutes on two cores); figures go to docs/PERFORMANCE.md.
# ARGS=--quick for a smoke run, ARGS=--full for every format at 1M rows.
bench: $(STAMP)
	$(BIN)/python bench/run.py $(ARGS)

clean:
	rm -rf $(VENV) rehearsal-out .pytest_cache .ruff_cache
