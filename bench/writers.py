"""Measure one writer against two on a PostgreSQL-catalog lake: backfill wall time on this machine.

    .venv/bin/python -m bench.writers [--issues 96] [--repeat 2] [--out FILE]

Builds a synthetic archive (`bench/synthetic.py`), starts a throwaway PostgreSQL with
`.ci/postgres.sh` and a Prefect server on 127.0.0.1, then, each into a fresh lake, runs
`newsprint backfill` as Prefect workers would:

- one writer with one transform process, and with two (what one machine does alone); one
  writer over half the archive (what each of two machines would do);
- two writers at once, one per half of the archive (dates far apart: their loads never wait
  for each other, flows/storage/lake_locks.py), one transform process each;
- two writers at once over the whole archive, one transform process each: the claims split
  it (flows/storage/lake_claims.py); reports how many files each loaded.

The time is the runs' window in the `runs` table (first start to last end), the median of
`--repeat` rounds; the cases take turns, so a busy moment hits all alike. Prints Markdown.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

from bench.prefect_server import running_prefect_server
from bench.scaling import start_backfill, start_postgres, stop_postgres, wait
from bench.synthetic import FIRST_DAY, build_archive
from flows.query import run_query
from flows.storage.warehouse import parse_warehouse

Writers = list[tuple[int, date | None, date | None]]  # per writer: transform processes, since, until


def halves(issues: int) -> Writers:
    middle = FIRST_DAY.toordinal() + issues // 2
    last = FIRST_DAY.toordinal() + issues - 1
    return [
        (1, FIRST_DAY, date.fromordinal(middle - 1)),
        (1, date.fromordinal(middle), date.fromordinal(last)),
    ]


CASES: dict[str, Callable[[int], Writers]] = {
    "one writer, 1 transform process": lambda issues: [(1, None, None)],
    "one writer, the first half alone, 1 process (a machine's share of two)": lambda issues: halves(issues)[
        :1
    ],
    "one writer, 2 transform processes": lambda issues: [(2, None, None)],
    "two writers at once, one half each, 1 process each": halves,
    "two writers at once, the whole archive each, 1 process each": lambda issues: [(1, None, None)] * 2,
}


def run_case(
    env: dict[str, str], archive: Path, lake: str, writers: Writers, issues: int
) -> tuple[float, list]:
    """Run the writers at once; return the runs' window in seconds and each run's loaded files."""
    expected = issues if len(writers) > 1 or writers[0][1] is None else issues // 2
    started = [
        start_backfill(env, archive, lake, processes, since, until) for processes, since, until in writers
    ]
    for process in started:
        wait(process)
    _, rows = run_query(
        parse_warehouse(lake), "select min(started_at), max(ended_at), sum(files_loaded) from runs"
    )
    first, last, loaded = rows[0]
    assert loaded == expected, f"{loaded} of {expected} issues loaded into {lake}"
    _, per_run = run_query(parse_warehouse(lake), "select files_loaded from runs order by started_at")
    _, once = run_query(parse_warehouse(lake), "select count(*) = count(distinct sha256) from issues")
    assert once == [(True,)]
    return (last - first).total_seconds(), [n for (n,) in per_run]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=96)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="newsprint-writers-"))
    archive = root / "archive"
    build_archive(archive, args.issues)
    conninfo = start_postgres(root)
    seconds: dict[str, list[float]] = {name: [] for name in CASES}
    loaded: dict[str, list] = {}
    try:
        with running_prefect_server(root / "prefect") as api_url:
            env = {**os.environ, "PREFECT_API_URL": api_url, "NEWSPRINT_LOCK_TIMEOUT": "600"}
            for repeat in range(args.repeat):
                for number, (name, writers) in enumerate(CASES.items()):
                    schema = f"w{repeat}_{number}"
                    lake = f"ducklake:postgres:{conninfo} DATA_PATH {root / schema} METADATA_SCHEMA {schema}"
                    took, per_run = run_case(env, archive, lake, writers(args.issues), args.issues)
                    seconds[name].append(took)
                    loaded[name] = per_run
                    print(f"{name}: {took:.1f} s, files loaded per run {per_run}", flush=True)
    finally:
        stop_postgres(root)
    lines = [
        f"{args.issues} synthetic issues into a PostgreSQL-catalog lake, median of {args.repeat}:",
        "",
        "| writers | wall s | issues/s | files loaded per run (last repeat) |",
        "|---|---:|---:|---|",
    ]
    for name, values in seconds.items():
        median = statistics.median(values)
        lines.append(f"| {name} | {median:.1f} | {sum(loaded[name]) / median:.2f} | {loaded[name]} |")
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
