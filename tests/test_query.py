"""The analyst's SQL: reads only, and says clearly why a statement was refused."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows import load
from flows.cli import app
from flows.query import QueryError, refuse_writes, run_query
from flows.transform import transform_issue
from tests.conftest import TODAY

runner = CliRunner()


@pytest.fixture
def loaded(warehouse: str, sample_issue) -> str:
    with load.open_warehouse(warehouse) as con:
        load.load_issue(con, transform_issue(sample_issue, TODAY), "run", datetime(2026, 1, 1))
    return warehouse


def _counts(warehouse: str) -> tuple[int, int]:
    with duckdb.connect(warehouse, read_only=True) as con:
        return con.execute("select (select count(*) from issues), (select count(*) from articles)").fetchone()


@pytest.mark.parametrize(
    ("statement", "kind"),
    [
        ("insert into articles select * from articles", "INSERT"),
        ("update articles set headline = 'x'", "UPDATE"),
        ("delete from articles", "DELETE"),
        ("create table notes as select 1 as n", "CREATE"),
        ("create temp table notes as select 1 as n", "CREATE"),
        ("drop table articles", "DROP"),
        ("attach '{tmp}/other.duckdb' as other", "ATTACH"),
        ("copy (select * from articles) to '{tmp}/articles.csv'", "COPY"),
        ("export database '{tmp}/dump'", "EXPORT"),
        ("select 1; delete from articles", "DELETE"),
    ],
)
def test_writes_are_refused_before_they_run(loaded: str, tmp_path: Path, statement: str, kind: str) -> None:
    before = _counts(loaded)
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir()}  # the warehouse (and its WAL)
    query = statement.format(tmp=tmp_path)
    with pytest.raises(QueryError, match=f"read-only and statement [12] is {kind}"):
        run_query(loaded, query)
    assert _counts(loaded) == before
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == files  # no file written or changed


def test_the_command_prints_the_refusal_without_a_traceback(loaded: str, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    result = runner.invoke(app, ["sql", f"copy articles to '{target}'", "--warehouse", loaded])
    assert result.exit_code == 1
    assert "refused: `newsprint sql` is read-only and statement 1 is COPY" in result.output
    assert "Traceback" not in result.output and not target.exists()


@pytest.mark.parametrize(
    "query",
    [
        "select count(*) from articles",
        "with a as (select seq from articles) select max(seq) from a",
        "describe articles",
        "show tables",
        "summarize select body_chars from articles",
        "explain select * from articles",
        "pragma table_info('articles')",
        "set threads = 1; select 1",
    ],
)
def test_reading_statements_run(loaded: str, query: str) -> None:
    refuse_writes(query)
    columns, rows = run_query(loaded, query)
    assert columns and rows


def test_the_read_only_connection_is_a_second_guard(loaded: str) -> None:
    con = load.connect(loaded, read_only=True)
    try:
        with pytest.raises(duckdb.InvalidInputException, match="read-only"):
            con.execute("delete from articles")
    finally:
        con.close()


def test_a_syntax_error_is_a_clear_message(loaded: str) -> None:
    with pytest.raises(QueryError, match="query failed: Parser Error"):
        run_query(loaded, "selec 1")
