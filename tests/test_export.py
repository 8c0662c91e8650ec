"""Parquet export, partitioned by issue date, read back by DuckDB as another tool would."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows import bulk_load, load
from flows.cli.app import app
from flows.ingest import read_issue
from flows.reports.export import export_queries, export_tables, export_warehouse, warehouse_tables
from flows.storage.warehouse import parse_warehouse
from flows.transform import transform_issue
from tests.conftest import TODAY
from tests.longread import LONGREAD_ISSUE_NAME, longread_issue

NOW = datetime(2026, 1, 15, 6, 0)
DATES = ["2025-12-30", "2026-01-06"]
runner = CliRunner()


@pytest.fixture(scope="module")
def two_issues(tmp_path_factory, sample_issue, sample_parsed) -> str:
    """A warehouse holding the sample (2025-12-30) and the reprinted long read (2026-01-06)."""
    path = str(tmp_path_factory.mktemp("export") / "warehouse.duckdb")
    later = read_issue(LONGREAD_ISSUE_NAME, longread_issue(sample_parsed))
    with load.open_warehouse(parse_warehouse(path)) as con:
        for issue in (sample_issue, later):
            assert bulk_load.load_issues(
                con, parse_warehouse(path), [transform_issue(issue, TODAY)], "run-1", lambda: NOW
            )[0].loaded
    return path


def read_back(folder: Path) -> duckdb.DuckDBPyRelation:
    return duckdb.sql(f"select * from read_parquet('{folder}/**/*.parquet', hive_partitioning = true)")


def count(warehouse: str, table: str) -> int:
    with duckdb.connect(warehouse, read_only=True) as con:
        return con.execute(f"select count(*) from {table}").fetchone()[0]


def test_every_table_has_an_export_query(two_issues: str) -> None:
    with duckdb.connect(two_issues, read_only=True) as con:
        tables = warehouse_tables(con)
        assert {"articles", "article_keywords", "article_entities", "runs"} <= set(tables)
        assert set(tables) <= set(export_queries())  # a new table needs an export query (sql/export.sql)
        assert export_tables(con) == sorted(tables)


def test_a_warehouse_without_a_table_still_exports(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "old.duckdb")) as con:
        con.execute("create table issues (sha256 varchar, issue_date date)")
        assert export_tables(con) == ["issues"]
        [exported] = export_warehouse(con, tmp_path / "out")
    assert (exported.table, exported.rows) == ("issues", 0)


def test_tables_are_partitioned_by_issue_date(two_issues: str, tmp_path: Path) -> None:
    with duckdb.connect(two_issues, read_only=True) as con:
        exported = {e.table: e for e in export_warehouse(con, tmp_path)}
    for table in ["issues", "articles", "article_terms", "article_keywords", "article_entities"]:
        assert exported[table].partitioned
        assert sorted(p.name for p in (tmp_path / table).iterdir()) == [f"issue_date={d}" for d in DATES]
        assert exported[table].rows == count(two_issues, table) > 0
        back = read_back(tmp_path / table)
        assert back.aggregate("count(*)").fetchone()[0] == exported[table].rows
    per_day = read_back(tmp_path / "article_keywords").aggregate("issue_date, count(*)").order("issue_date")
    assert [(str(d), n) for d, n in per_day.fetchall()] == [
        (DATES[0], 70),
        (DATES[1], 10),
    ]  # 10 per article, rejected ones too
    assert not exported["runs"].partitioned and (tmp_path / "runs" / "data_0.parquet").exists()


def test_child_rows_carry_their_articles_date(two_issues: str, tmp_path: Path) -> None:
    with duckdb.connect(two_issues, read_only=True) as con:
        export_warehouse(con, tmp_path)
    entities = read_back(tmp_path / "article_entities")
    dates = entities.filter("entity = '长木谷'").aggregate("list(distinct issue_date)").fetchone()[0]
    assert [str(d) for d in dates] == [DATES[0]]
    dates = entities.filter("entity = '吕良宝'").aggregate("list(distinct issue_date order by issue_date)")
    assert [
        str(d) for d in dates.fetchone()[0]
    ] == DATES  # rejected in the first issue, accepted in the second
    articles = read_back(tmp_path / "articles").filter("headline like '填补骨科%'")
    assert articles.aggregate("count(*)").fetchone()[0] == 1


def test_exporting_again_replaces_the_files(two_issues: str, tmp_path: Path) -> None:
    with duckdb.connect(two_issues, read_only=True) as con:
        export_warehouse(con, tmp_path)
        export_warehouse(con, tmp_path)
    assert read_back(tmp_path / "articles").aggregate("count(*)").fetchone()[0] == count(
        two_issues, "articles"
    )
    assert read_back(tmp_path / "runs").aggregate("count(*)").fetchone()[0] == 0


def test_cli_export(two_issues: str, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["export", str(tmp_path / "out"), "--warehouse", two_issues], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "article_keywords" in result.stdout and "issue_date=YYYY-MM-DD/" in result.stdout
    assert (tmp_path / "out" / "articles" / f"issue_date={DATES[0]}").is_dir()


def test_cli_export_without_a_warehouse(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["export", str(tmp_path / "out"), "--warehouse", str(tmp_path / "none.duckdb")]
    )
    assert result.exit_code == 1 and "newsprint run" in result.output
