"""Traditional characters: a Big5 issue reads as its simplified original does.

The sample is converted to traditional characters (zhconv, Taiwan forms, which Big5 can
encode) and saved as Big5; it must decode, split and validate to the same articles, bylines,
datelines and verdicts as the sample itself.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest
import zhconv

from flows import bulk_load, load
from flows.ingest import read_issue
from flows.models import Credit
from flows.parse import parse_issue
from flows.settings import SAMPLE_ISSUE
from flows.storage.warehouse import parse_warehouse
from flows.text.bylines import credit_people, parse_byline
from flows.text.patterns import CREDIT_PATTERNS, DATELINE_START, SECTION_NAME
from flows.text.scripts import either_script, to_traditional
from flows.transform import transform_issue
from flows.validate import validate_issues
from schemas import rules
from tests.conftest import TODAY


@pytest.fixture(scope="module")
def big5_bytes(sample_bytes: bytes) -> bytes:
    return zhconv.convert(sample_bytes.decode("utf-8"), "zh-tw").encode("big5")


def test_the_big5_issue_decodes_as_big5(big5_bytes: bytes) -> None:
    issue = read_issue(SAMPLE_ISSUE.name, big5_bytes)
    assert issue.encoding == "big5hkscs"
    assert "本報12月29日訊" in issue.text and "觀海新聞記者" in issue.text


def test_the_big5_issue_splits_and_is_judged_as_the_sample(big5_bytes: bytes, sample_parsed) -> None:
    parsed = parse_issue(read_issue(SAMPLE_ISSUE.name, big5_bytes), TODAY)
    assert len(parsed.articles) == len(sample_parsed.articles) == 7
    for article, original in zip(parsed.articles, sample_parsed.articles, strict=True):
        assert article.headline == zhconv.convert(original.headline, "zh-tw")
        assert article.dateline_date == original.dateline_date
        assert (article.dateline is None) == (original.dateline is None)
        assert [(c.name, c.role) for c in article.contributors] == [
            (zhconv.convert(c.name, "zh-tw"), c.role) for c in original.contributors
        ]
    verdicts = validate_issues([parsed])[0]
    expected = validate_issues([sample_parsed])[0]
    assert verdicts.rejected["seq"].to_list() == expected.rejected["seq"].to_list() == [5]
    assert verdicts.accepted["seq"].to_list() == expected.accepted["seq"].to_list()


def test_the_big5_issue_loads_six_accepted_and_one_rejected(warehouse: str, big5_bytes: bytes) -> None:
    bundle = transform_issue(read_issue(SAMPLE_ISSUE.name, big5_bytes), TODAY)
    with load.open_warehouse(parse_warehouse(warehouse)) as con:
        assert bulk_load.load_issues(
            con, parse_warehouse(warehouse), [bundle], "run", lambda: datetime(2026, 1, 15)
        )[0].loaded
        counts = con.execute("select articles_accepted, articles_rejected, encoding from issues").fetchone()
        roles = con.execute(
            "select role, count(*) from article_reporters group by all order by all"
        ).fetchall()
    assert counts == (6, 1, "big5hkscs")
    assert roles == [("correspondent", 1), ("reporter", 16)]  # as in the sample (README, page furniture)


@pytest.mark.parametrize(
    ("line", "source", "kind", "day"),
    [
        ("本報12月29日訊 29日下午", "本報", "訊", "29"),
        ("新華社北京2月3日電（記者 張三 李四）", "新華社", "電", "3"),
        ("據人民日報香港十四日電", "人民日報", "電", "十四"),
        ("【大公報訊】", "大公報", "訊", None),
        ("本報訊 記者報道", "本報", "訊", None),
    ],
)
def test_traditional_datelines_are_recognised(line: str, source: str, kind: str, day: str | None) -> None:
    match = DATELINE_START.match(line)
    assert match is not None and (match["source"], match["kind"], match["day"]) == (source, kind, day)


def test_a_sentence_opening_with_a_paper_is_not_a_dateline() -> None:
    assert DATELINE_START.match("本報電子版今日上線") is None


@pytest.mark.parametrize(
    ("line", "people"),
    [
        ("本報記者 張三", [("張三", "reporter")]),
        ("□大公報記者 陳大文 通訊員 李小華", [("陳大文", "reporter"), ("李小華", "correspondent")]),
        ("本報記者 張三 本報通訊員 李四", [("張三", "reporter"), ("李四", "correspondent")]),
        ("何鼎鼎 本報評論員", [("何鼎鼎", "commentator")]),
        ("實習生 王五", [("王五", "intern")]),
        ("（記者 張三 李四）", [("張三", "reporter"), ("李四", "reporter")]),
    ],
)
def test_traditional_bylines_are_read(line: str, people: list[tuple[str, str]]) -> None:
    bracketed = line.startswith("（")
    found = parse_byline(line.strip("（）"), bracketed=bracketed)
    assert found is not None and [(c.name, c.role) for c in found] == people


def test_a_heading_that_mentions_a_reporter_is_not_a_byline() -> None:
    assert parse_byline("記者節到了，向奮戰在一線的新聞工作者致敬") is None


@pytest.mark.parametrize(
    ("line", "role", "people"),
    [
        ("責任編輯：李四", "editor", [("李四", "editor")]),
        ("本報記者 賀勇攝", "photo", [("賀勇", "photographer")]),
        ("（下轉第二版）", "jump", []),
        ("製圖：張三", "chart", []),
    ],
)
def test_traditional_credits_are_recognised(line: str, role: str, people: list[tuple[str, str]]) -> None:
    found = next(r for pattern, r in CREDIT_PATTERNS if pattern.search(line))
    assert found == role
    assert [(c.name, c.role) for c in credit_people(Credit(role, line))] == people


def test_section_names_and_the_name_check_read_traditional_forms() -> None:
    assert SECTION_NAME.match("要聞") and SECTION_NAME.match("要闻")
    assert rules.implausible_names(["本報記者", "陳大文"]) == ["本報記者"]


def test_either_script_keeps_a_rules_meaning_in_both_scripts() -> None:
    pattern = re.compile(either_script(r"^[^报]+报(?:记者|编辑)$"))
    assert pattern.match("青岛日报记者") and pattern.match("青島日報記者") and pattern.match("青島日报記者")
    assert not pattern.match("報社報記者")  # the negated class excludes both forms
    assert to_traditional("责任编辑") == "責任編輯"
