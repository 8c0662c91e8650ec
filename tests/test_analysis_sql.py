"""The analyst views and every canned question in sql/analysis/, on a warehouse with the sample."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows import bulk_load, load
from flows.cli.app import app
from flows.query import run_query
from flows.settings import SQL_DIR
from flows.storage.warehouse import parse_warehouse
from flows.transform import transform_issue
from tests.conftest import TODAY

ANALYSES = sorted((SQL_DIR / "analysis").glob("*.sql"))
runner = CliRunner()


@pytest.fixture(scope="module")
def sample_warehouse(tmp_path_factory, sample_issue) -> str:
    path = str(tmp_path_factory.mktemp("analysis") / "warehouse.duckdb")
    with load.open_warehouse(parse_warehouse(path)) as con:
        bulk_load.load_issues(
            con,
            parse_warehouse(path),
            [transform_issue(sample_issue, TODAY)],
            "run-1",
            lambda: datetime(2026, 1, 15, 6),
        )
    return path


def rows_of(warehouse: str, name: str) -> list[dict[str, object]]:
    columns, rows = run_query(
        parse_warehouse(warehouse), (SQL_DIR / "analysis" / f"{name}.sql").read_text(encoding="utf-8")
    )
    return [dict(zip(columns, row, strict=True)) for row in rows]


def test_the_canned_questions_are_there() -> None:
    names = {p.stem for p in ANALYSES}
    assert names >= {
        "prolific_reporters",
        "keyword_trends_by_week",
        "articles_per_day",
        "page_furniture",
        "entities_together",
        "quality_over_time",
    }


@pytest.mark.parametrize("path", ANALYSES, ids=[p.stem for p in ANALYSES])
def test_every_analysis_runs_and_answers(sample_warehouse: str, path: Path) -> None:
    result = runner.invoke(app, ["sql", "-f", str(path), "--warehouse", sample_warehouse, "--format", "csv"])
    assert result.exit_code == 0, result.output
    header, *rows = result.stdout.splitlines()
    assert header and rows


def test_prolific_reporters(sample_warehouse: str) -> None:
    rows = rows_of(sample_warehouse, "prolific_reporters")
    liu = next(r for r in rows if r["name"] == "刘佳伟")
    assert (liu["articles"], liu["accepted"]) == (2, 2)
    assert rows[0]["articles"] >= liu["articles"]
    assert all(r["name"] != "李青健" for r in rows)  # a correspondent, not a reporter


def test_keyword_trends_by_week(sample_warehouse: str) -> None:
    rows = rows_of(sample_warehouse, "keyword_trends_by_week")
    assert [r["rank_in_week"] for r in rows] == list(range(1, 11))
    assert {str(r["week"]) for r in rows} == {"2025-12-29"}  # the Monday of the issue's week
    assert "手术机器人" in [r["keyword"] for r in rows]


def test_articles_per_day(sample_warehouse: str) -> None:
    [row] = rows_of(sample_warehouse, "articles_per_day")
    assert str(row["issue_date"]) == "2025-12-30"
    assert row["articles"] == row["accepted"] + row["rejected"] and row["chars"] > 0


def test_page_furniture(sample_warehouse: str) -> None:
    rows = {(r["furniture"], r["role"]): r["items"] for r in rows_of(sample_warehouse, "page_furniture")}
    assert rows[("byline", "correspondent")] == 1
    assert rows[("dateline", "dateline")] >= 6


def test_entities_together(sample_warehouse: str) -> None:
    rows = rows_of(sample_warehouse, "entities_together")
    assert (rows[0]["entity_a"], rows[0]["entity_b"], rows[0]["articles"]) == ("青岛", "青岛市", 2)
    assert all(r["entity_a"] < r["entity_b"] for r in rows)


def test_quality_over_time(sample_warehouse: str) -> None:
    [row] = rows_of(sample_warehouse, "quality_over_time")
    assert row["articles"] >= row["rejected"] >= 1 and "dateline_present" in row["checks"]


def test_article_overview_view(sample_warehouse: str) -> None:
    columns, rows = run_query(
        parse_warehouse(sample_warehouse), "select * from article_overview where headline like '填补骨科%'"
    )
    [row] = [dict(zip(columns, r, strict=True)) for r in rows]
    assert row["reporters"] == ["王萌"] and row["contributors"] == ["李青健（correspondent）"]
    assert row["keywords"][:2] == ["手术机器人", "长木谷"]
    assert row["organisations"][0] == "长木谷" and "青岛高新区" in row["places"]
