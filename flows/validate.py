"""Validate an issue's frames with Pandera and sort its articles into accepted and rejected.

Every failed check becomes a quality finding; an article with an `error` finding goes to
`rejected_articles`, one with warnings is loaded with them. Nothing is dropped, and a
failing frame never crashes the run: Pandera runs with `lazy=True` and its failure cases
become findings rows.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandera.errors
import pandera.polars as pa
import polars as pl

from flows.frames import split_parts, struct_lists
from flows.ingest import describe_files
from flows.models import Finding, ParsedIssue
from flows.schema_pass import SchemaFailure, failures_in_one_pass
from flows.settings import DEFAULT_CHECK_SEVERITIES
from flows.text.similarity import (
    SIGNATURE_SCHEMA,
    NearDuplicate,
    fold_text,
    minhash_matrix,
    near_links,
    signature_frame,
)
from schemas import rules
from schemas.articles import ARTICLE_CHECKS, PARSER_EVIDENCE, ArticleSchema
from schemas.findings import FindingSchema
from schemas.issues import IssueSchema
from schemas.reporters import ReporterSchema

log = logging.getLogger(__name__)

# Severity of a failure of the issues / reporters / findings models, unless configured.
FRAME_SEVERITY = "warning"
# Columns the checks read that are not columns of `articles` / `rejected_articles`.
CHECK_ONLY_COLUMNS = ("reporters", "parse_findings", "near_duplicate_similarity")

_STRUCT_FIELDS: dict[str, dict[str, pl.DataType]] = {  # the List(Struct) columns' fields
    "credits": {"role": pl.String(), "text": pl.String()},
    "parse_findings": {"check": pl.String(), "detail": pl.String()},
}
# Every column of the articles frame and its type (stored rows are cast to these to be re-checked).
ARTICLE_COLUMNS = pl.Schema(
    {
        "article_id": pl.String(),
        "issue_sha256": pl.String(),
        "issue_date": pl.Date(),
        "paper": pl.String(),
        "seq": pl.Int64(),
        "kicker": pl.String(),
        "headline": pl.String(),
        "subtitle": pl.String(),
        "byline": pl.String(),
        "dateline": pl.String(),
        "dateline_date": pl.Date(),
        "body": pl.String(),
        "paragraphs": pl.List(pl.String),
        "subheads": pl.List(pl.String),
        "credits": pl.List(pl.Struct(_STRUCT_FIELDS["credits"])),
        "body_chars": pl.Int64(),
        "body_hash": pl.String(),
        "duplicate_of": pl.String(),
        "near_duplicate_of": pl.String(),
        "near_duplicate_similarity": pl.Float64(),
        "split_confidence": pl.Float64(),
        "reporters": pl.List(pl.String),
        "parse_findings": pl.List(pl.Struct(_STRUCT_FIELDS["parse_findings"])),
    }
)


@dataclass
class Validated:
    """The outcome of validating one issue's articles."""

    articles: pl.DataFrame
    accepted: pl.DataFrame
    rejected: pl.DataFrame
    findings: list[Finding]
    signatures: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=SIGNATURE_SCHEMA))


@dataclass
class LoadFrames:
    """The issue, reporter and finding rows of one issue, checked and ready to insert."""

    issue: pl.DataFrame
    reporters: pl.DataFrame
    findings: pl.DataFrame


def body_hash(body: str) -> str:
    """Hash a body so whitespace and punctuation width do not make it a different text."""
    return _folded_hash(fold_text(body))


def _folded_hash(folded: str) -> str:
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()[:32]


def article_id(issue_sha256: str, seq: int) -> str:
    """Return a stable id: the same issue always gives its articles the same ids."""
    return f"{issue_sha256[:16]}-{seq:03d}"


def severity_levels(severities: Mapping[str, str] | None) -> Mapping[str, str]:
    """Return the severity of every check: as configured (settings.check_severities), else the defaults.

    A map without some article check is refused: merged nowhere else, it would make that check
    an error.
    """
    levels = severities or DEFAULT_CHECK_SEVERITIES
    missing = [check for check in ARTICLE_CHECKS if check not in levels]
    if missing:
        raise ValueError(f"no severity for {', '.join(missing)}: take them from settings.check_severities()")
    return levels


def batch_articles_frame(parsed_issues: Sequence[ParsedIssue]) -> tuple[pl.DataFrame, list[str]]:
    """Build one articles frame for many issues, column by column, and each body folded.

    The folded bodies (`fold_text`) give both the exact body hash and the MinHash shingles,
    so each body is folded once.
    """
    columns: dict[str, list[Any]] = {name: [] for name in ARTICLE_COLUMNS}
    folded: list[str] = []
    for parsed in parsed_issues:
        issue = parsed.issue
        for article in parsed.articles:
            body = article.body
            folded.append(fold_text(body))
            for name, value in (
                ("article_id", article_id(issue.sha256, article.seq)),
                ("issue_sha256", issue.sha256),
                ("issue_date", issue.issue_date),
                ("paper", issue.paper),
                ("seq", article.seq),
                ("kicker", article.kicker),
                ("headline", article.headline),
                ("subtitle", article.subtitle),
                ("byline", article.byline),
                ("dateline", article.dateline),
                ("dateline_date", article.dateline_date),
                ("body", body),
                ("paragraphs", article.paragraphs),
                ("subheads", article.subheads),
                ("credits", [{"role": c.role, "text": c.text} for c in article.credits]),
                ("body_chars", len(body)),
                ("body_hash", _folded_hash(folded[-1])),
                ("duplicate_of", None),
                ("near_duplicate_of", None),
                ("near_duplicate_similarity", None),
                ("split_confidence", round(article.confidence, 4)),
                ("reporters", [c.name for c in article.contributors]),
                ("parse_findings", [{"check": f.check, "detail": f.detail} for f in article.findings]),
            ):
                columns[name].append(value)
    data: dict[str, list[Any] | pl.Series] = dict(columns)
    for name, fields in _STRUCT_FIELDS.items():  # Polars builds these from Python row by row, slowly
        data[name] = struct_lists(name, columns[name], fields)
    return pl.DataFrame(data, schema=ARTICLE_COLUMNS), folded


def mark_duplicates(
    frame: pl.DataFrame,
    signatures: pl.DataFrame,
    known_bodies: Mapping[str, str] | None = None,
    known_signatures: pl.DataFrame | None = None,
    starts: Sequence[int] | None = None,
) -> pl.DataFrame:
    """Fill duplicate_of (same body hash) and near_duplicate_of (similar MinHash), earliest first.

    Each issue (rows starts[i]:starts[i+1]; the whole frame is one issue by default) is judged
    against the known articles (the issues before it: bodies by hash, signatures in its
    window, in issue-date order) and its own earlier articles, never against another issue
    of the frame.
    """
    ids = frame["article_id"].to_list()
    hashes, bodies = frame["body_hash"].to_list(), frame["body"].to_list()
    sig_row = {a: row for row, a in enumerate(signatures["article_id"].to_list())}
    matrix = minhash_matrix(signatures)
    known = known_signatures if known_signatures is not None else pl.DataFrame(schema=SIGNATURE_SCHEMA)
    known_ids, known_matrix = known["article_id"].to_list(), minhash_matrix(known)
    duplicate_of: list[str | None] = []
    near: dict[str, NearDuplicate] = {}
    for first, end in itertools.pairwise(starts if starts is not None else (0, frame.height)):
        exact = exact_duplicates(ids[first:end], hashes[first:end], bodies[first:end], known_bodies or {})
        duplicate_of += exact
        signed = [a for a in ids[first:end] if a in sig_row]
        skip = {a for a, d in zip(ids[first:end], exact, strict=True) if d is not None}
        near |= near_links(signed, matrix[[sig_row[a] for a in signed]], known_ids, known_matrix, skip)
    return frame.with_columns(_duplicate_columns(ids, duplicate_of, near))


def exact_duplicates(
    ids: Sequence[str], hashes: Sequence[str], bodies: Sequence[str], known_bodies: Mapping[str, str]
) -> list[str | None]:
    """Return, per article, the earliest article (known first) with the same body hash, if any."""
    seen = dict(known_bodies)
    duplicate_of: list[str | None] = []
    for this_id, digest, body in zip(ids, hashes, bodies, strict=True):
        duplicate_of.append(seen.get(digest) if body else None)
        seen.setdefault(digest, this_id)
    return duplicate_of


def _duplicate_columns(
    ids: Sequence[str], duplicate_of: Sequence[str | None], near: Mapping[str, NearDuplicate]
) -> list[pl.Series]:
    return [
        pl.Series("duplicate_of", duplicate_of, dtype=pl.String),
        pl.Series(
            "near_duplicate_of", [n.article_id if (n := near.get(a)) else None for a in ids], pl.String
        ),
        pl.Series(
            "near_duplicate_similarity",
            [n.similarity if (n := near.get(a)) else None for a in ids],
            pl.Float64,
        ),
    ]


def _schema_failures(schema: type[pa.DataFrameModel], frame: pl.DataFrame) -> list[SchemaFailure]:
    """Run a model eagerly and lazily: return (row, check, column, failure case) per failure.

    Its checks run as one Polars query (flows/schema_pass.py); Pandera runs itself when a
    column rule fails, and reports.
    """
    found = failures_in_one_pass(schema, frame)
    if found is not None:
        return found
    try:
        schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        return [
            (case["index"], str(case["check"]), case["column"], str(case["failure_case"]))
            for case in errors.failure_cases.iter_rows(named=True)
        ]
    return []


def _explain(check: str, row: dict[str, Any]) -> str:
    """Say in words why an article failed a check, with what a reader needs to find it."""
    low, high = rules.HEADLINE_CHARS
    text = f"{row['headline'] or ''}\n{row['body']}"
    explanations: dict[str, Callable[[], str]] = {
        "byline_present": lambda: "no byline",
        "dateline_present": lambda: "no dateline",
        "headline_present": lambda: "no headline",
        "body_not_duplicate": lambda: f"duplicate of {row['duplicate_of']}",
        "body_not_near_duplicate": lambda: (
            f"near duplicate of {row['near_duplicate_of']} "
            f"(similarity {row['near_duplicate_similarity']:.2f})"
        ),
        "headline_length_sane": lambda: (
            f"headline has {len(row['headline'] or '')} characters, not {low}–{high}"
        ),
        "reporter_names_plausible": lambda: (
            "not a name: " + "、".join(rules.implausible_names(row["reporters"]))
        ),
        "dateline_date_recent": lambda: _dateline_detail(row),
        "body_long_enough": lambda: f"body has {row['body_chars']} characters (< {rules.MIN_BODY_CHARS})",
        "repeated_paragraph": lambda: _repeated_detail(row),
        "text_lost_at_break": lambda: _parser_detail(row, "text_lost_at_break"),
        "text_not_garbled": lambda: "; ".join(rules.garbled_fragments(text))[:200],
        "traditional_share_low": lambda: "{} of {} Han characters are traditional-only".format(
            *rules.traditional_share(text)
        ),
    }
    explain = explanations.get(check)
    return explain() if explain else f"{check} failed"


def _dateline_detail(row: dict[str, Any]) -> str:
    days = (row["issue_date"] - row["dateline_date"]).days
    when = f"{days} days before" if days >= 0 else f"{-days} days after"
    return f"dateline {row['dateline_date']} is {when} the issue date {row['issue_date']}"


def _repeated_detail(row: dict[str, Any]) -> str:
    repeated = rules.repeated_paragraphs(row["paragraphs"])
    if not repeated:
        return _parser_detail(row, "repeated_paragraph")
    return "; ".join(f"printed twice: {p[:24]}…" for p in repeated)


def _parser_detail(row: dict[str, Any], check: str) -> str:
    return "; ".join(f["detail"] for f in row["parse_findings"] if f["check"] == check) or f"{check} failed"


def check_articles(
    frame: pl.DataFrame,
    severities: Mapping[str, str] | None = None,
    parser_findings: list[Finding] | None = None,
    failures: list[SchemaFailure] | None = None,
) -> Validated:
    """Run ArticleSchema over a marked frame; reject rows with an error, keep every finding.

    `parser_findings` are the parser's own (issue and article) findings: those a schema check
    re-states are dropped, the rest are kept with their configured severity. `failures`: the
    frame's ArticleSchema failures when already found.
    """
    if failures is None:
        failures = _schema_failures(ArticleSchema, frame)
    seqs = frame["seq"].to_list()
    findings = _article_findings(
        seqs, lambda row: frame.row(row, named=True), severity_levels(severities), parser_findings, failures
    )
    failed = _failed_checks(findings)
    frame = frame.with_columns(
        pl.Series("failed_checks", [failed.get(s, []) for s in seqs], dtype=pl.List(pl.String))
    )
    articles, accepted, rejected = _sort_rows(frame)
    return Validated(articles=articles, accepted=accepted, rejected=rejected, findings=findings)


DUPLICATE_CHECKS = ("body_not_duplicate", "body_not_near_duplicate")  # what the warehouse can change


def recheck_duplicates(
    validated: Validated,
    known_bodies: Mapping[str, str],
    known_signatures: pl.DataFrame | None,
    severities: Mapping[str, str] | None = None,
) -> Validated:
    """Validate an issue again against what the warehouse holds (the issues before it).

    Only the duplicate marks depend on the warehouse, and only the two duplicate checks read
    them (the marks' own column checks cannot fail): the issue's other findings stand, and
    those two checks run as ArticleSchema runs them, without a Pandera run (a tenth of a
    second each, for one issue the writer holds up).
    """
    marked = mark_duplicates(validated.articles, validated.signatures, known_bodies, known_signatures)
    schema = ArticleSchema.to_schema()
    checks = [check for check in schema.checks if check.name in DUPLICATE_CHECKS]
    lazy = marked.lazy()
    failures: list[SchemaFailure] = []
    for check in checks:
        passed = check._check_fn(pa.PolarsData(lazy)).collect().to_series()
        failures += [(row, check.name, None, "False") for row in (~passed).arg_true().to_list()]
    seqs = marked["seq"].to_list()
    levels = severity_levels(severities)
    rechecked = _article_findings(seqs, lambda row: marked.row(row, named=True), levels, [], failures)
    kept = [f for f in validated.findings if f.check not in DUPLICATE_CHECKS]
    findings = _ordered(kept + rechecked)
    failed = _failed_checks(findings)
    frame = marked.with_columns(
        pl.Series("failed_checks", [failed.get(s, []) for s in seqs], dtype=pl.List(pl.String))
    )
    articles, accepted, rejected = _sort_rows(frame)
    return Validated(articles, accepted, rejected, findings, validated.signatures)


def _ordered(findings: Sequence[Finding]) -> list[Finding]:
    """Put an issue's findings in _article_findings' order: the parser's first, then the schema's by row."""
    parser = [f for f in findings if f.check not in ARTICLE_CHECKS and not f.check.startswith("articles.")]
    schema = [f for f in findings if f not in parser]
    order = {name: i for i, name in enumerate(ARTICLE_CHECKS)}
    schema.sort(key=lambda f: (f.seq or 0, order.get(f.check, len(order)), f.check))
    return parser + schema


def _sort_rows(marked: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Return (articles, accepted, rejected) of a frame whose `failed_checks` give the verdicts.

    Rejected rows keep their failed checks; accepted rows and the articles frame do not.
    """
    failed = pl.col("failed_checks").list.len() > 0
    return (
        marked.drop("failed_checks"),
        marked.filter(~failed).drop("failed_checks", *CHECK_ONLY_COLUMNS),
        marked.filter(failed).drop(*CHECK_ONLY_COLUMNS),
    )


def _article_findings(
    seqs: Sequence[int],
    row_at: Callable[[int], dict[str, Any]],
    levels: Mapping[str, str],
    parser_findings: Sequence[Finding] | None,
    failures: Sequence[SchemaFailure],
) -> list[Finding]:
    """Turn an issue's parser findings and ArticleSchema failures into its findings, in order.

    `seqs` are the issue's article numbers by row; `row_at(row)` reads a failing row, whose
    values explain the failure.
    """
    findings = [
        Finding(check=f.check, severity=levels.get(f.check, f.severity), detail=f.detail, seq=f.seq)
        for f in parser_findings or []
        if f.check not in PARSER_EVIDENCE
    ]
    schema_findings = []
    for row, check, column, case in failures:
        if column is None and row is not None:  # a dataframe check: the row broke the rule
            name, detail = check, _explain(check, row_at(row))
        else:  # a column's type, nullability, range or uniqueness
            name, detail = f"articles.{column or 'frame'}", f"{check}: {case[:120]}"
        seq = seqs[row] if row is not None and row < len(seqs) else None
        schema_findings.append(
            Finding(check=name, severity=levels.get(name, "error"), detail=detail, seq=seq)
        )
    order = {name: i for i, name in enumerate(ARTICLE_CHECKS)}
    schema_findings.sort(key=lambda f: (f.seq or 0, order.get(f.check, len(order)), f.check))
    return findings + schema_findings


def _failed_checks(findings: Sequence[Finding]) -> dict[int, list[str]]:
    """Return, per article number, the checks it failed with an error (each once)."""
    failed: dict[int, list[str]] = {}
    for f in findings:
        if f.seq is not None and f.severity == "error" and f.check not in failed.get(f.seq, []):
            failed.setdefault(f.seq, []).append(f.check)
    return failed


def _gate_issue(
    issue: pl.DataFrame,
    reporters: pl.DataFrame,
    findings: pl.DataFrame,
    severities: Mapping[str, str] | None = None,
) -> LoadFrames:
    """Validate one issue's issue, reporter and finding rows before loading; failures become findings.

    The rows themselves are loaded as they are (the raw text keeps what they were read
    from); each failure adds a `quality_findings` row named `<table>.<column>` or for the
    model's own check, and the issue's findings count includes them.
    """
    levels = severity_levels(severities)
    sha = issue["sha256"][0]
    found_at = findings["found_at"][0] if findings.height else issue["loaded_at"][0]
    extra: list[dict[str, Any]] = []
    for table, schema, frame in (
        ("issues", IssueSchema, issue),
        ("article_reporters", ReporterSchema, reporters),
        ("quality_findings", FindingSchema, findings),
    ):
        for row, check, column, case in _schema_failures(schema, frame):
            name = check if column is None else f"{table}.{column}"
            article = frame["article_id"][row] if row is not None and "article_id" in frame.columns else None
            extra.append(
                {
                    "issue_sha256": sha,
                    "article_id": article,
                    "seq": None,
                    "check": name,
                    "severity": levels.get(name, FRAME_SEVERITY),
                    "detail": f"{table}: {check}" if column is None else f"{table}: {check}: {case[:120]}",
                    "found_at": found_at,
                }
            )
    if extra:
        log.warning("%d frame finding(s) for issue %s", len(extra), sha[:16])
        findings = pl.concat([findings, pl.DataFrame(extra, schema=findings.schema)])
        issue = issue.with_columns(pl.lit(findings.height).cast(issue["findings"].dtype).alias("findings"))
    return LoadFrames(issue=issue, reporters=reporters, findings=findings)


def validate_issues(
    parsed_issues: Sequence[ParsedIssue], severities: Mapping[str, str] | None = None
) -> list[Validated]:
    """Validate issues (a batch, or one) as one frame, each issue against itself only.

    Polars and Pandera cost mostly per call (Pandera: a query per column and check), so the
    batch is built, signed, marked and checked as one frame and cut into issues once at the
    end; per issue only plain Python runs. Every check looks at one row, except article_id's
    uniqueness, so a batch holding an article id twice, or failing a check on no particular
    row, is validated issue by issue: each issue's verdicts are those it gets alone.
    What the warehouse holds is judged by the load (recheck_duplicates).
    """
    if not parsed_issues:
        return []
    batch, folded = batch_articles_frame(parsed_issues)
    signatures = signature_frame(batch, folded)
    starts = list(itertools.accumulate((len(p.articles) for p in parsed_issues), initial=0))
    batch = mark_duplicates(batch, signatures, starts=starts)
    failures = _schema_failures(ArticleSchema, batch)
    unlocated = any(row is None for row, *_ in failures)
    if len(parsed_issues) > 1 and (batch["article_id"].n_unique() < batch.height or unlocated):
        return [alone for parsed in parsed_issues for alone in validate_issues([parsed], severities)]
    findings, failed_checks = _batch_findings(
        batch, parsed_issues, starts, failures, severity_levels(severities)
    )
    validated = _cut_into_issues(batch, signatures, starts, findings, failed_checks)
    files = describe_files([parsed.issue.source_file for parsed in parsed_issues])
    rejected = sum(v.rejected.height for v in validated)
    log.info("validated %s: %d articles, %d rejected", files, batch.height, rejected)
    return validated


def _batch_findings(
    batch: pl.DataFrame,
    parsed_issues: Sequence[ParsedIssue],
    starts: Sequence[int],
    failures: Sequence[SchemaFailure],
    levels: Mapping[str, str],
) -> tuple[list[list[Finding]], list[list[str]]]:
    """Return each issue's findings, as check_articles finds them, and each row's failed checks.

    A failure on no particular row comes only from a batch of one issue: it is that issue's.
    """
    per_issue: list[list[SchemaFailure]] = [[] for _ in parsed_issues]
    for row, check, column, case in failures:
        if row is None:
            per_issue[0].append((None, check, column, case))
            continue
        issue = bisect.bisect_right(starts, row) - 1  # the last issue starting at or before the row
        per_issue[issue].append((row - starts[issue], check, column, case))
    seqs = batch["seq"].to_list()
    findings: list[list[Finding]] = []
    failed_checks: list[list[str]] = []
    for issue, (parsed, found) in enumerate(zip(parsed_issues, per_issue, strict=True)):
        first, end = starts[issue], starts[issue + 1]
        issue_findings = _article_findings(
            seqs[first:end],
            functools.partial(_row_at, batch, first),
            levels,
            parsed.findings,
            found,
        )
        failed = _failed_checks(issue_findings)
        failed_checks += [failed.get(seq, []) for seq in seqs[first:end]]
        findings.append(issue_findings)
    return findings, failed_checks


def _row_at(frame: pl.DataFrame, first: int, row: int) -> dict[str, Any]:
    """Return a frame's row `row` counted from `first`, by column name."""
    return frame.row(first + row, named=True)


def _cut_into_issues(
    batch: pl.DataFrame,
    signatures: pl.DataFrame,
    starts: Sequence[int],
    findings: Sequence[list[Finding]],
    failed_checks: Sequence[list[str]],
) -> list[Validated]:
    """Sort the batch's rows into accepted and rejected and cut every frame into its issues."""
    count = len(findings)
    part = pl.Series("part", [i for i in range(count) for _ in range(starts[i], starts[i + 1])], pl.UInt32)
    marked = batch.with_columns(part, pl.Series("failed_checks", failed_checks, pl.List(pl.String)))
    articles, accepted, rejected = _sort_rows(marked)
    part_of = dict(zip(batch["article_id"], part, strict=True))
    signed = signatures.with_columns(
        pl.Series("part", [part_of[a] for a in signatures["article_id"]], pl.UInt32)
    )
    return [
        Validated(articles=a, accepted=ok, rejected=bad, findings=f, signatures=sig)
        for a, ok, bad, f, sig in zip(
            split_parts(articles, count),
            split_parts(accepted, count),
            split_parts(rejected, count),
            findings,
            split_parts(signed, count),
            strict=True,
        )
    ]


def gate_issues(
    parts: Sequence[tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, Mapping[str, str] | None]],
) -> list[LoadFrames]:
    """Gate a batch's (issue, reporters, findings, severities) with one run of each model.

    Each model's checks look at one row or at uniqueness, so when the whole batch passes every
    issue passes; otherwise each issue is gated alone, so each failure is its own issue's finding.
    """
    if not parts:
        return []
    models = (IssueSchema, ReporterSchema, FindingSchema)
    try:
        stacked = ([part[0] for part in parts], [part[1] for part in parts], [part[2] for part in parts])
        passed = all(
            not _schema_failures(model, pl.concat(frames, how="vertical_relaxed"))
            for model, frames in zip(models, stacked, strict=True)
        )
    except pl.exceptions.PolarsError:  # frames that do not stack: gate them one by one
        passed = False
    if not passed:
        return [_gate_issue(*part) for part in parts]
    return [LoadFrames(issue, reporters, findings) for issue, reporters, findings, _ in parts]
