"""What the read copy costs a run, and what a reader costs it: the end of a daily run, timed.

    .venv/bin/python -m bench.read_copy [--archive-issues 3650] [--repeat 3]

Every run ends by checkpointing the warehouse (its file alone is then complete) and copying
the file to `<warehouse>.read.duckdb` (flows/storage/read_copy.py). On a warehouse already holding N
synthetic daily issues (a copy of it for each measurement), the sample's daily load is done
with plain calls, then the end of the run is timed three ways: closing without a checkpoint
(DuckDB keeps the WAL; what a run's end cost before), the checkpoint alone, and the copy.

Then the daily flow itself (`daily_ingest`, Prefect's temporary server already started) on a
copy of the same warehouse: nobody reading, with and without the read copy; an analyst's
process holding the read copy open (the run must complete, unchanged); an analyst's process
holding the warehouse itself (the run waits NEWSPRINT_LOCK_TIMEOUT=1 s, retries once, then
fails naming it).
Wall-clock seconds, medians; run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import duckdb

from bench import copy_warehouse, scratch_folder
from bench.prefect_overhead import archive_warehouse
from flows import bulk_load, ingest, load
from flows.settings import SAMPLE_ISSUE, Settings
from flows.storage import read_copy, search
from flows.storage.warehouse import Warehouse, parse_warehouse
from flows.transform import transform_issue

HOLD = (
    "import sys, duckdb; con = duckdb.connect(sys.argv[1], read_only=True); "
    "print('in', flush=True); sys.stdin.read()"
)


def fresh_warehouse(root: Path, archive: Path | None) -> str:
    """A new folder with a copy of the archive's warehouse (or none yet)."""
    folder = Path(tempfile.mkdtemp(dir=root))
    warehouse = folder / "warehouse.duckdb"
    if archive is not None:
        copy_warehouse(archive, warehouse)
    return str(warehouse)


def load_sample(con: duckdb.DuckDBPyConnection, warehouse: Warehouse) -> None:
    """Load the sample issue and refresh the search index, as a daily run does."""
    issue = ingest.read_issue(str(SAMPLE_ISSUE), SAMPLE_ISSUE.read_bytes())
    bundle = transform_issue(issue, date.today(), Settings().checks)
    bulk_load.load_issues(con, warehouse, [bundle], "bench", datetime.now)
    search.refresh_index(con, warehouse)


def end_of_run(root: Path, archive: Path | None) -> tuple[float, float, float, int, int]:
    """Time a daily load's end: a close without checkpoint, and (on another copy) checkpoint + copy."""
    target = parse_warehouse(fresh_warehouse(root, archive))
    con = load.open_writer(target)
    load_sample(con, target)
    started = time.perf_counter()
    load.close_writer(target, con)  # checkpoints only a WAL past 16 MB
    close_only = time.perf_counter() - started
    warehouse = fresh_warehouse(root, archive)
    target = parse_warehouse(warehouse)
    with load.open_warehouse(target) as con:
        load_sample(con, target)
        copy = read_copy.read_copy_path(target)
        published = read_copy.finish(con, target, copy)
    assert published is not None
    wal = Path(warehouse + ".wal")
    return (
        close_only,
        published.checkpoint_seconds,
        published.copy_seconds,
        published.bytes,
        wal.stat().st_size if wal.exists() else 0,
    )


@contextmanager
def held_open(database: str) -> Iterator[subprocess.Popen[str]]:
    """An analyst's process with a read-only connection open on `database`."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, database], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "in"
    try:
        yield process
    finally:
        process.communicate("", timeout=60)


def timed_daily(inbox: Path, warehouse: str) -> tuple[float, str]:
    """Run daily_ingest once; return its seconds and its final state's name."""
    from flows.pipeline import daily_ingest

    started = time.perf_counter()
    state = daily_ingest(str(inbox), warehouse, return_state=True, settle_seconds=0)  # copied whole
    return time.perf_counter() - started, state.name


def flow_runs(root: Path, archive: Path | None, repeat: int) -> dict[str, tuple[float, str]]:
    """Time the daily flow with nobody reading, a reader on the read copy, a reader on the warehouse."""
    inbox = root / "inbox"
    inbox.mkdir(exist_ok=True)
    (inbox / SAMPLE_ISSUE.name).write_bytes(SAMPLE_ISSUE.read_bytes())
    timed_daily(inbox, fresh_warehouse(root, archive))  # warm: Prefect's start-up, the segmenter

    def nobody() -> tuple[float, str]:
        return timed_daily(inbox, fresh_warehouse(root, archive))

    def no_read_copy() -> tuple[float, str]:
        os.environ["NEWSPRINT_READ_COPY"] = "off"  # the checkpoint alone
        try:
            return timed_daily(inbox, fresh_warehouse(root, archive))
        finally:
            del os.environ["NEWSPRINT_READ_COPY"]

    def reader_of_the_copy() -> tuple[float, str]:
        warehouse = fresh_warehouse(root, archive)
        with load.open_warehouse(parse_warehouse(warehouse)) as con:
            read_copy.finish(
                con, parse_warehouse(warehouse), read_copy.read_copy_path(parse_warehouse(warehouse))
            )
        with held_open(str(read_copy.read_copy_path(parse_warehouse(warehouse)))):
            return timed_daily(inbox, warehouse)

    def reader_of_the_warehouse() -> tuple[float, str]:
        warehouse = fresh_warehouse(root, archive)
        with load.open_warehouse(
            parse_warehouse(warehouse)
        ):  # there is a file to hold, even without an archive
            pass
        with held_open(warehouse):
            return timed_daily(inbox, warehouse)

    cases: dict[str, Callable[[], tuple[float, str]]] = {
        "nobody reading": nobody,
        "nobody reading, NEWSPRINT_READ_COPY=off (checkpoint, no copy)": no_read_copy,
        "a reader holds the read copy": reader_of_the_copy,
        "a reader holds the warehouse (timeout 1 s, 1 retry)": reader_of_the_warehouse,
    }
    results = {}
    for name, case in cases.items():
        runs = [case() for _ in range(repeat)]
        results[name] = (statistics.median(r[0] for r in runs), "/".join(sorted({r[1] for r in runs})))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--archive-issues", type=int, default=0, help="issues already in the warehouse")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.update(NEWSPRINT_LOCK_TIMEOUT="1", NEWSPRINT_LOCK_RETRIES="1", NEWSPRINT_LOCK_RETRY_DELAY="0")
    root = scratch_folder("newsprint-read-copy-bench-")
    archive = archive_warehouse(root, args.archive_issues)
    ends = [end_of_run(root, archive) for _ in range(args.repeat)]
    close_only, checkpoint_s, copy_s = (statistics.median(e[i] for e in ends) for i in range(3))
    size, wal = ends[-1][3], ends[-1][4]
    flows = flow_runs(root, archive, args.repeat)

    print(f"Read copy ({datetime.now():%Y-%m-%d %H:%M}, load average {os.getloadavg()[0]:.1f}, ", end="")
    print(f"{args.archive_issues} issues in the warehouse before the sample's daily run)\n")
    print("| measurement | value |")
    print("|---|---:|")
    print(f"| warehouse file after the run, checkpointed (= the read copy) | {size / 1e6:.1f} MB |")
    print(f"| WAL left after the run's checkpoint | {wal} bytes |")
    print(f"| the run's end without a checkpoint (close, WAL kept) | {close_only:.2f} s |")
    print(f"| **checkpoint at the end of the run** | **{checkpoint_s:.2f} s** |")
    print(f"| **copying the file to the read copy** (renamed into place) | **{copy_s:.2f} s** |")
    for name, (seconds, states) in flows.items():
        print(f"| daily flow, {name} | {seconds:.2f} s, {states} |")
    print(f"\n(medians of {args.repeat})")


if __name__ == "__main__":
    main()
