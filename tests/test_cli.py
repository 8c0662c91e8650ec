"""The `newsprint` command line: the parse --json contract and read-only SQL."""

from __future__ import annotations

import json
from datetime import datetime

from typer.testing import CliRunner

from flows import load
from flows.cli import app
from flows.settings import SAMPLE_ISSUE
from flows.transform import transform_issue
from tests.conftest import TODAY

runner = CliRunner()


def test_parse_json_contract() -> None:
    result = runner.invoke(app, ["parse", str(SAMPLE_ISSUE), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) >= {"issue", "articles", "residue"}
    assert set(doc["issue"]) >= {"paper", "issue_date", "issue_date_source", "encoding", "sha256"}
    assert doc["issue"]["issue_date"] == "2025-12-30"
    article = doc["articles"][6]
    assert set(article) >= {
        "seq",
        "kicker",
        "headline",
        "subtitle",
        "byline",
        "reporters",
        "correspondents",
        "dateline",
        "dateline_date",
        "paragraphs",
        "body",
    }
    assert article["correspondents"] == ["李青健"]
    assert article["dateline_date"] == "2025-12-29"
    assert article["body"] == "\n".join(article["paragraphs"])
    assert doc["residue"] == []


def test_parse_preview_is_readable() -> None:
    result = runner.invoke(app, ["parse", str(SAMPLE_ISSUE)])
    assert result.exit_code == 0
    assert "锚定新目标" in result.stdout and "李青健" in result.stdout


def test_parse_reports_an_unreadable_file(tmp_path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = runner.invoke(app, ["parse", str(empty)])
    assert result.exit_code == 2 and "empty file" in result.output


def test_sql_formats(warehouse: str, sample_issue) -> None:
    with load.open_warehouse(warehouse) as con:
        load.load_issue(con, transform_issue(sample_issue, TODAY), "run", datetime(2026, 1, 1))
    query = "select seq, headline from articles order by seq limit 2"
    as_json = runner.invoke(app, ["sql", query, "--warehouse", warehouse, "--format", "json"])
    assert json.loads(as_json.stdout) == [
        {"seq": 1, "headline": "曾赞荣任刚会见宋迎东殷敬伟一行"},
        {"seq": 2, "headline": "全市党建引领开放楼院精细化治理工作推进会召开"},
    ]
    as_csv = runner.invoke(app, ["sql", query, "--warehouse", warehouse, "--format", "csv"])
    assert as_csv.stdout.splitlines()[0] == "seq,headline"


def test_sql_is_read_only(warehouse: str, sample_issue) -> None:
    with load.open_warehouse(warehouse):
        pass
    result = runner.invoke(app, ["sql", "delete from articles", "--warehouse", warehouse])
    assert result.exit_code == 1 and "read-only" in result.output.lower()


def test_python_dash_m_flows_has_every_command() -> None:
    """`python -m flows` is the same command line as `newsprint`, commands from every module included."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "flows", "--help"], capture_output=True, text=True, check=True, timeout=120
    )
    for command in ("run", "parse", "sql", "backfill", "bench", "serve", "search"):
        assert f" {command} " in result.stdout, command
