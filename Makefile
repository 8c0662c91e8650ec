# Two commands do all the set-up: `make run` and `make test`. Each bootstraps .venv/.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLE := data/samples/qingdao-daily-2025-12-30.txt

.PHONY: run test lint dev lock bench clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

dev: $(STAMP)

## run the daily flow on the sample issue into data/warehouse.duckdb
run: $(STAMP)
	mkdir -p data/inbox
	cp -n $(SAMPLE) data/inbox/ || true
	$(BIN)/newsprint run

## lint and run the whole test suite
test: $(STAMP)
	$(BIN)/ruff check flows schemas tests bench
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check flows schemas tests bench
	$(BIN)/ruff format --check flows schemas tests bench

## re-pin every dependency (exact versions, tested together)
lock:
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra train --python-version 3.11 -o requirements.lock

bench: $(STAMP)
	$(BIN)/python -m bench.segmenters --repeat 20
	$(BIN)/python -m bench.eval_layouts
	$(BIN)/newsprint bench --issues 365

clean:
	rm -rf $(VENV) data/warehouse.duckdb data/warehouse.duckdb.wal
