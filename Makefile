# Two commands for a new user: `make run` (pipeline on the bundled sample) and `make test`.
# Everything installs into .venv from the pinned lock file (uv.lock); nothing global changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
INSTALLED := $(VENV)/.installed
export DAGSTER_HOME ?= $(CURDIR)/.dagster
export UV_PYTHON_DOWNLOADS := never

PEOPLE ?= 2000
SEED ?= 42
OUT ?= data/generated

.PHONY: install run test dev generate evaluate bench sql clean

install: $(INSTALLED)

# --compile-bytecode: every process of a run (Dagster, each dbt build) imports a few hundred
# modules; compiled once here, not from source at every start where .pyc files are not written
# (PYTHONDONTWRITEBYTECODE, a read-only install). The project's own packages likewise.
$(INSTALLED): pyproject.toml uv.lock Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv sync --frozen --quiet --compile-bytecode --python $(BIN)/python
	$(BIN)/python -m compileall -q dagster_project benchmarks
	touch $@

$(DAGSTER_HOME)/dagster.yaml:
	mkdir -p $(DAGSTER_HOME)
	printf 'telemetry:\n  enabled: false\n' > $@

## Run the whole pipeline once on the bundled sample (or $$CDP_LANDING_DIR) and print a summary.
run: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m dagster_project.run

## Run the test suite, a test file per worker process (one per core, at most four).
test: install
	$(BIN)/python -m pytest -n auto --maxprocesses 4 --dist loadfile

## Open the Dagster UI at http://localhost:3000 with the daemon, so the nightly schedule runs.
dev: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -m dagster_project.definitions

## Generate a larger data set: make generate PEOPLE=100000 SEED=7 OUT=data/100k
generate: install
	$(BIN)/python -m dagster_project.generate --people $(PEOPLE) --seed $(SEED) --out $(OUT)

## Measure identity resolution in a scratch warehouse (never warehouse/), on generated data or on yours:
##   make evaluate PEOPLE=100000 [SEED=7] [DAYS=30] [WORKDIR=data/eval-100k]   (WORKDIR keeps and reuses the data)
##   make evaluate LANDING=my/landing TRUTH=my/truth.csv
## Extra flags, e.g. for CI: EVALUATE_ARGS="--json report.json --min-precision 0.99 --min-recall 0.8"
evaluate: install
	$(BIN)/python -m dagster_project.evaluate \
		$(if $(LANDING),--landing $(LANDING) $(if $(TRUTH),--truth $(TRUTH)),--people $(PEOPLE) --seed $(SEED) $(if $(DAYS),--days $(DAYS))) \
		$(if $(WORKDIR),--workdir $(WORKDIR)) $(EVALUATE_ARGS)

## Benchmark the whole pipeline from an empty scratch warehouse: wall time, peak memory and rows/s per stage,
## printed and written to benchmarks/results/<people>-<UTC>.json (data kept and reused in data/bench-<people>):
##   make bench PEOPLE=1000000 [SEED=11] [REPEAT=3]   (SEED defaults to 11 here; REPEAT>1 reports medians)
## Incremental nightly run on top of a long history, and its ratio to the full run:
##   make bench PEOPLE=100000 DAYS=365 INCREMENTAL=1
bench: install
	$(BIN)/python -m benchmarks.bench --people $(PEOPLE) \
		$(if $(filter command line environment,$(origin SEED)),--seed $(SEED)) $(if $(REPEAT),--repeat $(REPEAT)) \
		$(if $(DAYS),--days $(DAYS)) $(if $(INCREMENTAL),--incremental)

## Open a read-only SQL prompt on the warehouse.
sql: install
	$(BIN)/python -m dagster_project.sql

clean:
	rm -rf warehouse .dagster dbt/target dbt/logs
