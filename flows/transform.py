"""Turn one decoded issue into the frames the warehouse loads: parse, segment, validate.

Pure: no paths, connections or clocks; the caller passes `today`. An issue is judged here
against itself only; the load judges it against the warehouse (flows/bulk_load.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import polars as pl

from flows.models import Finding, Issue, ParsedIssue
from flows.parse import parse_issue
from flows.tokenise import ENTITY_SCHEMA, KEYWORD_SCHEMA, analyse_batch
from flows.validate import Validated, article_id, recheck_duplicates, validate_issues


@dataclass
class IssueBundle:
    """Everything one issue adds to the warehouse, as frames ready for Arrow."""

    parsed: ParsedIssue
    validated: Validated
    segmented: pl.DataFrame  # article_id, tokens, search_tokens (article_terms counts the tokens)
    reporters: pl.DataFrame
    keywords: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=KEYWORD_SCHEMA))
    entities: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=ENTITY_SCHEMA))
    severities: dict[str, str] = field(default_factory=dict)  # check → severity, as configured

    @property
    def issue(self) -> Issue:
        return self.parsed.issue

    def for_writer(self) -> IssueBundle:
        """This bundle without the parsed articles, which the writer never reads (a tenth of what a
        worker sends it: the articles' frames hold their text)."""
        return replace(self, parsed=replace(self.parsed, articles=[]))

    def incoming_body_hashes(self) -> list[str]:
        return self.validated.articles["body_hash"].to_list()

    def revalidate(
        self, known_bodies: Mapping[str, str], known_signatures: pl.DataFrame | None = None
    ) -> IssueBundle:
        """Re-run validation against what the warehouse holds now (the writer's view).

        From the articles frame, signatures and findings the worker made: only the duplicate
        marks can change, and only the duplicate checks read them (validate.recheck_duplicates).
        """
        validated = recheck_duplicates(self.validated, known_bodies, known_signatures, self.severities)
        return replace(self, validated=validated)


def reporters_frame(parsed: ParsedIssue) -> pl.DataFrame:
    """One row per person and role of every article."""
    rows = [
        {
            "article_id": article_id(parsed.issue.sha256, a.seq),
            "issue_sha256": parsed.issue.sha256,
            "position": position,
            "name": person.name,
            "role": person.role,
        }
        for a in parsed.articles
        for position, person in enumerate(a.contributors, start=1)
    ]
    schema = {
        "article_id": pl.String,
        "issue_sha256": pl.String,
        "position": pl.Int32,
        "name": pl.String,
        "role": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)


def transform_issue(issue: Issue, today: date, severities: Mapping[str, str] | None = None) -> IssueBundle:
    """Parse, segment and validate one issue (`severities`: check → error | warning | info)."""
    parsed = parse_issue(issue, today)
    (bundle,) = bundle_issues([parsed], validate_issues([parsed], severities), severities)
    return bundle


def bundle_issues(
    parsed: Sequence[ParsedIssue],
    validated: Sequence[Validated],
    severities: Mapping[str, str] | None = None,
) -> list[IssueBundle]:
    """Segment validated issues together (a backfill's worker: a batch) and gather each one's frames."""
    texts = analyse_batch([v.articles for v in validated])
    return [
        IssueBundle(
            parsed=p,
            validated=v,
            segmented=text.tokens,
            reporters=reporters_frame(p),
            keywords=text.keywords,
            entities=text.entities,
            severities=dict(severities or {}),
        )
        for p, v, text in zip(parsed, validated, texts, strict=True)
    ]


def issue_frame(bundle: IssueBundle, loaded_at: datetime, run_id: str | None) -> pl.DataFrame:
    """The one `issues` row of a bundle, raw text and residue included."""
    issue, parsed, validated = bundle.issue, bundle.parsed, bundle.validated
    row = {
        "sha256": issue.sha256,
        "source_file": issue.source_file,
        "file_sha256": issue.file_sha256,
        "file_size": issue.file_size,
        "paper": issue.paper,
        "issue_date": issue.issue_date,
        "issue_date_source": issue.issue_date_source,
        "encoding": issue.encoding,
        "lines": len(issue.text.splitlines()),
        "articles_total": validated.articles.height,
        "articles_accepted": validated.accepted.height,
        "articles_rejected": validated.rejected.height,
        "residue_lines": len(parsed.residue),
        "findings": len(validated.findings),
        "loaded_at": loaded_at,
        "run_id": run_id,
        "raw_text": issue.text,
        "residue": [line.text for line in parsed.residue],
    }
    return pl.DataFrame([row], schema_overrides={"issue_date": pl.Date, "residue": pl.List(pl.String)})


def findings_frame(bundle: IssueBundle, found_at: datetime) -> pl.DataFrame:
    """One row per finding, pointing at its article when it has one."""
    sha = bundle.issue.sha256
    findings: list[Finding] = bundle.validated.findings
    return pl.DataFrame(
        {
            "issue_sha256": [sha] * len(findings),
            "article_id": [article_id(sha, f.seq) if f.seq is not None else None for f in findings],
            "seq": [f.seq for f in findings],
            "check": [f.check for f in findings],
            "severity": [f.severity for f in findings],
            "detail": [f.detail for f in findings],
            "found_at": [found_at] * len(findings),
        },
        schema={
            "issue_sha256": pl.String,
            "article_id": pl.String,
            "seq": pl.Int32,
            "check": pl.String,
            "severity": pl.String,
            "detail": pl.String,
            "found_at": pl.Datetime("us"),
        },
    )
