"""Read the evidence in an issue's lines: what each line looks like, and how the issue is laid out.

The splitter decides from this evidence alone, with no per-paper switch. Each line gets one
kind (page furniture, credit, bracketed end note, byline, dateline, or plain text) and a few
shape features; the issue gets a layout read from all its lines at once: whether body
paragraphs are indented, whether a blank line follows every line, and whether heading blocks
keep an empty line for a missing kicker or subtitle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise

from flows.models import Line
from flows.text.bylines import is_byline
from flows.text.patterns import (
    CJK_CHAR,
    CLAUSE_MARKS,
    COLUMN_TAG,
    CREDIT_PATTERNS,
    DATELINE_START,
    END_BRACKET,
    PAGE_FURNITURE,
    SECTION_NAME,
    SENTENCE_MARKS,
    UNFINISHED,
)

MAX_HEADING_CHARS = 40
MAX_SUBTITLE_CHARS = 80
MAX_FURNITURE_CHARS = 40
MAX_PHOTO_CREDIT_CHARS = 40
_TRIM = " \t\u3000\xa0\ufeff"
_INDENT = ("\u3000", "  ", "\t", "\xa0\xa0")
_CLAUSE_MARK_SET = frozenset(CLAUSE_MARKS)
# Any credit pattern, in one search: most lines match none, and are done with one search, not twelve
_ANY_CREDIT = re.compile("|".join(f"(?:{pattern.pattern})" for pattern, _ in CREDIT_PATTERNS))


class Kind(StrEnum):
    """What a line is; exactly one per line."""

    FURNITURE = "furniture"  # page header or masthead: residue
    CREDIT = "credit"  # production or photo credit, note, jump line: article metadata
    END_BRACKET = "end_bracket"  # （byline） or （dateline） closing an article
    BYLINE = "byline"
    DATELINE = "dateline"  # a paragraph opening with 本报…讯 / 新华社…电
    TEXT = "text"  # heading, subhead or paragraph: the splitter decides which


@dataclass(frozen=True)
class LineInfo:
    """What one line looks like, computed once."""

    line: Line
    text: str  # trimmed of indentation and trailing space
    kind: Kind
    credit: str | None  # the credit role when kind is CREDIT
    indented: bool
    gap_before: bool  # a blank line (or the start of the text) comes before it
    gap_after: bool
    title_like: bool  # short and not ending like a sentence: could be a heading or a subhead
    long_title: bool  # a title too long to be one on its shape alone, unless a byline follows
    column_tag: bool  # ends with a column tag such as （今日谈）
    section: bool  # a section name such as 要闻, seen under page headers

    @property
    def subhead_like(self) -> bool:
        """Tell whether the line could be an in-body subhead: a title with no clause marks."""
        return self.kind == Kind.TEXT and self.title_like and _CLAUSE_MARK_SET.isdisjoint(self.text)


@dataclass(frozen=True)
class Layout:
    """What the issue as a whole says about its layout."""

    indented_body: bool  # body paragraphs are indented, so an indented line is never a heading
    spaced: bool  # a blank line follows every line, so blank lines say nothing
    slotted: bool  # heading blocks keep an empty line for a missing kicker or subtitle


def trim(text: str) -> str:
    """Strip indentation, trailing space and a stray BOM."""
    return text.strip(_TRIM)


def classify_credit(text: str) -> str | None:
    """Return the credit role of a line of page furniture, or None."""
    if not _ANY_CREDIT.search(text):
        return None
    for pattern, role in CREDIT_PATTERNS:
        if pattern.search(text):
            if role == "photo" and len(text) > MAX_PHOTO_CREDIT_CHARS:
                continue
            return role
    return None


def is_end_bracket(text: str) -> bool:
    """Tell whether a whole line is a bracketed dateline or byline (`（本报记者 贺 勇采访整理）`)."""
    match = END_BRACKET.match(text)
    if match is None:
        return False
    inner = match.group("inner")
    return bool(DATELINE_START.match(inner)) or is_byline(inner, bracketed=True)


def classify(text: str) -> tuple[Kind, str | None]:
    """Return the kind of a trimmed line, and its credit role when it is a credit."""
    if is_end_bracket(text):
        return Kind.END_BRACKET, None
    credit = classify_credit(text)
    if credit == "bullet" and is_byline(text):  # `■本报记者 王萌` is a byline, not a summary bullet
        return Kind.BYLINE, None
    if credit:
        return Kind.CREDIT, credit
    if len(text) <= MAX_FURNITURE_CHARS and PAGE_FURNITURE.search(text):
        return Kind.FURNITURE, None
    if is_byline(text):
        return Kind.BYLINE, None
    if DATELINE_START.match(text):
        return Kind.DATELINE, None
    return Kind.TEXT, None


def is_title_like(text: str) -> bool:
    """Tell whether a line is shaped like a title: short, with a Chinese character, unfinished."""
    limit = MAX_SUBTITLE_CHARS if text.startswith("——") else MAX_HEADING_CHARS
    if len(text) > limit or text[-1] in UNFINISHED or END_BRACKET.match(text):
        return False
    return bool(CJK_CHAR.search(text))


def is_long_title(text: str) -> bool:
    """Tell whether a line could be a long title: no sentence inside it, not finished like one."""
    if len(text) > MAX_SUBTITLE_CHARS or text[-1] in UNFINISHED or END_BRACKET.match(text):
        return False
    return bool(CJK_CHAR.search(text)) and not any(c in SENTENCE_MARKS for c in text)


def read_lines(lines: list[Line]) -> tuple[list[LineInfo], Layout]:
    """Return every line's features and the issue's layout."""
    infos = []
    for k, line in enumerate(lines):
        text = trim(line.text)
        kind, credit = classify(text)
        # The start and the end of the text count as blank lines (a dump's first slot may be empty).
        previous = lines[k - 1].number if k else line.number - 2
        following = lines[k + 1].number if k + 1 < len(lines) else line.number + 2
        infos.append(
            LineInfo(
                line=line,
                text=text,
                kind=kind,
                credit=credit,
                indented=line.text.lstrip("\ufeff").startswith(_INDENT),
                gap_before=line.number - previous > 1,
                gap_after=following - line.number > 1,
                title_like=kind == Kind.TEXT and is_title_like(text),
                long_title=kind == Kind.TEXT and is_long_title(text),
                column_tag=bool(COLUMN_TAG.search(text)),
                section=bool(SECTION_NAME.match(text)),
            )
        )
    return infos, read_layout(infos)


def read_layout(infos: list[LineInfo]) -> Layout:
    """Read the layout from all lines: indentation, blank-line spacing, empty heading slots."""
    long_lines = [f for f in infos if len(f.text) > MAX_HEADING_CHARS]
    indented_body = len(long_lines) >= 2 and sum(f.indented for f in long_lines) / len(long_lines) >= 0.6
    pairs = len(infos) - 1
    spaced = pairs > 0 and sum(f.gap_after for f in infos[:-1]) / pairs >= 0.5
    # An empty subtitle slot: a blank line between a title and the text it heads.
    slotted = not spaced and any(
        f.title_like and f.gap_after and nxt.kind in (Kind.DATELINE, Kind.TEXT) and not nxt.title_like
        for f, nxt in pairwise(infos)
    )
    return Layout(indented_body=indented_body, spaced=spaced, slotted=slotted)
