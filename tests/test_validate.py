"""Pandera validation: the sample's verdicts, every article check on a hard case, severities."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from flows.models import Article, Contributor, Finding, ParsedIssue
from flows.settings import DEFAULT_CHECK_SEVERITIES, check_severities, read_check_severities
from flows.text.similarity import minhash_matrix, near_links, signature_frame
from flows.transform import findings_frame, issue_frame, transform_issue
from flows.validate import (
    Validated,
    body_hash,
    check_articles,
    gate_issues,
    recheck_duplicates,
    validate_issues,
)
from schemas import ARTICLE_CHECKS, rules
from tests.conftest import TODAY

TRADITIONAL = (
    "青島市紀委監委印發《關於強化正風肅紀確保元旦春節期間風清氣正的通知》，"
    "要求各級紀檢監察機關從嚴從實開展監督檢查。"
)


def _with(parsed: ParsedIssue, seq: int, **changes: object) -> ParsedIssue:
    """Return the sample with one article changed."""
    articles = [replace(a, **changes) if a.seq == seq else a for a in parsed.articles]
    return replace(parsed, articles=articles)


def validate(parsed: ParsedIssue, severities: dict[str, str] | None = None) -> Validated:
    """Validate one issue: a batch of one."""
    [result] = validate_issues([parsed], severities)
    return result


def _findings(result, seq: int | None = None) -> list[tuple[int | None, str, str]]:
    return [(f.seq, f.check, f.severity) for f in result.findings if seq is None or f.seq == seq]


def test_sample_six_accepted_one_rejected(sample_parsed: ParsedIssue) -> None:
    result = validate(sample_parsed)
    assert result.accepted.height == 6
    assert result.rejected["headline"].to_list() == ["锚定新目标，笃行实干开新局"]
    assert result.rejected["failed_checks"].to_list() == [["dateline_present"]]
    errors = [(f.seq, f.check) for f in result.findings if f.severity == "error"]
    assert errors == [(5, "dateline_present")]


def test_sample_findings_are_exactly_the_editors(sample_parsed: ParsedIssue) -> None:
    result = validate(sample_parsed)
    not_info = [f for f in _findings(result) if f[2] != "info"]
    assert not_info == [
        (5, "dateline_present", "error"),
        (5, "repeated_paragraph", "warning"),
        (6, "text_lost_at_break", "warning"),
    ]
    repeated = next(f for f in result.findings if f.check == "repeated_paragraph")
    assert "会议提出要‘推动科创大走廊建设迅速起势’" in repeated.detail
    lost = next(f for f in result.findings if f.check == "text_lost_at_break")
    assert "违" in lost.detail and "众利益问题。" in lost.detail
    headline = result.articles.filter(pl.col("seq") == 6)["headline"][0]
    assert headline == "强化正风肃纪 弘扬新风正气"


def test_repeated_paragraph_from_the_normaliser_is_not_counted_twice(sample_parsed: ParsedIssue) -> None:
    article = next(a for a in sample_parsed.articles if a.seq == 5)
    flagged = Finding("repeated_paragraph", "warning", "paragraph 10 repeats paragraph 4", seq=5)
    parsed = _with(sample_parsed, 5, findings=[*article.findings, flagged])
    parsed = replace(parsed, findings=[*parsed.findings, flagged])
    result = validate(parsed)
    assert [f for f in _findings(result) if f[1] == "repeated_paragraph"] == [
        (5, "repeated_paragraph", "warning")
    ]


def test_duplicate_body_within_issue_is_rejected(sample_parsed: ParsedIssue) -> None:
    articles = [*sample_parsed.articles, replace(sample_parsed.articles[0], seq=8)]
    result = validate(replace(sample_parsed, articles=articles))
    rejected = result.rejected.filter(result.rejected["seq"] == 8)
    assert rejected["failed_checks"].to_list() == [["body_not_duplicate"]]
    assert rejected["duplicate_of"].to_list() == [result.articles["article_id"][0]]
    assert _findings(result, 8) == [(8, "body_not_duplicate", "error")]  # not also a near-duplicate


def test_duplicate_of_a_loaded_article_points_at_it(sample_parsed: ParsedIssue) -> None:
    first = sample_parsed.articles[0]
    result = recheck_duplicates(validate(sample_parsed), {body_hash(first.body): "earlier-001"}, None)
    row = result.rejected.filter(result.rejected["seq"] == 1)
    assert row["duplicate_of"].to_list() == ["earlier-001"]
    finding = next(f for f in result.findings if f.check == "body_not_duplicate")
    assert "earlier-001" in finding.detail


def test_body_hash_ignores_whitespace_and_punctuation_width() -> None:
    assert body_hash("会议强调,要深入 贯彻。") == body_hash("会议强调，要深入贯彻。")
    assert body_hash("会议强调，要深入贯彻。") != body_hash("会议强调，要贯彻。")


def test_near_duplicate_in_the_issue_warns_and_links_the_earlier(sample_parsed: ParsedIssue) -> None:
    fourth = sample_parsed.articles[3]
    edited = [p.replace("1.38万人", "1.4万人") for p in fourth.paragraphs]
    articles = [*sample_parsed.articles, replace(fourth, seq=8, paragraphs=edited, headline="另一个标题")]
    result = validate(replace(sample_parsed, articles=articles))
    earlier = result.articles.filter(pl.col("seq") == 4)["article_id"][0]
    row = result.accepted.filter(pl.col("seq") == 8)
    assert row["near_duplicate_of"].to_list() == [earlier]
    finding = next(f for f in result.findings if f.check == "body_not_near_duplicate")
    assert (finding.seq, finding.severity) == (8, "warning") and earlier in finding.detail


def test_near_duplicate_of_a_warehouse_signature(sample_parsed: ParsedIssue) -> None:
    loaded = validate(sample_parsed)
    known = loaded.signatures.filter(pl.col("article_id").str.ends_with("-002")).select(
        "article_id", "minhash"
    )
    second = sample_parsed.articles[1]
    edited = replace(second, paragraphs=[p.replace("走深走实", "走实") for p in second.paragraphs])
    result = recheck_duplicates(validate(_with(sample_parsed, 2, paragraphs=edited.paragraphs)), {}, known)
    assert result.articles.filter(pl.col("seq") == 2)["near_duplicate_of"].to_list() == [
        known["article_id"][0]
    ]
    assert result.articles["near_duplicate_of"].null_count() == 6


def test_unrelated_articles_are_far_apart(sample_parsed: ParsedIssue) -> None:
    result = validate(sample_parsed)
    signatures = result.signatures.select("article_id", "minhash")
    matrix = minhash_matrix(signatures)
    assert near_links(signatures["article_id"].to_list(), matrix, [], matrix[:0], threshold=0.2) == {}


@pytest.mark.parametrize(
    ("seq", "changes", "check", "detail"),
    [
        (1, {"headline": None}, "headline_present", "no headline"),
        (1, {"headline": "会见" * 35}, "headline_length_sane", "70 characters"),
        (2, {"headline": "会议"}, "headline_length_sane", "2 characters"),
        (
            7,
            {"contributors": [Contributor("王萌", "reporter"), Contributor("记者李青健", "correspondent")]},
            "reporter_names_plausible",
            "记者李青健",
        ),
        (3, {"dateline_date": date(2025, 12, 9)}, "dateline_date_recent", "21 days before"),
        (3, {"dateline_date": date(2025, 12, 31)}, "dateline_date_recent", "1 days after"),
        (1, {"paragraphs": ["市领导宋明杰、赵燕参加会见。"]}, "body_long_enough", "14 characters"),
        (
            2,
            {"paragraphs": ["ÏûÏ¢£º全市党建引领开放楼院精细化治理工作推进会召开。" * 3]},
            "text_not_garbled",
            "消息：",
        ),
        (
            2,
            {"paragraphs": ["全市党建引领开放楼院精细化治理工作推进会\ufffd\ufffd召开。" * 3]},
            "text_not_garbled",
            "U+FFFD",
        ),
        (3, {"paragraphs": [TRADITIONAL, TRADITIONAL[::-1]]}, "traditional_share_low", "traditional-only"),
    ],
)
def test_each_check_warns_on_its_hard_case(
    sample_parsed: ParsedIssue, seq: int, changes: dict[str, object], check: str, detail: str
) -> None:
    result = validate(_with(sample_parsed, seq, **changes))
    found = [f for f in result.findings if f.seq == seq and f.check == check]
    assert len(found) == 1 and found[0].severity == "warning" and detail in found[0].detail
    assert result.accepted.height == 6  # warnings never reject
    assert all(f.check == check for f in result.findings if f.seq == seq and f.severity == "warning")


def test_missing_byline_is_an_error(sample_parsed: ParsedIssue) -> None:
    articles = [replace(sample_parsed.articles[0], byline=None), *sample_parsed.articles[1:]]
    result = validate(replace(sample_parsed, articles=articles))
    assert ["byline_present"] in result.rejected["failed_checks"].to_list()
    assert result.accepted.height == 5


def test_severity_can_be_lowered_to_warning(sample_parsed: ParsedIssue) -> None:
    result = validate(sample_parsed, check_severities({"dateline_present": "warning"}))
    assert result.accepted.height == 7
    assert [(f.check, f.severity) for f in result.findings if f.check == "dateline_present"] == [
        ("dateline_present", "warning")
    ]


def test_severity_can_be_raised_to_error(sample_parsed: ParsedIssue) -> None:
    levels = {"repeated_paragraph": "error", "text_lost_at_break": "error", "paragraph_joined": "error"}
    result = validate(sample_parsed, check_severities(levels))
    failed = dict(result.rejected.select("seq", "failed_checks").rows())
    assert failed == {
        5: ["paragraph_joined", "dateline_present", "repeated_paragraph"],
        6: ["text_lost_at_break"],
    }


def test_a_broken_column_becomes_a_finding_not_a_crash(sample_parsed: ParsedIssue) -> None:
    frame = validate(sample_parsed).articles.with_columns(
        pl.when(pl.col("seq") == 2).then(0).otherwise(pl.col("seq")).alias("seq")
    )
    result = check_articles(frame)
    column = [f for f in result.findings if f.check == "articles.seq"]
    assert [(f.seq, f.severity) for f in column] == [(0, "error")] and "greater_than" in column[0].detail
    assert 0 in result.rejected["seq"].to_list()


def test_load_frames_are_checked_and_failures_become_findings(sample_issue) -> None:
    bundle = transform_issue(sample_issue, TODAY)
    now = datetime(2026, 1, 15, 6, 0)
    [clean] = gate_issues(
        [(issue_frame(bundle, now, "run"), bundle.reporters, findings_frame(bundle, now), None)]
    )
    assert clean.findings.height == len(bundle.validated.findings) == 6
    undated = issue_frame(bundle, now, "run").with_columns(pl.lit(None, dtype=pl.Date).alias("issue_date"))
    stringer = bundle.reporters.with_columns(
        pl.when(pl.col("name") == "李青健").then(pl.lit("stringer")).otherwise("role").alias("role")
    )
    [gated] = gate_issues([(undated, stringer, findings_frame(bundle, now), None)])
    extra = gated.findings.tail(2).select("article_id", "check", "severity").rows()
    assert extra == [
        (None, "issue_date_known", "warning"),
        (bundle.validated.articles["article_id"][6], "article_reporters.role", "warning"),
    ]
    assert gated.reporters.height == bundle.reporters.height  # rows are kept, the byline holds them
    assert gated.issue["findings"].to_list() == [8]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("新闻ÏûÏ¢£º内容", ["ÏûÏ¢£º (= 消息：)"]),
        ("æ–°é—»联播", ["æ–°é—» (= 新闻)"]),
        ("锟斤拷锟斤拷", ["锟斤拷"]),
        ("“你好”……——《通知》", []),
        ("Müller与Zoë在Ångström会面", []),
        ("气温零下5°C，面积×2", []),
    ],
)
def test_garbled_fragments(text: str, expected: list[str]) -> None:
    assert rules.garbled_fragments(text) == expected


def test_implausible_names() -> None:
    names = ["薛华飞", "欧阳娜娜", "买买提·艾力", "John Smith", "王", "本报评论员", "贺勇采访整理"]
    assert rules.implausible_names(names) == ["王", "本报评论员", "贺勇采访整理"]


def test_severities_from_a_checks_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flat = tmp_path / "flat.toml"
    flat.write_text('dateline_present = "warning"\nbody_long_enough = "info"\n', encoding="utf-8")
    table = tmp_path / "table.toml"
    table.write_text('[checks]\nrepeated_paragraph = "error"\nbody_long_enough = "error"\n', encoding="utf-8")
    assert read_check_severities(flat) == {"dateline_present": "warning", "body_long_enough": "info"}
    assert read_check_severities(table) == {"repeated_paragraph": "error", "body_long_enough": "error"}
    monkeypatch.setenv("NEWSPRINT_CHECKS", str(flat))
    checks = check_severities(read_check_severities(table))  # `--checks table.toml`
    assert checks == DEFAULT_CHECK_SEVERITIES | {
        "dateline_present": "warning",  # NEWSPRINT_CHECKS over the defaults
        "repeated_paragraph": "error",
        "body_long_enough": "error",  # --checks over NEWSPRINT_CHECKS
    }
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('byline_present = "fatal"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="fatal"):
        read_check_severities(wrong)


def test_every_article_check_has_a_default() -> None:
    assert set(ARTICLE_CHECKS) <= set(DEFAULT_CHECK_SEVERITIES)
    assert {k for k, v in DEFAULT_CHECK_SEVERITIES.items() if v == "error"} == {
        "byline_present",
        "dateline_present",
        "body_not_duplicate",
    }


def test_a_map_without_a_check_s_severity_is_refused(sample_parsed: ParsedIssue) -> None:
    with pytest.raises(ValueError, match="no severity for byline_present"):
        validate(sample_parsed, {"dateline_present": "warning"})


def test_signatures_are_stable_and_skip_empty_bodies() -> None:
    frame = pl.DataFrame(
        {
            "article_id": ["a", "b", "c"],
            "issue_sha256": ["x"] * 3,
            "body": ["会议强调，要深入贯彻", "", "会议强调,要深入 贯彻"],
        }
    )
    signatures = signature_frame(frame)
    assert signatures["article_id"].to_list() == ["a", "c"]
    assert signatures["minhash"][0].to_list() == signatures["minhash"][1].to_list()


def test_dateline_window_is_a_week(sample_parsed: ParsedIssue) -> None:
    issue_date = sample_parsed.issue.issue_date
    assert issue_date is not None
    week = _with(sample_parsed, 3, dateline_date=issue_date - timedelta(days=rules.DATELINE_MAX_DAYS))
    assert not [f for f in validate(week).findings if f.check == "dateline_date_recent"]


def test_an_article_with_nothing_checks_without_crashing(sample_parsed: ParsedIssue) -> None:
    empty = replace(sample_parsed, articles=[Article(seq=1)], findings=[])
    result = validate(empty)
    checks = {f.check for f in result.findings}
    assert {"byline_present", "dateline_present", "headline_present", "body_long_enough"} <= checks
    assert result.rejected.height == 1
