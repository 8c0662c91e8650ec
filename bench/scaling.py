"""Measure the warehouse kinds against each other: backfill time, and analysts reading during a backfill.

    .venv/bin/python -m bench.scaling [--issues 48] [--readers 2] [--repeat 1] [--pg "dbname=… host=… user=…"]

Builds a synthetic archive (`bench/synthetic.py`), starts a throwaway PostgreSQL with
`.ci/postgres.sh` (unless `--pg` names one) and a Prefect server on 127.0.0.1, then, for a
DuckDB file, a DuckLake with a file catalog and a DuckLake with a PostgreSQL catalog:

1. runs `newsprint backfill` over the archive and reads its wall time from the `runs` table;
2. runs it again into a fresh warehouse while `--readers` threads each run `flows.query.run_query`
   in a loop (what `newsprint sql` does: a connection per query, waiting at most
   `--read-timeout` for a writer), and reports the reads that overlapped the backfill: how many
   answered, how many were refused and why, and how long an answer took; on the PostgreSQL
   lake also with one connection kept open per analyst (a notebook), which a DuckDB file
   cannot allow during a write.

On the PostgreSQL lake it also runs two backfills at once over the two halves of the archive,
as two Prefect workers would. Prints a Markdown report (and writes it with `--out FILE`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from bench.prefect_server import free_port, running_prefect_server
from bench.synthetic import FIRST_DAY, build_archive
from flows import load
from flows.query import QueryError, run_query
from flows.settings import PROJECT_ROOT
from flows.storage.warehouse import parse_warehouse

READ = "select count(*) as articles from articles"
NEWSPRINT = Path(sys.executable).parent / "newsprint"


@dataclass(frozen=True)
class Read:
    """One analyst query: when it ran, and the message if it was refused."""

    started: datetime
    ended: datetime
    refused: str | None = None

    @property
    def seconds(self) -> float:
        return (self.ended - self.started).total_seconds()


def start_postgres(root: Path) -> str:
    """Start a throwaway PostgreSQL with the project's CI script; return its conninfo."""
    root.chmod(0o755)  # the server runs as the postgres user
    script = PROJECT_ROOT / ".ci" / "postgres.sh"
    started = subprocess.run(
        ["bash", str(script), "start", str(root / "cluster"), str(free_port())],
        capture_output=True,
        text=True,
        check=True,
    )
    return started.stdout.strip()


def stop_postgres(root: Path) -> None:
    subprocess.run(
        ["bash", str(PROJECT_ROOT / ".ci" / "postgres.sh"), "destroy", str(root / "cluster")], check=False
    )


def warehouses(root: Path, conninfo: str, name: str) -> dict[str, str]:
    """Return a fresh warehouse setting of each kind, named `name`."""
    folder = root / name
    return {
        "DuckDB file": str(folder / "warehouse.duckdb"),
        "DuckLake, file catalog": f"ducklake:{folder / 'catalog.ducklake'} DATA_PATH {folder / 'data'}",
        "DuckLake, PostgreSQL catalog": (
            f"ducklake:postgres:{conninfo} DATA_PATH {folder / 'pg-data'} METADATA_SCHEMA {name}"
        ),
    }


def start_backfill(
    env: dict[str, str], archive: Path, warehouse: str, workers: int, since: date | None, until: date | None
) -> subprocess.Popen[bytes]:
    """Start `newsprint backfill` in its own process, as a worker would run it."""
    command = [str(NEWSPRINT), "backfill", str(archive), "--warehouse", warehouse, "--no-progress"]
    command += ["--workers", str(workers)]
    if since and until:
        command += ["--since", since.isoformat(), "--until", until.isoformat()]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait(process: subprocess.Popen[bytes]) -> None:
    _, stderr = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"backfill failed:\n{stderr.decode(errors='replace')[-3000:]}")


def run_window(warehouse: str) -> tuple[datetime, datetime, int]:
    """Return the first start, last end and loaded files of the warehouse's backfill runs."""
    _, rows = run_query(
        parse_warehouse(warehouse), "select min(started_at), max(ended_at), sum(files_loaded) from runs"
    )
    return rows[0]  # type: ignore[return-value]


def read_until(warehouse: str, writer: subprocess.Popen[bytes], reads: list[Read], timeout_s: float) -> None:
    """Query the warehouse in a loop while the writer runs, noting each read's outcome."""
    while writer.poll() is None:
        started = datetime.now()
        try:
            run_query(parse_warehouse(warehouse), READ, timeout_s=timeout_s)
        except QueryError as error:
            reads.append(Read(started, datetime.now(), str(error)))
        else:
            reads.append(Read(started, datetime.now()))


def read_in_session(
    warehouse: str, writer: subprocess.Popen[bytes], reads: list[Read], timeout_s: float
) -> None:
    """Keep one read-only connection (a notebook's) and query in a loop while the writer runs.

    Each read is its own transaction, so it sees the lake's latest snapshot. Only a lake allows
    this: a reader holding a DuckDB file open keeps every writer out until it closes.
    """
    con = load.connect(parse_warehouse(warehouse), read_only=True, timeout_s=timeout_s)
    try:
        while writer.poll() is None:
            started = datetime.now()
            con.execute(READ).fetchall()
            reads.append(Read(started, datetime.now()))
    finally:
        con.close()


Reader = Callable[[str, subprocess.Popen[bytes], list[Read], float], None]


def measure_readers(
    env: dict[str, str], archive: Path, warehouse: str, readers: int, timeout_s: float, reader: Reader
) -> tuple[list[Read], float]:
    """Backfill into an empty warehouse while reader threads query it; keep the overlapping reads."""
    with load.open_warehouse(parse_warehouse(warehouse)):
        pass  # the tables exist before the first read
    writer = start_backfill(env, archive, warehouse, 2, None, None)
    reads: list[Read] = []
    threads = [
        threading.Thread(target=reader, args=(warehouse, writer, reads, timeout_s)) for _ in range(readers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wait(writer)
    first, last, _ = run_window(warehouse)
    return [r for r in reads if r.started >= first and r.ended <= last], (last - first).total_seconds()


def backfill_seconds(env: dict[str, str], archive: Path, warehouse: str, issues: int) -> float:
    """Run one backfill of the whole archive; return its wall time from the `runs` table."""
    wait(start_backfill(env, archive, warehouse, 2, None, None))
    first, last, loaded = run_window(warehouse)
    assert loaded == issues, f"{loaded} of {issues} issues loaded into {warehouse}"
    return (last - first).total_seconds()


def fan_out_seconds(env: dict[str, str], archive: Path, warehouse: str, issues: int) -> float:
    """Run two backfills at once, one per half of the archive, one worker process each."""
    middle = FIRST_DAY.toordinal() + issues // 2
    halves = [
        (FIRST_DAY, date.fromordinal(middle - 1)),
        (date.fromordinal(middle), date.fromordinal(FIRST_DAY.toordinal() + issues - 1)),
    ]
    writers = [start_backfill(env, archive, warehouse, 1, since, until) for since, until in halves]
    for writer in writers:
        wait(writer)
    first, last, loaded = run_window(warehouse)
    assert loaded == issues, f"{loaded} of {issues} issues loaded into {warehouse}"
    return (last - first).total_seconds()


def percentile(values: list[float], share: float) -> str:
    if not values:
        return "–"
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(share * len(ordered)))]:.2f}"


def report(
    read_timeout: float,
    repeat: int,
    issues: int,
    readers: int,
    backfill: dict[str, float],
    fan_out: float,
    reading: dict[str, tuple[list[Read], float]],
) -> str:
    """Lay the measurements out as the tables of docs/benchmarks.md."""
    load1, _, _ = os.getloadavg()
    lines = [
        f"{issues} synthetic issues, {os.cpu_count()} cores, load average {load1:.1f} at the end; "
        f"backfill with 2 worker processes, median of {repeat} run(s) per kind.",
        "",
        "| warehouse | backfill s | issues/s |",
        "|---|---:|---:|",
    ]
    for name, seconds in backfill.items():
        lines.append(f"| {name} | {seconds:.1f} | {issues / seconds:.2f} |")
    lines.append(
        f"| DuckLake, PostgreSQL catalog: two backfills at once (halves, 1 process each) | {fan_out:.1f} "
        f"| {issues / fan_out:.2f} |"
    )
    lines += [
        "",
        f"{readers} analysts query `{READ}` in a loop while a backfill writes (a read waits at most "
        f"{read_timeout:g} s for the writer, like `NEWSPRINT_QUERY_TIMEOUT={read_timeout:g} newsprint sql`); "
        "the reads that began and ended within the backfill's run:",
        "",
        "| warehouse | backfill s | reads answered | reads refused | answer p50 s | p95 s | max s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    refusals: dict[str, str] = {}
    for name, (reads, seconds) in reading.items():
        answered = [r.seconds for r in reads if r.refused is None]
        refused = [r.refused for r in reads if r.refused is not None]
        if refused:
            refusals[name] = refused[0]
        lines.append(
            f"| {name} | {seconds:.1f} | {len(answered)} | {len(refused)} | "
            f"{percentile(answered, 0.5)} | {percentile(answered, 0.95)} | {percentile(answered, 1.0)} |"
        )
    if refusals:
        lines += ["", "A refused read says:", ""]
        lines += [f"- {name}: `{message}`" for name, message in refusals.items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=48)
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="backfills per kind (the median is reported)")
    parser.add_argument(
        "--read-timeout", type=float, default=2.0, help="seconds a read waits for a writer to finish"
    )
    parser.add_argument("--pg", help="libpq conninfo of a PostgreSQL to use instead of starting one")
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="newsprint-scaling-"))
    archive = root / "archive"
    build_archive(archive, args.issues)
    conninfo = args.pg or start_postgres(root)
    try:
        with running_prefect_server(root / "prefect") as api_url:
            env = {**os.environ, "PREFECT_API_URL": api_url, "NEWSPRINT_LOCK_TIMEOUT": "600"}
            timings: dict[str, list[float]] = {}
            for repeat in range(args.repeat):  # the kinds take turns, so a busy moment hits all alike
                for name, target in warehouses(root, conninfo, f"timed{repeat}").items():
                    timings.setdefault(name, []).append(backfill_seconds(env, archive, target, args.issues))
            backfill = {name: statistics.median(seconds) for name, seconds in timings.items()}
            print(backfill, flush=True)
            fan_out_target = warehouses(root, conninfo, "fanout")["DuckLake, PostgreSQL catalog"]
            fan_out = fan_out_seconds(env, archive, fan_out_target, args.issues)
            print({"fan-out": fan_out}, flush=True)
            reading = {
                f"{name}, a connection per query": measure_readers(
                    env, archive, target, args.readers, args.read_timeout, read_until
                )
                for name, target in warehouses(root, conninfo, "read").items()
            }
            session_target = warehouses(root, conninfo, "session")["DuckLake, PostgreSQL catalog"]
            reading["DuckLake, PostgreSQL catalog, one open connection per analyst"] = measure_readers(
                env, archive, session_target, args.readers, args.read_timeout, read_in_session
            )
    finally:
        if not args.pg:
            stop_postgres(root)
    text = report(args.read_timeout, args.repeat, args.issues, args.readers, backfill, fan_out, reading)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
