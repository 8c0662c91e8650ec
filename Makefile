# Two commands do all the set-up: `make run` and `make test`. Each bootstraps .venv/.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLE := data/samples/qingdao-daily-2025-12-30.txt

.PHONY: run test lint typecheck dev lock bench model eval-split clean

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
	$(BIN)/newsprint run --settle-seconds 0  # the sample was just copied whole: no need to let it settle

## lint, check types and run the whole test suite
test: $(STAMP)
	$(BIN)/ruff check flows schemas tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check flows schemas tests bench
	$(BIN)/ruff format --check flows schemas tests bench

## check the types of flows/ and schemas/ ([tool.mypy]; the cache in .mypy_cache/ keeps re-runs to a second)
typecheck: $(STAMP)
	$(BIN)/mypy

## re-pin every dependency (exact versions, tested together)
lock:
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra train --python-version 3.11 -o requirements.lock

bench: $(STAMP)
	$(BIN)/python -m bench.segmenters --repeat 20
	$(BIN)/python -m bench.split_cost
	$(BIN)/newsprint bench --issues 365

## rebuild the splitter's line labeller (data/split_model.json) from the People's Daily dump:
## CORPUS holds its month folders; MIRROR, if given, is a git mirror to extract them from first
CORPUS ?= data/corpus
model: $(STAMP)
	$(BIN)/python -m flows.labeller.train --corpus $(CORPUS) $(if $(MIRROR),--mirror $(MIRROR))

## measure the splitter: cross-validated by month and layout family, fixtures, sample
eval-split: $(STAMP)
	$(BIN)/python -m bench.eval_split --corpus $(CORPUS)

clean:
	rm -rf $(VENV) data/warehouse.duckdb data/warehouse.duckdb.wal data/warehouse.read.duckdb
