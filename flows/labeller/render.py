"""Render real articles into whole issues, in many layouts, with every line's label known.

The dump gives each article's heading slots and paragraphs; a paper's issue is more than that.
This module glues a day's articles into one issue and lays it out as some paper might: blank
lines or none, indentation or none, CRLF, page labels and mastheads, bylines and datelines in
each of their places (`../shared/FORMATS.md`), credits, jump lines, headings broken over lines,
articles with no byline or dateline, and damage (a paragraph cut at a column break, text lost
at one, a paragraph printed twice). The words are real, the layouts many and mixed at random
per issue, so that a model trained on the result cannot lean on one paper's habits.

Each rendered issue carries its labels (one per non-blank line, `flows.labeller.roles`) and a
gold parse in the shape `../shared/tools/score_parse.py` reads.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cache
from typing import Any

from flows.labeller import roles
from flows.labeller.corpus import DumpArticle
from flows.normalise import normalise_text, resolve_dateline_date
from flows.text.bylines import read_byline
from flows.text.layout import Kind, classify, trim
from flows.text.patterns import BRACKET_BYLINE, DATELINE_START, TERMINAL

SPACINGS = ("every", "none", "articles", "paragraphs", "slots")
INDENTS = ("\u3000\u3000", "  ", "\xa0\xa0\xa0\xa0", "    ", "\t", "")
# Layout families: how blank lines fall, and whether the body is indented.
FAMILIES = tuple(f"{spacing}/{body}" for spacing in SPACINGS for body in ("indented", "flush"))
PAGE_STYLES = ("none", "label", "short", "masthead", "bare", "section", "bracket", "plain")
BYLINE_STYLES = ("line", "marked", "bracket", "end", "none")
DATELINE_STYLES = ("source", "local", "paper", "end", "archive", "none")
_WEEKDAYS = "一二三四五六日"
_CN_DIGITS = "〇一二三四五六七八九"
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_SECTIONS = ("要闻", "综合", "经济", "国际", "社会", "文化", "评论", "体育", "时政", "城市", "民生", "视觉")
_PAPERS = (
    "青岛日报",
    "大众日报",
    "河南日报",
    "烟台日报",
    "新民晚报",
    "光明日报",
    "经济日报",
    "北京日报",
    "解放日报",
    "文汇报",
    "南方日报",
    "浙江日报",
    "湖北日报",
    "四川日报",
    "齐鲁晚报",
    "扬子晚报",
    "羊城晚报",
    "河北日报",
    "安徽日报",
    "福建日报",
)
_NEWS_SITES = ("观海新闻", "大众网", "顶端新闻", "上观新闻", "川观新闻", "潮新闻", "极目新闻")
_PLACES = ("北京", "上海", "济南", "郑州", "成都", "杭州", "武汉", "广州", "青岛", "南京", "西安", "长沙")
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏"
    "吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱"
    "严覃武戴莫孔向汤"
)
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力国林峰宇晨浩然雪琳佳欣博宁海波鹏飞"
    "健斌志新凯雨婷晓东旭阳立达"
)
_ASCII_PUNCTUATION = str.maketrans({"，": ",", "：": ":", "；": ";"})
_EDITOR_LABELS = ("责任编辑：", "本版责编：", "本版编辑：", "编辑：")
_END_MARKS = ("（完）", "（全文完）", "（待续）")
_CROSS_REFERENCES = (
    "（相关报道见第{page}版）",
    "（据新华社）",
    "（本版图片由{site}提供）",
    "（本系列报道完）",
)


@dataclass(frozen=True)
class Layout:
    """One issue's layout: what a paper keeps the same on every page."""

    spacing: str
    indent: str
    newline: str = "\n"
    bom: bool = False
    pages: str = "none"
    byline: str = "line"
    dateline: str = "source"
    paper: str = "本报"
    press: str = "本报记者"
    byline_indented: bool = False
    subheads_indented: bool = False
    credits_indented: bool = False
    full_width_digits: bool = False
    ascii_punctuation: bool = False  # `29日下午,省委常委`: ASCII commas and colons in the text
    broken_headings: float = 0.0
    full_headings: float = 0.0  # share of articles given all three heading lines
    damage: float = 0.0

    @property
    def family(self) -> str:
        """Name the layout family: spacing and whether the body is indented."""
        return f"{self.spacing}/{'indented' if self.indent else 'flush'}"


@dataclass
class Rendered:
    """One rendered issue: its text, a label per non-blank line, and the gold parse."""

    name: str
    issue_date: date
    layout: Layout
    text: str
    labels: list[str]
    gold: list[dict[str, Any]]


@dataclass
class _Piece:
    """One article laid out as lines, before the issue's spacing is applied."""

    lines: list[tuple[str, str]]  # (text, label)
    gold: dict[str, Any] | None  # None for a title-only page: no article, residue
    page: int
    jump_rest: list[tuple[str, str]] = field(default_factory=list)


def random_layout(rng: random.Random, families: Sequence[str] | None = None) -> Layout:
    """Draw an issue's layout; `families` keeps it to some spacing/indent families."""
    while True:
        spacing = rng.choice(SPACINGS)
        indent = rng.choice(INDENTS)
        layout = Layout(spacing=spacing, indent=indent)
        if families is None or layout.family in families:
            break
    paper = rng.choice(_PAPERS)
    press = rng.choice(
        [
            "本报记者",
            "记者",
            f"{paper}记者",
            f"{paper}/{rng.choice(_NEWS_SITES)}记者",
            f"{paper}全媒体记者",
            "全媒体记者",
            "融媒体记者",
            "本报首席记者",
            "新华社记者",
        ]
    )
    return replace(
        layout,
        newline=rng.choice(["\n", "\n", "\r\n"]),
        bom=rng.random() < 0.1,
        pages=rng.choice(PAGE_STYLES),
        byline=rng.choice(BYLINE_STYLES),
        dateline=rng.choice(DATELINE_STYLES),
        paper=paper,
        press=press,
        byline_indented=bool(indent) and rng.random() < 0.3,
        subheads_indented=bool(indent) and rng.random() < 0.7,
        credits_indented=bool(indent) and rng.random() < 0.4,
        full_width_digits=rng.random() < 0.08,
        ascii_punctuation=rng.random() < 0.15,
        broken_headings=rng.choice([0.0, 0.0, 0.05, 0.15]),
        full_headings=rng.choice([0.0, 0.1, 0.3, 0.6]),
        damage=rng.choice([0.0, 0.01, 0.03]),
    )


@cache
def _name_pool() -> tuple[str, ...]:
    rng = random.Random(7)
    return tuple(
        rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 1, 2))))
        for _ in range(400)
    )


def _names(rng: random.Random, low: int = 1, high: int = 3) -> list[str]:
    return rng.sample(_name_pool(), rng.randint(low, high))


def _pad(name: str, rng: random.Random) -> str:
    """Pad a two-character name to three widths as papers do (`贺\xa0勇`), sometimes."""
    if len(name) == 2 and rng.random() < 0.3:
        return name[0] + rng.choice(["\xa0", "\u3000", " "]) + name[1]
    return name


def _join_names(names: list[str], rng: random.Random, *, padded: bool = True) -> str:
    shown = [_pad(n, rng) if padded else n for n in names]
    return rng.choice([" ", "\xa0", "、", " "]).join(shown)


def _digits(text: str, layout: Layout) -> str:
    return text.translate(_FULL_WIDTH) if layout.full_width_digits else text


def _cn_day(day: int) -> str:
    """Write a day of the month in Chinese numerals (`十四`), as old wire copy does."""
    tens, units = divmod(day, 10)
    return (
        ("" if tens < 2 else _CN_DIGITS[tens]) + ("十" if tens else "") + (_CN_DIGITS[units] if units else "")
    )


@dataclass
class _Story:
    """An article's parts once its source dateline and bracketed byline are taken apart."""

    dateline: str | None
    reporters: list[str]
    correspondents: list[str]
    people_known: bool
    paragraphs: list[str]
    lead: int  # the paragraph the dateline opens: the first, or a later one after a summary


def _take_apart(article: DumpArticle) -> _Story:
    """Split the dateline and `（记者…）` off the first paragraph that opens with them."""
    paragraphs = list(article.paragraphs)
    dateline, reporters, correspondents, known, lead = None, [], [], True, 0
    for k, paragraph in enumerate(paragraphs):
        match = DATELINE_START.match(paragraph)
        if match is None:
            continue
        dateline, lead = match.group(0).strip("【】"), k
        rest = paragraph[match.end() :]
        bracket = BRACKET_BYLINE.match(rest)
        if bracket:
            people = read_byline(bracket.group("byline"), bracketed=True)
            if people is None:
                known = False
            else:
                reporters = [p.name for p in people if p.role == "reporter"]
                correspondents = [p.name for p in people if p.role == "correspondent"]
            rest = rest[bracket.end() :]
        paragraphs[k] = rest.strip(" \t\u3000\xa0")
        if not paragraphs[k]:
            paragraphs.pop(k)
        break
    else:  # no opening dateline: one in brackets at the end is the article's (（本报伦敦5月7日电）)
        for k, paragraph in enumerate(paragraphs):
            inner = paragraph.strip("（()）")
            found = DATELINE_START.match(inner)
            if paragraph.startswith(("（", "(")) and found and len(inner) <= 30:
                dateline = found.group(0)
                paragraphs.pop(k)
                break
    # Byline lines printed inside the body keep their place; their names are not this article's
    # lead byline, so the gold leaves reporters unlabelled when there are any.
    for p in paragraphs:
        kind, _ = classify(p)
        if kind.value in ("byline", "end_bracket"):
            known = False
    return _Story(dateline, reporters, correspondents, known, paragraphs, min(lead, len(paragraphs) - 1))


def _day_before(day: date) -> date:
    return day - timedelta(days=1)


def _render_dateline(story: _Story, layout: Layout, issue_date: date, rng: random.Random) -> str | None:
    """Write the article's dateline in the issue's style, or None for an article without one."""
    news = story.dateline is not None or rng.random() < 0.5
    style = layout.dateline if rng.random() < 0.85 else rng.choice(DATELINE_STYLES)
    if style == "none" or not news:
        return None
    when = _day_before(issue_date) if rng.random() < 0.8 else issue_date - timedelta(days=rng.randint(2, 4))
    if style == "source" and story.dateline:
        return story.dateline
    if style == "archive":
        source = rng.choice(["新华社", "本报"])
        if rng.random() < 0.3:  # an archive's dateline with its year: 本报1984年12月30日讯
            return f"本报{when.year}年{when.month}月{when.day}日讯"
        return f"【{source}{rng.choice(_PLACES)}{_cn_day(when.day)}日电】"
    if style == "paper":
        return rng.choice(
            [
                f"{layout.paper}讯",
                f"{layout.paper}{when.month}月{when.day}日讯",
                f"{rng.choice(_NEWS_SITES)}讯",
                f"新华社{rng.choice(_PLACES)}{when.month}月{when.day}日电",
                f"据新华社{rng.choice(_PLACES)}{when.month}月{when.day}日电",
                f"中新社{rng.choice(_PLACES)}{when.month}月{when.day}日电",
                "新华社电",
            ]
        )
    if style == "local" or (style == "source" and not story.dateline):
        return rng.choice(
            [
                "本报讯",
                f"本报{when.month}月{when.day}日讯",
                f"本报{rng.choice(_PLACES)}{when.month}月{when.day}日电",
            ]
        )
    if style == "end":
        return story.dateline or f"本报{rng.choice(_PLACES)}{when.month}月{when.day}日电"
    return story.dateline


def _byline_lines(
    layout: Layout, reporters: list[str], correspondents: list[str], rng: random.Random
) -> list[str]:
    """Write a byline of its own lines: `□本报记者 吴佳妮`, then `通讯员 李青健` or on one line."""
    mark = rng.choice(["□", "◎", "■", ""]) if layout.byline == "marked" else ""
    press = layout.press if rng.random() < 0.85 else rng.choice(["本报记者", "记者", "本报驻埃及记者"])
    # Only a marked byline runs role and name together (`□记者姚克勤`): unmarked, it reads as text.
    space = rng.choice([" ", "\xa0", "\u3000", " "]) if not mark or rng.random() < 0.8 else ""
    first = f"{mark}{press}{space}{_join_names(reporters, rng)}"
    if rng.random() < 0.1:
        first += rng.choice([" 报道", " 文/图", "\xa0摄影报道"])
    if not correspondents:
        return [first]
    others = f"通讯员{space or ' '}{_join_names(correspondents, rng)}"
    if rng.random() < 0.5:
        return [first, others]
    return [f"{first} {others}"]


def _indent(text: str, indent: str, yes: bool = True) -> str:
    return f"{indent}{text}" if yes and indent else text


def _heading_lines(article: DumpArticle, layout: Layout, rng: random.Random) -> list[tuple[str, str]]:
    """Lay out kicker, headline and subtitle; a long headline may break over two lines."""
    lines: list[tuple[str, str]] = []
    if article.kicker:
        lines.append((article.kicker, roles.BEGIN_KICKER))
    headline = article.headline
    first_label = roles.HEADLINE if lines else roles.BEGIN_HEADLINE
    if len(headline) >= 16 and rng.random() < layout.broken_headings:
        # Print breaks a long title where a column ends, or between its two parts.
        spaces = [m.start() for m in re.finditer(r"[ \u3000]", headline)]
        cut = rng.choice(spaces) if spaces else rng.randint(len(headline) // 2, len(headline) - 3)
        head, tail = headline[:cut].rstrip(), headline[cut:].lstrip()
        tail_indented = bool(layout.indent) and rng.random() < 0.3
        lines += [(head, first_label), (_indent(tail, layout.indent, tail_indented), roles.HEADLINE)]
    else:
        lines.append((headline, first_label))
    if article.subtitle:
        lines.append((article.subtitle, roles.SUBTITLE))
    return lines


def _body_label(text: str) -> str:
    """Label a line printed inside a dump article's body by what it is."""
    kind, _ = classify(text)
    if kind.value == "credit":
        return roles.CREDIT
    if kind.value == "byline":
        return roles.BYLINE
    if kind.value == "end_bracket":  # （本报记者 贺 勇采访整理）, （新华社北京1月31日电）
        return roles.DATELINE if DATELINE_START.match(text.strip("（()）")) else roles.BYLINE
    if kind.value == "dateline":
        return roles.DATELINE  # a second one (a digest's) goes to the body: the decoder knows
    return roles.SUBHEAD if _is_subhead(text) else roles.PARAGRAPH


def _is_subhead(text: str) -> bool:
    return (
        len(text) <= 30 and text[-1] not in TERMINAL + "：:，,；;、" and not any(c in text for c in "。！？")
    )


def _body_lines(
    paragraphs: list[str], layout: Layout, rng: random.Random
) -> tuple[list[tuple[str, str]], list[str]]:
    """Lay out body paragraphs with the issue's indentation and damage; return lines and gold text."""
    lines: list[tuple[str, str]] = []
    gold: list[str] = []
    for k, paragraph in enumerate(paragraphs):
        label = _body_label(paragraph)
        indented = {
            roles.CREDIT: layout.credits_indented,
            roles.BYLINE: layout.byline_indented,
            roles.SUBHEAD: layout.subheads_indented,
        }.get(label, True)
        text = paragraph.translate(_ASCII_PUNCTUATION) if layout.ascii_punctuation else paragraph
        if label == roles.PARAGRAPH and len(text) > 40 and rng.random() < layout.damage * 3:
            cut = rng.randint(10, len(text) - 10)
            lost = rng.random() < 0.15 and 0 < k < len(paragraphs) - 1
            head, tail = text[:cut], text[cut + (rng.randint(1, 3) if lost else 0) :]
            if head[-1] not in TERMINAL and tail[:1] not in "，。、；：！？":
                lines.append((_indent(head, layout.indent), label))
                lines.append((_indent(tail, layout.indent, rng.random() < 0.3), label))
                gold.append(head + tail)
                continue
        lines.append((_indent(text, layout.indent, indented), label))
        if label in (roles.PARAGRAPH, roles.SUBHEAD):
            gold.append(text)
        repeated = label == roles.PARAGRAPH and len(text) > 30 and 0 < k < len(paragraphs) - 1
        if repeated and rng.random() < layout.damage / 3:  # the same paragraph printed twice
            lines.append((_indent(text, layout.indent), label))
            gold.append(text)
    return lines, gold


def _end_lines(layout: Layout, page: int, rng: random.Random) -> list[tuple[str, str]]:
    """Draw what may close an article: a photo credit, an author note, a cross-reference."""
    indent = layout.indent if layout.credits_indented else ""
    lines: list[tuple[str, str]] = []
    roll = rng.random()
    if roll < 0.06:
        who = _join_names(_names(rng, 1, 2), rng)
        credit = rng.choice([f"新华社记者 {who}摄", f"本报记者 {who} 摄", f"{who}摄（新华社发）", f"{who}摄"])
        lines.append((indent + credit, roles.CREDIT))
    elif roll < 0.09:
        note = rng.choice(["（作者为某大学教授）", "（作者单位：某研究院）", "（作者系本报评论员）"])
        lines.append((indent + note, roles.CREDIT))
    elif roll < 0.13:
        template = rng.choice(_CROSS_REFERENCES)
        text = template.format(page=rng.choice("二三四五六七八九十"), site=rng.choice(_NEWS_SITES))
        lines.append((_indent(text, layout.indent, rng.random() < 0.5), roles.PARAGRAPH))
    elif roll < 0.15:
        lines.append((indent + f"图为{rng.choice(_PLACES)}街头一景。", roles.CREDIT))
    elif roll < 0.17:
        lines.append((_indent(rng.choice(_END_MARKS), layout.indent, rng.random() < 0.5), roles.CREDIT))
    return lines


def render_article(
    article: DumpArticle, layout: Layout, issue_date: date, rng: random.Random, *, commentary: bool = False
) -> _Piece:
    """Lay out one article: heading block, byline, dateline, body and closing lines; and its gold."""
    story = _take_apart(article)
    heading = _heading_lines(article, layout, rng)
    dateline = _render_dateline(story, layout, issue_date, rng)
    reporters, correspondents, people_known = story.reporters, story.correspondents, story.people_known
    wants_byline = layout.byline != "none" and not commentary and rng.random() < 0.85
    if wants_byline and not reporters:
        reporters = _names(rng, 1, 3)
        correspondents = _names(rng, 1, 2) if rng.random() < 0.25 else []
    elif not wants_byline and not reporters:
        correspondents = []
    style = layout.byline if wants_byline else "none"
    if style == "bracket" and dateline is None:
        style = "line"
    lines = list(heading)
    byline_lines: list[str] = []
    if commentary and rng.random() < 0.5:
        # An opinion piece signed by its author, not a reporter: `何鼎鼎 本报评论员`, `向 勇`.
        who = _names(rng, 1, 1)[0]
        bare = who[0] + "\xa0" + who[1] if len(who) == 2 else f"{who}\xa0本报评论员"
        byline_lines = [rng.choice([f"{who}\xa0本报评论员", "本报评论员", bare])]
        reporters, correspondents, people_known = [], [], True
    elif style in ("line", "marked") and reporters:
        byline_lines = _byline_lines(layout, reporters, correspondents, rng)
    elif style == "none" and reporters and dateline is None:
        reporters, correspondents = [], []
    for text in byline_lines:
        lines.append((_indent(text, layout.indent, layout.byline_indented), roles.BYLINE))
    summary, gold_summary = _body_lines(story.paragraphs[: story.lead], layout, rng)
    body, gold_body = _body_lines(story.paragraphs[story.lead :], layout, rng)
    if not body:
        body, gold_body = [(_indent("（图片新闻）", layout.indent), roles.PARAGRAPH)], ["（图片新闻）"]
    end_dateline = dateline is not None and (layout.dateline == "end" or dateline.startswith("（"))
    if dateline is not None and not end_dateline:
        text = body[0][0]
        opener = dateline if dateline.startswith("【") else _digits(dateline, layout)
        bracket = ""
        if style == "bracket" or (style == "none" and reporters):
            people = f"记者{rng.choice([' ', ''])}{_join_names(reporters, rng)}"
            if correspondents:
                people += f" 通讯员 {_join_names(correspondents, rng)}"
            bracket = f"（{people}）"
        # An undated dateline is always set apart from its text (`本报讯 …`): glued, it is text.
        dated = bool(re.search(r"\d|日", opener))
        gap = rng.choice(["\xa0", "\xa0\xa0", " ", "\u3000", "" if dated else " "])
        gap = "" if opener.endswith("】") else gap
        if body[0][1] not in (roles.PARAGRAPH, roles.SUBHEAD):
            body.insert(0, ("", roles.PARAGRAPH))
            gold_body.insert(0, "")
            text = ""
        stripped = text.lstrip(" \t\u3000\xa0")
        indentation = text[: len(text) - len(stripped)]
        body[0] = (f"{indentation}{opener}{gap}{bracket}{stripped}", roles.DATELINE)
    lines += summary + body
    gold_body = gold_summary + gold_body
    if style == "end" and reporters:
        who = _join_names(reporters, rng, padded=True)
        text = rng.choice([f"（本报记者{who}）", f"（记者 {who}）", f"（本报记者 {who}采访整理）"])
        lines.append((_indent(text, layout.indent, rng.random() < 0.5), roles.BYLINE))
        correspondents = []
    if end_dateline and dateline is not None:
        bare = dateline.strip("（）")
        text = f"（{_digits(bare, layout)}）" if rng.random() < 0.8 else _digits(bare, layout)
        lines.append((_indent(text, layout.indent, rng.random() < 0.5), roles.DATELINE))
    closing = _end_lines(layout, article.page, rng)
    lines += closing
    gold_body += [text.strip(" \t\u3000\xa0") for text, label in closing if label == roles.PARAGRAPH]
    gold_dateline = None
    if dateline is not None:
        printed = dateline if dateline.startswith("【") or end_dateline else _digits(dateline, layout)
        gold_dateline = printed.strip("【】（）")
    gold = _gold(article, gold_body, gold_dateline, reporters, correspondents, people_known, issue_date)
    return _Piece(lines=lines, gold=gold, page=article.page)


def _gold(
    article: DumpArticle,
    body: list[str],
    dateline: str | None,
    reporters: list[str],
    correspondents: list[str],
    people_known: bool,
    issue_date: date,
) -> dict[str, Any]:
    """Write the gold parse of an article in the shape score_parse reads."""
    text = "".join(normalise_text(p) for p in body if p)
    when = resolve_dateline_date(normalise_text(dateline), issue_date) if dateline else None
    gold: dict[str, Any] = {
        "kicker": article.kicker or None,
        "headline": article.headline,
        "subtitle": article.subtitle or None,
        "dateline": normalise_text(dateline) if dateline else None,
        "dateline_md": f"{when:%m-%d}" if when else None,
        "body_start": text[:12],
        "body_end": text[-12:],
    }
    if people_known:
        gold["reporters"] = reporters
        gold["correspondents"] = correspondents
    return gold


def _page_lines(layout: Layout, issue_date: date, page: int, rng: random.Random) -> list[tuple[str, str]]:
    """Write a page's header lines in the issue's style (all residue)."""
    section = rng.choice(_SECTIONS)
    weekday = _WEEKDAYS[issue_date.weekday()]
    dated = f"{issue_date.year}年{issue_date.month}月{issue_date.day}日"
    header = {
        "label": f"第A{page:02d}版：{section}",
        "short": f"{page:02d}版：{section}",
        "masthead": f"{layout.paper} {dated} 星期{weekday} 第{page}版",
        "bare": f"第{page}版",
        "section": f"第{page:02d}版：{section}",
        "bracket": f"【第{page}版】{section}",
        "plain": f"A{page:02d}版 {section}",
    }.get(layout.pages)
    if header is None:
        return []
    lines = [(header, roles.FURNITURE)]
    if layout.pages in ("masthead", "bare") and rng.random() < 0.5:
        lines.append((section, roles.FURNITURE))
    return lines


def _page_credits(layout: Layout, rng: random.Random) -> list[tuple[str, str]]:
    """Write a page's closing credits: `本版责编：…`, `版式设计：…`."""
    if rng.random() > 0.5:
        return []
    indent = layout.indent if layout.credits_indented else ""
    lines = [(indent + rng.choice(_EDITOR_LABELS) + _join_names(_names(rng, 1, 2), rng), roles.CREDIT)]
    if rng.random() < 0.4:
        lines.append((indent + "版式设计：" + _names(rng, 1, 1)[0], roles.CREDIT))
    return lines


def is_composite(article: DumpArticle) -> bool:
    """Tell whether a dump article is several stories under one file, each with its own byline.

    Feature pages print a place, a title and a byline (or a dateline) per story; the dump keeps
    them in one article. Columns of briefs or of delegates' remarks print a title, the text and
    a bracketed source or byline per story (`（据新华社日内瓦电 记者陈俊侠）`, `（本报记者 王锦涛整理）`);
    the dump keeps some such columns in one article and gives the same stories an article each
    elsewhere, sometimes on the same page. Most papers would print them as articles of their
    own: they are left out rather than teach that a title over a byline, or after a story's
    closing line, can be an in-body subhead.
    """
    paragraphs = article.paragraphs
    kinds = [classify(p)[0].value for p in paragraphs]
    for k in range(2, len(kinds)):
        if kinds[k] == "byline":
            return True
        if kinds[k] == "dateline" and _is_subhead(paragraphs[k - 1]):  # a title over a dateline
            return True
    # a story's closing line, then a title (perhaps under its speaker, `…代表：`) with text under it
    last = len(paragraphs) - 1
    return any(
        kind == "end_bracket" and any(_is_subhead(p) for p in paragraphs[k + 1 : min(k + 3, last)])
        for k, kind in enumerate(kinds)
    )


def _is_commentary(article: DumpArticle) -> bool:
    return bool(re.search(r"[（(][^（）()]{2,10}[）)]$", article.headline))


def render_issue(
    articles: Sequence[DumpArticle],
    issue_date: date,
    layout: Layout,
    rng: random.Random,
    name: str = "issue",
) -> Rendered:
    """Glue one day's articles into an issue text laid out by `layout`, with labels and gold."""
    kept = [a for a in articles if not is_composite(a)]
    kept = _fill_headings(kept, layout.full_headings, rng)
    pieces = [
        render_article(a, layout, issue_date, rng, commentary=_is_commentary(a))
        if a.paragraphs
        else _Piece(lines=_heading_lines(a, layout, rng), gold=None, page=a.page)  # a photo page's title
        for a in kept
    ]
    _add_jump(pieces, layout, rng)
    blocks: list[list[tuple[str, str]]] = []  # the issue's lines, grouped for spacing
    page = None
    for k, piece in enumerate(pieces):
        if piece.page != page:
            if page is not None and blocks:
                blocks[-1] += _page_credits(layout, rng)
            header = _page_lines(layout, issue_date, piece.page, rng)
            if header:
                blocks.append(header)
            page = piece.page
        blocks.append(piece.lines)
        if k == len(pieces) - 1:
            blocks[-1] += _page_credits(layout, rng)
    text, labels = _space(blocks, layout, rng)
    gold = [p.gold for p in pieces if p.gold is not None]
    return Rendered(name=name, issue_date=issue_date, layout=layout, text=text, labels=labels, gold=gold)


def _fill_headings(articles: list[DumpArticle], share: float, rng: random.Random) -> list[DumpArticle]:
    """Give some articles all three heading lines, borrowing a kicker or subtitle from the day.

    The web dump rarely keeps kicker, headline and subtitle together; print pages often do.
    """
    kickers = [a.kicker for a in articles if a.kicker]
    subtitles = [a.subtitle for a in articles if a.subtitle]
    filled = []
    for article in articles:
        if kickers and subtitles and rng.random() < share:
            article = replace(
                article,
                kicker=article.kicker or rng.choice(kickers),
                subtitle=article.subtitle or rng.choice(subtitles),
            )
        filled.append(article)
    return filled


def _add_jump(pieces: list[_Piece], layout: Layout, rng: random.Random) -> None:
    """Send the end of a long front-page article on to a later page, as print does."""
    if len(pieces) < 4 or rng.random() > 0.2:
        return
    first = next((p for p in pieces[:3] if sum(lbl == roles.PARAGRAPH for _, lbl in p.lines) >= 6), None)
    later = next((k for k, p in enumerate(pieces) if first is not None and p.page > first.page), None)
    if first is None or later is None:
        return
    body = [k for k, (_, lbl) in enumerate(first.lines) if lbl == roles.PARAGRAPH]
    cut = body[len(body) // 2]
    rest = first.lines[cut:]
    target = pieces[later].page
    out = f"（下转第{_cn_page(target)}版）"
    back = f"（上接第{_cn_page(first.page)}版）"
    first.lines[cut:] = [(out, roles.CREDIT)]
    pieces[later].lines[0:0] = [(back, roles.CREDIT), *rest]


def _cn_page(page: int) -> str:
    return _cn_day(page) if page < 100 else str(page)


def _space(blocks: list[list[tuple[str, str]]], layout: Layout, rng: random.Random) -> tuple[str, list[str]]:
    """Join the lines with the issue's blank-line rhythm and line ends; return text and labels."""
    out: list[str] = [""] * (2 if layout.spacing == "every" and rng.random() < 0.5 else 0)
    labels: list[str] = []
    previous = roles.FURNITURE
    for block in blocks:
        if layout.spacing in ("articles", "paragraphs") and out:
            out.append("")
        for k, (text, label) in enumerate(block):
            if layout.spacing == "slots" and label in (roles.BEGIN_KICKER, roles.BEGIN_HEADLINE):
                out += _empty_slots_before(block, k)
            if (
                layout.spacing == "paragraphs"
                and k
                and label not in roles.HEADING
                and (previous not in roles.HEADING or label == roles.PARAGRAPH)
            ):
                out.append("")
            if not text.strip():
                continue
            out.append(text)
            labels.append(_closing(text, label))
            if layout.spacing == "every":
                out.append("")
            if layout.spacing == "slots" and label in (roles.HEADLINE, roles.BEGIN_HEADLINE):
                nxt = block[k + 1][1] if k + 1 < len(block) else None
                if nxt not in (roles.SUBTITLE, roles.HEADLINE):
                    out.append("")  # the empty subtitle slot
            previous = label
    text = layout.newline.join(out)
    if not text.endswith(layout.newline) and rng.random() < 0.7:
        text += layout.newline
    if layout.bom:
        text = "\ufeff" + text
    return text, labels


def _closing(text: str, label: str) -> str:
    """Label a bracketed byline, dateline or note that closes a story `closing` (flows.labeller.roles)."""
    if label in (roles.BYLINE, roles.DATELINE, roles.CREDIT) and classify(trim(text))[0] == Kind.END_BRACKET:
        return roles.CLOSING
    return label


def _empty_slots_before(block: list[tuple[str, str]], k: int) -> list[str]:
    """Give a three-slot heading its empty kicker slot when the block starts at its headline."""
    return [""] if block[k][1] == roles.BEGIN_HEADLINE else []


def gold_document(rendered: Rendered) -> dict[str, Any]:
    """Return the gold file score_parse reads."""
    return {"issue_date": rendered.issue_date.isoformat(), "articles": rendered.gold}


__all__ = ["Layout", "Rendered", "gold_document", "random_layout", "render_issue"]
