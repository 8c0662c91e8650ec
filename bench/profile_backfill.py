"""Find where a backfill's time goes: CPU time per stage and per issue, in one process.

    .venv/bin/python -m bench.profile_backfill [--issues 96] [--batch-size 64] [--per-issue] [--profile]

Builds a synthetic archive and runs a backfill's stages on it, batch by batch, in this one
process (no worker pool, no Prefect): decode, split and normalise, validate (one Pandera run
per batch), segment (rjieba tag, then terms, keywords, entities), then as the backfill's
writer does per batch (flows/pipeline.py load_batch): load (one transaction per batch), the
search index's append, the checkpoint when the WAL is due. It prints the CPU milliseconds
per issue of each stage beside the bare cost (rjieba's `tag` on the same text). CPU time,
unlike wall time, does not grow when other work shares the machine. `--per-issue` validates
and loads issue by issue (one Pandera run and one DuckDB transaction per issue). `--profile`
adds cProfile's functions with the most cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TypeVar

import duckdb

from bench import real_size, scratch_folder
from bench.synthetic import build_archive
from flows import bulk_load, load
from flows.ingest import read_issue
from flows.models import ParsedIssue
from flows.parse import parse_issue
from flows.runs import backfill
from flows.settings import Settings
from flows.storage import search
from flows.storage.warehouse import Warehouse, parse_warehouse
from flows.tokenise import keyword_model, segmenter
from flows.transform import IssueBundle, bundle_issues
from flows.validate import Validated, validate_issues

T = TypeVar("T")


class Stages:
    """CPU seconds per stage, optionally under one cProfile."""

    def __init__(self, profile: bool) -> None:
        self.seconds: dict[str, float] = {}
        self.profile = cProfile.Profile() if profile else None

    def run(self, stage: str, work: Callable[[], T]) -> T:
        """Run `work`, adding its CPU time to `stage`."""
        if self.profile:
            self.profile.enable()
        started = time.process_time()
        try:
            return work()
        finally:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + time.process_time() - started
            if self.profile:
                self.profile.disable()

    def add(self, stage: str, seconds: float) -> None:
        """Add CPU seconds measured outside `run` to `stage`."""
        self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds

    def top(self, count: int) -> str:
        out = io.StringIO()
        if self.profile:
            pstats.Stats(self.profile, stream=out).sort_stats("cumulative").print_stats(count)
        return out.getvalue()


def validate_one_by_one(parsed: list[ParsedIssue], severities: Mapping[str, str]) -> list[Validated]:
    """Validate issue by issue: one Pandera run per issue."""
    return [validate_issues([p], severities)[0] for p in parsed]


def load_one_by_one(
    con: duckdb.DuckDBPyConnection, warehouse: Warehouse, bundles: list[IssueBundle], run_id: str
) -> None:
    """Load issue by issue, as the daily run does: one transaction per issue."""
    for bundle in bundles:
        bulk_load.load_issues(con, warehouse, [bundle], run_id, datetime.now)


def load_batch(
    con: duckdb.DuckDBPyConnection, warehouse: Warehouse, bundles: list[IssueBundle], run_id: str
) -> None:
    """Load a batch in one transaction, as the backfill's writer does."""
    bulk_load.load_issues(con, warehouse, bundles, run_id, batch_writer=True)


def warm_up(paths: list[Path], warehouse: str, today: date) -> None:
    """Run the stages once untimed: a worker pays for lazy imports and caches once per run."""
    parsed = [parse_issue(read_issue(str(p), p.read_bytes()), today) for p in paths]
    bundles = bundle_issues(parsed, validate_issues(parsed))
    target = parse_warehouse(warehouse)
    with load.open_warehouse(target) as con:
        bulk_load.load_issues(con, target, bundles, "warm-up", batch_writer=True)
        search.refresh_index(con, target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--issues", type=int, default=96)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--per-issue", action="store_true", help="validate and load issue by issue")
    parser.add_argument("--profile", action="store_true", help="also print cProfile's top functions")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument(
        "--size", choices=("real", "sample"), default="real", help="issues' size (bench.real_size)"
    )
    parser.add_argument("--corpus", type=Path, help="the People's Daily dump (default: NEWSPRINT_CORPUS)")
    args = parser.parse_args()
    severities = Settings().checks
    folder = scratch_folder("newsprint-profile-")
    if args.size == "real":
        paths = real_size.build_archive(folder / "archive", args.issues, real_size.corpus_folder(args.corpus))
    else:
        paths = build_archive(folder / "archive", args.issues)
    warehouse = str(folder / "warehouse.duckdb")
    seg = segmenter()
    keyword_model()  # built once per worker process, before its first batch
    today = date.today()
    warm_up(paths[:2], str(folder / "warm-up.duckdb"), today)
    stages = Stages(args.profile)
    target = parse_warehouse(warehouse)
    writer = load.BatchWriter(target)
    for batch in backfill.batches(paths, args.batch_size, Settings().batch_bytes):
        data = [(str(path), path.read_bytes()) for path in batch]
        issues = stages.run("decode", lambda data=data: [read_issue(name, raw) for name, raw in data])
        parsed = stages.run("split", lambda issues=issues: [parse_issue(i, today) for i in issues])
        texts = [f"{a.headline or ''}\n{a.body}" for p in parsed for a in p.articles]
        stages.run("bare: rjieba tag", lambda texts=texts: [seg.jieba.tag(t) for t in texts])
        validate = validate_one_by_one if args.per_issue else validate_issues
        validated = stages.run("validate", lambda parsed=parsed, v=validate: v(parsed, severities))
        bundles = stages.run(
            "segment",
            lambda parsed=parsed, validated=validated: bundle_issues(parsed, validated, severities),
        )
        loader = load_one_by_one if args.per_issue else load_batch
        started = time.process_time()
        with writer.batch() as con:  # as the flow's load-batch task: load, index, then a due checkpoint
            stages.run("load", lambda con=con, b=bundles, f=loader: f(con, target, b, "profile"))
            stages.run("index", lambda con=con: search.refresh_batch_index(con, target))
            inside = time.process_time() - started
        stages.add("checkpoint", time.process_time() - started - inside)
    stages.run("checkpoint", writer.finish)

    size = sum(p.stat().st_size for p in paths)
    mode = "issue by issue" if args.per_issue else f"batches of {args.batch_size}"
    print(f"{args.issues} issues, {size / 1e6:.2f} MB, validated and loaded {mode}, one process, CPU time")
    print(f"({datetime.now():%Y-%m-%d %H:%M})\n")
    bare = stages.seconds["bare: rjieba tag"]
    total = sum(v for k, v in stages.seconds.items() if not k.startswith("bare"))
    print("| stage | CPU ms per issue | × bare |")
    print("|---|---:|---:|")
    for stage, value in stages.seconds.items():
        print(f"| {stage} | {1000 * value / args.issues:.1f} | {value / bare:.2f} |")
    print(f"| **pipeline, all stages** | **{1000 * total / args.issues:.1f}** | **{total / bare:.2f}** |")
    if args.profile:
        print("\n" + stages.top(args.top))


if __name__ == "__main__":
    main()
