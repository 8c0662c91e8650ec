"""What DuckDB's checkpoint costs the writer's memory as a warehouse grows.

    .venv/bin/python -m bench.checkpoint_memory WAREHOUSE [--table articles issues ...]

For each table: copy the warehouse, append one row to the table, and sample this process's
resident set while `close()` checkpoints. The backfill's writer closes the warehouse after
every batch, and its memory peaks there. Run it on warehouses of
different sizes, e.g. the ones `newsprint bench --keep DIR` leaves.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from pathlib import Path

import duckdb
import psutil

from flows.settings import sql

TABLES = ("articles", "issues", "article_terms", "quality_findings")
NEW_ID = "* replace (article_id || '-copy' as article_id)"


def close_cost(warehouse: Path, table: str) -> tuple[float, float]:
    """Append one row to `table` in a copy of the warehouse; return (MB added at close, seconds)."""
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "copy.duckdb"
        shutil.copy(warehouse, copy)
        con = duckdb.connect(str(copy))
        columns = NEW_ID if "article_id" in con.table(table).columns else "*"
        con.execute(sql("bench/copy_one_row").format(table=table, columns=columns))
        me = psutil.Process()
        before = peak = me.memory_info().rss
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, me.memory_info().rss)
                time.sleep(0.005)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.perf_counter()
        con.close()
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
    return (peak - before) / 1e6, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--table", nargs="+", default=list(TABLES), choices=TABLES)
    args = parser.parse_args()
    with duckdb.connect(str(args.warehouse), read_only=True) as con:
        issues = con.execute(sql("bench/issue_count")).fetchone()[0]  # type: ignore[index]
    print(f"{args.warehouse}: {issues} issues\n")
    print("| table appended to | MB added at close | close s |\n|---|---:|---:|")
    for table in args.table:
        added, seconds = close_cost(args.warehouse, table)
        print(f"| {table} | {added:.0f} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
