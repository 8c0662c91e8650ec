"""The exact split of the real sample issue, and the lossless invariant."""

from __future__ import annotations

from datetime import date

import pytest

from flows.lossless import placement_errors
from flows.models import ParsedIssue
from flows.split import split_issue

HEADINGS = [
    (None, "曾赞荣任刚会见宋迎东殷敬伟一行", None),
    (None, "全市党建引领开放楼院精细化治理工作推进会召开", None),
    (None, "全国首个人力资源出海综合服务港在青成立", None),
    ("兜住兜准民生底线", "青岛累计安排社会帮扶领域资金15亿元", None),
    (
        "学习贯彻市委经济工作会议精神",
        "锚定新目标，笃行实干开新局",
        "——青岛各区市及功能区党员干部认真学习贯彻市委经济工作会议精神",
    ),
    ("市纪委监委印发《通知》", "强化正风肃纪 弘扬新风正气", None),
    (None, "填补骨科智能手术装备领域空白 长木谷医用人工智能与手术机器人项目落户青岛", None),
]
REPORTERS = [
    ["薛华飞"],
    ["刘佳伟"],
    ["任晓萌"],
    ["贾臻"],
    ["李德银", "曹森", "衣涛", "余瑞新", "张晋", "周伟", "王凯", "王涛", "王萌", "黄光丽"],
    ["刘佳伟"],
    ["王萌"],
]


def test_sample_has_seven_articles_and_no_residue(sample_parsed: ParsedIssue) -> None:
    assert len(sample_parsed.articles) == 7
    assert sample_parsed.residue == []


@pytest.mark.parametrize("seq", range(1, 8))
def test_sample_headings(sample_parsed: ParsedIssue, seq: int) -> None:
    article = sample_parsed.articles[seq - 1]
    assert (article.kicker, article.headline, article.subtitle) == HEADINGS[seq - 1]


@pytest.mark.parametrize("seq", range(1, 8))
def test_sample_reporters(sample_parsed: ParsedIssue, seq: int) -> None:
    assert sample_parsed.articles[seq - 1].reporters == REPORTERS[seq - 1]


def test_sample_correspondent(sample_parsed: ParsedIssue) -> None:
    assert [a.correspondents for a in sample_parsed.articles] == [[]] * 6 + [["李青健"]]


def test_sample_datelines(sample_parsed: ParsedIssue) -> None:
    datelines = [(a.dateline, a.dateline_date) for a in sample_parsed.articles]
    expected = ("本报12月29日讯", date(2025, 12, 29))
    assert datelines == [expected] * 4 + [(None, None)] + [expected] * 2


def test_dateline_text_is_not_in_body(sample_parsed: ParsedIssue) -> None:
    first = sample_parsed.articles[0]
    assert first.paragraphs[0].startswith("29日下午，省委常委、市委书记曾赞荣")
    assert "本报12月29日讯" not in first.body


def test_in_body_subheads_stay_in_their_article(sample_parsed: ParsedIssue) -> None:
    article = sample_parsed.articles[4]
    assert article.subheads == [
        "在科技创新上取得新突破",
        "在扩大内需上精准发力",
        "在推动城乡融合和区域协调发展上奋力攻坚",
        "在深化改革扩大开放上续写新篇",
    ]
    assert all(s in article.paragraphs for s in article.subheads)


def test_every_line_lands_in_exactly_one_place(sample_issue, sample_parsed: ParsedIssue) -> None:
    raw_articles, residue = split_issue(sample_issue.text)
    assert placement_errors(sample_issue.text, raw_articles, residue) == []
    assert placement_errors(sample_issue.text, sample_parsed.articles, sample_parsed.residue) == []
    non_blank = [line for line in sample_issue.text.splitlines() if line.strip()]
    placed = sum(len(a.lines) for a in raw_articles) + len(residue)
    assert placed == len(non_blank) == 70


def test_a_dropped_line_breaks_the_invariant(sample_issue) -> None:
    """The invariant check itself can fail: remove one placed line and it says so."""
    articles, residue = split_issue(sample_issue.text)
    articles[2].lines.pop()
    errors = placement_errors(sample_issue.text, articles, residue)
    assert len(errors) == 1 and "in no article" in errors[0]


def test_split_is_deterministic(sample_issue) -> None:
    assert split_issue(sample_issue.text) == split_issue(sample_issue.text)


def test_byline_inside_dateline_and_at_the_end() -> None:
    text = "\n".join(
        [
            "中柬合作再结硕果",
            "据新华社金边1月30日电（记者毛鹏飞、高炳南）柬埔寨首相洪玛奈30日表示，合作成果丰硕。",
            "双方表示将继续深化合作。",
            "文化交流的新篇章（今日谈）",
            "何鼎鼎\xa0本报评论员",
            "交流互鉴是文明进步的动力。",
            "（本报记者\xa0贺\xa0勇采访整理）",
        ]
    )
    articles, residue = split_issue(text)
    assert residue == []
    assert [a.headline for a in articles] == ["中柬合作再结硕果", "文化交流的新篇章（今日谈）"]
    assert articles[0].dateline == "据新华社金边1月30日电"
    assert articles[0].paragraphs[0].startswith("柬埔寨首相洪玛奈")
    assert placement_errors(text, articles, residue) == []
