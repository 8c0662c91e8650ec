"""Re-apply the current checks to every article in the warehouse, in one transaction.

The warehouse is replayed issue by issue in issue-date order, exactly as the loads judge
each issue: against itself and the articles accepted in the issues before it (flows/order.py).
A load replays the issues after one it brought in out of order (`replay_since`). Articles move between
`articles` and `rejected_articles` with every column they had; their findings are
rewritten (a finding that did not change keeps its `found_at`); the parser's evidence that
the stored columns cannot recompute (text lost at a page break) and findings of other
stages are kept with their configured severity. Nothing is dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import polars as pl

from flows.duplicates import STORED_BODIES, STORED_SIGNATURES, Seen, known_bodies, signatures_between
from flows.models import Finding
from flows.order import IssueKey, issue_key, since_date
from flows.settings import sql
from flows.storage.database import transaction, writer_lock
from flows.storage.relations import registered
from flows.storage.warehouse import Warehouse
from flows.text.similarity import SIGNATURE_KIND, SIGNATURE_SCHEMA, signature_frame
from flows.validate import ARTICLE_COLUMNS, check_articles, mark_duplicates, severity_levels
from schemas.articles import ARTICLE_CHECKS

log = logging.getLogger(__name__)

# Parser findings whose evidence only survives as a stored finding.
STORED_EVIDENCE = ["text_lost_at_break"]
_FINDINGS_SCHEMA = pl.Schema(
    {
        "issue_sha256": pl.String(),
        "article_id": pl.String(),
        "seq": pl.Int32(),
        "check": pl.String(),
        "severity": pl.String(),
        "detail": pl.String(),
        "found_at": pl.Datetime("us"),
    }
)


@dataclass
class Replay:
    """What the current checks make of the stored articles."""

    articles: pl.DataFrame  # stored rows with rejected, failed_checks and links recomputed
    findings: pl.DataFrame  # every finding of the replayed issues
    new_signatures: pl.DataFrame  # signatures that were missing or of another kind


@dataclass
class Revalidation:
    """The outcome of `newsprint revalidate`."""

    articles: int
    accepted: int
    rejected: int
    to_rejected: list[str] = field(default_factory=list)
    to_accepted: list[str] = field(default_factory=list)
    relinked: list[str] = field(default_factory=list)
    findings_before: int = 0
    findings_after: int = 0


def _carried(findings: pl.DataFrame) -> pl.DataFrame:
    """Stored findings the checks do not recompute: other stages' and issue-level ones."""
    recomputed = [*ARTICLE_CHECKS, *STORED_EVIDENCE]
    return findings.filter(~pl.col("check").is_in(recomputed) & ~pl.col("check").str.starts_with("articles."))


def replay(
    stored: pl.DataFrame,
    findings: pl.DataFrame,
    signatures: Mapping[str, list[int]],
    severities: Mapping[str, str] | None,
    now: datetime,
    seen: Seen | None = None,
) -> Replay:
    """Validate the stored articles again, issue by issue in issue-date order, as the loads did.

    `seen`: what the issues before the first replayed one hold (flows/duplicates.py); each
    replayed issue's accepted articles are added to it for the issues after it.
    """
    levels = severity_levels(severities)
    carried = _carried(findings)
    found_at = {
        (r["article_id"], r["check"], r["detail"]): r["found_at"] for r in findings.iter_rows(named=True)
    }
    stored = stored.cast({k: v for k, v in ARTICLE_COLUMNS.items() if k in stored.columns})
    missing = stored.filter(~pl.col("article_id").is_in(list(signatures)) & (pl.col("body") != ""))
    new_signatures = signature_frame(missing) if missing.height else pl.DataFrame(schema=SIGNATURE_SCHEMA)
    sigs = dict(signatures) | dict(zip(new_signatures["article_id"], new_signatures["minhash"], strict=True))
    seen = seen or Seen.of(pl.DataFrame(schema=STORED_BODIES), pl.DataFrame(schema=STORED_SIGNATURES))
    articles_out, findings_out = [], []
    for (sha,), issue in stored.group_by("issue_sha256", maintain_order=True):
        issue = issue.sort("seq")
        key = issue_key(issue["issue_date"][0], str(sha))
        ids = issue["article_id"].to_list()
        issue_sigs = pl.DataFrame(
            [{"article_id": a, "minhash": sigs[a]} for a in ids if a in sigs],
            schema={"article_id": pl.String, "minhash": SIGNATURE_SCHEMA["minhash"]},
        )
        known = seen.bodies_before(issue["body_hash"].to_list(), key)
        marked = mark_duplicates(issue, issue_sigs, known, seen.signatures_near(key))
        own = carried.filter((pl.col("issue_sha256") == sha) & pl.col("seq").is_not_null())
        parser = [
            Finding(r["check"], r["severity"], r["detail"], r["seq"]) for r in own.iter_rows(named=True)
        ]
        validated = check_articles(marked, levels, parser)
        rejected_ids = set(validated.rejected["article_id"])
        articles_out.append(
            pl.concat(
                [
                    validated.accepted.with_columns(
                        pl.lit([], dtype=pl.List(pl.String)).alias("failed_checks")
                    ),
                    validated.rejected,
                ],
                how="diagonal_relaxed",
            ).with_columns(pl.col("article_id").is_in(list(rejected_ids)).alias("rejected"))
        )
        by_seq = dict(zip(issue["seq"], ids, strict=True))
        rows = [
            {
                "issue_sha256": sha,
                "article_id": by_seq.get(f.seq),
                "seq": f.seq,
                "check": f.check,
                "severity": f.severity,
                "detail": f.detail,
            }
            for f in validated.findings
        ]
        rows += [
            r | {"severity": levels.get(r["check"], r["severity"])}
            for r in carried.filter((pl.col("issue_sha256") == sha) & pl.col("seq").is_null()).iter_rows(
                named=True
            )
        ]
        findings_out += [
            r | {"found_at": found_at.get((r["article_id"], r["check"], r["detail"]), now)} for r in rows
        ]
        seen.add(validated.accepted, issue_sigs, key)
    articles = pl.concat(articles_out, how="diagonal_relaxed") if articles_out else stored
    return Replay(
        articles=articles,
        findings=pl.DataFrame(findings_out, schema=_FINDINGS_SCHEMA),
        new_signatures=new_signatures,
    )


def _changed(before: pl.DataFrame, after: pl.DataFrame) -> pl.DataFrame:
    """Rows whose table, failed checks or duplicate links differ from what is stored."""
    keys = ["article_id", "was_rejected", "failed_checks", "duplicate_of", "near_duplicate_of"]
    old = before.select(keys).with_columns(
        pl.col("failed_checks").fill_null(pl.lit([], dtype=pl.List(pl.String)))
    )
    joined = after.join(old, on="article_id", suffix="_old")
    differs = (
        (pl.col("rejected") != pl.col("was_rejected_old"))
        | (pl.col("failed_checks") != pl.col("failed_checks_old"))
        | pl.col("duplicate_of").ne_missing(pl.col("duplicate_of_old"))
        | pl.col("near_duplicate_of").ne_missing(pl.col("near_duplicate_of_old"))
    )
    return joined.filter(differs).select(after.columns)


def _run(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame | None = None, **params: Any) -> None:
    """Run one statement from sql/, with a frame registered as `incoming` when given."""
    if frame is None:
        con.execute(sql(name), params or None)
    elif frame.height:
        with registered(con, "incoming", frame):
            con.execute(sql(name), params or None)


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [r[0] for r in con.execute(sql("quality/table_columns"), {"table": table}).fetchall()]


def revalidate_warehouse(
    con: duckdb.DuckDBPyConnection, warehouse: Warehouse, severities: Mapping[str, str] | None, now: datetime
) -> Revalidation:
    """Re-apply the current checks to all loaded and rejected articles, atomically (alone in a lake)."""
    with writer_lock(warehouse), transaction(con):
        return _replay_stored(con, severities, now, None)


def replay_since(
    con: duckdb.DuckDBPyConnection, since: IssueKey, severities: Mapping[str, str] | None, now: datetime
) -> Revalidation:
    """Judge again the issues from `since` on in issue-date order, inside the caller's transaction.

    For a load that brought in an issue earlier than some it found (flows/bulk_load.py): those
    were judged without it, and it may hold the earlier copy of their articles.
    """
    return _replay_stored(con, severities, now, since)


def _replay_stored(
    con: duckdb.DuckDBPyConnection,
    severities: Mapping[str, str] | None,
    now: datetime,
    since: IssueKey | None,
) -> Revalidation:
    """Replay the stored issues (all, or from `since` on) and write back what changed."""
    scope = {"since_date": since_date(since), "since_sha": since[2] if since else None}
    stored = con.execute(sql("quality/stored_articles"), {"evidence": STORED_EVIDENCE, **scope}).pl()
    issues = stored.select(pl.col("issue_sha256").unique().alias("sha256"))
    wanted = pl.DataFrame({"hash": issues["sha256"]}, schema={"hash": pl.String})
    with registered(con, "wanted", wanted):
        findings = con.execute(sql("quality/stored_findings"), {"all": since is None}).pl()
        minhashes = con.execute(
            sql("quality/stored_minhashes"), {"kind": SIGNATURE_KIND, "all": since is None}
        )
        signatures = dict(minhashes.fetchall())
    seen = None
    if since is not None:  # what the issues before it hold, as a load reads it
        hashes = stored["body_hash"].unique().to_list()
        dates = stored["issue_date"].unique().to_list()
        seen = Seen.of(known_bodies(con, hashes), signatures_between(con, dates), until=since)
    result = replay(stored, findings, signatures, severities, now, seen)
    changed = _changed(stored, result.articles)
    _run(con, "quality/delete_articles", changed)
    _run(con, "quality/delete_rejected_articles", changed)
    for table, rejected in (("articles", False), ("rejected_articles", True)):
        rows = changed.filter(pl.col("rejected") == rejected).select(_columns(con, table))
        _run(con, f"load/insert_{table}", rows)
    _run(con, "quality/delete_findings", issues)
    _run(con, "load/insert_quality_findings", result.findings)
    if since is None:
        _run(con, "quality/delete_other_minhashes", kind=SIGNATURE_KIND)
    _run(con, "load/insert_article_minhashes", result.new_signatures)
    _run(con, "quality/update_issue_counts", _issue_counts(result))
    moved = changed.filter(pl.col("rejected") != pl.col("was_rejected"))
    outcome = Revalidation(
        articles=result.articles.height,
        accepted=int((~result.articles["rejected"]).sum()) if result.articles.height else 0,
        rejected=int(result.articles["rejected"].sum()) if result.articles.height else 0,
        to_rejected=moved.filter(pl.col("rejected"))["article_id"].to_list(),
        to_accepted=moved.filter(~pl.col("rejected"))["article_id"].to_list(),
        relinked=changed.filter(pl.col("rejected") == pl.col("was_rejected"))["article_id"].to_list(),
        findings_before=findings.height,
        findings_after=result.findings.height,
    )
    log.info(
        "revalidated %d articles: %d to rejected, %d to accepted",
        outcome.articles,
        len(outcome.to_rejected),
        len(outcome.to_accepted),
    )
    return outcome


def _issue_counts(result: Replay) -> pl.DataFrame:
    """Accepted, rejected and findings per issue after the replay."""
    articles = result.articles.group_by("issue_sha256").agg(
        (~pl.col("rejected")).sum().alias("accepted"), pl.col("rejected").sum().alias("rejected")
    )
    findings = result.findings.group_by("issue_sha256").agg(pl.len().alias("findings"))
    return (
        articles.join(findings, on="issue_sha256", how="left")
        .with_columns(pl.col("findings").fill_null(0))
        .rename({"issue_sha256": "sha256"})
    )
