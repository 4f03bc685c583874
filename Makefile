# tracklink: two commands do all the set-up on a fresh machine.
#   make run    creates .venv, installs, generates a catalogue and resolves it
#   make test   creates .venv, installs, runs the test suite (what CI runs)
#   make test-fast   the unit and small Spark tests (no e2e or whole-stage tests)
PYTHON  ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
RECORDS ?= 20000
SEED    ?= 42
OUT     ?= out
PYTEST_ARGS ?=

.PHONY: setup run test test-fast lint package clean check-java

setup: $(STAMP)

$(STAMP): pyproject.toml
	@scripts/check_java.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

check-java:
	@scripts/check_java.sh

run: setup
	$(BIN)/tracklink generate --records $(RECORDS) --seed $(SEED) --output $(OUT)/catalog.parquet
	$(BIN)/tracklink resolve --input $(OUT)/catalog.parquet --output $(OUT)/resolved --truth true_entity_id

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: setup
	$(BIN)/python -m pytest -m "not e2e and not stage" $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# dist/: a wheel, dist/tracklink-pyfiles.zip for --py-files, dist/entry/*.py
package: setup
	PYTHON=$(BIN)/python scripts/package.sh dist

clean:
	rm -rf $(OUT) .pytest_cache build dist *.egg-info
