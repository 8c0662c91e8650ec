"""Run summaries and data-quality reports as plain data, markdown and table rows.

Pure: the Prefect module publishes these as artifacts and the CLI prints them, so the
terminal and the Prefect UI show the same report.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath
from typing import Any

from flows.models import Finding

# Columns of `newsprint quality --format json`'s table (one row per rejected article or finding).
TABLE_COLUMNS = ("kind", "issue_date", "file", "article_id", "seq", "headline", "check", "severity", "detail")
# Columns of the findings table an operator reads, in order: what and how bad first, where after.
FINDING_COLUMNS = ("severity", "check", "headline", "detail", "file", "issue_date", "seq", "article_id")
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
MAX_MARKDOWN_ROWS = 50  # longer lists are cut in the markdown; the table artifact has them all


@dataclass
class IssueOutcome:
    """What happened to one file of a run."""

    source_file: str
    status: str  # loaded | skipped | failed
    sha256: str | None = None
    issue_date: str | None = None
    paper: str | None = None
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
    stopped: str | None = None  # why the run stopped before its end (a full disk, a signal)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def status(self) -> str:
        return "failed" if self.stopped or self.count("failed") else "completed"

    @property
    def message(self) -> str | None:
        """Why the run failed, as the console says it (None when it completed)."""
        if self.stopped:
            return self.stopped
        failed = self.count("failed")
        return f"{failed} file(s) could not be read" if failed else None

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
            "message": self.message,
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


def base_name(path: str | None) -> str | None:
    """A file's name without its folder: the part that tells files apart in a narrow column."""
    return PurePath(path).name if path else path


def describe_issues(issues: list[tuple[str | None, str | None]]) -> str:
    """Say which issues these are in a few words: papers, then the date or the range of dates."""
    if not issues:
        return "no new issue"
    papers = sorted({paper or "unknown paper" for paper, _ in issues})
    dates = sorted({str(day) for _, day in issues if day})
    when = "undated" if not dates else dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
    count = f" ({len(issues)} issues)" if len(issues) > 1 else ""
    more = f" and {len(papers) - 3} more" if len(papers) > 3 else ""
    return f"{', '.join(papers[:3])}{more} {when}{count}"


def _cell(value: Any) -> str:
    """Render a value for a markdown table cell (no pipes or line breaks inside)."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(
    header: list[str], align: list[str], rows: list[list[Any]], more: str = "(see the findings table)"
) -> list[str]:
    """A markdown table of at most MAX_MARKDOWN_ROWS rows; `more` says what the rest are."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    shown = rows[:MAX_MARKDOWN_ROWS]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in shown]
    if len(rows) > len(shown):
        lines += ["", f"… and {len(rows) - len(shown)} more {more}."]
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
            [[i["issue_date"], i["paper"], base_name(i["source_file"]), *_counts(i)] for i in report.issues],
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
            ["issue date", "seq", "headline", "failed checks", "duplicate of", "article"],
            ["---", "---:", "---", "---", "---", "---"],
            [
                [r["issue_date"], r["seq"], r["headline"], r["failed_checks"], _earlier(r), r["article_id"]]
                for r in report.rejected
            ],
        )
    else:
        lines.append("No rejected articles.")
    return "\n".join(lines)


def _counts(issue: dict[str, Any]) -> list[int]:
    return [issue["accepted"], issue["rejected"], issue["findings"]]


def _earlier(rejected: dict[str, Any]) -> str | None:
    return rejected.get("duplicate_of") or rejected.get("near_duplicate_of")


def summary_markdown(
    stats: RunStats, report: QualityReport | None = None, read_copy: str | None = None
) -> str:
    """The run summary a person watching the Prefect UI reads first: which issues, what happened.

    Titled with the papers and issue dates loaded; then the counts, the warehouse key of the
    run's issues (`issues.run_id`, the flow run's id) and the copy analysts read.
    """
    row = stats.row()
    if report is not None:
        loaded = [(i["paper"], _iso(i["issue_date"])) for i in report.issues]
    else:
        loaded = [(o.paper, o.issue_date) for o in stats.outcomes if o.status == "loaded"]
    lines = [f"# {stats.flow_name}: {describe_issues(loaded)}, {stats.status}", ""]
    lines.append(
        f"**{row['files_seen']} file(s)**: {row['files_loaded']} loaded, {row['files_skipped']} skipped "
        f"(already loaded), {row['files_failed']} failed · **articles**: {row['articles_accepted']} "
        f"accepted, {row['articles_rejected']} rejected"
    )
    lines += ["", f"**In the warehouse**: the issues of this run have `run_id = '{stats.run_id}'`:", ""]
    query = f"select issue_date, paper, source_file from issues where run_id = '{stats.run_id}'"
    lines.append(f'    newsprint sql "{query}"')
    if read_copy:
        lines += ["", f"**Analysts' copy**: `{read_copy}`, published at the end of this run."]
    root = _common_folder([o.source_file for o in stats.outcomes])
    lines += ["", f"## Files in {root}" if root else "## Files", ""]
    lines += _table(
        ["file", "status", "paper", "issue date", "accepted", "rejected", "reason"],
        ["---", "---", "---", "---", "---:", "---:", "---"],
        [
            [_relative(o.source_file, root), o.status, o.paper, o.issue_date, *_tally(o)]
            for o in sorted(stats.outcomes, key=_outcome_order)
        ],
        more="files",
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


def _common_folder(paths: list[str]) -> str:
    """The folder all these files are in (an archive's root for a backfill), or "" if none."""
    folders = {str(PurePath(path).parent) for path in paths}
    try:
        return os.path.commonpath(folders) if folders else ""
    except ValueError:  # relative and absolute paths mixed
        return ""


def _relative(path: str, root: str) -> str:
    return str(PurePath(path).relative_to(root)) if root else path


def _tally(outcome: IssueOutcome) -> list[Any]:
    return [outcome.accepted, outcome.rejected, outcome.reason]


def _outcome_order(outcome: IssueOutcome) -> tuple[int, str]:
    """Failed files first, then loaded, then skipped; by file within each."""
    return ({"failed": 0, "loaded": 1}.get(outcome.status, 2), outcome.source_file)


def quality_table(report: QualityReport) -> list[dict[str, Any]]:
    """One row per rejected article and per finding (`newsprint quality --format json`)."""
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


def finding_rows(
    findings: Sequence[dict[str, Any]],
    failed: Sequence[IssueOutcome] = (),
    list_info: bool = False,
) -> list[dict[str, Any]]:
    """The findings an operator reads: errors first, then warnings; info findings counted per check.

    Columns in FINDING_COLUMNS' order, files by base name. An error rejects its article (or,
    `file_unreadable`, the file). `findings`: rows with issue_date, source_file, article_id,
    seq, headline, check, severity, detail (sql/quality/report_findings.sql).
    """
    rows: list[dict[str, Any]] = [
        {
            "severity": "error",
            "check": "file_unreadable",
            "headline": None,
            "detail": o.reason,
            "file": base_name(o.source_file),
            "issue_date": o.issue_date,
            "seq": None,
            "article_id": None,
        }
        for o in failed
    ]
    info: Counter[str] = Counter()
    for f in findings:
        if f["severity"] == "info" and not list_info:
            info[f["check"]] += 1
            continue
        rows.append(
            {
                "severity": f["severity"],
                "check": f["check"],
                "headline": f["headline"],
                "detail": f["detail"],
                "file": base_name(f["source_file"]),
                "issue_date": _iso(f["issue_date"]),
                "seq": f["seq"],
                "article_id": f["article_id"],
            }
        )
    rows.sort(
        key=lambda r: (
            SEVERITY_ORDER.get(r["severity"], 3),
            r["check"],
            r["issue_date"] or "",
            r["file"] or "",
            r["seq"] or 0,
        )
    )
    rows += [
        dict.fromkeys(FINDING_COLUMNS)
        | {"severity": "info", "check": check, "detail": f"{count} finding(s), counted, not listed"}
        for check, count in sorted(info.items())
    ]
    return rows


def _finding_order(row: dict[str, Any]) -> tuple[int, str, str, str, int]:
    """Errors, then warnings; by check, then where (issue date, file, article)."""
    where = (row["issue_date"] or "", row["file"] or "", row["seq"] or 0)
    return (SEVERITY_ORDER.get(row["severity"], 3), row["check"], *where)


def findings_table(stats: RunStats, report: QualityReport | None = None) -> list[dict[str, Any]]:
    """The findings table artifact: unreadable files and findings, errors first, info counted."""
    failed = [o for o in stats.outcomes if o.status == "failed"]
    if report is not None:
        return finding_rows(report.findings, failed)
    findings = [
        {
            "issue_date": o.issue_date,
            "source_file": o.source_file,
            "article_id": None,
            "seq": f.seq,
            "headline": None,
            "check": f.check,
            "severity": f.severity,
            "detail": f.detail,
        }
        for o in stats.outcomes
        for f in o.findings
    ]
    return finding_rows(findings, failed)
