"""Pandera validation: 6 accepted and 1 rejected on the sample; duplicates are caught."""

from __future__ import annotations

from dataclasses import replace

from flows.models import ParsedIssue
from flows.validate import body_hash, validate_articles


def test_sample_six_accepted_one_rejected(sample_parsed: ParsedIssue) -> None:
    result = validate_articles(sample_parsed)
    assert result.accepted.height == 6
    assert result.rejected["headline"].to_list() == ["锚定新目标，笃行实干开新局"]
    assert result.rejected["failed_checks"].to_list() == [["dateline_present"]]
    errors = [(f.seq, f.check) for f in result.findings if f.severity == "error"]
    assert errors == [(5, "dateline_present")]


def test_duplicate_body_within_issue_is_rejected(sample_parsed: ParsedIssue) -> None:
    articles = [*sample_parsed.articles, replace(sample_parsed.articles[0], seq=8)]
    result = validate_articles(replace(sample_parsed, articles=articles))
    rejected = result.rejected.filter(result.rejected["seq"] == 8)
    assert rejected["failed_checks"].to_list() == [["body_not_duplicate"]]
    assert rejected["duplicate_of"].to_list() == [result.articles["article_id"][0]]


def test_duplicate_of_a_loaded_article_points_at_it(sample_parsed: ParsedIssue) -> None:
    first = sample_parsed.articles[0]
    result = validate_articles(sample_parsed, known_bodies={body_hash(first.body): "earlier-001"})
    row = result.rejected.filter(result.rejected["seq"] == 1)
    assert row["duplicate_of"].to_list() == ["earlier-001"]
    finding = next(f for f in result.findings if f.check == "body_not_duplicate")
    assert "earlier-001" in finding.detail


def test_body_hash_ignores_whitespace_and_punctuation_width() -> None:
    assert body_hash("会议强调,要深入 贯彻。") == body_hash("会议强调，要深入贯彻。")
    assert body_hash("会议强调，要深入贯彻。") != body_hash("会议强调，要贯彻。")


def test_missing_byline_is_an_error(sample_parsed: ParsedIssue) -> None:
    articles = [replace(sample_parsed.articles[0], byline=None), *sample_parsed.articles[1:]]
    result = validate_articles(replace(sample_parsed, articles=articles))
    assert ["byline_present"] in result.rejected["failed_checks"].to_list()
    assert result.accepted.height == 5


def test_severity_can_be_lowered_to_warning(sample_parsed: ParsedIssue) -> None:
    result = validate_articles(sample_parsed, severities={"dateline_present": "warning"})
    assert result.accepted.height == 7
    assert [(f.check, f.severity) for f in result.findings if f.check == "dateline_present"] == [
        ("dateline_present", "warning")
    ]
