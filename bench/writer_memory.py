"""Where the backfill's writer peaks: its resident memory in each step of loading a batch.

    .venv/bin/python -m bench.writer_memory [--issues 3650] [--memory-limit 128MB|none] [--flow]

Backfills a synthetic archive (`bench/synthetic.py`) without Prefect, or through the flow
with `--flow` (a temporary Prefect server), while a thread samples this process's RSS every
10 ms. For each step of a batch's load (the transaction, the checkpoint when the WAL is due,
the search index append) it prints the median and the highest peak over the batches, and the
RSS left after each batch, over the first and the last quarter of the run: flat, or growing.
`--memory-limit` replaces the writer's DuckDB bound (`none`: DuckDB's default, 80% of RAM).
It shows whether the writer's memory stays flat from batch to batch, and in which step it peaks.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

from bench import harness
from bench.synthetic import build_archive
from flows import bulk_load
from flows.storage import checkpoint, search

STEPS = {"transaction": (bulk_load, "_load_in_transaction"), "checkpoint": (checkpoint, "checkpoint")}


class Sampler:
    """This process's RSS in MB, sampled in a thread; `peak_during` keeps a step's highest."""

    def __init__(self, every_s: float = 0.01) -> None:
        self.process = psutil.Process()
        self.highest = 0.0
        self.peaks: dict[str, list[float]] = defaultdict(list)
        self.after_batch: list[float] = []
        threading.Thread(target=self._sample, args=(every_s,), daemon=True).start()

    def rss(self) -> float:
        return self.process.memory_info().rss / 1e6

    def _sample(self, every_s: float) -> None:
        while True:
            self.highest = max(self.highest, self.rss())
            time.sleep(every_s)

    @contextmanager
    def peak_during(self, step: str) -> Iterator[None]:
        outer, self.highest = self.highest, self.rss()
        try:
            yield
        finally:
            self.highest = max(self.highest, self.rss())
            self.peaks[step].append(self.highest)
            self.highest = max(outer, self.highest)


def watched(sampler: Sampler, step: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        with sampler.peak_during(step):
            return fn(*args, **kwargs)

    return run


def after_batch(sampler: Sampler, fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        with sampler.peak_during("index append"):
            result = fn(*args, **kwargs)
        sampler.after_batch.append(sampler.rss())
        return result

    return run


def main() -> None:
    layout = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=layout)
    parser.add_argument("--issues", type=int, default=3650)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--memory-limit", default=bulk_load.WRITER_MEMORY_LIMIT)
    parser.add_argument("--flow", action="store_true", help="through the Prefect flow")
    args = parser.parse_args()
    if args.memory_limit != "none":
        bulk_load.WRITER_MEMORY_LIMIT = args.memory_limit
    else:
        bulk_load.WRITER_MEMORY_LIMIT = f"{int(psutil.virtual_memory().total * 0.8 / 1e6)}MB"
    sampler = Sampler()
    for step, (module, name) in STEPS.items():
        setattr(module, name, watched(sampler, step, getattr(module, name)))
    search.refresh_batch_index = after_batch(sampler, search.refresh_batch_index)
    with tempfile.TemporaryDirectory() as folder:
        archive = Path(folder) / "archive"
        build_archive(archive, args.issues)
        kind = "flow" if args.flow else "plain"
        phase = harness.run_phase(kind, archive, Path(folder) / "warehouse.duckdb", 1, args.batch_size)
    print(f"{kind}, {args.issues} issues, writer memory limit {bulk_load.WRITER_MEMORY_LIMIT}: ", end="")
    print(f"{phase.seconds:.1f} s, peak RSS of the writer {phase.peak.main_mb:.0f} MB")
    print("| step | batches | median peak RSS MB | highest |\n|---|---:|---:|---:|")
    for step, peaks in sampler.peaks.items():
        print(f"| {step} | {len(peaks)} | {statistics.median(peaks):.0f} | {max(peaks):.0f} |")
    quarter = max(1, len(sampler.after_batch) // 4)
    first, last = sampler.after_batch[:quarter], sampler.after_batch[-quarter:]
    first_mb, last_mb = statistics.median(first), statistics.median(last)
    print(f"RSS after a batch: first quarter {first_mb:.0f} MB, last {last_mb:.0f} MB")


if __name__ == "__main__":
    main()
