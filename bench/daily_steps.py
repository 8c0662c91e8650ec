"""What each step of the daily run costs, and which steps grow with the warehouse.

    .venv/bin/python -m bench.daily_steps [--archive-issues 31 365] [--days 9] [--corpus DIR]

For each archive size: backfills that many real-size issues (bench/real_size.py, without
Prefect) and checkpoints the warehouse, as a backfill's end leaves it; then runs the daily
stages (as `bench.daily_run --stages`: open, transform, load, search index, run record,
quality report, checkpoint and read copy, close) for `--days` successive issues, each in turn,
in one process. It prints the CPU milliseconds of each step, the median over the days after the
first (whose segmenter and first queries are the process's start-up). CPU time, unlike wall
time, does not grow when other jobs share the machine; the read copy's is the kernel's copy.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TypeVar

from bench import real_size, scratch_folder

T = TypeVar("T")
STEPS = ("open", "transform", "load", "index", "record", "report", "checkpoint", "read copy", "close")


def daily_steps(warehouse: str, days: list[Path]) -> dict[str, list[float]]:
    """Run the daily stages for each day's issue in turn; return each step's CPU seconds, day by day."""
    from flows import bulk_load, ingest, load
    from flows.reports import quality
    from flows.reports.report import IssueOutcome, RunStats
    from flows.settings import Settings
    from flows.storage import checkpoint, read_copy, search
    from flows.storage.warehouse import parse_warehouse
    from flows.transform import transform_issue

    settings = Settings()
    seconds: dict[str, list[float]] = {step: [] for step in STEPS}

    def timed(step: str, work: Callable[..., T], *args: object, **kwargs: object) -> T:
        started = time.process_time()
        try:
            return work(*args, **kwargs)
        finally:
            seconds[step].append(time.process_time() - started)

    target = parse_warehouse(warehouse)
    database, copy = Path(warehouse), read_copy.read_copy_path(target)
    for path in days:
        stats = RunStats(run_id=str(uuid.uuid4()), flow_name="daily-ingest", started_at=datetime.now())
        opened = load.open_warehouse(target, settings.lock_timeout_s)
        con = timed("open", opened.__enter__)
        issue = ingest.read_issue(str(path), path.read_bytes())
        bundle = timed("transform", transform_issue, issue, date.today(), settings.checks)
        timed("load", bulk_load.load_issues, con, target, [bundle], stats.run_id)
        stats.outcomes.append(IssueOutcome(str(path), "loaded", sha256=issue.sha256))
        timed("index", search.refresh_index, con, target)
        stats.ended_at = datetime.now()
        timed("record", load.record_run, con, stats.row())
        timed("report", quality.read_report, con, issues=[issue.sha256])
        # read_copy.finish in its two steps: the checkpoint, then (nothing left to checkpoint) the copy
        timed("checkpoint", checkpoint.checkpoint, con, database)
        timed("read copy", read_copy.finish, con, target, copy)
        timed("close", opened.__exit__, None, None, None)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--archive-issues", type=int, nargs="+", default=[31, 365])
    parser.add_argument("--days", type=int, default=9, help="successive daily issues loaded")
    parser.add_argument("--corpus", type=Path, help="the People's Daily dump (default: NEWSPRINT_CORPUS)")
    args = parser.parse_args()
    from bench.harness import backfill_without_prefect
    from flows import load
    from flows.settings import Settings
    from flows.storage import read_copy
    from flows.storage.warehouse import parse_warehouse

    root = scratch_folder("newsprint-daily-steps-")
    corpus = real_size.corpus_folder(args.corpus)
    settings = Settings()
    rows = []
    for size in args.archive_issues:
        folder = root / str(size)
        paths = real_size.build_archive(folder / "issues", size + args.days, corpus)
        (folder / "archive").mkdir()
        for path in paths[:size]:
            path.rename(folder / "archive" / path.name)
        warehouse = str(folder / "warehouse.duckdb")
        backfill_without_prefect(folder / "archive", warehouse, settings.workers, settings.batch_size)
        target = parse_warehouse(warehouse)
        with load.open_warehouse(target) as con:  # as a backfill flow's end (and every run's) leaves it
            read_copy.finish(con, target, None)
        seconds = daily_steps(warehouse, paths[size:])
        rows.append((size, Path(warehouse).stat().st_size / 1e6, seconds))
    print(f"CPU ms per daily issue, median of days 2–{args.days}; {datetime.now():%Y-%m-%d %H:%M}\n")
    print("| step | " + " | ".join(f"{size} issues ({mb:.0f} MB)" for size, mb, _ in rows) + " |")
    print("|---|" + "---:|" * len(rows))
    for step in (*STEPS, "all"):
        cells = []
        for _, _, seconds in rows:
            per_day = (
                [sum(day) for day in zip(*seconds.values(), strict=True)] if step == "all" else seconds[step]
            )
            cells.append(f"{1000 * statistics.median(per_day[1:]):.0f}")
        print(f"| {step} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
