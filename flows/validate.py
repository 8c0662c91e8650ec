"""Validate an issue's articles with Pandera and sort them into accepted and rejected.

Every failed check becomes a quality finding; a check whose severity is `error` sends the
article to `rejected_articles`. Nothing is dropped.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import pandera.errors
import polars as pl

from flows.models import Finding, ParsedIssue
from schemas.articles import ArticleSchema

log = logging.getLogger(__name__)

DEFAULT_SEVERITIES: dict[str, str] = {
    "byline_present": "error",
    "dateline_present": "error",
    "body_not_duplicate": "error",
}
_SCHEMA_CHECK_NAMES = {
    ("byline", "not_nullable"): "byline_present",
    ("dateline", "not_nullable"): "dateline_present",
}
_IGNORED_IN_HASH = re.compile(r"[\s\u3000\xa0]+")


@dataclass
class Validated:
    """The outcome of validating one issue's articles."""

    articles: pl.DataFrame
    accepted: pl.DataFrame
    rejected: pl.DataFrame
    findings: list[Finding]


def body_hash(body: str) -> str:
    """Hash a body so whitespace and punctuation width do not make it a different text."""
    folded = _IGNORED_IN_HASH.sub("", unicodedata.normalize("NFKC", body))
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()[:32]


def article_id(issue_sha256: str, seq: int) -> str:
    """Return a stable id: the same issue always gives its articles the same ids."""
    return f"{issue_sha256[:16]}-{seq:03d}"


def articles_frame(parsed: ParsedIssue, known_bodies: Mapping[str, str]) -> pl.DataFrame:
    """Build the articles frame, marking bodies already seen (here or in the warehouse)."""
    issue = parsed.issue
    seen = dict(known_bodies)
    rows = []
    for article in parsed.articles:
        digest = body_hash(article.body)
        this_id = article_id(issue.sha256, article.seq)
        duplicate_of = seen.get(digest) if article.body else None
        seen.setdefault(digest, this_id)
        rows.append(
            {
                "article_id": this_id,
                "issue_sha256": issue.sha256,
                "issue_date": issue.issue_date,
                "paper": issue.paper,
                "seq": article.seq,
                "kicker": article.kicker,
                "headline": article.headline,
                "subtitle": article.subtitle,
                "byline": article.byline,
                "dateline": article.dateline,
                "dateline_date": article.dateline_date,
                "body": article.body,
                "paragraphs": article.paragraphs,
                "subheads": article.subheads,
                "credits": [{"role": c.role, "text": c.text} for c in article.credits],
                "body_chars": len(article.body),
                "body_hash": digest,
                "duplicate_of": duplicate_of,
            }
        )
    return pl.DataFrame(rows, schema=_ARTICLE_SCHEMA)


_ARTICLE_SCHEMA = {
    "article_id": pl.String,
    "issue_sha256": pl.String,
    "issue_date": pl.Date,
    "paper": pl.String,
    "seq": pl.Int64,
    "kicker": pl.String,
    "headline": pl.String,
    "subtitle": pl.String,
    "byline": pl.String,
    "dateline": pl.String,
    "dateline_date": pl.Date,
    "body": pl.String,
    "paragraphs": pl.List(pl.String),
    "subheads": pl.List(pl.String),
    "credits": pl.List(pl.Struct({"role": pl.String, "text": pl.String})),
    "body_chars": pl.Int64,
    "body_hash": pl.String,
    "duplicate_of": pl.String,
}


def _failures(frame: pl.DataFrame) -> list[tuple[int | None, str, str]]:
    """Run the schema eagerly and lazily: return (row, check, detail) for every failure."""
    try:
        ArticleSchema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        out = []
        for case in cases.iter_rows(named=True):
            column, check = case.get("column"), str(case.get("check"))
            if column in (None, "ArticleSchema"):  # a dataframe check: the row failed the rule
                name, detail = check, f"{check} failed"
            else:
                name = _SCHEMA_CHECK_NAMES.get((column, check), f"{column}:{check}")
                detail = f"{column}={str(case.get('failure_case'))[:120]}"
            out.append((case.get("index"), name, detail))
        return out
    return []


def validate_articles(
    parsed: ParsedIssue,
    known_bodies: Mapping[str, str] | None = None,
    severities: Mapping[str, str] | None = None,
) -> Validated:
    """Check every article; reject those failing an error-severity check, keep the rest."""
    levels = {**DEFAULT_SEVERITIES, **(severities or {})}
    frame = articles_frame(parsed, known_bodies or {})
    findings = list(parsed.findings)
    failed_checks: dict[int, list[str]] = {}
    for row, check, detail in _failures(frame):
        severity = levels.get(check, "error")
        seq = int(frame["seq"][row]) if row is not None else None
        if check == "body_not_duplicate" and row is not None:
            detail = f"duplicate of {frame['duplicate_of'][row]}"
        findings.append(Finding(check=check, severity=severity, detail=detail, seq=seq))
        if row is not None and severity == "error":
            failed_checks.setdefault(row, []).append(check)
    checks = pl.Series(
        "failed_checks", [failed_checks.get(i, []) for i in range(frame.height)], dtype=pl.List(pl.String)
    )
    frame = frame.with_columns(checks)
    rejected_mask = frame["failed_checks"].list.len() > 0
    log.info("validated %d articles: %d rejected", frame.height, int(rejected_mask.sum()))
    return Validated(
        articles=frame,
        accepted=frame.filter(~rejected_mask).drop("failed_checks"),
        rejected=frame.filter(rejected_mask),
        findings=findings,
    )
