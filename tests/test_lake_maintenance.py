"""A lake's upkeep, its schema applied once per version, and its search index kept incrementally.

On a lake with a local file catalog: the same DuckLake functions and SQL run on a PostgreSQL
catalog (tests/test_lake_scale.py runs them there).
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bench.synthetic import build_archive
from flows import bulk_load, load
from flows.cli.app import app
from flows.ingest import read_issue
from flows.revalidate import revalidate_warehouse
from flows.settings import Settings
from flows.storage import connection, fts, lake_maintenance, lake_search, search
from flows.storage.warehouse import parse_warehouse
from flows.transform import transform_issue
from tests.conftest import TODAY

NOW = datetime(2026, 1, 15, 6, 0)
ANSWERS = (
    "select issue_sha256, seq, headline, body_hash from articles order by all",
    "select sha256, source_file, raw_text from issues order by all",
    "select article_id, term, count from article_terms order by all",
    "select count(*), count(distinct run_id) from runs",
)


def lake_setting(root: Path) -> str:
    return f"ducklake:{root}/catalog.ducklake DATA_PATH {root}/data"


def load_files(lake: str, paths: list[Path]) -> None:
    """Load each file in its own transaction, as daily runs do: a snapshot and small files each."""
    for path in paths:
        bundle = transform_issue(read_issue(path.name, path.read_bytes()), TODAY)
        with load.open_warehouse(parse_warehouse(lake)) as con:
            assert bulk_load.load_issues(
                con, parse_warehouse(lake), [bundle], f"run-{path.stem}", lambda: NOW
            )[0].loaded
            load.record_run(
                con, {"run_id": f"run-{path.stem}", "flow_name": "daily-ingest", "started_at": NOW}
            )


def answers(lake: str) -> list[list[tuple]]:
    with load.open_warehouse(parse_warehouse(lake)) as con:
        return [con.execute(query).fetchall() for query in ANSWERS]


def snapshots(lake: str) -> int:
    with load.open_warehouse(parse_warehouse(lake)) as con:
        return con.execute("select count(*) from lake.snapshots()").fetchone()[0]


def parquet_files(root: Path) -> int:
    return len(list((root / "data").rglob("*.parquet")))


def test_maintenance_keeps_every_answer_with_fewer_files_and_snapshots(tmp_path: Path) -> None:
    lake = lake_setting(tmp_path)
    load_files(lake, build_archive(tmp_path / "archive", 6))
    before, files, kept = answers(lake), parquet_files(tmp_path), snapshots(lake)
    with load.open_warehouse(parse_warehouse(lake)) as con:
        upkeep = lake_maintenance.maintain_lake(con, parse_warehouse(lake), keep_days=0)
    assert answers(lake) == before
    assert parquet_files(tmp_path) < files
    assert snapshots(lake) == 1 < kept
    assert upkeep.rows_flushed > 0  # the runs' rows, a few at a time, were inlined in the catalog
    assert upkeep.files_merged > upkeep.files_written > 0
    assert upkeep.snapshots_expired >= upkeep.snapshots_before  # and the flush's and the merge's
    assert upkeep.files_deleted >= upkeep.files_merged


def test_maintenance_keeps_the_snapshots_of_the_last_days(tmp_path: Path) -> None:
    lake = lake_setting(tmp_path)
    load_files(lake, build_archive(tmp_path / "archive", 2))
    kept = snapshots(lake)
    with load.open_warehouse(parse_warehouse(lake)) as con:
        upkeep = lake_maintenance.maintain_lake(con, parse_warehouse(lake), keep_days=7)
    assert upkeep.snapshots_expired == 0
    assert snapshots(lake) == kept + 2  # and the flush's and the merge's: time travel reaches them all


def test_maintenance_refuses_a_duckdb_file(warehouse: str) -> None:
    with load.open_warehouse(parse_warehouse(warehouse)) as con, pytest.raises(ValueError, match="DuckLake"):
        lake_maintenance.maintain_lake(con, parse_warehouse(warehouse), keep_days=7)


@pytest.mark.usefixtures("prefect_harness")
def test_newsprint_lake_maintenance_reports_what_it_did(tmp_path: Path, warehouse: str) -> None:
    lake = lake_setting(tmp_path)
    load_files(lake, build_archive(tmp_path / "archive", 2))
    result = CliRunner().invoke(app, ["lake-maintenance", "--warehouse", lake, "--keep-days", "0"])
    assert result.exit_code == 0, result.output
    assert '"snapshots_expired"' in result.stdout and snapshots(lake) == 1
    on_file = CliRunner().invoke(app, ["lake-maintenance", "--warehouse", warehouse])
    assert on_file.exit_code == 0, on_file.output


def test_the_schema_is_applied_once_per_version_of_its_files(tmp_path: Path, monkeypatch) -> None:
    lake = lake_setting(tmp_path)
    first = snapshots(lake)  # opening it applied the schema
    assert snapshots(lake) == snapshots(lake) == first  # every later open finds it applied
    extra = tmp_path / "views" / "zz_extra.sql"
    extra.parent.mkdir()
    extra.write_text("create or replace view extra_view as select 1 as one\n", encoding="utf-8")
    files = connection.view_files()
    monkeypatch.setattr(connection, "view_files", lambda: [*files, extra])
    again = snapshots(lake)
    assert again > first  # a new version of the files: applied
    assert snapshots(lake) == again  # once
    with load.open_warehouse(parse_warehouse(lake)) as con:
        assert con.execute("select count(*) from newsprint.schema_versions").fetchone() == (2,)
        assert con.execute("select * from extra_view").fetchall() == [(1,)]


def test_the_lake_search_index_copies_only_new_articles(tmp_path: Path, caplog, sample_issue) -> None:
    lake = lake_setting(tmp_path)
    paths = build_archive(tmp_path / "archive", 3)
    load_files(lake, paths[:2])
    caplog.set_level(logging.INFO, logger="flows")
    with load.open_warehouse(parse_warehouse(lake)) as con:
        assert search.refresh_index(con, parse_warehouse(lake))
        first = con.execute("select count(*) from articles").fetchone()[0]
    assert f"{first} article(s) copied" in caplog.text
    load_files(lake, paths[2:])
    caplog.clear()
    with load.open_warehouse(parse_warehouse(lake)) as con:
        assert search.refresh_index(con, parse_warehouse(lake))
        total = con.execute("select count(*) from articles").fetchone()[0]
        assert not search.refresh_index(con, parse_warehouse(lake))  # nothing new: the fingerprint matches
        expected = con.execute("select article_id from articles order by all").fetchall()
        headline = con.execute(
            "select headline from articles where issue_date = (select max(issue_date) "
            "from articles) and headline is not null limit 1"
        ).fetchone()[0]
    assert total - first > 0 and f"{total - first} article(s) copied" in caplog.text
    con = load.connect(parse_warehouse(lake), read_only=True)
    try:
        with lake_search.open_index(con, parse_warehouse(lake)) as index:
            assert index.execute("select article_id from articles order by all").fetchall() == expected
            assert fts.index_is_current(index)
        assert search.search_articles(con, parse_warehouse(lake), headline)
    finally:
        con.close()


def test_the_lake_search_index_drops_an_article_that_left(tmp_path: Path, sample_issue) -> None:
    lake = lake_setting(tmp_path)
    with load.open_warehouse(parse_warehouse(lake)) as con:
        bulk_load.load_issues(
            con, parse_warehouse(lake), [transform_issue(sample_issue, TODAY)], "run-1", lambda: NOW
        )
        search.refresh_index(con, parse_warehouse(lake))
        stricter = dict.fromkeys(Settings().checks, "error")  # every finding now rejects its article
        moved = revalidate_warehouse(con, parse_warehouse(lake), stricter, NOW)
        assert moved.to_rejected
        search.refresh_index(con, parse_warehouse(lake))
        kept = con.execute("select article_id from articles order by all").fetchall()
    con = load.connect(parse_warehouse(lake), read_only=True)
    try:
        with lake_search.open_index(con, parse_warehouse(lake)) as index:
            assert index.execute("select article_id from articles order by all").fetchall() == kept
            assert fts.index_is_current(index)
    finally:
        con.close()
