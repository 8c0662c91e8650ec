"""What Prefect costs: its start-up, a task run, and the daily run of one issue beyond start-up.

    .venv/bin/python -m bench.prefect_overhead [--tasks 200] [--repeat 3] [--archive-issues 3650]

1. Start-up: the first flow run of a process (a trivial flow), which starts Prefect's
   temporary API server and its client when PREFECT_API_URL is not set.
2. Per task: a flow calling a trivial task N times, timed inside the flow, against the same
   N plain calls; and an empty flow run with and without Prefect's flow-run heartbeats.
3. The daily run: `daily_ingest` on the sample issue into a fresh warehouse, the API already
   running, against the same stage functions called without Prefect (read, transform, load
   in one transaction, search index, run row, quality report). With `--archive-issues N`, the
   warehouse already holds N synthetic daily issues (ten years: 3650), as a real one would:
   each run gets a copy of it.
4. The daily run as a schedule runs it: in a fresh process (a served deployment starts one
   per flow run), so it also imports the stages, builds the segmenter and reads the IDF
   table. Each such process starts Prefect with an empty flow run, then times another empty
   flow run (Prefect's own cost per run) and `daily_ingest`.

Prefect is imported here on purpose: this script measures it (flows/ imports it only in
flows/pipeline.py). Wall-clock times; run it on a quiet machine and repeat.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")  # as flows/__init__.py

from prefect import flow, task
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

from bench import copy_warehouse, scratch_folder
from bench.harness import daily_without_prefect
from flows.settings import SAMPLE_ISSUE, Settings

T = TypeVar("T")


def add(a: int, b: int) -> int:
    """The trivial work of one task."""
    return a + b


add_task = task(add, name="add")
tagged_add_task = task(add, name="add-tagged", tags=["io", "cpu"])  # as the pipeline's tasks were


@flow(name="bench-empty")
def empty_flow() -> None:
    """Do nothing: its first run times Prefect's start-up."""


@flow(name="bench-tasks")
def tasks_flow(count: int, tagged: bool = False) -> float:
    """Call a trivial task `count` times; return the seconds the calls took inside the flow.

    Timed inside: the flow run's own wall time also holds its end (below), which is not per task.
    With tags, each task run asks the API for tag-concurrency slots.
    """
    run = tagged_add_task if tagged else add_task
    started, total = time.perf_counter(), 0
    for n in range(count):
        total = run(total, n)
    return time.perf_counter() - started


def without_heartbeats(work: Callable[[], object]) -> Callable[[], object]:
    """Run `work` with Prefect's flow-run heartbeats off, to show what they cost a run's end.

    Prefect 3.9 sends a flow run's heartbeats from a thread that sleeps a second at a time, and
    the run's end joins it: up to a second per run (prefect/flow_engine.py, _send_heartbeats).
    """

    def run() -> object:
        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            return work()

    return run


def plain_calls(count: int) -> int:
    """Call the same function `count` times without Prefect."""
    total = 0
    for n in range(count):
        total = add(total, n)
    return total


def timed(work: Callable[[], T]) -> tuple[T, float]:
    """Return what `work` returns, and its wall seconds."""
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def seconds(work: Callable[[], object]) -> float:
    return timed(work)[1]


def fresh_inbox(root: Path, archive: Path | None = None) -> tuple[Path, str]:
    """Make an inbox holding the sample, and a warehouse: none yet, or a copy of `archive`'s."""
    folder = Path(tempfile.mkdtemp(dir=root))
    inbox = folder / "inbox"
    inbox.mkdir()
    (inbox / SAMPLE_ISSUE.name).write_bytes(SAMPLE_ISSUE.read_bytes())
    warehouse = folder / "warehouse.duckdb"
    if archive is not None:
        copy_warehouse(archive, warehouse)
    return inbox, str(warehouse)


def archive_warehouse(root: Path, issues: int) -> Path | None:
    """Backfill `issues` synthetic daily issues (without Prefect) into a warehouse to copy, if any."""
    if issues <= 0:
        return None
    from bench.harness import backfill_without_prefect
    from bench.synthetic import build_archive

    build_archive(root / "archive", issues)
    warehouse = root / "archive.duckdb"
    settings = Settings()
    backfill_without_prefect(root / "archive", str(warehouse), settings.workers, settings.batch_size)
    return warehouse


def daily_in_fresh_process(archive: Path | None) -> tuple[float, float]:
    """Time an empty flow run and `daily_ingest`, in a new process after Prefect's start-up."""
    command = [sys.executable, "-m", "bench.prefect_overhead", "--fresh-daily", str(archive or "")]
    project = Path(__file__).resolve().parent.parent
    done = subprocess.run(command, cwd=project, check=True, capture_output=True, text=True)
    empty, daily = done.stdout.split()[-2:]
    return float(empty), float(daily)


def fresh_daily(archive: str) -> None:
    """In this new process: start Prefect, then time an empty flow run and one daily run."""
    from flows.pipeline import daily_ingest

    empty_flow()  # Prefect's start-up
    inbox, warehouse = fresh_inbox(
        scratch_folder("newsprint-fresh-daily-"), Path(archive) if archive else None
    )
    empty = seconds(empty_flow)
    print(f"{empty:.3f} {seconds(partial(daily_ingest, str(inbox), warehouse)):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--archive-issues", type=int, default=0, help="issues already in the warehouse")
    parser.add_argument("--fresh-daily", metavar="WAREHOUSE", help=argparse.SUPPRESS)  # one process of step 4
    args = parser.parse_args()
    if args.fresh_daily is not None:
        fresh_daily(args.fresh_daily)
        return
    from flows.pipeline import daily_ingest

    root = scratch_folder("newsprint-prefect-bench-")
    startup = seconds(empty_flow)
    warm_flow = statistics.median(seconds(empty_flow) for _ in range(args.repeat))
    no_heartbeat = statistics.median(seconds(without_heartbeats(empty_flow)) for _ in range(args.repeat))
    tasks_flow(5)  # warm the task engine
    runs = [timed(lambda: tasks_flow(args.tasks)) for _ in range(args.repeat)]
    inside, flow_wall = (statistics.median(run[i] for run in runs) for i in (0, 1))
    tagged = statistics.median(tasks_flow(args.tasks, True) for _ in range(args.repeat))
    plain = statistics.median(seconds(lambda: plain_calls(args.tasks)) for _ in range(args.repeat))
    archive = archive_warehouse(root, args.archive_issues)
    daily_without_prefect(*fresh_inbox(root, archive))  # warm: imports, the segmenter, the IDF table
    inbox, warehouse = fresh_inbox(root, archive)
    daily_ingest(str(inbox), warehouse, settle_seconds=0)  # the inbox is copied whole
    flow_runs, plain_runs = [], []
    for _ in range(args.repeat):
        inbox, warehouse = fresh_inbox(root, archive)
        flow_runs.append(seconds(partial(daily_ingest, str(inbox), warehouse, settle_seconds=0)))
        inbox, warehouse = fresh_inbox(root, archive)
        plain_runs.append(seconds(partial(daily_without_prefect, inbox, warehouse)))
    daily, daily_plain = statistics.median(flow_runs), statistics.median(plain_runs)
    fresh = [daily_in_fresh_process(archive) for _ in range(args.repeat)]
    fresh_empty, fresh_daily_run = (statistics.median(run[i] for run in fresh) for i in (0, 1))

    print(f"Prefect overhead ({datetime.now():%Y-%m-%d %H:%M}, load average {os.getloadavg()[0]:.1f})\n")
    print("| measurement | seconds |")
    print("|---|---:|")
    print(f"| Prefect start-up (first flow run of a process, temporary API server) | {startup:.2f} |")
    print(f"| an empty flow run, API running | {warm_flow:.3f} |")
    print(f"| the same without flow-run heartbeats (a run's end waits for them) | {no_heartbeat:.3f} |")
    print(f"| {args.tasks} trivial task runs, timed inside the flow | {inside:.3f} |")
    print(f"| the flow run around them, start to end (median) | {flow_wall:.2f} |")
    print(f"| the same {args.tasks} plain calls | {plain:.4f} |")
    per_task, per_tagged = ((value - plain) / args.tasks * 1000 for value in (inside, tagged))
    print(f"| **one task run** ((inside − plain) / {args.tasks}) | **{per_task:.1f} ms** |")
    print(f"| **one task run with two tags** | **{per_tagged:.1f} ms** |")
    print(f"| warehouse before the run | {args.archive_issues} issues |")
    print(f"| **daily run of the sample beyond start-up** (`daily_ingest`, API running) | **{daily:.2f}** |")
    print(f"| the same stages without Prefect | {daily_plain:.2f} |")
    print(f"| Prefect's share of the daily run (flow − plain) | {daily - daily_plain:.2f} |")
    print(f"| in a fresh process, as a schedule runs it: an empty flow run | {fresh_empty:.2f} |")
    print(f"| **the daily run, in a fresh process** (`daily_ingest`) | **{fresh_daily_run:.2f}** |")


if __name__ == "__main__":
    main()
