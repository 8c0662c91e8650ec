"""A backfill batch loaded in one transaction ends exactly as its issues loaded one by one."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from itertools import count

import duckdb
import pytest

from bench.synthetic import synthetic_issue
from flows import bulk_load, load
from flows.ingest import read_issue
from flows.storage.warehouse import parse_warehouse
from flows.transform import IssueBundle, transform_issue
from tests.conftest import TODAY

TABLES = {  # table → what to compare (load times and run ids differ between two loads)
    "issues": "select * exclude (loaded_at, run_id) from issues order by sha256",
    "articles": "select * exclude (loaded_at) from articles order by article_id",
    "rejected_articles": "select * exclude (loaded_at) from rejected_articles order by article_id",
    "article_reporters": "select * from article_reporters order by article_id, position",
    "article_minhashes": "select * from article_minhashes order by article_id",
    "article_terms": "select * from article_terms order by article_id, term",
    "article_keywords": "select * from article_keywords order by article_id, rank",
    "article_entities": "select * from article_entities order by article_id, entity, kind",
    "quality_findings": "select * exclude (found_at) from quality_findings order by all",
}


def issue_text(day: date, seed: int) -> str:
    return synthetic_issue(day, random.Random(seed))


def bundle_of(name: str, text: str) -> IssueBundle:
    """Transform one file's text as a backfill worker does: validated against itself only."""
    return transform_issue(read_issue(name, text.encode("utf-8")), TODAY)


@pytest.fixture(scope="module")
def bundles() -> list[IssueBundle]:
    """Six issues: three distinct; a reprint of the second (new datelines); a lightly edited
    copy of the first; and the third again under another name (the same issue)."""
    days = [date(2016, 1, 1) + timedelta(days=n) for n in range(6)]
    first, second, third = (issue_text(day, n) for n, day in enumerate(days[:3]))
    reprint = second.replace("本报1月1日讯", "本报1月3日讯")
    edited = first.replace("本报12月31日讯", "本报1月4日讯").replace("。", "！", 1)
    texts = [first, second, third, reprint, edited, third]
    return [bundle_of(f"qingdao-daily-{day.isoformat()}.txt", t) for day, t in zip(days, texts, strict=True)]


def ticking() -> datetime:
    """A clock that moves a second per reading, like issues loaded one after another."""
    return next(_TICKS)


_TICKS = (datetime(2026, 1, 15, 6, 0) + timedelta(seconds=n) for n in count())


def snapshot(warehouse: str) -> dict[str, list[tuple]]:
    with duckdb.connect(warehouse, read_only=True) as con:
        return {table: con.execute(query).fetchall() for table, query in TABLES.items()}


def load_one_by_one(warehouse: str, bundles: list[IssueBundle]) -> list[bool]:
    with load.open_warehouse(parse_warehouse(warehouse)) as con:
        return [
            bulk_load.load_issues(con, parse_warehouse(warehouse), [bundle], "run", lambda: ticking())[
                0
            ].loaded
            for bundle in bundles
        ]


def load_in_batches(warehouse: str, bundles: list[IssueBundle], size: int) -> list[bool]:
    loaded = []
    with load.open_warehouse(parse_warehouse(warehouse)) as con:
        for start in range(0, len(bundles), size):
            results = bulk_load.load_issues(
                con,
                parse_warehouse(warehouse),
                bundles[start : start + size],
                "run",
                ticking,
                batch_writer=True,
            )
            loaded += [result.loaded for result in results]
    return loaded


@pytest.mark.parametrize("size", [6, 4, 1])
def test_a_batch_ends_as_issues_loaded_one_by_one(tmp_path, bundles, size: int) -> None:
    one_by_one = load_one_by_one(str(tmp_path / "one.duckdb"), bundles)
    batched = load_in_batches(str(tmp_path / "batch.duckdb"), bundles, size)
    assert one_by_one == batched == [True, True, True, True, True, False]
    expected, got = snapshot(str(tmp_path / "one.duckdb")), snapshot(str(tmp_path / "batch.duckdb"))
    for table in TABLES:
        assert got[table] == expected[table], table


def test_duplicates_within_a_batch_are_caught(tmp_path, bundles) -> None:
    load_in_batches(str(tmp_path / "w.duckdb"), bundles, 6)
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        checks = dict(con.execute('select "check", count(*) from quality_findings group by all').fetchall())
        rejected = con.execute("select count(*) from rejected_articles").fetchone()[0]
    reprint, edited = bundles[3].validated.articles.height, bundles[4].validated.articles.height
    assert checks["body_not_duplicate"] == rejected == reprint + edited - 1
    assert checks["body_not_near_duplicate"] == 1  # the edited article: accepted, with a warning


def test_reloading_a_batch_changes_nothing(tmp_path, bundles) -> None:
    warehouse = str(tmp_path / "w.duckdb")
    load_in_batches(warehouse, bundles, 6)
    before = snapshot(warehouse)
    assert load_in_batches(warehouse, bundles, 6) == [False] * 6
    assert snapshot(warehouse) == before


def test_a_failing_batch_loads_nothing(tmp_path, bundles, monkeypatch) -> None:
    warehouse = str(tmp_path / "w.duckdb")
    insert = bulk_load._insert_batch

    def broken(con, loaded, run_id):
        insert(con, loaded, run_id)  # every row is in, then the commit never comes
        raise RuntimeError("disk full")

    monkeypatch.setattr(bulk_load, "_insert_batch", broken)
    with pytest.raises(RuntimeError), load.open_warehouse(parse_warehouse(warehouse)) as con:
        bulk_load.load_issues(con, parse_warehouse(warehouse), bundles, "run", batch_writer=True)
    assert all(not rows for rows in snapshot(warehouse).values())


def test_a_new_warehouse_may_compress_long_texts_with_zstd(tmp_path) -> None:
    """A new file is made in a format with zstd, and its writer considers zstd for texts from 256 bytes.

    (Which method a checkpoint picks for a column is DuckDB's choice by size: a real paper's
    bodies, tokens and raw text go to zstd, bench/real_size.py.) Plain FSST is never used.
    """
    from pathlib import Path

    from flows.storage import checkpoint
    from flows.storage.database import STORAGE_VERSION

    fixtures = sorted((Path(__file__).parent / "fixtures" / "layouts").glob("*daily-*.txt"))
    batch = [transform_issue(read_issue(p.name, p.read_bytes()), TODAY) for p in fixtures]
    warehouse = tmp_path / "warehouse.duckdb"
    storage = "select distinct compression from pragma_storage_info('articles')"
    with load.open_warehouse(parse_warehouse(str(warehouse))) as con:
        bulk_load.load_issues(con, parse_warehouse(str(warehouse)), batch, "run-1", batch_writer=True)
        checkpoint.checkpoint(con, Path(warehouse))
        tags = con.execute(
            "select tags from duckdb_databases() where database_name = current_database()"
        ).fetchone()
        setting = con.execute("select current_setting('zstd_min_string_length')").fetchone()
        methods = {row[0] for row in con.execute(storage).fetchall()}
    assert tags[0]["storage_version"].startswith(STORAGE_VERSION)
    assert setting == (256,)
    assert "FSST" not in methods  # DICT_FSST, for short strings, is another method


def test_a_batch_out_of_duckdb_s_bound_is_loaded_again_unbounded(
    tmp_path, bundles, monkeypatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A commit that cannot pin its blocks under the bound fails without committing anything;
    the batch goes in again with the bound lifted, whole, and the backfill goes on."""
    monkeypatch.setattr(bulk_load, "WRITER_MEMORY_LIMIT", "2MB")
    warehouse = str(tmp_path / "warehouse.duckdb")
    with load.open_warehouse(parse_warehouse(warehouse)) as con:
        results = bulk_load.load_issues(
            con, parse_warehouse(warehouse), bundles[:3], "run", batch_writer=True
        )
    assert [r.loaded for r in results] == [True, True, True]
    assert "loading it twice the bound, 4000000B" in caplog.text  # 2MB twice: still too little
    assert "loading it unbounded" in caplog.text
    expected = str(tmp_path / "one-by-one.duckdb")
    with load.open_warehouse(parse_warehouse(expected)) as con:
        for bundle in bundles[:3]:
            bulk_load.load_issues(
                con, parse_warehouse(expected), [bundle], "run", lambda: datetime(2026, 1, 15, 6, 0)
            )
    assert snapshot(warehouse) == snapshot(expected)
