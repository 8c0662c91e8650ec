"""Read the data-quality report of loaded issues from the warehouse (SQL in `sql/quality/`).

The run artifacts and `newsprint quality` both come from here, so they always agree with
what was committed, including the duplicates re-checked inside the load's transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from flows.reports.report import QualityReport
from flows.settings import sql


def _records(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql(f"quality/{name}"), params)
    columns = [d[0] for d in cursor.description or []]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def describe_scope(issue_date: date | None, issues: list[str] | None) -> str:
    """Say in a few words which issues a report covers."""
    if issues is not None:
        return f"{len(issues)} issue(s) loaded by this run"
    if issue_date is not None:
        return f"issues of {issue_date.isoformat()}"
    return "all loaded issues"


def read_report(
    con: duckdb.DuckDBPyConnection,
    issue_date: date | None = None,
    issues: list[str] | None = None,
    scope: str | None = None,
) -> QualityReport:
    """Return the quality report of the issues of one date, of a list of issues, or of all."""
    params = {"issue_date": issue_date, "issues": issues}
    return QualityReport(
        scope=scope or describe_scope(issue_date, issues),
        issues=_records(con, "report_issues", params),
        by_check=_records(con, "report_findings_by_check", params),
        rejected=_records(con, "report_rejected", params),
        findings=_records(con, "report_findings", params),
    )


def committed_counts(con: duckdb.DuckDBPyConnection, sha256: str) -> tuple[int, int]:
    """Return (accepted, rejected) articles of a loaded issue as committed."""
    row = con.execute(sql("quality/issue_counts"), {"sha256": sha256}).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)
