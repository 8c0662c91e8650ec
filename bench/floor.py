"""The least a backfill can cost beside segmentation: storing its rows and validating them.

    .venv/bin/python -m bench.floor [--issues 730] [--batch-size 64]

The target is a backfill within 1.5× the bare cost of segmentation (rjieba's `tag`). This
measures a lower bound that no faster splitter, normaliser or segmenter could go under, because
it leaves them out: the pipeline runs once, untimed, and every table insert and every Pandera
run it made is recorded; then, timed, only those are replayed —

- **store**: the same Arrow frames inserted into a fresh warehouse of the same schema, with
  the pipeline's own statements, DuckDB on one thread without FSST (the writer's settings)
  but with no memory bound, and one checkpoint at the end (the fewest a warehouse can do with);
- **validate**: the same Pandera runs.

Each twice: as the backfill batches them (a transaction, and a run of each model, per batch),
and all at once (one insert per table, one run per model): most of a statement's or a
Pandera run's cost is per call, so the second is the cheapest these rows can be stored and
checked, whatever the batch size.

Beside them, the bare cost as `newsprint bench` measures it: reading the files as UTF-8, and
rjieba's `tag` over the text the pipeline segments, its tokens dropped. All in CPU time, in
one process: two cores can only divide CPU time between them, so (bare + floor) / bare bounds
the backfill's ratio from below, whatever language the rest of the pipeline were written in.
The full-text index is left out: it is more of the same, and the bound holds without it.
"""

from __future__ import annotations

import argparse
import collections
import functools
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pandera.polars as pa
import polars as pl

from bench import scratch_folder
from bench.synthetic import build_archive
from flows import bulk_load, load, validate
from flows.bulk_load import TABLES
from flows.ingest import read_issue
from flows.parse import parse_issue
from flows.runs import backfill
from flows.settings import Settings
from flows.storage import relations
from flows.storage.database import transaction
from flows.storage.warehouse import parse_warehouse
from flows.tokenise import keyword_model, segmenter
from flows.transform import bundle_issues

T = TypeVar("T")
Insert = tuple[str, pl.DataFrame]  # (table, the frame inserted into it)
PanderaRun = tuple[type[pa.DataFrameModel], pl.DataFrame]
UNBOUNDED = "4GB"  # the writer's 64 MB bound makes DuckDB evict and reread; the floor need not
COMMIT = "(commits and the checkpoint)"


class Recorder:
    """Record, batch by batch, the inserts and Pandera runs the pipeline makes."""

    def __init__(self) -> None:
        self.inserts: list[list[Insert]] = []
        self.pandera: list[PanderaRun] = []
        self._insert = bulk_load.insert
        self._schema_failures = validate._schema_failures

    def insert(self, con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> None:
        if frame.height:  # _insert skips an empty frame
            self.inserts[-1].append((name, frame))
        self._insert(con, name, frame)

    def schema_failures(self, schema: type[pa.DataFrameModel], frame: pl.DataFrame) -> Any:
        self.pandera.append((schema, frame))
        return self._schema_failures(schema, frame)

    def __enter__(self) -> Recorder:
        bulk_load.insert = self.insert  # type: ignore[assignment]
        validate._schema_failures = self.schema_failures  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        bulk_load.insert = self._insert
        validate._schema_failures = self._schema_failures


@dataclass
class Timer:
    """CPU seconds (all of this process's threads) by part."""

    seconds: Counter[str] = field(default_factory=Counter)

    def run(self, part: str, work: Callable[[], T]) -> T:
        started = time.process_time()
        try:
            return work()
        finally:
            self.seconds[part] += time.process_time() - started


def run_pipeline(
    paths: list[Path], warehouse: str, batch_size: int, timer: Timer
) -> tuple[Recorder, list[str]]:
    """Run the backfill's stages untimed; return what they stored and validated, and the text.

    Only the bare reading is timed: the files read as UTF-8, as the bench's bare cost reads.
    """
    severities, today = Settings().checks, date.today()
    texts: list[str] = []
    with Recorder() as recorder, load.open_warehouse(parse_warehouse(warehouse)) as con:
        for batch in backfill.batches(paths, batch_size, Settings().batch_bytes):
            data = timer.run("read", lambda batch=batch: [p.read_bytes() for p in batch])
            timer.run("read", lambda data=data: [raw.decode("utf-8") for raw in data])
            issues = [read_issue(str(p), raw) for p, raw in zip(batch, data, strict=True)]
            parsed = [parse_issue(issue, today) for issue in issues]
            texts += [f"{a.headline or ''}\n{a.body}" for p in parsed for a in p.articles]
            bundles = bundle_issues(parsed, validate.validate_issues(parsed, severities), severities)
            recorder.inserts.append([])
            bulk_load.load_issues(con, parse_warehouse(warehouse), bundles, "floor", batch_writer=True)
    return recorder, texts


def store(inserts: list[list[Insert]], warehouse: str) -> Timer:
    """Insert the frames into a fresh warehouse, a transaction per batch, then checkpoint.

    Returns the CPU seconds of each table's inserts, and of the commits and checkpoint.
    """
    timer = Timer()
    with duckdb.connect(warehouse) as con:
        load.apply_ddl(con, parse_warehouse(warehouse))
        con.execute(load.sql("load/batch_writer_settings"))
        con.execute(load.sql("settings/set_memory_limit"), {"limit": UNBOUNDED})
        started = time.process_time()
        for batch in inserts:
            with transaction(con):
                for name, frame in batch:
                    timer.run(name, lambda name=name, frame=frame: insert(con, name, frame))
        con.execute(load.sql("checkpoint/checkpoint"))
        timer.seconds[COMMIT] = time.process_time() - started - timer.seconds.total()  # what is not an insert
    return timer


def insert(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> None:
    """Insert one frame through Arrow with the pipeline's own statement."""
    with relations.registered(con, "incoming", frame):
        con.execute(load.sql(f"load/insert_{name}"))


def check(runs: list[PanderaRun]) -> Timer:
    """Run the Pandera models over their frames; return the CPU seconds of each model."""
    timer = Timer()
    for schema, frame in runs:
        timer.run(schema.__name__, lambda s=schema, f=frame: validate._schema_failures(s, f))
    return timer


def all_at_once(recorder: Recorder) -> tuple[list[list[Insert]], list[PanderaRun]]:
    """Merge the recorded work into one insert per table and one Pandera run per model.

    Most of a statement's or a Pandera run's cost is per call, so this is the cheapest the same
    rows could be stored and checked: the floor the table's right-hand column reports.
    """
    tables: dict[str, list[pl.DataFrame]] = collections.defaultdict(list)
    for batch in recorder.inserts:
        for name, frame in batch:
            tables[name].append(frame)
    models: dict[type[pa.DataFrameModel], list[pl.DataFrame]] = collections.defaultdict(list)
    for schema, frame in recorder.pandera:
        models[schema].append(frame)
    merge = functools.partial(pl.concat, how="vertical_relaxed")
    return (
        [[(name, merge(frames)) for name, frames in tables.items()]],
        [(schema, merge(frames)) for schema, frames in models.items()],
    )


def row_counts(warehouse: str) -> dict[str, int]:
    """Return the rows of every table a backfill writes."""
    with duckdb.connect(warehouse, read_only=True) as con:
        return {t: con.execute(load.sql("bench/row_count"), {"table": t}).fetchone()[0] for t in TABLES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--issues", type=int, default=730)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    folder = scratch_folder("newsprint-floor-")
    paths = build_archive(folder / "archive", args.issues)
    keyword_model()
    bare = Timer()
    recorder, texts = run_pipeline(paths, str(folder / "pipeline.duckdb"), args.batch_size, bare)
    tagger = segmenter().jieba
    bare.run("rjieba tag", lambda: collections.deque(map(tagger.tag, texts), maxlen=0))
    merged_inserts, merged_runs = all_at_once(recorder)
    batched = (store(recorder.inserts, str(folder / "batched.duckdb")), check(recorder.pandera))
    merged = (store(merged_inserts, str(folder / "merged.duckdb")), check(merged_runs))

    rows = Counter[str]()
    for name, frame in merged_inserts[0]:
        rows[name] = frame.height
    size = sum(p.stat().st_size for p in paths)
    print(
        f"{args.issues} issues, {size / 1e6:.1f} MB, {len(texts):,} articles, {rows.total():,} rows; "
        f"{len(recorder.inserts)} batches, {len(recorder.pandera)} Pandera runs; one process, CPU "
        f"seconds ({datetime.now():%Y-%m-%d %H:%M})\n"
    )
    report(bare, batched, merged, rows)


def report(
    bare: Timer, batched: tuple[Timer, Timer], merged: tuple[Timer, Timer], rows: Counter[str]
) -> None:
    """Print each part's CPU time, batched and all at once, against the bare cost; then the floors."""
    base = bare.seconds.total()
    print("| part | rows | in the backfill's batches | all at once | all at once × bare |")
    print("|---|---:|---:|---:|---:|")
    for part, seconds in bare.seconds.items():
        print(f"| bare: {part} | | {seconds:.2f} | {seconds:.2f} | {seconds / base:.2f} |")
    for title, index in (("store", 0), ("validate", 1)):
        for part, seconds in merged[index].seconds.most_common():
            count = f"{rows[part]:,}" if part in rows else ""
            as_batched = batched[index].seconds[part]
            print(f"| {title}: {part} | {count} | {as_batched:.2f} | {seconds:.2f} | {seconds / base:.2f} |")
    print()
    for name, (stored, checked) in (("in the backfill's batches", batched), ("all at once", merged)):
        store_s, validate_s = stored.seconds.total(), checked.seconds.total()
        print(
            f"{name}: bare {base:.2f} s, store {store_s:.2f} s, validate {validate_s:.2f} s; "
            f"floor of the ratio {(base + store_s) / base:.2f} storing alone, "
            f"{(base + store_s + validate_s) / base:.2f} storing and validating"
        )


if __name__ == "__main__":
    main()
