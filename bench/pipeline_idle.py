"""How long the worker and the writer wait for each other, for each number of batches in flight.

    .venv/bin/python -m bench.pipeline_idle [--issues 1024] [--depths 2 3] [--rounds 2]

Backfills one synthetic archive without Prefect, as bench/harness.py's plain backfill does (one
worker, batches of 64, backfill.write_in_order), but with the number of batches submitted and
not yet written set explicitly, and records when the worker transformed each batch and when the writer loaded
it. The worker's idle time between batches is the time it waited for the writer to hand it
the next batch, plus the batches' transfer (pickling them to and from the worker). Depths
alternate, round after round, so that each sees the same machine.
"""

from __future__ import annotations

import argparse
import itertools
import time
from concurrent.futures import Future
from datetime import date
from pathlib import Path

from bench import scratch_folder
from bench.harness import load_items
from bench.synthetic import build_archive
from flows import load
from flows.runs import backfill, files
from flows.runs.backfill import BatchItem, FileJob
from flows.settings import Settings
from flows.storage.warehouse import parse_warehouse


def transform_timed(items: list[FileJob | BatchItem], today: date, checks: dict[str, str]) -> tuple:
    """Transform a batch in the worker, saying when it started and ended (wall clock)."""
    started = time.time()
    transformed = backfill.transform_files(items, today, checks)
    return started, time.time(), transformed


def measure(archive: Path, warehouse: str, depth: int) -> dict[str, float]:
    """Backfill the archive with `depth` batches in flight; return wall, busy and idle seconds."""
    settings = Settings()
    paths = files.list_archive(archive)
    worker: list[tuple[float, float]] = []
    writer_seconds = 0.0
    started = time.time()
    # by its module's name: run as `python -m`, this module is __main__, which the workers do
    # not import (backfill.WorkerPool)
    from bench.pipeline_idle import transform_timed as in_worker

    with (
        backfill.start_workers(1) as pool,
        load.BatchWriter(parse_warehouse(warehouse), settings.lock_timeout_s) as writer,
    ):

        def submit(batch: list[Path]) -> Future[tuple]:
            items = backfill.read_batch(batch, set(), settings.max_file_bytes, 0.0)
            return pool.submit(in_worker, items, date.today(), settings.checks)

        def write(done: Future[tuple]) -> None:
            nonlocal writer_seconds
            begun, ended, items = done.result()
            worker.append((begun, ended))
            loading = time.time()
            load_items(writer, items, "pipeline-idle")
            writer_seconds += time.time() - loading

        batches = backfill.batches(paths, settings.batch_size, settings.batch_bytes)
        backfill.write_in_order(batches, submit, write, depth)
    worker.sort()
    idle = sum(max(0.0, nxt[0] - prev[1]) for prev, nxt in itertools.pairwise(worker))
    return {
        "wall": time.time() - started,
        "worker_busy": sum(end - begin for begin, end in worker),
        "worker_idle": idle,
        "writer_busy": writer_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--issues", type=int, default=1024)
    parser.add_argument("--depths", type=int, nargs="+", default=[2, 3])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    folder = scratch_folder("newsprint-idle-")
    archive = folder / "archive"
    build_archive(archive, args.issues)
    print(f"{args.issues} issues, one worker, batches of {Settings().batch_size}, without Prefect\n")
    print("| batches in flight | wall s | worker busy s | worker idle between batches s | writer busy s |")
    print("|---:|---:|---:|---:|---:|")
    for round_number in range(args.rounds):
        for depth in args.depths:
            seconds = measure(archive, str(folder / f"warehouse-{round_number}-{depth}.duckdb"), depth)
            print(
                f"| {depth} | {seconds['wall']:.1f} | {seconds['worker_busy']:.1f} "
                f"| {seconds['worker_idle']:.1f} | {seconds['writer_busy']:.1f} |"
            )


if __name__ == "__main__":
    main()
