# tracklink: two commands do all the set-up on a fresh machine.
#   make run    creates .venv, installs, generates a catalogue and resolves it
#   make test   creates .venv, installs, runs the test suite (what CI runs)
#   make test-fast   the unit and small Spark tests (no e2e or whole-stage tests)
#   make check-py312 the same set-up and fast tests on Python 3.12 (not in CI: slow, see docs/results/install.md)
PYTHON  ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
RECORDS ?= 20000
SEED    ?= 42
OUT     ?= out
PYTEST_ARGS ?=

.PHONY: setup run test test-fast lint package clean check-java check-py312

setup: $(STAMP)

# `local` brings PySpark and delta-spark (a cluster has its own); constraints.txt
# holds the exact set verified together, so every set-up gets the same versions.
$(STAMP): pyproject.toml constraints.txt
	@scripts/check_java.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,local]' -c constraints.txt
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

# Python 3.12 (the Spark 4 runtimes' Python): the same set-up in its own venv,
# then the fast tests. Not part of CI: with no CPU torch for 3.12 on disk it
# installs PyPI's CUDA torch, about 12 minutes and 6.5 GB here (docs/results/install.md).
# pyenv's python3.12 shim refuses to run while 3.11 is the active version
PY312   ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) python3.12)
VENV312 ?= .venv-py312
check-py312:
	@test -x $(VENV312)/bin/python || $(PY312) -m venv $(VENV312)
	$(VENV312)/bin/python -m pip install --quiet --upgrade pip
	$(VENV312)/bin/python -m pip install --quiet -e '.[dev,local]' -c constraints.txt
	$(VENV312)/bin/python -m pytest -m "not e2e and not stage" $(PYTEST_ARGS)

clean:
	rm -rf $(OUT) .pytest_cache build dist *.egg-info
