"""The `newsprint` command line: the parse --json contract and read-only SQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows import load
from flows.cli.app import app
from flows.settings import PROJECT_ROOT, SAMPLE_ISSUE
from flows.storage.warehouse import parse_warehouse
from tests.conftest import load_issues_as_run

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


def test_parse_refuses_a_file_over_the_limit_of_run_unread(tmp_path, monkeypatch) -> None:
    huge = tmp_path / "huge-2025-12-30.txt"
    with huge.open("wb") as handle:  # sparse: 100 MB on paper, nothing on disk
        handle.truncate(100_000_000)
    result = runner.invoke(app, ["parse", str(huge)])
    assert result.exit_code == 2
    assert "too large: 100.0 MB, above the 50 MB limit (NEWSPRINT_MAX_FILE_MB); not read" in result.output
    monkeypatch.setenv("NEWSPRINT_MAX_FILE_MB", "0.01")
    result = runner.invoke(app, ["parse", str(SAMPLE_ISSUE)])
    assert result.exit_code == 2 and "above the 0.01 MB limit" in result.output


def test_sql_formats(warehouse: str, sample_issue) -> None:
    load_issues_as_run(warehouse, [sample_issue])
    query = "select seq, headline from articles order by seq limit 2"
    as_json = runner.invoke(app, ["sql", query, "--warehouse", warehouse, "--format", "json"])
    assert json.loads(as_json.stdout) == [
        {"seq": 1, "headline": "曾赞荣任刚会见宋迎东殷敬伟一行"},
        {"seq": 2, "headline": "全市党建引领开放楼院精细化治理工作推进会召开"},
    ]
    as_csv = runner.invoke(app, ["sql", query, "--warehouse", warehouse, "--format", "csv"])
    assert as_csv.stdout.split("\n")[0] == "seq,headline"  # lines end in \n alone, for `$(… | tail -1)`


def test_sql_is_read_only(warehouse: str, sample_issue) -> None:
    with load.open_warehouse(parse_warehouse(warehouse)):
        pass
    result = runner.invoke(app, ["sql", "delete from articles", "--warehouse", warehouse])
    assert result.exit_code == 1 and "read-only" in result.output.lower()


def test_python_dash_m_flows_has_every_command() -> None:
    """`python -m flows` is the same command line as `newsprint`, commands from every module included."""
    result = subprocess.run(
        [sys.executable, "-m", "flows", "--help"], capture_output=True, text=True, check=True, timeout=120
    )
    for command in ("run", "parse", "sql", "backfill", "bench", "serve", "search"):
        assert f" {command} " in result.stdout, command


@pytest.mark.slow
def test_a_first_run_on_a_fresh_machine_prints_no_error_and_no_traceback(tmp_path: Path) -> None:
    """`newsprint run` with a new Prefect home and no API: Prefect's temporary server stays quiet.

    Offline, Prefect's telemetry logged an ERROR on every run, and its first write to a new
    SQLite database could meet "database is locked" and print a traceback: the project's
    commands turn telemetry off (flows/__init__.py), so nothing here may switch it off for them.
    """
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / SAMPLE_ISSUE.name).write_bytes(SAMPLE_ISSUE.read_bytes())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "NEWSPRINT_", "DO_NOT_"))}
    env |= {"HOME": str(tmp_path), "PREFECT_HOME": str(tmp_path / "prefect")}
    warehouse = tmp_path / "warehouse.duckdb"
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("newsprint")),
            "run",
            "--inbox",
            str(inbox),
            "--warehouse",
            str(warehouse),
            "--settle-seconds",
            "0",  # the file was written whole just now
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "Starting temporary server" in output  # the case in question: no API configured
    assert "| ERROR" not in output and "Traceback" not in output, output[-3000:]
    assert '"files_loaded": 1' in output


@pytest.mark.parametrize("command", ["run", "revalidate"])
def test_run_and_revalidate_read_checks_the_same_way(tmp_path: Path, command: str) -> None:
    """One reading of `--checks` for both commands: a wrong severity is a usage error, said as such."""
    wrong = tmp_path / "checks.toml"
    wrong.write_text('byline_present = "fatal"\n', encoding="utf-8")
    warehouse = str(tmp_path / "warehouse.duckdb")
    result = CliRunner().invoke(app, [command, "--checks", str(wrong), "--warehouse", warehouse])
    assert result.exit_code == 2, result.output
    assert "Invalid value for --checks" in result.output and "fatal" in result.output
    assert not Path(warehouse).exists()  # refused before anything was opened


def test_unreadable_warehouse_setting_is_one_line(monkeypatch, capsys) -> None:
    """A bad NEWSPRINT_WAREHOUSE ends any command with one line naming the variable, not a traceback."""
    from flows.cli.app import main

    monkeypatch.setenv("NEWSPRINT_WAREHOUSE", "ducklake:sqlite:/tmp/catalog.sqlite")
    with pytest.raises(SystemExit) as ended:
        main(["parse", str(SAMPLE_ISSUE), "--json"])
    assert ended.value.code == 2
    said = capsys.readouterr().err
    assert "NEWSPRINT_WAREHOUSE" in said and "DuckLake catalog" in said
    assert "Traceback" not in said
