"""Revisions: a later file for a paper and date already loaded replaces the earlier issue.

A paper reissues a day (a correction), or a file copied half is copied again whole: the later
file is the issue of that day. Inside the load's transaction the earlier issue leaves every
live table and is kept, raw text and all, in `issue_revisions`; never are two issues of one
paper and date live at once. The later file is the one that arrives later: the next run's, or
the later one in a batch's order (a backfill goes through an archive in issue-date order,
then by path). A replaced issue counts as loaded: the same file again changes nothing.

The issues after the replaced one whose articles named its articles as their earlier copy
are judged again (flows/bulk_load.py, revalidate.replay_since).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb
import polars as pl

from flows.order import IssueKey, issue_key
from flows.settings import sql
from flows.storage.relations import registered, registered_hashes
from flows.transform import IssueBundle, issue_frame

log = logging.getLogger(__name__)

# issues columns that describe a judgement a replaced issue no longer has
_JUDGEMENT_COLUMNS = ("articles_total", "articles_accepted", "articles_rejected", "residue_lines", "findings")


@dataclass
class Loaded:
    """One issue of a batch: as committed (judged against the warehouse), or skipped and why."""

    bundle: IssueBundle
    loaded: bool
    loaded_at: datetime | None = None
    reason: str | None = None  # why it was not loaded
    replaced: list[str] = field(default_factory=list)  # the files of the issues it replaced (revisions)
    counts: tuple[int, int] | None = None  # (accepted, rejected) as committed, when a replay moved some


@dataclass
class Revised:
    """A batch after its revisions: what to load, and the stored issues to judge again."""

    live: list[Loaded]  # the batch's issues to load, in their order of arrival
    referencing: list[IssueKey] = field(default_factory=list)  # issues that named a replaced one's articles


def edition(bundle: IssueBundle) -> tuple[str, date] | None:
    """The paper and date an issue is the edition of (None when either is unknown: never replaced)."""
    issue = bundle.issue
    return (issue.paper, issue.issue_date) if issue.paper and issue.issue_date else None


def apply(con: duckdb.DuckDBPyConnection, new: list[Loaded], run_id: str | None, now: datetime) -> Revised:
    """Let the last file of each paper and date win, within the batch and over the warehouse."""
    last = {e: result for result in new if (e := edition(result.bundle)) is not None}
    live: list[Loaded] = []
    superseded: list[pl.DataFrame] = []
    for result in new:
        e = edition(result.bundle)
        winner = last[e] if e is not None else result
        if winner is result:
            live.append(result)
            continue
        result.reason = f"replaced by a later revision in the same batch, {winner.bundle.issue.source_file}"
        winner.replaced.append(result.bundle.issue.source_file)
        superseded.append(revision_row(result.bundle, winner.bundle.issue.sha256, now, run_id))
        log.info(
            "%s is a revision of %s: it replaces it",
            winner.bundle.issue.source_file,
            result.bundle.issue.source_file,
        )
    if superseded:
        _insert_revisions(con, pl.concat(superseded, how="vertical_relaxed"))
    return Revised(live, _replace_stored(con, live, run_id, now))


def _insert_revisions(con: duckdb.DuckDBPyConnection, rows: pl.DataFrame) -> None:
    with registered(con, "incoming", rows):
        con.execute(sql("revisions/insert_revisions"))


def revision_row(bundle: IssueBundle, replaced_by: str, now: datetime, run_id: str | None) -> pl.DataFrame:
    """The issue_revisions row of an issue replaced before it was ever loaded."""
    row = issue_frame(bundle, now, run_id).drop(*_JUDGEMENT_COLUMNS)
    return row.with_columns(
        pl.lit(None, dtype=pl.Datetime("us")).alias("loaded_at"),
        pl.lit(replaced_by).alias("replaced_by"),
        pl.lit(now, dtype=pl.Datetime("us")).alias("replaced_at"),
        pl.lit(run_id, dtype=pl.String).alias("replaced_by_run"),
    )


def _replace_stored(
    con: duckdb.DuckDBPyConnection, live: list[Loaded], run_id: str | None, now: datetime
) -> list[IssueKey]:
    """Replace the stored issues the batch's revise; return the issues that named their articles."""
    by_sha = {r.bundle.issue.sha256: r for r in live if edition(r.bundle) is not None}
    if not by_sha:
        return []
    incoming = pl.DataFrame(
        {
            "sha256": list(by_sha),
            "paper": [r.bundle.issue.paper for r in by_sha.values()],
            "issue_date": [r.bundle.issue.issue_date for r in by_sha.values()],
        },
        schema={"sha256": pl.String, "paper": pl.String, "issue_date": pl.Date},
    )
    with registered(con, "incoming", incoming):
        replaced = con.execute(sql("revisions/live_issues")).fetchall()
    if not replaced:
        return []
    for _, old_file, new_sha in replaced:
        winner = by_sha[new_sha]
        winner.replaced.append(old_file)
        log.info("%s is a revision of %s: it replaces it", winner.bundle.issue.source_file, old_file)
    pairs = pl.DataFrame(
        {"sha256": [r[0] for r in replaced], "replaced_by": [r[2] for r in replaced]},
        schema={"sha256": pl.String, "replaced_by": pl.String},
    )
    with registered(con, "incoming", pairs):
        con.execute(sql("revisions/keep_issues"), {"replaced_at": now, "run_id": run_id})
    old = [r[0] for r in replaced]
    with registered_hashes(con, old):
        articles = [row[0] for row in con.execute(sql("revisions/issue_articles")).fetchall()]
        con.execute(sql("revisions/delete_issues"))
    if not articles:
        return []
    with registered_hashes(con, articles):
        naming = con.execute(sql("revisions/referencing_issues")).fetchall()
    return [issue_key(day, sha) for day, sha in naming]
