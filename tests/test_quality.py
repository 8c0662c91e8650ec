"""The quality gate at load time, the warehouse report, and the run's Prefect artifacts."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows import bulk_load, load
from flows.cli.app import app
from flows.ingest import read_issue
from flows.reports import quality
from flows.reports.report import FINDING_COLUMNS, quality_markdown, quality_table
from flows.settings import SAMPLE_ISSUE
from flows.storage.warehouse import parse_warehouse
from flows.transform import transform_issue
from tests.conftest import TODAY
from tests.reprint import LATER_ISSUE_NAME, later_issue_text

NOW = datetime(2026, 1, 15, 6, 0)
runner = CliRunner()


@pytest.fixture
def loaded(warehouse: str, sample_issue) -> str:
    """A warehouse holding the sample issue."""
    with load.open_warehouse(parse_warehouse(warehouse)) as con:
        assert bulk_load.load_issues(
            con, parse_warehouse(warehouse), [transform_issue(sample_issue, TODAY)], "run-1", lambda: NOW
        )[0].loaded
    return warehouse


def _later_bundle():
    text = later_issue_text(SAMPLE_ISSUE.read_text(encoding="utf-8"))
    return transform_issue(read_issue(LATER_ISSUE_NAME, text.encode("utf-8")), TODAY)


def test_sample_report_from_the_warehouse(loaded: str) -> None:
    with duckdb.connect(loaded, read_only=True) as con:
        report = quality.read_report(con, issue_date=date(2025, 12, 30))
    assert report.totals() == {"issues": 1, "accepted": 6, "rejected": 1, "findings": 6}
    assert [(c["check"], c["severity"], c["count"]) for c in report.by_check] == [
        ("dateline_present", "error", 1),
        ("repeated_paragraph", "warning", 1),
        ("text_lost_at_break", "warning", 1),
        ("paragraph_joined", "info", 3),
    ]
    assert [(r["seq"], r["headline"], r["failed_checks"]) for r in report.rejected] == [
        (5, "锚定新目标，笃行实干开新局", ["dateline_present"])
    ]
    warnings = {(f["seq"], f["check"]): f for f in report.findings if f["severity"] == "warning"}
    assert set(warnings) == {(5, "repeated_paragraph"), (6, "text_lost_at_break")}
    assert warnings[(5, "repeated_paragraph")]["headline"] == "锚定新目标，笃行实干开新局"
    lost = warnings[(6, "text_lost_at_break")]
    assert (
        lost["headline"] == "强化正风肃纪 弘扬新风正气"
        and "违" in lost["detail"]
        and "众利益问题。" in lost["detail"]
    )


def test_other_dates_have_nothing(loaded: str) -> None:
    with duckdb.connect(loaded, read_only=True) as con:
        report = quality.read_report(con, issue_date=date(2025, 12, 31))
    assert report.totals() == {"issues": 0, "accepted": 0, "rejected": 0, "findings": 0}
    assert "No issues loaded." in quality_markdown(report)


def test_reprint_in_a_later_issue_is_rejected_with_the_earlier_id(loaded: str) -> None:
    later = _later_bundle()
    with load.open_warehouse(parse_warehouse(loaded)) as con:
        earlier = dict(con.execute("select seq, article_id from articles").fetchall())
        assert bulk_load.load_issues(con, parse_warehouse(loaded), [later], "run-2", lambda: NOW)[0].loaded
        rejected = con.execute(
            "select seq, duplicate_of, failed_checks from rejected_articles where issue_sha256 = ?",
            [later.issue.sha256],
        ).fetchall()
        assert rejected == [(1, earlier[1], ["body_not_duplicate"])]
        detail = con.execute(
            "select detail from quality_findings where issue_sha256 = ? and \"check\" = 'body_not_duplicate'",
            [later.issue.sha256],
        ).fetchall()
        assert detail == [(f"duplicate of {earlier[1]}",)]
        report = quality.read_report(con, issue_date=date(2026, 1, 5))
    assert [(r["seq"], r["duplicate_of"]) for r in report.rejected] == [(1, earlier[1])]
    assert any(r["detail"] == f"duplicate of {earlier[1]}" for r in quality_table(report))


def test_edited_reprint_is_loaded_with_a_near_duplicate_warning(loaded: str) -> None:
    later = _later_bundle()
    with load.open_warehouse(parse_warehouse(loaded)) as con:
        earlier = con.execute("select article_id from articles where seq = 4").fetchone()[0]
        bulk_load.load_issues(con, parse_warehouse(loaded), [later], "run-2", lambda: NOW)
        row = con.execute(
            "select [kicker, headline, subtitle], near_duplicate_of from articles where issue_sha256 = ?",
            [later.issue.sha256],
        ).fetchall()
        # two heading lines without a dash: kicker + headline or headline + subtitle, the
        # splitter's call (tests/test_split.py); what matters here is the near-duplicate link
        assert len(row) == 1 and row[0][1] == earlier
        assert "青岛社会帮扶领域资金累计达15亿元" in row[0][0] and "兜住兜准民生底线" in row[0][0]
        finding = con.execute(
            "select seq, severity, detail from quality_findings where \"check\" = 'body_not_near_duplicate'"
        ).fetchall()
        assert len(finding) == 1 and finding[0][:2] == (2, "warning") and earlier in finding[0][2]
        signatures = con.execute("select count(*), count(distinct kind) from article_minhashes").fetchone()
        assert signatures == (9, 1)


def test_load_time_recheck_is_what_the_counts_say(loaded: str) -> None:
    later = _later_bundle()
    assert later.validated.rejected.height == 0  # transformed without the warehouse: nothing known
    with load.open_warehouse(parse_warehouse(loaded)) as con:
        bulk_load.load_issues(con, parse_warehouse(loaded), [later], "run-2", lambda: NOW)
        assert quality.committed_counts(con, later.issue.sha256) == (1, 1)
        issue_row = con.execute(
            "select articles_accepted, articles_rejected, findings from issues where sha256 = ?",
            [later.issue.sha256],
        ).fetchone()
        findings = con.execute(
            "select count(*) from quality_findings where issue_sha256 = ?", [later.issue.sha256]
        ).fetchone()
    assert issue_row == (1, 1, findings[0])


def test_quality_command_prints_the_report(loaded: str) -> None:
    result = runner.invoke(
        app, ["quality", "--warehouse", loaded, "--issue-date", "2025-12-30", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["totals"] == {"issues": 1, "accepted": 6, "rejected": 1, "findings": 6}
    assert [(r["kind"], r["seq"], r["check"]) for r in doc["table"] if r["severity"] != "info"] == [
        ("rejected", 5, "dateline_present"),
        ("finding", 5, "dateline_present"),
        ("finding", 5, "repeated_paragraph"),
        ("finding", 6, "text_lost_at_break"),
    ]
    rich = runner.invoke(app, ["quality", "--warehouse", loaded])
    assert rich.exit_code == 0 and "锚定新目标" in rich.stdout and "text_lost_at_break" in rich.stdout


def test_quality_command_without_a_warehouse(tmp_path: Path) -> None:
    result = runner.invoke(app, ["quality", "--warehouse", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1 and "newsprint run" in result.output


@pytest.mark.usefixtures("prefect_harness")
def test_run_publishes_the_same_report_as_artifacts(inbox: Path, warehouse: str) -> None:
    from prefect.artifacts import Artifact

    from flows.pipeline import daily_ingest

    shutil.copy(inbox / SAMPLE_ISSUE.name, inbox / "renamed-copy.txt")  # the same issue, another name
    first = daily_ingest(inbox=str(inbox), warehouse=warehouse)
    assert (first["files_seen"], first["files_loaded"], first["files_skipped"]) == (2, 1, 1)
    assert (first["articles_accepted"], first["articles_rejected"]) == (6, 1)

    summary = Artifact.get("daily-ingest-summary")
    table = Artifact.get("daily-ingest-findings")
    assert summary is not None and table is not None
    assert str(summary.flow_run_id) == first["run_id"] == str(table.flow_run_id)
    markdown = str(summary.data)
    assert "| 1 | 6 | 1 | 6 |" in markdown  # issues, accepted, rejected, findings
    for line in ("| dateline_present | error | 1 |", "| repeated_paragraph | warning | 1 |"):
        assert line in markdown
    assert "| text_lost_at_break | warning | 1 |" in markdown and "already loaded" in markdown
    assert markdown.startswith("# daily-ingest: qingdao-daily 2025-12-30, completed\n")
    query = f"select issue_date, paper, source_file from issues where run_id = '{first['run_id']}'"
    assert f'newsprint sql "{query}"' in markdown  # from the run to its issues
    assert f"| {SAMPLE_ISSUE.name} | loaded | qingdao-daily | 2025-12-30 | 6 | 1 |" in markdown  # base names
    rows = json.loads(table.data) if isinstance(table.data, str) else table.data
    assert [list(r) for r in rows] == [list(FINDING_COLUMNS)] * len(rows)  # what and how bad first
    assert [(r["severity"], r["check"], r["seq"], r["file"]) for r in rows] == [
        ("error", "dateline_present", 5, SAMPLE_ISSUE.name),  # errors first: the rejected article
        ("warning", "repeated_paragraph", 5, SAMPLE_ISSUE.name),
        ("warning", "text_lost_at_break", 6, SAMPLE_ISSUE.name),
        ("info", "paragraph_joined", None, None),  # info findings counted, not listed
    ]
    assert rows[0]["headline"] == "锚定新目标，笃行实干开新局" and rows[0]["issue_date"] == "2025-12-30"
    assert rows[-1]["detail"] == "3 finding(s), counted, not listed"

    printed = runner.invoke(app, ["quality", "--warehouse", warehouse, "--format", "markdown"])
    assert printed.exit_code == 0
    # the same renderer: everything below the scope line is the same text
    artifact_body = markdown.split("## Data quality:", 1)[1].split("\n", 1)[1]
    printed_body = printed.stdout.split("## Data quality:", 1)[1].split("\n", 1)[1]
    assert printed_body.startswith(artifact_body)


@pytest.mark.usefixtures("prefect_harness")
def test_the_same_file_under_another_name_loads_nothing(inbox: Path, warehouse: str, tmp_path: Path) -> None:
    from flows.pipeline import daily_ingest

    daily_ingest(inbox=str(inbox), warehouse=warehouse)
    again = tmp_path / "again"
    again.mkdir()
    shutil.copy(inbox / SAMPLE_ISSUE.name, again / "qd-20251230-reissued.txt")
    second = daily_ingest(inbox=str(again), warehouse=warehouse)
    assert (second["files_seen"], second["files_loaded"], second["files_skipped"]) == (1, 0, 1)
    assert (second["articles_accepted"], second["articles_rejected"]) == (0, 0)
    with duckdb.connect(warehouse, read_only=True) as con:
        counts = [con.execute(f"select count(*) from {t}").fetchone()[0] for t in ("issues", "articles")]
        assert counts == [1, 6]
        assert con.execute("select count(*) from rejected_articles").fetchone() == (1,)


def test_the_quality_report_reads_whole_at_80_columns(loaded: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.cells import cell_len

    from flows.cli.common import console

    monkeypatch.setattr(console, "width", 80)
    result = runner.invoke(app, ["quality", "--warehouse", loaded])
    assert result.exit_code == 0, result.output
    assert max(cell_len(line) for line in result.stdout.splitlines()) <= 80
    assert "…" not in result.stdout.replace("这为…", "").replace("问题。…", "").replace("…奢靡", "")
    for whole in ("dateline_present", "repeated_paragraph", "text_lost_at_break", "2025-12-30 #6"):
        assert whole in result.stdout
    assert "paragraph_joined ×3" in result.stdout  # info findings are counted, not listed
