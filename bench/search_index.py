"""Measure what rebuilding the BM25 index costs as the archive grows, and what a search costs.

    .venv/bin/python -m bench.search_index [--years 1 5 10]

Fills a throwaway warehouse with the sample's accepted articles copied under new ids (six
articles a day: the sample is one page, a whole daily is several times that), then times
`refresh_index` (a full rebuild: DuckDB's fts index cannot be updated in place) and a search
at each size. The copies share the sample's vocabulary, so a real dictionary table would be
larger; the build is dominated by the postings (one row per search word), whose number is
what the table reports.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl

from flows import load
from flows.ingest import read_issue
from flows.settings import SAMPLE_ISSUE, sql
from flows.storage import search
from flows.storage.warehouse import Warehouse
from flows.transform import transform_issue

DAYS_PER_YEAR = 365


def sample_rows() -> pl.DataFrame:
    """Return the sample's accepted articles as `articles` rows, tokens included."""
    bundle = transform_issue(read_issue(SAMPLE_ISSUE.name, SAMPLE_ISSUE.read_bytes()), date(2026, 1, 15))
    return bundle.validated.accepted.join(bundle.segmented, on="article_id").with_columns(
        pl.lit(datetime(2026, 1, 15)).alias("loaded_at")
    )


def add_days(con: duckdb.DuckDBPyConnection, rows: pl.DataFrame, first_day: int, days: int) -> None:
    """Insert `days` more issues' worth of copies, each with its own ids."""
    copies = pl.concat(
        [
            rows.with_columns((pl.col("article_id") + f"-d{day}").alias("article_id"))
            for day in range(first_day, first_day + days)
        ]
    )
    con.register("incoming", copies.to_arrow())
    try:
        con.execute(sql("load/insert_articles"))
    finally:
        con.unregister("incoming")


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--years", type=int, nargs="+", default=[1, 5, 10])
    args = parser.parse_args()
    rows = sample_rows()
    tokens_per_day = sum(len(t.split()) for t in rows["search_tokens"])
    print(f"{rows.height} articles, {tokens_per_day} search words per day\n")
    print("| archive | articles | search words | rebuild index (s) | search 人工智能 (s) |")
    print("|---|---:|---:|---:|---:|")
    with (
        tempfile.TemporaryDirectory() as folder,
        load.open_warehouse(warehouse := Warehouse(str(Path(folder) / "warehouse.duckdb"))) as con,
    ):
        days_loaded = 0
        for years in sorted(args.years):
            add_days(con, rows, days_loaded, years * DAYS_PER_YEAR - days_loaded)
            days_loaded = years * DAYS_PER_YEAR
            rebuild = timed(lambda: search.refresh_index(con, warehouse))
            query = timed(lambda: search.search_articles(con, warehouse, "人工智能", limit=10))
            articles = rows.height * days_loaded
            print(
                f"| {years} year(s) | {articles:,} | {tokens_per_day * days_loaded:,} | "
                f"{rebuild:.2f} | {query:.3f} |"
            )


if __name__ == "__main__":
    main()
