"""The fixed costs a user meets: `newsprint run` of one real-size issue, and `newsprint sql "select 1"`.

    .venv/bin/python -m bench.daily_run [--archive-issues 365] [--repeat 5] [--corpus DIR]

Each command runs as a user (or a scheduler) runs it: a new process, from its start to its
exit. `newsprint run` loads one real-size issue (bench/real_size.py) against a running Prefect
server (PREFECT_API_URL, or one this script starts, as a deployment has one), into a copy of a
warehouse that already holds `--archive-issues` real-size issues (backfilled first, without
Prefect); the same command without PREFECT_API_URL shows what Prefect's temporary server costs.
Beside them: the served run without the read copy (NEWSPRINT_READ_COPY=off: what publishing
it costs), the same stages in a new process without Prefect (bench.daily_run --stages), and
`newsprint sql "select 1"` on that warehouse. Medians of `--repeat` runs, wall seconds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path

from bench import copy_warehouse, real_size, scratch_folder
from bench.prefect_server import running_prefect_server

ARRIVED_BEFORE_S = 3600  # how long before its run the day's issue arrived (the settle time is 30 s)


def timed(command: list[str], env: dict[str, str]) -> float:
    """Run a command to its end; return its wall seconds."""
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def fresh_copy(root: Path, issue: Path, archive: Path | None) -> tuple[Path, Path]:
    """An inbox holding the issue, and a warehouse: a copy of the archive's, or none yet.

    The issue is dated an hour back, as a file that arrived before its run: one copied just
    now is within the run's settle time and would be left for the next run, not loaded.
    """
    folder = root / uuid.uuid4().hex[:8]
    (folder / "inbox").mkdir(parents=True)
    shutil.copyfile(issue, folder / "inbox" / issue.name)
    arrived = time.time() - ARRIVED_BEFORE_S
    os.utime(folder / "inbox" / issue.name, (arrived, arrived))
    if archive is not None:
        copy_warehouse(archive, folder / "warehouse.duckdb")
        # on disk before the run, as a deployment's warehouse is: the run's checkpoint syncs the
        # file, and would otherwise write the whole copy the benchmark just made
        descriptor = os.open(folder / "warehouse.duckdb", os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    return folder / "inbox", folder / "warehouse.duckdb"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--archive-issues", type=int, default=365, help="real-size issues already loaded")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--corpus", type=Path, help="the People's Daily dump (default: NEWSPRINT_CORPUS)")
    parser.add_argument("--stages", nargs=2, metavar=("INBOX", "WAREHOUSE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stages:
        from bench.harness import daily_without_prefect

        daily_without_prefect(Path(args.stages[0]), args.stages[1])
        return
    root = scratch_folder("newsprint-daily-run-")
    corpus = real_size.corpus_folder(args.corpus)
    paths = real_size.build_archive(root / "issues", args.archive_issues + 1, corpus)
    archive, issue = None, paths[-1]
    if args.archive_issues:
        from bench.harness import backfill_without_prefect
        from flows import load
        from flows.settings import Settings
        from flows.storage import read_copy
        from flows.storage.warehouse import parse_warehouse

        (root / "archive").mkdir()
        for path in paths[:-1]:
            path.rename(root / "archive" / path.name)
        archive = root / "archive.duckdb"
        settings = Settings()
        backfill_without_prefect(root / "archive", str(archive), settings.workers, settings.batch_size)
        target = parse_warehouse(str(archive))
        with load.open_warehouse(target) as con:  # as a backfill flow's end (and every run's) leaves it
            read_copy.finish(con, target, None)
    base = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    newsprint = [sys.executable, "-m", "flows"]

    def runs(command_of: object, env: dict[str, str]) -> list[float]:
        out = []
        for _ in range(args.repeat):
            inbox, warehouse = fresh_copy(root / "runs", issue, archive)
            out.append(timed(command_of(inbox, warehouse), env))  # type: ignore[operator]
        return out

    def run_command(inbox: Path, warehouse: Path) -> list[str]:
        return [*newsprint, "run", "--inbox", str(inbox), "--warehouse", str(warehouse)]

    def stages_command(inbox: Path, warehouse: Path) -> list[str]:
        return [sys.executable, "-m", "bench.daily_run", "--stages", str(inbox), str(warehouse)]

    with running_prefect_server(root / "prefect") as api_url:
        served = {**base, "PREFECT_API_URL": api_url}
        timed(run_command(*fresh_copy(root / "runs", issue, archive)), served)  # the server's first run
        daily = runs(run_command, served)
        no_copy = runs(run_command, {**served, "NEWSPRINT_READ_COPY": "off"})
    temporary = runs(run_command, base)
    stages = runs(stages_command, base)
    _, warehouse = fresh_copy(root / "runs", issue, archive)
    if archive is None:
        timed(run_command(*fresh_copy(root / "sql", issue, None)), base)
        warehouse = next((root / "sql").glob("*/warehouse.duckdb"))
    sql = [
        timed([*newsprint, "sql", "select 1", "--warehouse", str(warehouse)], base)
        for _ in range(args.repeat)
    ]
    size = issue.stat().st_size / 1000
    print(
        f"{datetime.now():%Y-%m-%d %H:%M}, load average {os.getloadavg()[0]:.1f}; one issue of {size:.0f} kB"
    )
    print(
        f"into a warehouse of {args.archive_issues} real-size issues; medians of {args.repeat} runs, wall s\n"
    )
    print("| command | wall s (median) | runs |")
    print("|---|---:|---|")
    for name, values in (
        ("`newsprint run`, Prefect server running (PREFECT_API_URL)", daily),
        ("the same, no read copy (NEWSPRINT_READ_COPY=off)", no_copy),
        ("`newsprint run`, no PREFECT_API_URL (temporary server)", temporary),
        ("the same stages, no Prefect (bench.daily_run --stages)", stages),
        ('`newsprint sql "select 1"`', sql),
    ):
        print(f"| {name} | {statistics.median(values):.2f} | {', '.join(f'{v:.2f}' for v in values)} |")


if __name__ == "__main__":
    main()
