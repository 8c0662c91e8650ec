"""Normalising text, joining broken paragraphs, names and dateline dates."""

from __future__ import annotations

from datetime import date

import pytest

from flows.models import Credit, ParsedIssue
from flows.normalise import (
    cn_number,
    find_repeated_paragraphs,
    join_broken_paragraphs,
    normalise_text,
    parse_contributors,
    resolve_dateline_date,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("29日下午,省委常委、市委书记曾赞荣", "29日下午，省委常委、市委书记曾赞荣"),
        ("举报电话:0532-12388;举报网站:<http://a.cn/>。", "举报电话：0532-12388；举报网站：<http://a.cn/>。"),
        ("增长3.5%,达到1,300亿元", "增长3.5%，达到1,300亿元"),
        ("\u3000\u3000正文  有\xa0\xa0空格 ", "正文 有 空格"),
        ("（全角括号）保持不变，，", "（全角括号）保持不变，，"),
    ],
)
def test_normalise_text(raw: str, expected: str) -> None:
    assert normalise_text(raw) == expected


def test_broken_paragraph_is_joined_without_finding_of_loss() -> None:
    paragraphs, findings = join_broken_paragraphs(["推动消费环境向", "国际化、多元化升级。"], [])
    assert paragraphs == ["推动消费环境向国际化、多元化升级。"]
    assert [f.check for f in findings] == ["paragraph_joined"]


def test_text_lost_at_a_break_is_joined_and_flagged() -> None:
    paragraphs, findings = join_broken_paragraphs(["确保廉洁过节。对违规吃喝、违", "众利益问题。"], [])
    assert paragraphs == ["确保廉洁过节。对违规吃喝、违众利益问题。"]
    assert [(f.check, f.severity) for f in findings] == [("text_lost_at_break", "warning")]


def test_a_name_cut_by_a_break_is_not_lost_text() -> None:
    """曾赞 / 荣 are two lone characters to jieba's dictionary; the newspaper's knows 曾赞荣."""
    broken = ["市委书记曾赞", "荣，市委副书记、市长任刚会见了代表团。"]
    paragraphs, findings = join_broken_paragraphs(broken, [])
    assert paragraphs == ["市委书记曾赞荣，市委副书记、市长任刚会见了代表团。"]
    assert [f.check for f in findings] == ["paragraph_joined"]


def test_subheads_are_never_joined() -> None:
    paragraphs, _ = join_broken_paragraphs(
        ["在科技创新上取得新突破", "科技创新是核心动力。"], ["在科技创新上取得新突破"]
    )
    assert len(paragraphs) == 2


def test_sample_breaks(sample_parsed: ParsedIssue) -> None:
    checks = [(f.seq, f.check) for f in sample_parsed.findings]
    assert checks.count((5, "paragraph_joined")) == 3
    assert (6, "text_lost_at_break") in checks
    assert not any(c == "text_lost_at_break" and s != 6 for s, c in checks)
    strengthened = sample_parsed.articles[5]
    assert any("对违规吃喝、违众利益问题。" in p for p in strengthened.paragraphs)


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ("□青岛日报/观海新闻记者 薛华飞", [("薛华飞", "reporter")]),
        ("本报记者\xa0钱一彬\xa0宋豪新", [("钱一彬", "reporter"), ("宋豪新", "reporter")]),
        ("□记者姚克勤通讯员李鸿光", [("姚克勤", "reporter"), ("李鸿光", "correspondent")]),
        ("本报记者\xa0贺\xa0勇采访整理", [("贺勇", "reporter")]),
        ("何鼎鼎\xa0本报评论员", [("何鼎鼎", "commentator")]),
        (
            "本报记者史自强、田豆豆、张枨",
            [("史自强", "reporter"), ("田豆豆", "reporter"), ("张枨", "reporter")],
        ),
        ("实习生 刘晓雪", [("刘晓雪", "intern")]),
        ("本报评论员", []),
        ("□记者 仪博文 报道", [("仪博文", "reporter")]),
        ("◎记者 朱文彬", [("朱文彬", "reporter")]),
        ("本报记者\xa0王\xa0伟\xa0程\xa0晨", [("王伟", "reporter"), ("程晨", "reporter")]),
        ("吴\xa0储\xa0本报评论员", [("吴储", "commentator")]),
        ("□记者 孙曼 实习生 张悦", [("孙曼", "reporter"), ("张悦", "intern")]),
        ("记者孙珺 通讯员褚家威", [("孙珺", "reporter"), ("褚家威", "correspondent")]),
        ("本报驻埃及记者\xa0曲翔宇", [("曲翔宇", "reporter")]),
        ("向\xa0勇", [("向勇", "author")]),
        ("融媒体记者 张萌", [("张萌", "reporter")]),
        ("■全媒体记者 李航 通讯员 周冬", [("李航", "reporter"), ("周冬", "correspondent")]),
        ("记者｜王晓", [("王晓", "reporter")]),
    ],
)
def test_contributors(byline: str, expected: list[tuple[str, str]]) -> None:
    assert [(c.name, c.role) for c in parse_contributors(byline)] == expected


@pytest.mark.parametrize(
    ("dateline", "issue_date", "expected"),
    [
        ("本报12月29日讯", date(2025, 12, 30), date(2025, 12, 29)),
        ("新华社北京12月31日电", date(2026, 1, 1), date(2025, 12, 31)),
        ("本报１２月３１日讯", date(2026, 1, 1), date(2025, 12, 31)),
        ("本报1984年12月30日讯", date(1984, 12, 31), date(1984, 12, 30)),
        ("【新华社重庆十四日电】", date(1950, 3, 15), date(1950, 3, 14)),
        ("本报讯", date(2025, 12, 30), None),
        ("本报一九八四年十二月三十日讯", date(1985, 1, 1), date(1984, 12, 30)),
        ("本报１９８４年１２月３０日讯", date(1985, 1, 1), date(1984, 12, 30)),
        ("【新华社北京三十一日电】", date(1985, 1, 1), date(1984, 12, 31)),
        ("新华社重庆十四日电", date(1985, 1, 15), date(1985, 1, 14)),
        ("本报加德满都1月31日电", date(2025, 2, 1), date(2025, 1, 31)),
        ("本报3月5日讯", date(2025, 3, 1), date(2024, 3, 5)),
        ("本报3月1日讯", date(2025, 3, 1), date(2025, 3, 1)),
    ],
)
def test_dateline_dates(dateline: str, issue_date: date, expected: date | None) -> None:
    assert resolve_dateline_date(dateline, issue_date) == expected


@pytest.mark.parametrize(
    ("text", "value"), [("12", 12), ("１２", 12), ("十四", 14), ("二十三", 23), ("廿三", 23), ("十", 10)]
)
def test_cn_number(text: str, value: int) -> None:
    assert cn_number(text) == value


@pytest.mark.parametrize(
    ("role", "text", "expected"),
    [
        ("photo", "黄晓海摄（新华社发）", [("黄晓海", "photographer")]),
        ("photo", "本报记者 贺 勇摄", [("贺勇", "photographer")]),
        ("photo", "□记者 唐克 摄", [("唐克", "photographer")]),
        ("editor", "本版责编：李\xa0拯\xa0曹树林", [("李拯", "editor"), ("曹树林", "editor")]),
        ("editor", "责任编辑：鲁\xa0哲", [("鲁哲", "editor")]),
        ("layout", "版式设计：蔡华伟", []),
        ("caption", "图为2月4日，游客在哈尔滨冰雪大世界游玩。", []),
    ],
)
def test_credits_name_photographers_and_editors(
    role: str, text: str, expected: list[tuple[str, str]]
) -> None:
    contributors = parse_contributors("本报记者 张航", [Credit(role, text)])
    assert [(c.name, c.role) for c in contributors] == [("张航", "reporter"), *expected]


def test_a_repeated_paragraph_is_kept_twice_and_flagged(sample_parsed: ParsedIssue) -> None:
    article = sample_parsed.articles[4]
    repeated = [f for f in article.findings if f.check == "repeated_paragraph"]
    assert [(f.seq, f.severity) for f in repeated] == [(5, "warning")]
    copies = [p for p in article.paragraphs if p.startswith("“会议提出要‘推动科创大走廊建设迅速起势’")]
    assert len(copies) == 2
    others = [f for a in sample_parsed.articles if a.seq != 5 for f in a.findings]
    assert not any(f.check == "repeated_paragraph" for f in others)


def test_short_repeated_lines_are_not_flagged() -> None:
    assert find_repeated_paragraphs(["相关链接", "正文第一段。", "相关链接"]) == []
    assert [f.check for f in find_repeated_paragraphs(["甲" * 20 + "。", "乙。", "甲" * 20 + "。"])] == [
        "repeated_paragraph"
    ]
