"""Backfill issues larger than the sample's: does it complete, in what time and memory?

    .venv/bin/python -m bench.large_issues [--issues 192] [--join 6] [--into WAREHOUSE]

Builds `--issues` files, each `--join` synthetic issues one after another (the sample's 15 kB
and 7 articles become about 90 kB and 42), and backfills them as `newsprint bench` does
without Prefect, in a fresh process, into a copy of WAREHOUSE (say the ten-year warehouse
that `newsprint bench --issues 3650 --keep DIR` leaves) or into an empty one. The files are
dated after the warehouse's issues. On a ten-year warehouse this is where a checkpoint needs
more than the writer's memory bound (flows/storage/checkpoint.py, memory_for_checkpoint).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

import duckdb

from bench import copy_warehouse, scratch_folder
from bench.harness import in_fresh_process
from bench.synthetic import build_archive
from flows.settings import Settings, sql


def large_archive(folder: Path, issues: int, join: int, after: int) -> list[Path]:
    """Write `issues` files of `join` consecutive synthetic issues each, the first `after` days on."""
    days = build_archive(folder / "days", after + issues * join)[after:]
    archive = folder / "archive"
    archive.mkdir()
    paths = []
    for start in range(0, issues * join, join):
        group = days[start : start + join]
        path = archive / group[0].name
        path.write_bytes(b"\n\n".join(day.read_bytes() for day in group))
        paths.append(path)
    shutil.rmtree(folder / "days")
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--issues", type=int, default=192)
    parser.add_argument("--join", type=int, default=6, help="synthetic issues per file")
    parser.add_argument("--into", type=Path, help="a warehouse to copy and load into (default: empty)")
    args = parser.parse_args()
    folder = scratch_folder("newsprint-large-")
    warehouse = folder / "warehouse.duckdb"
    after = 0
    if args.into:
        copy_warehouse(args.into, warehouse)
        with duckdb.connect(str(warehouse), read_only=True) as con:
            after = con.execute(sql("bench/issue_count")).fetchone()[0]  # type: ignore[index]
    paths = large_archive(folder, args.issues, args.join, after)
    size = sum(p.stat().st_size for p in paths)
    settings = Settings()
    print(f"{len(paths)} files of {args.join} issues, {size / 1e6:.1f} MB, into a warehouse of {after}")
    print(f"batches of {settings.batch_size} files or {settings.batch_mb} MB, {settings.workers} worker(s)\n")
    try:
        workers, batch_size = str(settings.workers), str(settings.batch_size)
        phase = in_fresh_process("plain", folder / "archive", warehouse, workers, batch_size)
    except subprocess.CalledProcessError as error:
        print(f"the backfill failed (exit {error.returncode}); its log is above")
        raise SystemExit(1) from error
    peak = phase.peak
    print("| seconds | files loaded | RSS summed MB | PSS summed MB | writer RSS MB | workers RSS MB |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {phase.seconds:.1f} | {phase.counts.get('files_loaded', 0)} | {peak.pipeline_mb:.0f} | "
        f"{peak.pipeline_pss_mb:.0f} | {peak.main_mb:.0f} | {peak.workers_mb:.0f} |"
    )


if __name__ == "__main__":
    main()
