"""Validating a batch of issues at once gives each issue exactly the verdicts it gets alone."""

from __future__ import annotations

import pickle
import random
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from bench.synthetic import synthetic_issue
from flows.ingest import read_issue
from flows.models import ParsedIssue
from flows.parse import parse_issue
from flows.settings import check_severities
from flows.transform import IssueBundle, bundle_issues, findings_frame, issue_frame, transform_issue
from flows.validate import Validated, gate_issues, validate_issues
from tests.conftest import TODAY

LAYOUTS = Path(__file__).parent / "fixtures" / "layouts"
NOW = datetime(2026, 1, 15, 6, 0)


@pytest.fixture(scope="module")
def issues(sample_issue) -> list[ParsedIssue]:
    """The sample, every layout fixture (rejections and warnings of all kinds), synthetic issues."""
    parsed = [parse_issue(sample_issue, TODAY)]
    for path in sorted(LAYOUTS.glob("*.txt")):
        parsed.append(parse_issue(read_issue(path.name, path.read_bytes()), TODAY))
    for n in range(3):
        text = synthetic_issue(date(2016, 1, 1 + n), random.Random(n))
        parsed.append(parse_issue(read_issue(f"city-2016-01-0{n + 1}.txt", text.encode()), TODAY))
    return parsed


def alone(parsed: ParsedIssue, severities: dict[str, str] | None = None) -> Validated:
    """Validate an issue in a batch of its own."""
    [result] = validate_issues([parsed], severities)
    return result


def assert_same(one, batch) -> None:
    assert batch.findings == one.findings
    for name in ("articles", "accepted", "rejected", "signatures"):
        assert getattr(batch, name).equals(getattr(one, name)), name


def test_a_batch_gets_each_issues_own_verdicts(issues: list[ParsedIssue]) -> None:
    one_by_one = [alone(parsed) for parsed in issues]
    assert sum(v.rejected.height for v in one_by_one) > 0  # the fixtures reject and warn
    assert sum(len(v.findings) for v in one_by_one) > len(issues)
    for one, batch in zip(one_by_one, validate_issues(issues), strict=True):
        assert_same(one, batch)


def test_severities_apply_in_a_batch(issues: list[ParsedIssue]) -> None:
    severities = check_severities({"dateline_present": "warning", "headline_present": "error"})
    for parsed, batch in zip(issues, validate_issues(issues, severities), strict=True):
        assert_same(alone(parsed, severities), batch)


def test_the_same_issue_twice_in_a_batch_is_validated_alone(issues: list[ParsedIssue]) -> None:
    twice = [issues[0], issues[1], issues[0]]  # the same article ids twice: not unique in the batch
    for parsed, batch in zip(twice, validate_issues(twice), strict=True):
        assert_same(alone(parsed), batch)


def test_duplicates_are_marked_within_each_issue_of_a_batch(issues: list[ParsedIssue]) -> None:
    first = issues[0]
    paragraphs = first.articles[0].paragraphs
    nearly = [*paragraphs[:-1], paragraphs[-1][:-12] + "另加一句话。"]
    copied = [
        replace(article, paragraphs={1: paragraphs, 2: nearly}.get(n, article.paragraphs))
        for n, article in enumerate(first.articles)
    ]
    with_copies = replace(first, articles=copied)
    batch = [with_copies, issues[1], replace(with_copies, issue=replace(first.issue, sha256="f" * 64))]
    results = validate_issues(batch)
    for parsed, result in zip(batch, results, strict=True):
        assert_same(alone(parsed), result)
    for result in (results[0], results[2]):  # linked inside its own issue, never to the other copy
        marked = result.articles.select("seq", "duplicate_of", "near_duplicate_of").rows()
        own = result.articles["article_id"][0]
        assert marked[1][1] == own and marked[2][2] == own, marked
        assert "body_not_duplicate" in {f.check for f in result.findings if f.seq == marked[1][0]}


def test_an_issue_of_a_batch_pickles_to_its_own_size(issues: list[ParsedIssue]) -> None:
    # A backfill worker pickles each issue's frames to the writer: a part of a batch frame
    # must not carry the whole batch's text with it (it did, 5-27x, for `paragraphs`).
    bundles = bundle_issues(issues, validate_issues(issues))
    for parsed, bundle in zip(issues, bundles, strict=True):
        [single] = bundle_issues([parsed], [alone(parsed)])
        assert _pickled_frames(bundle) < 1.15 * _pickled_frames(single) + 2000, parsed.issue.source_file


def _pickled_frames(bundle: IssueBundle) -> int:
    validated = bundle.validated
    frames = [validated.articles, validated.accepted, validated.rejected, validated.signatures]
    frames += [bundle.segmented, bundle.reporters, bundle.keywords, bundle.entities]
    return sum(len(pickle.dumps(frame)) for frame in frames)


def test_an_empty_batch_and_an_issue_without_articles(issues: list[ParsedIssue]) -> None:
    assert validate_issues([]) == []
    [result] = validate_issues([replace(issues[0], articles=[], findings=[])])
    assert result.articles.height == 0 and result.findings == []


def test_a_gated_batch_equals_gating_issue_by_issue(issues: list[ParsedIssue]) -> None:
    bundles = [transform_issue(parsed.issue, TODAY) for parsed in issues[:4]]
    parts = [(issue_frame(b, NOW, "run"), b.reporters, findings_frame(b, NOW), None) for b in bundles]
    broken = (parts[1][0].with_columns(pl.lit(None, pl.Date).alias("issue_date")), *parts[1][1:])
    for batch in (parts, [parts[0], broken, parts[2]]):  # one passes, one falls back issue by issue
        for part, gated in zip(batch, gate_issues(batch), strict=True):
            [single] = gate_issues([part])
            assert gated.issue.equals(single.issue)
            assert gated.reporters.equals(single.reporters)
            assert gated.findings.equals(single.findings)
    assert gate_issues([parts[0], broken])[1].findings.height > parts[1][2].height  # the gate's finding
