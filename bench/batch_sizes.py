"""Choose the backfill's batch size and worker count: time, CPU and memory of each choice.

    .venv/bin/python -m bench.batch_sizes [--issues 365] [--runs 2x32 2x64 2x128 1x64]

Backfills one synthetic archive without Prefect (the same functions as the flow, see
bench/harness.py) once per WORKERSxBATCH choice, each into a fresh warehouse, and prints the
wall and CPU seconds, the writer's share, and the peak memory of the process and its workers.
A batch is one DuckDB transaction and one warehouse open and close (a checkpoint), so larger
batches cost the single writer less per issue; the flow keeps two batches per worker, and one
more, in flight (backfill.in_flight_limit), so they also hold more issues in memory.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from bench import scratch_folder
from bench.harness import backfill_without_prefect
from bench.synthetic import build_archive


def measure_one(archive: Path, run: str) -> dict[str, float]:
    """Backfill the archive with one WORKERSxBATCH choice into a fresh warehouse."""
    workers, batch = (int(n) for n in run.split("x"))
    warehouse = str(archive.parent / f"warehouse-{run}.duckdb")
    phase = backfill_without_prefect(archive, warehouse, workers, batch)
    return {
        "workers": workers,
        "batch": batch,
        "seconds": phase.seconds,
        "cpu_seconds": phase.cpu_seconds,
        "load_seconds": phase.stages["load"],
        "peak_mb": phase.peak.pipeline_mb,
        "main_mb": phase.peak.main_mb,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--issues", type=int, default=365)
    parser.add_argument("--runs", nargs="+", default=["2x32", "2x64", "2x128", "1x64"])
    parser.add_argument("--one", help=argparse.SUPPRESS)  # WORKERSxBATCH: measure it in this process
    parser.add_argument("--archive", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(args.archive, args.one)))
        return
    folder = scratch_folder("newsprint-batches-")
    build_archive(folder / "archive", args.issues)
    print(f"{args.issues} issues, without Prefect, load average {os.getloadavg()[0]:.1f} at the start\n")
    print(
        "| workers | batch | wall s | CPU s | writer (load) wall s | peak MB | of which the writer process |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for run in args.runs:  # each in a fresh process, so that no run inherits another's memory
        command = [
            sys.executable,
            "-m",
            "bench.batch_sizes",
            "--one",
            run,
            "--archive",
            str(folder / "archive"),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"| {r['workers']} | {r['batch']} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | "
            f"{r['load_seconds']:.1f} | {r['peak_mb']:.0f} | {r['main_mb']:.0f} |",
            flush=True,
        )
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
