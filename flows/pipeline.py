"""Prefect flows: thin wiring of the stages, with retries, logs and artifacts.

The only module that imports Prefect. Work is batched per issue, never a task per article.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.states import Failed

from flows import ingest, load, quality, search
from flows.ingest import IngestError
from flows.models import Issue
from flows.report import IssueOutcome, QualityReport, RunStats, findings_table, summary_markdown
from flows.settings import Settings
from flows.transform import IssueBundle, transform_issue


@task(name="discover-files", retries=2, retry_delay_seconds=1, cache_policy=NO_CACHE, tags=["io"])
def discover_files(inbox: Path) -> list[Path]:
    """List the inbox."""
    return ingest.list_inbox(inbox)


@task(name="read-issue", retries=2, retry_delay_seconds=1, cache_policy=NO_CACHE, tags=["io"])
def read_issue(path: Path, issue_date: date | None, paper: str | None) -> Issue:
    """Read and decode one file (IngestError is a verdict on the file, not retried)."""
    return ingest.read_issue(str(path), path.read_bytes(), issue_date=issue_date, paper=paper)


@task(name="transform-issue", cache_policy=NO_CACHE, tags=["cpu"])
def transform(
    issue: Issue, today: date, known: dict[str, str], severities: dict[str, str] | None = None
) -> IssueBundle:
    """Split, normalise, validate and segment one issue."""
    return transform_issue(issue, today, known, severities)


@task(name="load-issue", retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE, tags=["io", "duckdb"])
def load_bundle(con: duckdb.DuckDBPyConnection, bundle: IssueBundle, run_id: str) -> bool:
    """Load one issue in one transaction (a retry is safe: the load is idempotent)."""
    return load.load_issue(con, bundle, run_id, datetime.now())


@task(name="refresh-search-index", cache_policy=NO_CACHE, tags=["duckdb"])
def refresh_search_index(con: duckdb.DuckDBPyConnection) -> bool:
    """Rebuild the full-text index once per run, after the issues are loaded, if they changed it."""
    return search.refresh_index(con)


def _outcome(bundle: IssueBundle, status: str) -> IssueOutcome:
    validated = bundle.validated
    issue = bundle.issue
    return IssueOutcome(
        source_file=issue.source_file,
        status=status,
        sha256=issue.sha256,
        issue_date=issue.issue_date.isoformat() if issue.issue_date else None,
        accepted=validated.accepted.height,
        rejected=validated.rejected.height,
        findings=validated.findings,
    )


def publish_artifacts(stats: RunStats, prefix: str, report: QualityReport | None = None) -> None:
    """Publish the run summary and the findings table under stable keys (`report`: from the warehouse)."""
    create_markdown_artifact(
        key=f"{prefix}-summary", markdown=summary_markdown(stats, report), description="Run summary"
    )
    rows = findings_table(stats, report)
    create_table_artifact(
        key=f"{prefix}-findings",
        table=rows or [{"kind": "none", "file": "", "seq": None, "check": "", "severity": "", "detail": ""}],
        description="Rejected articles and quality findings",
    )


def read_run_report(con: duckdb.DuckDBPyConnection, stats: RunStats) -> QualityReport:
    """Read the quality of the issues this run loaded, as committed."""
    loaded = [o.sha256 for o in stats.outcomes if o.status == "loaded" and o.sha256]
    return quality.read_report(con, issues=loaded)


def ingest_files(
    paths: list[Path],
    con: duckdb.DuckDBPyConnection,
    stats: RunStats,
    issue_date: date | None,
    paper: str | None,
    severities: dict[str, str] | None = None,
) -> None:
    """Read, transform and load each file; a bad file is recorded and the rest go on."""
    logger = get_run_logger()
    today = date.today()
    for path in paths:
        try:
            issue = read_issue(path, issue_date, paper)
        except IngestError as error:
            logger.warning("cannot read %s: %s", path, error)
            stats.outcomes.append(IssueOutcome(str(path), "failed", reason=str(error)))
            load.record_failed_files(con, [_failed_row(path, str(error), stats.run_id)])
            continue
        if load.is_loaded(con, issue.sha256):
            logger.info("already loaded: %s", path)
            stats.outcomes.append(
                IssueOutcome(str(path), "skipped", sha256=issue.sha256, reason="already loaded")
            )
            continue
        # Duplicates against the warehouse are checked inside the load's transaction.
        bundle = transform(issue, today, {}, severities)
        loaded = load_bundle(con, bundle, stats.run_id)
        outcome = _outcome(bundle, "loaded" if loaded else "skipped")
        if loaded:  # the load re-checks duplicates against the warehouse: count what it committed
            outcome.accepted, outcome.rejected = quality.committed_counts(con, issue.sha256)
        stats.outcomes.append(outcome)


def _failed_row(path: Path, reason: str, run_id: str) -> dict[str, Any]:
    data = path.read_bytes() if path.exists() else b""
    return {
        "source_file": str(path),
        "file_sha256": hashlib.sha256(data).hexdigest(),
        "file_size": len(data),
        "reason": reason,
        "run_id": run_id,
        "failed_at": datetime.now(),
    }


@flow(name="daily-ingest", log_prints=True)
def daily_ingest(
    inbox: str | None = None,
    warehouse: str | None = None,
    issue_date: date | None = None,
    paper: str | None = None,
    checks: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Load every issue in the inbox that is not loaded yet (`checks`: check → severity overrides)."""
    settings = Settings()
    severities = {**settings.checks, **(checks or {})}
    inbox_dir = Path(inbox) if inbox else settings.inbox
    target = warehouse or settings.warehouse
    run_id = flow_run.get_id() or str(uuid.uuid4())
    stats = RunStats(run_id=run_id, flow_name="daily-ingest", started_at=datetime.now())
    logger = get_run_logger()
    paths = discover_files(inbox_dir)
    logger.info("%d file(s) in %s; warehouse %s", len(paths), inbox_dir, target)
    with load.open_warehouse(target, settings.lock_timeout_s) as con:
        ingest_files(paths, con, stats, issue_date, paper or settings.paper, severities)
        refresh_search_index(con)
        stats.ended_at = datetime.now()
        load.record_run(con, stats.row())
        report = read_run_report(con, stats)
    publish_artifacts(stats, "daily-ingest", report)
    row = stats.row()
    logger.info("run summary: %s", {k: v for k, v in row.items() if k.startswith(("files", "articles"))})
    if stats.status == "failed":
        return Failed(message=f"{row['files_failed']} file(s) could not be read", data=row)  # type: ignore[return-value]
    return row
