"""One Polars pass over a model's checks finds what Pandera finds; column-rule failures are Pandera's."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pandera.errors
import pandera.polars as pa
import polars as pl
import pytest

from flows.ingest import read_issue
from flows.models import ParsedIssue
from flows.parse import parse_issue
from flows.schema_pass import failures_in_one_pass
from flows.transform import IssueBundle, findings_frame, issue_frame, transform_issue
from flows.validate import validate_issues
from schemas import ArticleSchema, FindingSchema, IssueSchema, ReporterSchema
from tests.conftest import TODAY

LAYOUTS = Path(__file__).parent / "fixtures" / "layouts"
NOW = datetime(2026, 1, 15, 6, 0)


Failure = tuple[int | None, str, str | None]  # row, check, column


def pandera_failures(model: type[pa.DataFrameModel], frame: pl.DataFrame) -> list[Failure]:
    """Pandera's own report: (row, check, column) per failure case, in its order."""
    try:
        model.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        cases = errors.failure_cases.iter_rows(named=True)
        return [(c["index"], str(c["check"]), c["column"]) for c in cases]
    return []


def one_pass(model: type[pa.DataFrameModel], frame: pl.DataFrame) -> list[Failure] | None:
    found = failures_in_one_pass(model, frame)
    return None if found is None else [(row, check, column) for row, check, column, _ in found]


@pytest.fixture(scope="module")
def articles(sample_issue) -> pl.DataFrame:
    """The articles of the sample and every layout fixture, as validated (many fail checks)."""
    parsed = [parse_issue(sample_issue, TODAY)]
    parsed += [parse_issue(read_issue(p.name, p.read_bytes()), TODAY) for p in sorted(LAYOUTS.glob("*.txt"))]
    return pl.concat([v.articles for v in validate_issues(parsed)], how="vertical_relaxed")


@pytest.fixture(scope="module")
def bundle(sample_issue) -> IssueBundle:
    return transform_issue(sample_issue, TODAY)


def test_article_checks_fail_on_the_rows_pandera_names(articles: pl.DataFrame) -> None:
    found = one_pass(ArticleSchema, articles)
    assert found == pandera_failures(ArticleSchema, articles)
    assert {check for _, check, _ in found} >= {"byline_present", "dateline_present", "repeated_paragraph"}


def test_checks_of_odd_texts_agree_with_pandera(articles: pl.DataFrame, sample_parsed: ParsedIssue) -> None:
    odd = [
        "全市工作推进会\ufffd\ufffd召开。" * 6,  # replacement characters
        "ÏûÏ¢£º全市党建引领开放楼院精细化治理工作推进会召开。" * 3,  # GBK read as Latin-1
        "“你好”……——《通知》" * 10,  # punctuation runs that are not mojibake
        "青島市紀委監委印發《關於強化正風肅紀的通知》" * 4,  # traditional script
        "ABC 123 no Han at all, " * 5,
        "",
    ]
    frame = articles.head(len(odd)).with_columns(
        pl.Series("body", odd), pl.lit(None, pl.String).alias("headline")
    )
    found = one_pass(ArticleSchema, frame)
    assert found == pandera_failures(ArticleSchema, frame)
    checks = {(row, check) for row, check, _ in found}
    assert {(0, "text_not_garbled"), (1, "text_not_garbled"), (3, "traditional_share_low")} <= checks
    assert (2, "text_not_garbled") not in checks and (4, "traditional_share_low") not in checks


@pytest.mark.parametrize(
    "broken",
    [
        pl.when(pl.col("seq") == 2).then(0).otherwise(pl.col("seq")).alias("seq"),  # a column check
        pl.when(pl.col("seq") == 2).then(None).otherwise(pl.col("body")).alias("body"),  # a null
        pl.col("article_id").first().alias("article_id"),  # not unique
        pl.col("seq").cast(pl.Int32),  # a column's type (not coerced)
    ],
)
def test_a_broken_column_is_left_to_pandera(articles: pl.DataFrame, broken: pl.Expr) -> None:
    frame = articles.with_columns(broken)
    assert pandera_failures(ArticleSchema, frame) != pandera_failures(ArticleSchema, articles)
    assert failures_in_one_pass(ArticleSchema, frame) is None


def test_a_missing_column_is_left_to_pandera(articles: pl.DataFrame) -> None:
    assert failures_in_one_pass(ArticleSchema, articles.drop("body_hash")) is None


def test_load_frames_coerced_as_pandera_coerces(bundle: IssueBundle) -> None:
    frames = {
        IssueSchema: issue_frame(bundle, NOW, "run"),
        ReporterSchema: bundle.reporters,
        FindingSchema: findings_frame(bundle, NOW),
    }
    assert frames[ReporterSchema].schema["position"] != pl.Int64  # coerced to the model's type
    for model, frame in frames.items():
        assert one_pass(model, frame) == pandera_failures(model, frame) == [], model.__name__
    undated = frames[IssueSchema].with_columns(pl.lit(None, pl.Date).alias("issue_date"))
    assert one_pass(IssueSchema, undated) == pandera_failures(IssueSchema, undated) != []


@pytest.mark.parametrize(
    "broken",
    [
        pl.when(pl.col("position") == 1).then(pl.lit("stringer")).otherwise(pl.col("role")).alias("role"),
        pl.lit(1).alias("position"),  # (article_id, position) no longer unique
        pl.lit("x").alias("position"),  # cannot be coerced to an integer
    ],
)
def test_a_broken_load_frame_is_left_to_pandera(bundle: IssueBundle, broken: pl.Expr) -> None:
    frame = bundle.reporters.with_columns(broken)
    assert pandera_failures(ReporterSchema, frame) != []
    assert failures_in_one_pass(ReporterSchema, frame) is None


def test_validation_is_unchanged_by_the_pass(
    sample_parsed: ParsedIssue, monkeypatch: pytest.MonkeyPatch
) -> None:
    """validate_issues gives the same verdicts and findings when Pandera runs every time."""
    unsigned = [replace(a, byline=None) if a.seq <= 3 else a for a in sample_parsed.articles]
    issues = [sample_parsed, replace(sample_parsed, articles=unsigned)]
    fast = validate_issues(issues)
    monkeypatch.setattr("flows.validate.failures_in_one_pass", lambda model, frame: None)
    slow = validate_issues(issues)
    for a, b in zip(fast, slow, strict=True):
        assert a.findings == b.findings
        assert a.accepted.equals(b.accepted) and a.rejected.equals(b.rejected)
