"""Describe every line of an issue for the line labeller, from the line, its neighbours and the issue.

A feature is a short string (crfsuite's attribute). Three kinds:
- the line's own shape (`shared`): what `flows.text.layout` reads (kind, title-like, indentation,
  blank lines around it, counted against the issue's usual count) plus its length, how it
  ends and the marks inside it. Its neighbours,
  two lines either side, see these too, prefixed with their offset (`-1:k=byline`);
- the line's other features (`own`): how it starts, numbering, a column tag, the few words
  that name a line's job (记者, 电, 讯, 摄), a news lead's opening day or time, pairs with
  its neighbours (a title-like line before a byline; a line after one that ended a sentence),
  and for a title-like line a `——` subtitle or a photo credit under it, and, where no byline
  or dateline follows it, how many two-character words it and the text under it share with
  the text above it (`_topic`: a new article starts afresh, a subhead goes on);
- the issue's layout, alone and joined to the line's shape: an indented line means one thing
  in an issue whose body is indented and another where nothing is.
Words are otherwise left out on purpose (`_topic` compares them, it does not learn them): the
labeller must learn layouts, not one paper's vocabulary. `issue_tokens` returns the shared and
own features apart, so that the labeller can add a neighbour's weights without spelling `-1:…`
out; `issue_features` spells every line's attributes out for training.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from flows.text.layout import Kind, Layout, LineInfo
from flows.text.patterns import CJK, TERMINAL
from flows.text.scripts import either_script, to_simplified

OFFSETS = (-2, -1, 1, 2)
_LENGTHS = (2, 4, 6, 8, 10, 12, 15, 18, 22, 26, 30, 36, 45, 60, 80, 120, 200)
_NUMBERED = re.compile(
    rf"^(?:[一二三四五六七八九十]+[、．.]|[（(][一二三四五六七八九十\d]+[）)]|\d+[、．.]|第[{CJK}]{{1,3}}[部章节])"
)
_QUOTED = re.compile(r"^[“「『].*[”」』]$")
# (in either script: a traditional word is the feature of its simplified form, flows/text/scripts.py;
# the lookahead names every word's first character, so that the scan skips the others fast)
_JOB_WORDS = re.compile(
    either_script(r"(?=[记通摄电讯编评来报])(?:记者|通讯员|摄|电|讯|编辑|评论员|来源|报道)")
)
_INNER_SPACE = re.compile(r"\S[ \u3000\xa0]+\S")
_MARKS = re.compile(r"[。，,；;：:！!？?]")
_CLAUSE = re.compile(r"[。，,；;：:！!？?]")
_SENTENCE = re.compile(r"[。！？!?]")
# A news lead names its day or time early (`4月30日，`, `近日`, `清晨6时`): what opens an article.
_NUMBER = r"[\d０-９一二三四五六七八九十两]{1,4}"
_LEAD = re.compile(
    rf"(?=[\d０-９一二三四五六七八九十两近日昨今记])"
    rf"(?:{_NUMBER}月{_NUMBER}日|{_NUMBER}[时点]|近日|日前|昨天|今天|昨日|今日|记者.{{0,12}}获悉)"
)
_LEAD_WITHIN = 24  # how far into a paragraph its day or time may start
# How far into a line its job words are looked for: bylines and datelines say them early.
_JOB_WORD_SPAN = 24


@dataclass(frozen=True)
class IssueTokens:
    """Every line's features in three rows: `shared` ones its neighbours see too; `text` ones
    from its own text; `context` ones from the issue and its neighbours.

    Rows are tuples, and an issue's lines share few distinct rows (its paragraphs look
    alike), so the labeller sums each distinct row's weights once.
    """

    shared: list[tuple[str, ...]]
    text: list[tuple[str, ...]]
    context: list[tuple[str, ...]]

    @property
    def own(self) -> list[tuple[str, ...]]:
        """Return every line's features that its neighbours do not see."""
        return [t + c for t, c in zip(self.text, self.context, strict=True)]


@lru_cache(maxsize=4096)
def _char_class(c: str) -> str:
    """Name what kind of character a line starts or ends with."""
    if c in TERMINAL:
        return "stop" if c in "。！？!?…" else "close_quote"
    if c in "）)】」』":
        return "close_paren"
    if c in "（(【「『“":
        return "open"
    if c in "：:":
        return "colon"
    if c in "，,；;、":
        return "comma"
    if c in "—-－―":
        return "dash"
    if c in "□◎■●★▲◆·•":
        return "mark"
    if c.isdigit():
        return "digit"
    if "\u3400" <= c <= "\u9fff":
        return "cjk"
    if c.isascii() and c.isalpha():
        return "latin"
    return "other"


def _shared(f: LineInfo, gap_before: str) -> tuple[str, ...]:
    """Return a line's shape: the features its neighbours see too. Positions 0 to 6 are fixed."""
    text = f.text
    marks = len(_MARKS.findall(text, 0, 60))
    return _shape(
        f.kind.value if f.credit is None else f"credit.{f.credit}",
        bisect_left(_LENGTHS, len(text)),
        _char_class(text[-1]),
        f.indented,
        f.title_like,
        gap_before,
        min(marks, 4),
        f.long_title,
        f.column_tag,
        f.section,
        f.subhead_like,
    )


@lru_cache(maxsize=1 << 14)
def _shape(
    kind: str,
    length: int,
    end: str,
    indented: bool,
    title_like: bool,
    gap_before: str,
    marks: int,
    long_title: bool,
    column_tag: bool,
    section: bool,
    subhead_like: bool,
) -> tuple[str, ...]:
    """Spell a line's shape out as features (the same shape, the very same tuple)."""
    shape = [
        "k=" + kind,
        "len=" + (str(_LENGTHS[length]) if length < len(_LENGTHS) else "more"),
        "end=" + end,
        "ind=" + ("1" if indented else "0"),
        "tl=" + ("1" if title_like else "0"),
        "gb=" + gap_before,
        "marks=" + (str(marks) if marks < 4 else "4+"),
    ]
    flags = (("long_title", long_title), ("column_tag", column_tag), ("section", section))
    shape += [name for name, on in flags if on]
    if subhead_like:
        shape.append("subhead_like")
    return tuple(shape)


def _extra(f: LineInfo, gap_after: str) -> tuple[str, ...]:
    """Return the features only the line itself gets from its own text."""
    text = f.text
    extra = ["beg=" + _char_class(text[0]), "ga=" + gap_after]
    if text.startswith("——"):
        extra.append("dash_start")
    if _NUMBERED.match(text):
        extra.append("numbered")
    if len(text) > 40 and (lead := _LEAD.search(text, 0, 41)) and lead.start() <= _LEAD_WITHIN:
        extra.append("lead")
    if len(text) <= 60:
        if _QUOTED.match(text):
            extra.append("quoted")
        if _INNER_SPACE.search(text):
            extra.append("inner_space")
        if _CLAUSE.search(text, 0, len(text) - 1):
            extra.append("clause_inside")
        if _SENTENCE.search(text, 0, len(text) - 1):
            extra.append("sentence_inside")
    words = _JOB_WORDS.findall(text, 0, _JOB_WORD_SPAN)
    if words:
        extra += ["w=" + to_simplified(word) for word in dict.fromkeys(words)]
    return tuple(extra)


def _layout(layout: Layout, infos: list[LineInfo], ahead: list[bool], gaps: list[str]) -> tuple[str, ...]:
    """Return the issue-wide features: indentation, blank-line rhythm, how headings are followed."""
    inner = gaps[1:-1]
    more = sum(g == "1" for g in inner) / len(inner) if inner else 0.0
    # Whether the issue ever puts more blank lines than usual between two lines (at article
    # or section breaks, in empty heading slots), however short the issue.
    breaks = "none" if more < 0.01 else "few"
    short = [f for f in infos if len(f.text) <= 20]
    flush_short = sum(not f.indented for f in short) / len(short) if short else 1.0
    titles = [k for k, f in enumerate(infos) if f.title_like]
    indented_titles = sum(infos[k].indented for k in titles) / len(titles) if titles else 0.0
    # Where most title-like lines have a byline or dateline under them, one that has none is
    # likelier a subhead; where few do, headings stand alone.
    signed = sum(ahead[k] for k in titles) / len(titles) if titles else 0.0
    return (
        "L.tl_ind=" + ("many" if indented_titles > 0.3 else "some" if indented_titles > 0.05 else "none"),
        "L.ind=" + ("1" if layout.indented_body else "0"),
        "L.breaks=" + breaks,
        "L.slotted=" + ("1" if layout.slotted else "0"),
        "L.flush_short=" + ("hi" if flush_short > 0.8 else "mid" if flush_short > 0.4 else "lo"),
        "L.signed=" + ("hi" if signed > 0.5 else "mid" if signed > 0.2 else "lo"),
    )


def _gaps(infos: list[LineInfo]) -> list[str]:
    """Read the blank lines before every line against the issue's usual count (and one after the last).

    `1` is more blank lines than the issue puts between most lines, `0` the usual count,
    `lo` fewer: where a blank line follows every line, only a second one says something, and
    the issue reads like one with no blank lines at all. The start and the end count as `1`.
    """
    numbers = [f.line.number for f in infos]
    blanks = [b - a - 1 for a, b in pairwise(numbers)]
    usual = Counter(blanks).most_common(1)[0][0] if blanks else 0
    inner = ["1" if b > usual else "0" if b == usual else "lo" for b in blanks]
    return ["1", *inner, "1"]


def _under(infos: list[LineInfo], i: int) -> tuple[str, ...]:
    """Return what a title-like line learns from the lines under it, beyond its two neighbours.

    A subtitle (`——…`) under a title is a heading's; a photo credit or caption within three
    lines makes the title a photo story's, not a subhead.
    """
    under = infos[i + 1 : i + 4]
    out = []
    if under and under[0].text.startswith("——"):
        out.append("n_dash")
    if any(f.credit in ("photo", "caption") for f in under):
        out.append("photo_ahead")
    return tuple(out)


# How much text around a title-like line its words and those under it are compared in.
_ABOVE_CHARS = 200  # the end of the two lines above it
_UNDER_CHARS = 40  # the opening words of the first line of text under it


def _topic(infos: list[LineInfo], ahead: list[bool]) -> dict[int, tuple[str, ...]]:
    """Tell whether a title-like line with no byline or dateline under it, right after body
    text, heads a new article or a section of the same one, from the words around it.

    A new article's first sentence shares few two-character words with the text above the
    title (`cont`), and a new headline few with the text above it (`hbef`). The words are
    only compared, never learned: what is learned is how much text on either side of a
    heading has in common.
    """
    texts = [f.text for f in infos]
    out: dict[int, tuple[str, ...]] = {}
    n = len(infos)
    for i in range(2, n - 1):
        f = infos[i]
        if not f.title_like or ahead[i] or infos[i - 1].kind != Kind.TEXT or infos[i - 1].title_like:
            continue
        j = i + 1
        while j < n - 1 and j < i + 3 and infos[j].title_like:
            j += 1
        above = (texts[i - 2] + texts[i - 1])[-_ABOVE_CHARS:]
        under = texts[j][:_UNDER_CHARS]
        out[i] = (
            "cont=" + _bucket(_shared_words(under, above), (0.03, 0.08, 0.15)),
            "hbef=" + _bucket(_shared_words(f.text, above), (0.05, 0.15, 0.3)),
        )
    return out


def _shared_words(text: str, other: str) -> float:
    """Return the share of text's two-letter strings (no digits, no marks) also found in other."""
    pairs = [a + b for a, b in pairwise(text) if a.isalpha() and b.isalpha()]
    return sum(pair in other for pair in pairs) / len(pairs) if pairs else 0.0


def _bucket(value: float, edges: tuple[float, float, float]) -> str:
    """Name which of four ranges a share falls in."""
    return "0" if value < edges[0] else "lo" if value < edges[1] else "mid" if value < edges[2] else "hi"


def _signed_ahead(infos: list[LineInfo]) -> list[bool]:
    """Tell for every line whether a byline or dateline comes within the next three lines."""
    marks = [f.kind in (Kind.BYLINE, Kind.DATELINE) for f in infos] + [False] * 3
    return [marks[i + 1] or marks[i + 2] or marks[i + 3] for i in range(len(infos))]


_START = ("k=start", "end=start", "ind=-", "tl=-")
_END = ("k=end", "ind=-", "tl=-")


@lru_cache(maxsize=1 << 16)
def _context(
    issue: tuple[str, ...],
    mine: tuple[str, str, str, str],
    previous: tuple[str, str, str, str],
    following: tuple[str, str, str],
    ahead: bool,
    gap_after: str,
) -> tuple[str, ...]:
    """Return the features a line gets from the issue's layout and from its neighbours.

    `mine` is the line's kind, indented, title-like and blank-before features; `previous`
    the line before's kind, end, indented and title-like; `following` the next line's kind,
    indented and title-like.
    """
    tl_ind_l, ind_l, breaks_l, signed_l = issue[0], issue[1], issue[2], issue[5]
    kind, indented, title_like, gap_before = mine
    row = ["bias", *issue]
    row += [
        # The line's shape read against the issue's layout.
        f"{ind_l}|{indented}",
        f"{breaks_l}|{gap_before}",
        f"{ind_l}|{indented}|{title_like}",
        f"{tl_ind_l}|{ind_l}|{indented}|{title_like}",
        f"{breaks_l}|{gap_before}|{title_like}|ga={gap_after}",
        f"{signed_l}|{title_like}|ahead={'1' if ahead else '0'}",
        # The line with its neighbours.
        f"pk|k={previous[0]}|{kind}",
        f"k|nk={kind}|{following[0]}",
        f"pend|tl={previous[1]}|{title_like}",
        f"tl|nk={title_like}|{following[0]}",
        f"pind|ind|nind={previous[2]}|{indented}|{following[1]}",
        f"tl|ntl={title_like}|{following[2]}",
        f"ptl|tl={previous[3]}|{title_like}",
    ]
    if ahead:
        row.append("signed_ahead")
    return tuple(row)


def issue_tokens(infos: list[LineInfo], layout: Layout) -> IssueTokens:
    """Return every line's shared, text and context features, in line order."""
    n = len(infos)
    gaps = _gaps(infos)  # gaps[i] is before line i, gaps[i + 1] after it
    shared = [_shared(f, gaps[i]) for i, f in enumerate(infos)]
    ahead = _signed_ahead(infos)
    issue = _layout(layout, infos, ahead, gaps)
    before = [(r[0], r[2], r[3], r[4]) for r in shared]  # what the next line reads of this one
    after = [(r[0], r[3], r[4]) for r in shared]  # what the line before reads of this one
    context = [
        _context(
            issue,
            (row[0], row[3], row[4], row[5]),
            before[i - 1] if i else _START,
            after[i + 1] if i + 1 < n else _END,
            ahead[i],
            gaps[i + 1],
        )
        for i, row in enumerate(shared)
    ]
    topic = _topic(infos, ahead)
    text = [
        _extra(f, gaps[i + 1]) + (_under(infos, i) + topic.get(i, ()) if f.title_like else ())
        for i, f in enumerate(infos)
    ]
    return IssueTokens(shared=shared, text=text, context=context)


def issue_features(infos: list[LineInfo], layout: Layout) -> list[list[str]]:
    """Spell out every line's attributes: its own, its shape, and its neighbours' shapes."""
    tokens = issue_tokens(infos, layout)
    n = len(infos)
    rows = []
    for i in range(n):
        row = [*tokens.shared[i], *tokens.text[i], *tokens.context[i]]
        for offset in OFFSETS:
            j = i + offset
            if 0 <= j < n:
                row += [f"{offset}:{feature}" for feature in tokens.shared[j]]
            else:
                row.append(f"{offset}:none")
        rows.append(row)
    return rows
