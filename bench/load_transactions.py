"""What one DuckDB transaction per issue costs the backfill's writer, against one per batch.

    .venv/bin/python -m bench.load_transactions [--issues 128] [--batch-size 64]

Transforms a synthetic archive once, then loads it into fresh warehouses four ways, the
warehouse opened once per batch as the backfill does: one issue per transaction as the daily
flow's writer loads (checks, frame gate and nine inserts in one transaction each); as the
backfill's writer, in batches of one issue and of `--batch-size` issues; and both again
without the Pandera gate, which leaves the cost of the statements and commits alone. Prints
CPU and wall milliseconds per issue.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import date, datetime

import duckdb

from bench import scratch_folder
from bench.synthetic import build_archive
from flows import bulk_load, load
from flows.ingest import read_issue
from flows.parse import parse_issue
from flows.storage.warehouse import Warehouse
from flows.transform import IssueBundle, bundle_issues
from flows.validate import LoadFrames, validate_issues

Loader = Callable[[duckdb.DuckDBPyConnection, Warehouse, list[IssueBundle]], object]


def per_issue(con: duckdb.DuckDBPyConnection, warehouse: Warehouse, bundles: list[IssueBundle]) -> None:
    for bundle in bundles:
        bulk_load.load_issues(con, warehouse, [bundle], "bench", datetime.now)


def in_transactions_of(size: int) -> Loader:
    def load_all(con: duckdb.DuckDBPyConnection, warehouse: Warehouse, bundles: list[IssueBundle]) -> None:
        for start in range(0, len(bundles), size):
            bulk_load.load_issues(con, warehouse, bundles[start : start + size], "bench", batch_writer=True)

    return load_all


def timed(loader: Loader, bundles: list[IssueBundle], batch: int) -> tuple[float, float]:
    """Load into a fresh warehouse opened once per batch; return CPU and wall ms per issue."""
    warehouse = Warehouse(str(scratch_folder("newsprint-transactions-") / "warehouse.duckdb"))
    with load.open_warehouse(warehouse):
        pass  # the schema, before the clock
    cpu, wall = time.process_time(), time.perf_counter()
    for start in range(0, len(bundles), batch):
        with load.open_warehouse(warehouse) as con:
            loader(con, warehouse, bundles[start : start + batch])
    per = 1000 / len(bundles)
    return (time.process_time() - cpu) * per, (time.perf_counter() - wall) * per


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--issues", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    paths = build_archive(scratch_folder("newsprint-transactions-"), args.issues)
    parsed = [parse_issue(read_issue(str(p), p.read_bytes()), date.today()) for p in paths]
    bundles = bundle_issues(parsed, validate_issues(parsed))
    runs = [
        ("one transaction per issue (the daily run's writer)", per_issue),
        ("one transaction per issue (the backfill's writer, batches of 1)", in_transactions_of(1)),
        (f"one transaction per batch of {args.batch_size} (bulk_load)", in_transactions_of(args.batch_size)),
    ]
    print(f"{args.issues} issues, warehouse opened per batch of {args.batch_size}\n")
    print("| writer | gate | CPU ms per issue | wall ms per issue |")
    print("|---|---|---:|---:|")
    for name, loader in runs:
        cpu, wall = timed(loader, bundles, args.batch_size)
        print(f"| {name} | Pandera | {cpu:.1f} | {wall:.1f} |")
    gate = bulk_load.gate_issues
    bulk_load.gate_issues = lambda parts: [LoadFrames(i, r, f) for i, r, f, _ in parts]  # type: ignore[assignment]
    try:
        for name, loader in runs[1:]:
            cpu, wall = timed(loader, bundles, args.batch_size)
            print(f"| {name} | none | {cpu:.1f} | {wall:.1f} |")
    finally:
        bulk_load.gate_issues = gate


if __name__ == "__main__":
    main()
