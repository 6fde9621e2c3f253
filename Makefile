# Samordna — every set-up step a newcomer needs is behind `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install install-dev install-bench migrate demo run test test-fast lint bench clean messages

help: ## show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed ## create .venv and install Samordna

install-dev: $(VENV)/.installed-dev ## install Samordna with the test tools

migrate: install ## apply the database migrations (SQLite under var/ unless SAMORDNA_DATABASE_URL is set)
	$(BIN)/samordna migrate

demo: migrate ## load the demo area «Eksempelvik kommune» (idempotent)
	$(BIN)/samordna demo --host $(HOST) --port $(PORT)

run: demo ## install, migrate, load the demo and serve on http://127.0.0.1:8000 (or HOST=… PORT=…)
	$(BIN)/samordna serve --host $(HOST) --port $(PORT)

test: install-dev ## install and run the whole test suite (two workers)
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

test-fast: install-dev ## the suite without browser, multi-process and long property/fuzz/matrix runs (under a minute)
	$(BIN)/pytest -m "not browser and not slow and not long" -n 2 $(PYTEST_ARGS)

lint: install-dev ## ruff, and the import contracts in pyproject.toml (lint-imports)
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev,bench]'
	@touch $@ $(VENV)/.installed-dev $(VENV)/.installed

install-bench: $(VENV)/.installed-bench ## install Samordna with the test and benchmark tools (locust, granian)

bench: install-bench ## run the benchmarks (about 25–30 minutes on 2 cores) and print a table (also bench/results/table.md)
	$(BIN)/python -m bench.run --markdown bench/results/table.md

clean: ## remove the virtualenv and the local database
	rm -rf $(VENV) var .pytest_cache .hypothesis

messages: install-dev ## extract interface text and update the nn/en catalogues
	$(BIN)/pybabel extract -F babel.cfg --project=Samordna --no-location --sort-output -o src/samordna/web/translations/messages.pot .
	for lang in nn en; do \
	  if [ -f src/samordna/web/translations/$$lang/LC_MESSAGES/messages.po ]; then \
	    $(BIN)/pybabel update --no-fuzzy-matching -i src/samordna/web/translations/messages.pot -d src/samordna/web/translations -l $$lang; \
	  else \
	    $(BIN)/pybabel init -i src/samordna/web/translations/messages.pot -d src/samordna/web/translations -l $$lang; \
	  fi; \
	done
