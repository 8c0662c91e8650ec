"""Properties of the splitter on any input: it never crashes, loses no line, and is deterministic.

Inputs are arbitrary text, text built from the pieces newspaper layouts are made of (\\r,
\\u3000, \\xa0, brackets, 本报…讯, bylines, page headers), and random mixtures and permutations of
the real lines of the sample issue and the layout fixtures.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.eval_split import FIXTURES
from flows.ingest import decode_bytes
from flows.lossless import placement_errors
from flows.models import Issue, ParsedIssue
from flows.parse import parse_issue
from flows.settings import SAMPLE_ISSUE
from flows.split import split_issue

TODAY = date(2026, 1, 15)
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces that trip a splitter: line breaks of every kind, padding, brackets, dateline and
# byline words, credit labels, page headers, dashes, digits of both widths.
PIECES = [
    "\n",
    "\n\n",
    "\r\n",
    "\r",
    "\u3000\u3000",
    "\u3000",
    "\xa0",
    " ",
    "\t",
    "\ufeff",
    "（",
    "）",
    "(",
    ")",
    "【",
    "】",
    "。",
    "，",
    ",",
    "：",
    "、",
    "“",
    "”",
    "——",
    "本报",
    "讯",
    "电",
    "本报12月29日讯 ",
    "新华社北京2月3日电",
    "据",
    "十四日",
    "１２月３１日",
    "记者",
    "本报记者",
    "通讯员",
    "实习生",
    "本报评论员",
    "□",
    "◎",
    "摄",
    "文",
    "报道",
    "贺",
    "勇",
    "张三",
    "责任编辑：",
    "本版责编：",
    "图为",
    "（下转第二版）",
    "（上接第一版）",
    "（作者为",
    "编者按：",
    "相关链接",
    "■",
    "第2版",
    "2025年12月31日 星期三",
    "要闻",
    "（今日谈）",
    "在科技创新上取得新突破",
    "市纪委监委印发《通知》",
    "对违规吃喝、违",
    "众利益问题。",
    "12",
    "x",
]


def _decoded(path: Path) -> str:
    """Return a fixture's text, whatever its encoding (some are GB18030 or UTF-16)."""
    return decode_bytes(path.read_bytes())[0].lstrip("\ufeff")


def _real_lines() -> list[str]:
    """Return the non-blank lines of the sample issue and of every layout fixture."""
    lines: list[str] = []
    for path in [SAMPLE_ISSUE, *sorted(FIXTURES.glob("*.txt"))]:
        text = _decoded(path)
        lines += [line for line in text.splitlines() if line.strip()]
    return lines


REAL_LINES = _real_lines()

arbitrary_text = st.text(max_size=400)
piece_text = st.lists(st.sampled_from(PIECES), max_size=80).map("".join)
real_mixture = st.builds(
    lambda lines, separator: separator.join(lines),
    st.lists(st.sampled_from(REAL_LINES), max_size=40),
    st.sampled_from(["\n", "\n\n", "\r\n", "\n\n\n"]),
)
real_permutation = st.sampled_from(sorted(FIXTURES.glob("*.txt"))).flatmap(
    lambda path: st.permutations(_decoded(path).splitlines()).map("\n".join)
)
any_text = st.one_of(arbitrary_text, piece_text, real_mixture, real_permutation)


def _issue(text: str, issue_date: date | None) -> Issue:
    return Issue(source_file="issue.txt", text=text, encoding="utf-8", sha256="0" * 64, issue_date=issue_date)


def _check_lossless(text: str, parsed: ParsedIssue) -> None:
    articles, residue = split_issue(text)
    assert placement_errors(text, articles, residue) == []
    assert placement_errors(text, parsed.articles, parsed.residue) == []
    assert [f for f in parsed.findings if f.check == "line_not_placed"] == []


@PROPERTY_SETTINGS
@given(arbitrary_text)
def test_any_text_is_split_losslessly(text: str) -> None:
    _check_lossless(text, parse_issue(_issue(text, date(2025, 12, 30)), TODAY))


@PROPERTY_SETTINGS
@given(piece_text, st.sampled_from([date(2025, 12, 30), date(2026, 1, 1), None]))
def test_newspaper_pieces_are_split_losslessly(text: str, issue_date: date | None) -> None:
    _check_lossless(text, parse_issue(_issue(text, issue_date), TODAY))


@PROPERTY_SETTINGS
@given(real_mixture)
def test_mixtures_of_real_lines_are_split_losslessly(text: str) -> None:
    _check_lossless(text, parse_issue(_issue(text, date(2025, 2, 4)), TODAY))


@PROPERTY_SETTINGS
@given(real_permutation)
def test_permuted_issues_are_split_losslessly(text: str) -> None:
    _check_lossless(text, parse_issue(_issue(text, date(2025, 2, 4)), TODAY))


@settings(max_examples=100, deadline=None)
@given(any_text)
def test_the_same_input_gives_the_same_output(text: str) -> None:
    assert split_issue(text) == split_issue(text)
    issue = _issue(text, None)
    assert parse_issue(issue, TODAY).to_json() == parse_issue(issue, TODAY).to_json()


def test_the_property_check_sees_a_lost_line() -> None:
    """The invariant the properties assert is not vacuous: a line dropped from the split is seen."""
    text = "\n".join(REAL_LINES[:30])
    articles, residue = split_issue(text)
    assert articles and placement_errors(text, articles, residue) == []
    dropped, _ = articles[0].lines.pop()
    assert placement_errors(text, articles, residue) == [
        f"line {dropped} is in no article and not in the residue"
    ]
