"""Split an issue's text into articles: a learned labeller names each line, a decoder assembles.

Every non-blank input line ends up in exactly one place: an article field or the residue.
`flows.text.layout` reads what each line looks like and how the issue is laid out; the line
labeller (`flows.labeller`, a CRF trained on real newspapers rendered in many layouts) gives
every line a role (`flows.labeller.roles`) and says how sure it is. This module turns the roles
into articles: a `B-` heading line opens an article, the lines after it fill its fields, page
furniture goes to the residue. Bracketed lines, credits and jump lines are read as the rules in
`flows.text.patterns` say, whatever role they got; a heading with nothing under it is residue.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flows.labeller import roles
from flows.labeller.model import MODEL_PATH, Labelled, label_issue
from flows.models import Article, Credit, Finding, Line
from flows.settings import split_doubt_threshold
from flows.text.layout import Kind, LineInfo, classify_credit, read_lines
from flows.text.patterns import BRACKET_BYLINE, DATELINE_START, END_BRACKET, JUMP_IN, JUMP_OUT

log = logging.getLogger(__name__)

# Credits that end an article: after them, the text that follows belongs to another.
_CLOSING_CREDITS = {"editor", "layout", "author_note", "source", "chart"}
_TRIM = " \t\u3000\xa0\ufeff"
# The labels under which a bracketed end line is read by the rules (`_place_end_bracket`).
_END_BRACKET_LABELS = frozenset({roles.CLOSING, roles.BYLINE, roles.DATELINE, roles.CREDIT})
# A line whose role the labeller gives with less probability than this is in doubt: its
# article gets a `split_uncertain` finding naming it (NEWSPRINT_SPLIT_DOUBT, 0 to 1).
DOUBT_BELOW = split_doubt_threshold()


def split_lines(text: str) -> list[Line]:
    """Return the non-blank lines of a text with their 1-based line numbers."""
    numbered = enumerate(text.splitlines(), start=1)
    # Blank means nothing but whitespace (Python's, which includes \x1c-\x1f) and BOMs.
    return [Line(number, raw.rstrip()) for number, raw in numbered if raw.replace("\ufeff", "").strip()]


class _Assembler:
    """One pass over the labelled lines; the state is the open article."""

    def __init__(self, infos: list[LineInfo], labelled: Labelled, doubt_below: float) -> None:
        self.infos = infos
        self.labelled = labelled
        self.doubt_below = doubt_below
        self.articles: list[Article] = []
        self.residue: list[Line] = []
        self.current: Article | None = None
        self.in_heading = False  # the open article has only heading lines so far
        self.jumped: Article | None = None  # the article whose text goes on on a later page

    def run(self) -> tuple[list[Article], list[Line]]:
        """Place every line; return the articles and the residue."""
        for i, (f, label) in enumerate(zip(self.infos, self.labelled.labels, strict=True)):
            self._place(f, label)
            self._note_confidence(i, label)
        return self._without_title_only(), self.residue

    def _place(self, f: LineInfo, label: str) -> None:
        if label == roles.FURNITURE:
            self.residue.append(f.line)
            return
        if label in roles.HEADING:
            self._place_heading(f, label)
            return
        article = self.current
        if article is None:
            if label not in (roles.BYLINE, roles.DATELINE) or f.kind == Kind.END_BRACKET:
                self.residue.append(f.line)  # text before any article: a masthead, a stray line
                return
            article = self._open(Article(seq=len(self.articles) + 1))  # an article with no heading
            self.articles.append(article)
        if f.kind == Kind.END_BRACKET and label in _END_BRACKET_LABELS:
            self._place_end_bracket(article, f)
        elif label == roles.CREDIT or f.credit == "jump":  # a jump line is one whatever its label
            self._place_credit(article, f)
        elif label == roles.BYLINE and (self.in_heading or article.byline is None):
            article.byline = f.text if article.byline is None else f"{article.byline}\n{f.text}"
            article.lines.append((f.line.number, "byline"))
        elif label == roles.DATELINE and article.dateline is None and DATELINE_START.match(f.text):
            self._place_dateline(article, f)
        else:
            self._place_text(article, f, subhead=label == roles.SUBHEAD)

    def _open(self, article: Article) -> Article:
        self.current, self.in_heading = article, True
        return article

    def _place_heading(self, f: LineInfo, label: str) -> None:
        """Open an article at a `B-` line (or a heading line outside any heading); fill its heading."""
        if label in roles.BEGINS or not self.in_heading or self.current is None:
            self._close_heading()
            self.articles.append(self._open(Article(seq=len(self.articles) + 1)))
        article = self.current
        assert article is not None
        role = roles.field_of(label)
        previous = getattr(article, role)
        setattr(article, role, f.text if previous is None else _join(previous, f.text))
        article.lines.append((f.line.number, role))

    def _close_heading(self) -> None:
        """Give a heading block with no headline one: its kicker or subtitle becomes it."""
        article = self.current
        if article is None or article.headline is not None:
            return
        promoted = "kicker" if article.kicker is not None else "subtitle"
        article.headline = getattr(article, promoted)
        setattr(article, promoted, None)
        article.lines = [(n, "headline" if role == promoted else role) for n, role in article.lines]

    def _place_text(self, article: Article, f: LineInfo, *, subhead: bool) -> None:
        self._close_heading()
        self.in_heading = False
        if subhead and article.paragraphs:
            article.subheads.append(f.text)
            article.paragraphs.append(f.text)
            article.lines.append((f.line.number, "subhead"))
            return
        article.paragraphs.append(f.text)
        article.lines.append((f.line.number, "paragraph"))

    def _place_credit(self, article: Article, f: LineInfo) -> None:
        role = classify_credit(f.text) or "note"
        if role == "jump" and JUMP_IN.match(f.text) and self.jumped is not None:
            # `（上接第一版）`: the text that follows continues the article that jumped.
            self._close_heading()
            article, self.jumped = self._open(self.jumped), None
            self.in_heading = False
        article.credits.append(Credit(role, f.text))
        article.lines.append((f.line.number, "credit"))
        if role == "jump" and JUMP_OUT.match(f.text):
            self.jumped = article

    def _place_dateline(self, article: Article, f: LineInfo) -> None:
        self._close_heading()
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
        self.in_heading = False

    def _place_end_bracket(self, article: Article, f: LineInfo) -> None:
        self._close_heading()
        match = END_BRACKET.match(f.text)
        assert match is not None
        inner = match.group("inner")
        if DATELINE_START.match(inner) and article.dateline is None:
            article.dateline = inner
            article.lines.append((f.line.number, "dateline"))
        elif not DATELINE_START.match(inner) and article.byline is None and classify_credit(f.text) is None:
            article.byline = inner
            article.lines.append((f.line.number, "byline"))
        else:
            article.credits.append(Credit(classify_credit(f.text) or "end_note", f.text))
            article.lines.append((f.line.number, "credit"))
        self.in_heading = False

    def _note_confidence(self, i: int, label: str) -> None:
        """Lower the open article's confidence to this line's, and name the line if in doubt."""
        article = self.current
        if article is None or not article.lines or article.lines[-1][0] != self.infos[i].line.number:
            return
        begins = self.labelled.begins[i]
        sure = begins if label in roles.BEGINS else 1.0 - begins
        if label in roles.HEADING:
            sure = min(sure, self.labelled.sure[i])
        article.confidence = min(article.confidence, sure)
        if sure < self.doubt_below:
            article.doubts.append((self.infos[i].line.number, label, round(sure, 3)))

    def _without_title_only(self) -> list[Article]:
        """Send heading blocks with nothing under them (a title-only page) to the residue."""
        self._close_heading()
        kept: list[Article] = []
        numbers: dict[int, Line] = {}
        for article in self.articles:
            if all(role in ("kicker", "headline", "subtitle") for _, role in article.lines):
                numbers = numbers or {line.line.number: line.line for line in self.infos}
                self.residue.extend(numbers[n] for n, _ in article.lines)
                continue
            article.seq = len(kept) + 1
            if article.doubts:
                article.findings.append(_uncertain(article))
            kept.append(article)
        self.residue.sort(key=lambda line: line.number)
        return kept


def _uncertain(article: Article) -> Finding:
    """Name the lines whose role the labeller doubts, with the role it gave and how sure it was."""
    doubts = "; ".join(f"line {n} {role} {sure:.2f}" for n, role, sure in article.doubts[:6])
    more = f" (+{len(article.doubts) - 6} more)" if len(article.doubts) > 6 else ""
    return Finding("split_uncertain", "warning", f"{doubts}{more}", seq=article.seq)


def _join(first: str, second: str) -> str:
    """Join a heading broken over two lines; a space only between two Latin letters or digits."""
    if first[-1:].isascii() and second[:1].isascii() and first[-1:].isalnum() and second[:1].isalnum():
        return f"{first} {second}"
    return first + second


def split_issue(
    text: str, model: Path = MODEL_PATH, doubt_below: float | None = None
) -> tuple[list[Article], list[Line]]:
    """Split an issue into raw articles and residue lines; pure and deterministic.

    `model` is the line labeller's weights; a line labelled with less confidence than
    `doubt_below` (default `DOUBT_BELOW`) is named in its article's `split_uncertain` finding.
    """
    lines = split_lines(text)
    infos, layout = read_lines(lines)
    threshold = DOUBT_BELOW if doubt_below is None else doubt_below
    articles, residue = _Assembler(infos, label_issue(infos, layout, model), threshold).run()
    log.debug("split %d lines into %d articles", len(lines), len(articles))
    return articles, residue


__all__ = ["split_issue", "split_lines"]
