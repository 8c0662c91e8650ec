"""Kill writers inside their closing checkpoint, again and again; count what the next open finds.

    .venv/bin/python -m bench.kill_checkpoints [--kills 150] [--issues 6] [--seed 1]

Why: tests/test_crash.py kills at random moments of a whole load, where the checkpoint is a
sliver; this aims every SIGKILL at the writer's close (journal written, CHECKPOINT, journal
removed), so the journal's recovery (flows/storage/checkpoint.py) runs after real kills, not only on
the file tests/test_checkpoint.py rebuilds. Every issue was committed before the close, so
after each kill the next open must find the warehouse whole. Prints how many opens undid a
checkpoint, dropped a completed one's journal, or had nothing to do, and how many failed.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import multiprocessing.synchronize
import pickle
import random
import time
from collections import Counter
from datetime import date, datetime
from pathlib import Path

from bench import scratch_folder
from bench.synthetic import build_archive
from flows import bulk_load, load
from flows.ingest import read_issue
from flows.settings import sql
from flows.storage import checkpoint
from flows.storage.warehouse import parse_warehouse
from flows.transform import transform_issue

NOW = datetime(2026, 1, 15, 6, 0)


def write_and_close(
    warehouse: str,
    bundles_file: str,
    ready: multiprocessing.synchronize.Event,
    closing: multiprocessing.Queue,
) -> None:
    """The writer: load every issue in batches of two, say when the close begins, close."""
    bundles = pickle.loads(Path(bundles_file).read_bytes())
    ready.set()
    with load.open_warehouse(parse_warehouse(warehouse)) as con:
        for start in range(0, len(bundles), 2):
            bulk_load.load_issues(
                con,
                parse_warehouse(warehouse),
                bundles[start : start + 2],
                "kill-bench",
                lambda: NOW,
                batch_writer=True,
            )
        closing.put(time.perf_counter())
        checkpoint.checkpoint(con, Path(warehouse))  # a close checkpoints only a WAL past 16 MB


def counts(warehouse: Path) -> tuple[int, ...]:
    con = load.connect(parse_warehouse(str(warehouse)))
    try:
        row = con.execute(sql("bench/table_counts")).fetchone()
        return tuple(row) if row else ()
    finally:
        checkpoint.release(con, warehouse)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=150)
    parser.add_argument("--issues", type=int, default=6)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    root = scratch_folder("kill-checkpoints-")
    paths = build_archive(root / "archive", args.issues)
    bundles = [transform_issue(read_issue(str(p), p.read_bytes()), date.today()) for p in paths]
    pickled = root / "bundles.pickle"
    pickled.write_bytes(pickle.dumps(bundles))
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["flows.load", "flows.bulk_load", "flows.transform"])
    logging.getLogger("flows.storage.checkpoint").setLevel(logging.ERROR)  # the outcomes are counted below

    def start(warehouse: Path) -> tuple[multiprocessing.process.BaseProcess, float]:
        ready, closing = context.Event(), context.Queue()
        process = context.Process(target=write_and_close, args=(str(warehouse), str(pickled), ready, closing))
        process.start()
        ready.wait(60)
        return process, closing.get(timeout=300)

    reference = root / "reference" / "warehouse.duckdb"
    reference.parent.mkdir()
    process, began = start(reference)
    process.join(60)
    close_seconds = time.perf_counter() - began
    whole = counts(reference)

    outcomes: Counter[str] = Counter()
    rng = random.Random(args.seed)
    for kill in range(args.kills):
        warehouse = root / f"kill-{kill}" / "warehouse.duckdb"
        warehouse.parent.mkdir()
        process, _ = start(warehouse)
        time.sleep(rng.uniform(0, close_seconds * 1.2))
        process.kill()
        process.join(60)
        try:
            outcome = checkpoint.recover(warehouse) or "nothing to undo"
            found = counts(warehouse)
            outcomes[outcome if found == whole else f"incomplete: {found} instead of {whole}"] += 1
        except Exception as error:  # a failure is what this bench counts
            outcomes[f"failed: {type(error).__name__}: {error}"] += 1
    print(f"{args.kills} SIGKILLs inside a {close_seconds * 1000:.0f} ms close; the next open found:")
    for outcome, number in outcomes.most_common():
        print(f"{number:6d}  {outcome}")


if __name__ == "__main__":
    main()
