"""A hand-written rule splitter, kept only as a yardstick for the line labeller.

`bench.split_cost` times it beside the labeller in one run, and `bench.eval_split` scores it
beside the labeller on the same text. The pipeline does not use it.

Split an issue's text into articles from evidence in the text, with no per-paper switch.

Every non-blank input line ends up in exactly one place: an article field or the residue.
`flows.text.layout` reads what each line looks like and how the issue is laid out; this module makes
one pass over the lines with a little lookahead. A heading block (up to three title-like lines:
kicker 引题, title 主题, subtitle 副题) starts an article when a byline or dateline follows it,
when it has a `——` subtitle, when it follows a closed article or a page header, when it carries
a column tag (`（今日谈）`), when a blank line sets it apart in a layout that rarely has one, or
when it is two lines that do not continue a cut paragraph. A lone title-like line inside an
article is an in-body subhead. Page headers, section names and title-only pages are residue.
"""

from __future__ import annotations

import logging

from flows.models import Article, Credit, Line
from flows.split import split_lines
from flows.text.layout import Kind, LineInfo, read_lines
from flows.text.patterns import BRACKET_BYLINE, DATELINE_START, END_BRACKET, JUMP_IN, JUMP_OUT, TERMINAL

log = logging.getLogger(__name__)

MAX_HEADING_LINES = 3
# Credits that end an article: after them, a heading starts the next one.
_CLOSING_CREDITS = {"editor", "layout", "author_note", "source", "chart"}
# Credits that may stand between a heading block and its text.
_HEADER_CREDITS = {"photo", "editor_note"}
_TRIM = " \t\u3000\xa0\ufeff"


class _Splitter:
    """One pass over the lines with a little lookahead; the state is the open article."""

    def __init__(self, lines: list[Line]) -> None:
        self.info, self.layout = read_lines(lines)
        self.heading = [self._can_head(k) for k in range(len(self.info))]
        self.articles: list[Article] = []
        self.residue: list[Line] = []
        self.current: Article | None = None
        self.in_header = False  # between an article's heading and its first paragraph
        self.closed = False  # the open article has ended (end bracket, closing credit, jump)
        self.page_top = True  # after a page header: section names and lone titles are residue
        self.jumped: Article | None = None  # the article whose text goes on on a later page

    def _can_head(self, k: int) -> bool:
        """Tell whether line k may be part of a heading block (indented lines are body text).

        A line too long for a title on its shape alone is one when a byline or dateline follows.
        """
        f = self.info[k]
        if self.layout.indented_body and f.indented:
            return False
        after = self.info[k + 1].kind if k + 1 < len(self.info) else None
        return f.title_like or (f.long_title and after in (Kind.BYLINE, Kind.DATELINE))

    def run(self) -> tuple[list[Article], list[Line]]:
        """Place every line; return the articles and the residue."""
        i = 0
        while i < len(self.info):
            size = self._heading_block_at(i)
            if size:
                self._start_article(self.info[i : i + size])
                i += size
                continue
            self._place(i)
            i += 1
        return self.articles, self.residue

    def _heading_block_at(self, i: int) -> int:
        """Return the number of heading lines starting an article at line i, or 0."""
        if not self.heading[i] or (self.page_top and self.info[i].section):
            return 0
        j = i
        while j < len(self.info) and self.heading[j]:
            j += 1
        run = j - i
        # Only the last lines of a long run can be a heading block; earlier ones are placed
        # one by one (section names, subheads) until the block's start is reached.
        if run > MAX_HEADING_LINES:
            return 0
        after = self.info[j] if j < len(self.info) else None
        if after is None or after.kind == Kind.FURNITURE:
            return 0  # a title-only page: nothing article-like follows
        first, block = self.info[i], self.info[i:j]
        if after.kind in (Kind.BYLINE, Kind.DATELINE) or after.credit in _HEADER_CREDITS:
            return run
        if run >= 2 and any(f.text.startswith("——") for f in block[1:]):
            return run
        if self.current is None or self.closed or self.page_top or first.column_tag:
            return run
        if first.gap_before and not self.layout.spaced:
            return run
        if run >= 2 and not self._continues_paragraph():
            return run
        return 0

    def _continues_paragraph(self) -> bool:
        """Tell whether the open article's last paragraph was cut off mid-sentence."""
        if self.current is None or not self.current.paragraphs:
            return False
        return self.current.paragraphs[-1][-1] not in TERMINAL

    def _open(self, article: Article) -> Article:
        self.current, self.in_header, self.closed, self.page_top = article, True, False, False
        return article

    def _start_article(self, block: list[LineInfo]) -> None:
        article = self._open(Article(seq=len(self.articles) + 1))
        self.articles.append(article)
        for f, role in zip(block, heading_roles(block, self.layout.slotted), strict=True):
            setattr(article, role, f.text)
            article.lines.append((f.line.number, role))

    def _start_headless_article(self) -> Article:
        article = self._open(Article(seq=len(self.articles) + 1))
        self.articles.append(article)
        return article

    def _place(self, i: int) -> None:
        """Put line i into the open article (or the residue) according to what it is."""
        f = self.info[i]
        if f.kind == Kind.FURNITURE:
            self.residue.append(f.line)
            self.page_top = True
            return
        article = self.current
        if article is None and f.kind in (Kind.BYLINE, Kind.DATELINE):
            article = self._start_headless_article()  # an article with no heading
        if article is None or (self.page_top and (f.section or self.heading[i])):
            self.residue.append(f.line)
            return
        self.page_top = False
        if f.kind == Kind.END_BRACKET:
            self._place_end_bracket(article, f)
        elif f.kind == Kind.CREDIT:
            self._place_credit(article, f)
        elif f.kind == Kind.BYLINE and (self.in_header or article.byline is None):
            article.byline = f.text if article.byline is None else f"{article.byline}\n{f.text}"
            article.lines.append((f.line.number, "byline"))
        elif f.kind == Kind.DATELINE:
            if article.paragraphs or article.dateline:
                article = self._start_headless_article()
            self._place_dateline(article, f)
        else:
            self._place_text(article, f)

    def _place_text(self, article: Article, f: LineInfo) -> None:
        self.in_header = self.closed = False
        if article.paragraphs and f.subhead_like and not self._continues_paragraph():
            article.subheads.append(f.text)
            article.paragraphs.append(f.text)
            article.lines.append((f.line.number, "subhead"))
            return
        article.paragraphs.append(f.text)
        article.lines.append((f.line.number, "paragraph"))

    def _place_credit(self, article: Article, f: LineInfo) -> None:
        assert f.credit is not None
        if f.credit == "jump" and JUMP_IN.match(f.text) and self.jumped is not None:
            # `（上接第一版）`: the text that follows continues the article that jumped.
            article, self.jumped = self._open(self.jumped), None
            self.in_header = False
        article.credits.append(Credit(f.credit, f.text))
        article.lines.append((f.line.number, "credit"))
        if f.credit == "jump" and JUMP_OUT.match(f.text):
            self.jumped, self.closed = article, True
        elif f.credit in _CLOSING_CREDITS:
            self.closed = True

    def _place_dateline(self, article: Article, f: LineInfo) -> None:
        match = DATELINE_START.match(f.text)
        assert match is not None
        article.dateline = match.group(0).strip("【】")
        rest = f.text[match.end() :]
        bracket = BRACKET_BYLINE.match(rest)
        if bracket:
            inner = bracket.group("byline")
            article.byline = inner if article.byline is None else f"{article.byline}\n{inner}"
            rest = rest[bracket.end() :]
        rest = rest.strip(_TRIM)
        if rest:
            article.paragraphs.append(rest)
        article.lines.append((f.line.number, "dateline"))
        self.in_header = self.closed = False

    def _place_end_bracket(self, article: Article, f: LineInfo) -> None:
        match = END_BRACKET.match(f.text)
        assert match is not None
        inner = match.group("inner")
        if DATELINE_START.match(inner) and article.dateline is None:
            article.dateline = inner
            article.lines.append((f.line.number, "dateline"))
        elif not DATELINE_START.match(inner) and article.byline is None:
            article.byline = inner
            article.lines.append((f.line.number, "byline"))
        else:
            article.credits.append(Credit("end_note", f.text))
            article.lines.append((f.line.number, "credit"))
        self.closed = True


def heading_roles(block: list[LineInfo], slotted: bool) -> list[str]:
    """Name the lines of a heading block: kicker 引题, headline 主题, subtitle 副题.

    Two lines are kicker + headline, unless the second starts with `——`, or the layout keeps
    empty slots and the empty one is the kicker's (a blank line before the block).
    """
    if len(block) == 1:
        return ["headline"]
    if len(block) == 2:
        first, second = block
        if second.text.startswith("——") or (slotted and first.gap_before and not second.gap_after):
            return ["headline", "subtitle"]
        return ["kicker", "headline"]
    return ["kicker", "headline", "subtitle"]


def split_issue(text: str) -> tuple[list[Article], list[Line]]:
    """Split an issue into raw articles and residue lines; pure and deterministic."""
    lines = split_lines(text)
    articles, residue = _Splitter(lines).run()
    log.debug("split %d lines into %d articles", len(lines), len(articles))
    return articles, residue


__all__ = ["heading_roles", "split_issue"]
