"""Run summaries and data-quality reports as plain data, markdown and table rows.

Pure: the Prefect module publishes these as artifacts and the CLI prints them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flows.models import Finding


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


def findings_by_check(outcomes: list[IssueOutcome]) -> Counter[tuple[str, str]]:
    return Counter((f.check, f.severity) for o in outcomes for f in o.findings)


def summary_markdown(stats: RunStats) -> str:
    """The run summary a person watching the Prefect UI reads first."""
    row = stats.row()
    lines = [
        f"# {stats.flow_name} run {stats.run_id}",
        "",
        "| files seen | loaded | skipped (already loaded) | failed | articles accepted | rejected |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {row['files_seen']} | {row['files_loaded']} | {row['files_skipped']} | "
        f"{row['files_failed']} | {row['articles_accepted']} | {row['articles_rejected']} |",
        "",
        "## Files",
        "",
        "| file | status | issue date | accepted | rejected | reason |",
        "|---|---|---|---:|---:|---|",
    ]
    for o in stats.outcomes:
        lines.append(
            f"| {o.source_file} | {o.status} | {o.issue_date or ''} | {o.accepted} | "
            f"{o.rejected} | {o.reason or ''} |"
        )
    counts = findings_by_check(stats.outcomes)
    lines += ["", "## Findings by check", ""]
    if counts:
        lines += ["| check | severity | count |", "|---|---|---:|"]
        lines += [f"| {c} | {s} | {n} |" for (c, s), n in sorted(counts.items())]
    else:
        lines.append("No findings.")
    return "\n".join(lines)


def findings_table(stats: RunStats) -> list[dict[str, Any]]:
    """One row per finding and per rejected article, for a table artifact."""
    rows: list[dict[str, Any]] = []
    for o in stats.outcomes:
        for f in o.findings:
            rows.append(
                {
                    "file": o.source_file,
                    "seq": f.seq,
                    "check": f.check,
                    "severity": f.severity,
                    "detail": f.detail,
                }
            )
        if o.status == "failed":
            rows.append(
                {
                    "file": o.source_file,
                    "seq": None,
                    "check": "file_unreadable",
                    "severity": "error",
                    "detail": o.reason,
                }
            )
    return rows
