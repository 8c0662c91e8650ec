"""Split an issue's text into articles from evidence in the text, with no per-paper switch.

Every non-blank input line ends up in exactly one place: an article field or the residue.
The evidence: a heading block (up to three short, unpunctuated, unindented lines) followed by
a byline or a dateline starts an article; so does a heading block with a `——` subtitle, or a
heading after an article closed with a bracketed byline or credits. A lone heading-like line
inside an article is an in-body subhead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flows.bylines import is_byline, parse_byline
from flows.models import Article, Credit, Line
from flows.patterns import (
    BRACKET_BYLINE,
    CREDIT_PATTERNS,
    DATELINE_START,
    END_BRACKET,
    PAGE_FURNITURE,
    SENTENCE_END,
    TERMINAL,
)

log = logging.getLogger(__name__)

MAX_HEADING_CHARS = 40
MAX_SUBTITLE_CHARS = 80
MAX_HEADING_LINES = 3
_INDENT = ("\u3000", "  ", "\t", "\xa0\xa0")
# Credits that end an article: after them, a heading starts the next one.
_CLOSING_CREDITS = {"editor", "layout", "author_note", "source", "chart"}


@dataclass(frozen=True)
class _Features:
    """What the splitter knows about one line, computed once."""

    text: str
    indented: bool
    byline: bool
    dateline: bool
    credit: str | None
    end_bracket: bool
    furniture: bool


def split_lines(text: str) -> list[Line]:
    """Return the non-blank lines of a text with their 1-based line numbers."""
    return [
        Line(number, raw.rstrip())
        for number, raw in enumerate(text.splitlines(), start=1)
        if raw.strip(" \t\u3000\xa0\ufeff")
    ]


def _clean(text: str) -> str:
    return text.strip(" \t\u3000\xa0\ufeff")


def classify_credit(text: str) -> str | None:
    """Return the credit role of a line of page furniture, or None."""
    for pattern, role in CREDIT_PATTERNS:
        if pattern.search(text):
            if role == "photo" and len(text) > 40:
                continue
            return role
    return None


def _features(line: Line) -> _Features:
    text = _clean(line.text)
    end = END_BRACKET.match(text)
    end_bracket = bool(
        end and (DATELINE_START.match(end.group("inner")) or is_byline(end.group("inner"), bracketed=True))
    )
    return _Features(
        text=text,
        indented=line.text.startswith(_INDENT),
        byline=not end_bracket and is_byline(text),
        dateline=bool(DATELINE_START.match(text)),
        credit=None if end_bracket else classify_credit(text),
        end_bracket=end_bracket,
        furniture=len(text) <= 40 and bool(PAGE_FURNITURE.search(text)),
    )


def _uses_indentation(features: list[_Features]) -> bool:
    """Tell whether body paragraphs are indented, which makes indentation a heading signal."""
    long_lines = [f for f in features if len(f.text) > MAX_HEADING_CHARS]
    if len(long_lines) < 2:
        return False
    return sum(f.indented for f in long_lines) / len(long_lines) >= 0.6


def _is_heading_like(f: _Features, indent_mode: bool) -> bool:
    if f.byline or f.dateline or f.credit or f.end_bracket or f.furniture:
        return False
    if indent_mode and f.indented:
        return False
    limit = MAX_SUBTITLE_CHARS if f.text.startswith("——") else MAX_HEADING_CHARS
    if len(f.text) > limit:
        return False
    return f.text[-1] not in "。；;：:，,、"


class _Splitter:
    """One pass over the lines with a little lookahead; state is the open article."""

    def __init__(self, lines: list[Line]) -> None:
        self.lines = lines
        self.features = [_features(line) for line in lines]
        self.indent_mode = _uses_indentation(self.features)
        self.heading = [_is_heading_like(f, self.indent_mode) for f in self.features]
        self.articles: list[Article] = []
        self.residue: list[Line] = []
        self.current: Article | None = None
        self.in_header = False
        self.closed = False

    def run(self) -> tuple[list[Article], list[Line]]:
        i = 0
        while i < len(self.lines):
            block = self._heading_block_at(i)
            if block:
                self._start_article(i, block)
                i += block
                continue
            self._place(i)
            i += 1
        return self.articles, self.residue

    def _heading_block_at(self, i: int) -> int:
        """Return the number of heading lines starting an article at i, or 0."""
        if not self.heading[i]:
            return 0
        j = i
        while j < len(self.lines) and self.heading[j]:
            j += 1
        run = j - i
        # Only the last lines of a long run can be a heading block; earlier ones are placed
        # one by one (subheads, residue) until the block's start is reached.
        if run > MAX_HEADING_LINES:
            return 0
        after = self.features[j] if j < len(self.lines) else None
        if after is not None and (after.byline or after.dateline):
            return run
        block_texts = [f.text for f in self.features[i:j]]
        if run >= 2 and any(t.startswith("——") for t in block_texts[1:]):
            return run
        if self.current is None or self.closed:
            return run if after is not None or run >= 2 else 0
        if run >= 2 and not self._continues_paragraph():
            return run
        return 0

    def _continues_paragraph(self) -> bool:
        """Tell whether the open article's last paragraph was cut off mid-sentence."""
        if self.current is None or not self.current.paragraphs:
            return False
        return self.current.paragraphs[-1][-1] not in TERMINAL

    def _start_article(self, i: int, size: int) -> None:
        texts = [self.features[k].text for k in range(i, i + size)]
        numbers = [self.lines[k].number for k in range(i, i + size)]
        article = Article(seq=len(self.articles) + 1)
        roles = _heading_roles(texts)
        for text, number, role in zip(texts, numbers, roles, strict=True):
            setattr(article, role, text)
            article.lines.append((number, role))
        self.articles.append(article)
        self.current, self.in_header, self.closed = article, True, False

    def _start_headless_article(self) -> Article:
        article = Article(seq=len(self.articles) + 1)
        self.articles.append(article)
        self.current, self.in_header, self.closed = article, True, False
        return article

    def _place(self, i: int) -> None:
        """Put line i into the open article (or the residue) according to what it is."""
        f, line = self.features[i], self.lines[i]
        article = self.current
        if article is None or (f.furniture and not article.paragraphs and not self.in_header):
            self.residue.append(line)
            return
        if f.end_bracket:
            self._place_end_bracket(article, f.text, line.number)
            return
        if f.credit:
            article.credits.append(Credit(f.credit, f.text))
            article.lines.append((line.number, "credit"))
            self.closed = self.closed or f.credit in _CLOSING_CREDITS
            return
        if f.byline and (self.in_header or article.byline is None):
            article.byline = f.text if article.byline is None else f"{article.byline}\n{f.text}"
            article.lines.append((line.number, "byline"))
            return
        if f.dateline and (article.paragraphs or article.dateline):
            article = self._start_headless_article()
        if f.dateline and article.dateline is None:
            self._place_dateline(article, f.text, line.number)
            return
        self.in_header = False
        if self.closed:
            self.residue.append(line)
            return
        if self.heading[i] and not self._continues_paragraph() and article.paragraphs:
            article.subheads.append(f.text)
            article.paragraphs.append(f.text)
            article.lines.append((line.number, "subhead"))
            return
        article.paragraphs.append(f.text)
        article.lines.append((line.number, "paragraph"))

    def _place_dateline(self, article: Article, text: str, number: int) -> None:
        match = DATELINE_START.match(text)
        assert match is not None
        article.dateline = match.group(0).strip("【】")
        rest = text[match.end() :]
        bracket = BRACKET_BYLINE.match(rest)
        if bracket:
            inner = bracket.group("byline")
            article.byline = inner if article.byline is None else f"{article.byline}\n{inner}"
            rest = rest[bracket.end() :]
        rest = _clean(rest)
        if rest:
            article.paragraphs.append(rest)
        article.lines.append((number, "dateline"))
        self.in_header = False

    def _place_end_bracket(self, article: Article, text: str, number: int) -> None:
        match = END_BRACKET.match(text)
        assert match is not None
        inner = match.group("inner")
        if DATELINE_START.match(inner) and article.dateline is None:
            article.dateline = inner
            article.lines.append((number, "dateline"))
        elif not DATELINE_START.match(inner) and article.byline is None:
            article.byline = inner
            article.lines.append((number, "byline"))
        else:
            article.credits.append(Credit("end_note", text))
            article.lines.append((number, "credit"))
        self.closed = True


def _heading_roles(texts: list[str]) -> list[str]:
    """Name the lines of a heading block: kicker 引题, headline 主题, subtitle 副题."""
    if len(texts) == 1:
        return ["headline"]
    if len(texts) == 2:
        if texts[1].startswith("——"):
            return ["headline", "subtitle"]
        return ["kicker", "headline"]
    return ["kicker", "headline", "subtitle"]


def split_issue(text: str) -> tuple[list[Article], list[Line]]:
    """Split an issue into raw articles and residue lines; pure and deterministic."""
    lines = split_lines(text)
    articles, residue = _Splitter(lines).run()
    log.debug("split %d lines into %d articles", len(lines), len(articles))
    return articles, residue


__all__ = ["SENTENCE_END", "classify_credit", "parse_byline", "split_issue", "split_lines"]
