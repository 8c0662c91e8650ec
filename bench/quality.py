"""Time the quality gate on a synthetic archive: validation per issue, loads, revalidation.

    .venv/bin/python -m bench.quality [--issues 365] [--warehouse FILE]

Prints the median and worst validation time of one issue (Pandera checks, MinHash
signatures and duplicate marking), the time to load the archive (which includes the
near-duplicate lookup against the warehouse), the time of one `revalidate` over all of it,
and the findings by check.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import Counter
from datetime import date, datetime
from pathlib import Path

from bench.synthetic import build_archive
from flows import bulk_load, load
from flows.ingest import read_issue
from flows.parse import parse_issue
from flows.revalidate import revalidate_warehouse
from flows.storage.warehouse import parse_warehouse
from flows.transform import transform_issue
from flows.validate import validate_issues

TODAY = date(2026, 1, 15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--issues", type=int, default=365)
    parser.add_argument("--warehouse", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "archive"
        paths = build_archive(folder, args.issues)
        issues = [read_issue(p.name, p.read_bytes()) for p in paths]
        parsed = [parse_issue(issue, TODAY) for issue in issues]
        validate_issues(parsed[:1])  # warm up Pandera and the CC-CEDICT tables
        seconds = []
        for p in parsed:
            start = time.perf_counter()
            validate_issues([p])
            seconds.append(time.perf_counter() - start)
        articles = sum(len(p.articles) for p in parsed)
        print(f"{len(parsed)} issues, {articles} articles")
        median, worst = statistics.median(seconds) * 1000, max(seconds) * 1000
        print(f"validate one issue: median {median:.0f} ms, max {worst:.0f} ms")

        warehouse = str(args.warehouse or Path(tmp) / "warehouse.duckdb")
        bundles = [transform_issue(issue, TODAY) for issue in issues]
        with load.open_warehouse(parse_warehouse(warehouse)) as con:
            start = time.perf_counter()
            for bundle in bundles:
                bulk_load.load_issues(con, parse_warehouse(warehouse), [bundle], "bench", datetime.now)
            elapsed = time.perf_counter() - start
            print(f"load {len(bundles)} issues (near-duplicate lookup included): {elapsed:.1f} s")
            start = time.perf_counter()
            outcome = revalidate_warehouse(con, parse_warehouse(warehouse), None, datetime.now())
            elapsed = time.perf_counter() - start
            print(
                f"revalidate {outcome.articles} articles: {elapsed:.1f} s, {len(outcome.to_rejected)} moved"
            )
            rows = con.execute(
                'select "check", severity, count(*) from quality_findings group by all'
            ).fetchall()
        for (check, severity), n in sorted(Counter({(c, s): n for c, s, n in rows}).items()):
            print(f"  {check:28} {severity:8} {n}")


if __name__ == "__main__":
    main()
