"""Run summaries and data-quality reports as plain data, markdown and table rows.

Pure: the Prefect module publishes these as artifacts and the CLI prints them, so the
terminal and the Prefect UI show the same report.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flows.models import Finding

# Columns of the findings table artifact, in order (one row per rejected article or finding).
TABLE_COLUMNS = ("kind", "issue_date", "file", "article_id", "seq", "headline", "check", "severity", "detail")
MAX_MARKDOWN_ROWS = 50  # longer lists are cut in the markdown; the table artifact has them all


@dataclass
class IssueOutcome:
    """What happened to one file of a run."""

    source_file: str
    status: str  # loaded | skipped | failed
    sha256: str | None = None
    issue_date: str | None = None
    accepted: int = 0
    rejected: int = 0
    reason: str | None = None
    findings: list[Finding] = field(default_factory=list)
    rejected_rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RunStats:
    """Counts of one flow run, as stored in the `runs` table."""

    run_id: str
    flow_name: str
    started_at: datetime
    outcomes: list[IssueOutcome] = field(default_factory=list)
    ended_at: datetime | None = None

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def status(self) -> str:
        return "failed" if self.count("failed") else "completed"

    def row(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "flow_name": self.flow_name,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "files_seen": len(self.outcomes),
            "files_loaded": self.count("loaded"),
            "files_skipped": self.count("skipped"),
            "files_failed": self.count("failed"),
            "articles_accepted": sum(o.accepted for o in self.outcomes),
            "articles_rejected": sum(o.rejected for o in self.outcomes),
            "status": self.status,
        }


@dataclass
class QualityReport:
    """The data quality of some loaded issues, as the warehouse holds it now."""

    scope: str
    issues: list[dict[str, Any]]  # issue_date, paper, source_file, sha256, accepted, rejected, findings
    by_check: list[dict[str, Any]]  # check, severity, count
    rejected: list[dict[str, Any]]  # issue_date, source_file, article_id, seq, headline, failed_checks, …
    findings: list[
        dict[str, Any]
    ]  # issue_date, source_file, article_id, seq, headline, check, severity, detail

    def totals(self) -> dict[str, int]:
        return {
            "issues": len(self.issues),
            "accepted": sum(i["accepted"] for i in self.issues),
            "rejected": sum(i["rejected"] for i in self.issues),
            "findings": sum(i["findings"] for i in self.issues),
        }


def findings_by_check(outcomes: list[IssueOutcome]) -> Counter[tuple[str, str]]:
    return Counter((f.check, f.severity) for o in outcomes for f in o.findings)


def _cell(value: Any) -> str:
    """Render a value for a markdown table cell (no pipes or line breaks inside)."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], align: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    shown = rows[:MAX_MARKDOWN_ROWS]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in shown]
    if len(rows) > len(shown):
        lines += ["", f"… and {len(rows) - len(shown)} more (see the findings table)."]
    return lines


def quality_markdown(report: QualityReport) -> str:
    """The quality sections: totals, issues, findings by check and rejected articles."""
    totals = report.totals()
    lines = [f"## Data quality: {report.scope}", ""]
    lines += _table(
        ["issues", "accepted", "rejected", "findings"],
        ["---:"] * 4,
        [[totals["issues"], totals["accepted"], totals["rejected"], totals["findings"]]],
    )
    lines += ["", "### Issues", ""]
    if report.issues:
        lines += _table(
            ["issue date", "paper", "file", "accepted", "rejected", "findings"],
            ["---", "---", "---", "---:", "---:", "---:"],
            [
                [i["issue_date"], i["paper"], i["source_file"], i["accepted"], i["rejected"], i["findings"]]
                for i in report.issues
            ],
        )
    else:
        lines.append("No issues loaded.")
    lines += ["", "### Findings by check", ""]
    if report.by_check:
        lines += _table(
            ["check", "severity", "count"],
            ["---", "---", "---:"],
            [[c["check"], c["severity"], c["count"]] for c in report.by_check],
        )
    else:
        lines.append("No findings.")
    lines += ["", "### Rejected articles", ""]
    if report.rejected:
        lines += _table(
            ["issue date", "article", "headline", "failed checks", "duplicate of"],
            ["---", "---", "---", "---", "---"],
            [
                [r["issue_date"], r["article_id"], r["headline"], r["failed_checks"], _earlier(r)]
                for r in report.rejected
            ],
        )
    else:
        lines.append("No rejected articles.")
    return "\n".join(lines)


def _earlier(rejected: dict[str, Any]) -> str | None:
    return rejected.get("duplicate_of") or rejected.get("near_duplicate_of")


def summary_markdown(stats: RunStats, report: QualityReport | None = None) -> str:
    """The run summary a person watching the Prefect UI reads first."""
    row = stats.row()
    lines = [f"# {stats.flow_name} run {stats.run_id}", ""]
    lines += _table(
        ["files seen", "loaded", "skipped (already loaded)", "failed", "articles accepted", "rejected"],
        ["---:"] * 6,
        [
            [
                row["files_seen"],
                row["files_loaded"],
                row["files_skipped"],
                row["files_failed"],
                row["articles_accepted"],
                row["articles_rejected"],
            ]
        ],
    )
    lines += ["", "## Files", ""]
    lines += _table(
        ["file", "status", "issue date", "accepted", "rejected", "reason"],
        ["---", "---", "---", "---:", "---:", "---"],
        [[o.source_file, o.status, o.issue_date, o.accepted, o.rejected, o.reason] for o in stats.outcomes],
    )
    lines.append("")
    if report is not None:
        lines.append(quality_markdown(report))
        return "\n".join(lines)
    counts = findings_by_check(stats.outcomes)
    lines += ["## Findings by check", ""]
    if counts:
        lines += _table(
            ["check", "severity", "count"],
            ["---", "---", "---:"],
            [[c, s, n] for (c, s), n in sorted(counts.items())],
        )
    else:
        lines.append("No findings.")
    return "\n".join(lines)


def quality_table(report: QualityReport) -> list[dict[str, Any]]:
    """One row per rejected article and per finding, for the table artifact and the terminal."""
    rows = [
        {
            "kind": "rejected",
            "issue_date": _iso(r["issue_date"]),
            "file": r["source_file"],
            "article_id": r["article_id"],
            "seq": r["seq"],
            "headline": r["headline"],
            "check": ", ".join(r["failed_checks"]),
            "severity": "error",
            "detail": f"duplicate of {_earlier(r)}" if _earlier(r) else None,
        }
        for r in report.rejected
    ]
    rows += [
        {
            "kind": "finding",
            "issue_date": _iso(f["issue_date"]),
            "file": f["source_file"],
            "article_id": f["article_id"],
            "seq": f["seq"],
            "headline": f["headline"],
            "check": f["check"],
            "severity": f["severity"],
            "detail": f["detail"],
        }
        for f in report.findings
    ]
    return rows


def _iso(value: Any) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else value


def findings_table(stats: RunStats, report: QualityReport | None = None) -> list[dict[str, Any]]:
    """Unreadable files, then rejected articles and findings (from the warehouse when given)."""
    rows: list[dict[str, Any]] = [
        dict.fromkeys(TABLE_COLUMNS)
        | {
            "kind": "file",
            "file": o.source_file,
            "check": "file_unreadable",
            "severity": "error",
            "detail": o.reason,
        }
        for o in stats.outcomes
        if o.status == "failed"
    ]
    if report is not None:
        return rows + quality_table(report)
    for o in stats.outcomes:
        rows += [
            dict.fromkeys(TABLE_COLUMNS)
            | {
                "kind": "finding",
                "issue_date": o.issue_date,
                "file": o.source_file,
                "seq": f.seq,
                "check": f.check,
                "severity": f.severity,
                "detail": f.detail,
            }
            for f in o.findings
        ]
    return rows
