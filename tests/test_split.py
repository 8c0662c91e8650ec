"""The exact split of the real sample issue, the lossless invariant, and layout evidence."""

from __future__ import annotations

from datetime import date

import pytest

from bench.eval_split import FIXTURES
from flows.ingest import read_issue
from flows.lossless import placement_errors, significant
from flows.models import ParsedIssue
from flows.split import split_issue, split_lines
from flows.text.layout import Kind, Layout, classify, read_lines

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


def test_a_line_missing_from_its_field_breaks_the_invariant(sample_issue) -> None:
    """Placed, but its text is not in the field its role names: the check reads fields, not numbers."""
    articles, residue = split_issue(sample_issue.text)
    article = next(a for a in articles if a.dateline and len(a.paragraphs) > 1)
    article.paragraphs = [article.paragraphs[0][:20], *article.paragraphs[1:]]
    errors = placement_errors(sample_issue.text, articles, residue)
    assert errors and all(f"is not in article {article.seq}'s" in e for e in errors)
    assert any("(dateline)" in e for e in errors)  # the dateline's line holds the body's start


@pytest.mark.parametrize(
    "text",
    ["２０２５年12月_30日，ＡＩ＋海洋。", "a_b c\u3000d", "第１２３４５６７８９０号", "\U00020000𠀀＿_", ""],
)
def test_significant_text_of_a_whole_is_that_of_its_pieces(text: str) -> None:
    """Fields are read piece by piece (lossless._field_pieces): that must equal reading them whole."""
    for cut in range(len(text) + 1):
        assert significant(text[:cut]) + significant(text[cut:]) == significant(text)


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


BODY = "这是一段足够长的正文内容，用来让排版判断有足够的证据支持，而不会被误当作标题来处理。"


def _split(lines: list[str]) -> tuple[list, list[str]]:
    text = "\n".join(lines)
    articles, residue = split_issue(text)
    assert placement_errors(text, articles, residue) == []
    return articles, [line.text for line in residue]


def test_page_headers_section_names_and_title_only_pages_are_residue() -> None:
    articles, residue = _split(
        [
            "青岛日报 2026年1月6日 星期二 第1版",
            "要闻",
            "青岛港集装箱吞吐量创新高",
            "□青岛日报/观海新闻记者 张晋",
            "本报1月5日讯 " + BODY,
            "青岛日报 2026年1月6日 星期二 第2版",
            "综合",
            "崂山区举办冬季海上搜救应急演练",
            "青岛日报 2026年1月6日 星期二 第3版",
        ]
    )
    assert [a.headline for a in articles] == ["青岛港集装箱吞吐量创新高"]
    assert residue == [
        "青岛日报 2026年1月6日 星期二 第1版",
        "要闻",
        "青岛日报 2026年1月6日 星期二 第2版",
        "综合",
        "崂山区举办冬季海上搜救应急演练",
        "青岛日报 2026年1月6日 星期二 第3版",
    ]


def test_a_jumped_article_takes_back_its_continuation() -> None:
    articles, residue = _split(
        [
            "工厂里的开工第一课",
            "本报记者 王伟",
            "本报苏州2月9日电 " + BODY,
            "（下转第二版）",
            "我国科学家在量子计算领域取得新进展",
            "新华社合肥2月9日电 " + BODY,
            "人民日报 2025年2月10日 星期一",
            "（上接第一版）",
            "续篇：" + BODY,
        ]
    )
    first, second = articles
    assert [c.text for c in first.credits] == ["（下转第二版）", "（上接第一版）"]
    assert first.paragraphs[-1].startswith("续篇") and len(second.paragraphs) == 1
    assert residue == ["人民日报 2025年2月10日 星期一"]


def test_indented_short_lines_in_an_indented_body_are_subheads() -> None:
    indent = "\u3000\u3000"
    articles, _ = _split(
        ["春运返程平稳有序", "本报记者 刘毅", indent + BODY, indent + "铁路民航加开夜间列车", indent + BODY]
    )
    assert len(articles) == 1 and articles[0].subheads == ["铁路民航加开夜间列车"]


def test_empty_heading_slots_say_which_line_is_missing() -> None:
    indent = "\u3000\u3000"
    articles, _ = _split(
        [
            "示范区建设跑出加速度",
            "本报记者 王珏",
            indent + BODY,
            "",
            "长三角一体化示范区建设跑出加速度",
            "五年推进跨域项目一百余个",
            "本报记者 王珏",
            indent + "本报讯\u3000\u3000" + BODY,
            "春季招聘月",
            "本市将举办线下招聘会超过200场",
            "",
            indent + "本报讯（记者孙珺 通讯员褚家威）" + BODY,
            "",
            "春风拂新绿 植树正当时",
            "",
            indent + BODY,
        ]
    )
    headings = [(a.kicker, a.headline, a.subtitle) for a in articles]
    assert headings[1:] == [
        (None, "长三角一体化示范区建设跑出加速度", "五年推进跨域项目一百余个"),
        ("春季招聘月", "本市将举办线下招聘会超过200场", None),
        (None, "春风拂新绿 植树正当时", None),
    ]


def test_a_column_tag_starts_an_article_with_no_byline() -> None:
    articles, _ = _split(
        ["重庆钢铁公司技术改造见成效", "【新华社重庆十四日电】" + BODY, "要重视知识分子的作用（短评）", BODY]
    )
    assert [a.headline for a in articles] == ["重庆钢铁公司技术改造见成效", "要重视知识分子的作用（短评）"]


def test_a_bare_padded_name_is_a_byline() -> None:
    articles, _ = _split(
        ["让文化遗产在新时代焕发新光彩", "向\xa0勇", BODY, "（作者为北京大学文化资源研究中心主任）"]
    )
    (article,) = articles
    assert (article.headline, article.byline) == ("让文化遗产在新时代焕发新光彩", "向\xa0勇")
    assert [c.role for c in article.credits] == ["author_note"]


def test_a_long_title_is_a_title_when_a_byline_follows() -> None:
    title = "这是一条长度超过四十个字符的很长很长很长的新闻标题用来测试标题长度上限的处理情况"
    articles, residue = _split([title, "本报记者 张三", "本报讯 " + BODY])
    assert [a.headline for a in articles] == [title] and residue == []


def test_a_dateline_with_no_heading_starts_an_article_and_a_later_one_stays_in_it() -> None:
    """A digest holds several datelined items under one title: a second dateline is body text."""
    articles, residue = _split(["本报讯 " + BODY, BODY, "新华社北京2月28日电 " + BODY])
    assert [a.dateline for a in articles] == ["本报讯"] and residue == []
    assert articles[0].paragraphs[-1].startswith("新华社北京2月28日电")


@pytest.mark.parametrize(
    "sentence", ["本报电子版今日上线，读者可在手机上阅读。", "合作社电商平台销售额同比增长三成。"]
)
def test_a_sentence_that_starts_like_a_dateline_is_text(sentence: str) -> None:
    articles, _ = _split(["标题一则新闻", "本报讯 " + BODY, sentence])
    assert articles[0].dateline == "本报讯" and articles[0].paragraphs[-1] == sentence


@pytest.mark.parametrize(
    ("line", "kind", "credit"),
    [
        ("第A02版：要闻", Kind.FURNITURE, None),
        ("【第3版】", Kind.FURNITURE, None),
        ("版次：A02", Kind.FURNITURE, None),
        ("全国第3版新冠诊疗方案发布", Kind.TEXT, None),
        ("蒙钟德摄（影像中国）", Kind.CREDIT, "photo"),
        ("（完）", Kind.CREDIT, "end_mark"),
        ("版面设计：李娜", Kind.CREDIT, "layout"),
        ("■本报记者 王萌", Kind.BYLINE, None),
        ("■中尼合资喜马拉雅航空公司的客座率最高。", Kind.CREDIT, "bullet"),
        ("观海新闻讯 记者从市教育局获悉，全市中小学课后服务实现全覆盖。", Kind.DATELINE, None),
    ],
)
def test_what_a_line_is(line: str, kind: Kind, credit: str | None) -> None:
    assert classify(line) == (kind, credit)


@pytest.mark.parametrize(
    ("fixture", "indented_body", "spaced", "slotted"),
    [
        ("city-daily-2025-12-31", False, True, False),
        ("peoples-daily-2025-02-04", True, False, False),
        ("peoples-daily-2025-02-01", True, True, False),
        ("jiefang-daily-2025-03-07", True, False, True),
        ("wenhui-daily-2025-04-08", False, False, True),
        ("xinhua-digest-2025-02-04", False, False, False),
    ],
)
def test_layout_is_read_from_the_text(fixture: str, indented_body: bool, spaced: bool, slotted: bool) -> None:
    path = FIXTURES / f"{fixture}.txt"
    _, layout = read_lines(split_lines(read_issue(path.name, path.read_bytes()).text))
    assert layout == Layout(indented_body=indented_body, spaced=spaced, slotted=slotted)
