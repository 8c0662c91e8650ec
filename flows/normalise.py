"""Normalise split articles: whitespace, punctuation width, joined paragraphs, names, dates.

NFKC is deliberately not applied: it would turn every full-width `，（）：` into ASCII.
Only ASCII punctuation touching Chinese text is mapped to its full-width form.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta

from flows.lossless import significant
from flows.models import Article, Contributor, Credit, Finding
from flows.text.bylines import credit_people, read_byline
from flows.text.patterns import CJK, DATELINE_START, TERMINAL

_ASCII_TO_FULL = {",": "，", ":": "：", ";": "；", "(": "（", ")": "）", "?": "？", "!": "！"}
_NEXT_TO_CJK = re.compile(rf"(?<=[{CJK}“”‘’《》「」])[,:;()?!]|[,:;()?!](?=[{CJK}“”‘’《》「」])")
_SPACES = re.compile(r"[ \t\xa0\u3000\u2002\u2003\u2009\u200b]+")
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "两": 2}
# Characters that stand alone as words, so a lone one at a page break is no sign of loss.
# Shorter repeated paragraphs (`相关链接`, a one-line quote) are not worth a finding.
_MIN_REPEATED_CHARS = 12
_FUNCTION_CHARS = set("的了在和与及向之是为对从把被将等年月日中上下里而并或以于也都就又个着过地得其")


def normalise_text(text: str) -> str:
    """Trim, fold runs of spaces to one, and give ASCII punctuation in Chinese text full width."""
    text = _SPACES.sub(" ", text.replace("\ufeff", "")).strip()
    if not any(mark in text for mark in _ASCII_TO_FULL):  # most text: no ASCII mark to look around
        return text
    return _NEXT_TO_CJK.sub(lambda m: _ASCII_TO_FULL[m.group(0)], text)


def cn_number(text: str) -> int | None:
    """Read 12, １２, 十二, 二十三 or 廿三 as an integer."""
    text = text.translate(_FULLWIDTH_DIGITS)
    if text.isdigit():
        return int(text)
    text = text.replace("廿", "二十").replace("卅", "三十")
    if not text or any(c not in _CN_DIGITS and c != "十" for c in text):
        return None
    if "十" in text:
        tens, _, units = text.partition("十")
        return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[units] if units else 0)
    value = 0
    for c in text:
        value = value * 10 + _CN_DIGITS[c]
    return value


def resolve_dateline_date(dateline: str | None, issue_date: date | None) -> date | None:
    """Resolve `12月29日` to a full date from the issue date, rolling the year back if needed."""
    if not dateline:
        return None
    match = DATELINE_START.match(dateline.strip("（()）"))
    if not match or not match.group("day"):
        return None
    day = cn_number(match.group("day"))
    month = cn_number(match.group("month")) if match.group("month") else None
    year = cn_number(match.group("year")) if match.group("year") else None
    if day is None:
        return None
    if issue_date is None and (year is None or month is None):
        return None
    if month is None:
        assert issue_date is not None
        month = issue_date.month if day <= issue_date.day else (issue_date.month - 2) % 12 + 1
    if year is None:
        assert issue_date is not None
        year = issue_date.year
        # A dateline is never after its issue: a 1 January issue's 12月31日电 is of the year before.
        if (month, day) > (issue_date.month, issue_date.day):
            year -= 1
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _suspect_lost_text(before: str, after: str) -> bool:
    """Tell whether a page-break join looks like it lost characters (`…违` + `众利益…`).

    A clean break splits between words or inside one; a lossy break leaves two lone
    characters that are neither a word together nor function words on their own. The words
    are the segmenter's (rjieba, with the newspaper's dictionary: a name or place cut by the
    break is one word, not two lone characters), which the process loads anyway; pure-Python
    jieba would cut the same on jieba's dictionary, but loading it costs a process 76 MB.
    """
    from flows.tokenise import segmenter  # lazy: parsing alone imports neither Polars nor rjieba

    window_before, window_after = before[-6:], after[:6]
    tokens = segmenter().dictionary_cut(window_before + window_after)
    position, left, right = 0, "", ""
    for token in tokens:
        if position + len(token) == len(window_before):
            left = token
        if position == len(window_before):
            right = token
        position += len(token)
    if not left or not right:  # a word spans the break: nothing lost
        return False
    lone = len(left) == 1 and len(right) == 1
    return (
        lone
        and left not in _FUNCTION_CHARS
        and right not in _FUNCTION_CHARS
        and bool(re.match(rf"[{CJK}]", left + right))
    )


def join_broken_paragraphs(
    paragraphs: list[str], subheads: list[str], seq: int | None = None
) -> tuple[list[str], list[Finding]]:
    """Join a paragraph cut mid-sentence to its continuation; flag joins that lost text."""
    subhead_set = set(subheads)
    joined: list[str] = []
    findings: list[Finding] = []
    for paragraph in paragraphs:
        previous = joined[-1] if joined else None
        if (
            previous is not None
            and previous not in subhead_set
            and paragraph not in subhead_set
            and previous[-1] not in TERMINAL
            and previous[-1] not in "：:"
        ):
            lost = _suspect_lost_text(previous, paragraph)
            joined[-1] = previous + paragraph
            findings.append(
                Finding(
                    check="text_lost_at_break" if lost else "paragraph_joined",
                    severity="warning" if lost else "info",
                    detail=f"…{previous[-12:]} / {paragraph[:12]}…",
                    seq=seq,
                )
            )
            continue
        joined.append(paragraph)
    return joined, findings


def parse_contributors(byline: str | None, credits: list[Credit] | None = None) -> list[Contributor]:
    """Read every person and role out of a (possibly multi-line) byline, then out of the credits."""
    people: list[Contributor] = []
    for line in (byline or "").splitlines():
        people.extend(read_byline(line, bracketed=True) or [])
    for credit in credits or []:
        people.extend(credit_people(credit))
    seen: set[tuple[str, str]] = set()
    unique = []
    for person in people:
        if (person.name, person.role) not in seen:
            seen.add((person.name, person.role))
            unique.append(person)
    return unique


def find_repeated_paragraphs(paragraphs: list[str], seq: int | None = None) -> list[Finding]:
    """Flag a paragraph printed twice in one article (a layout slip); both copies are kept."""
    seen: set[str] = set()
    findings = []
    for paragraph in paragraphs:
        key = significant(paragraph)
        if len(key) < _MIN_REPEATED_CHARS:
            continue
        if key in seen:
            findings.append(
                Finding(check="repeated_paragraph", severity="warning", detail=f"{paragraph[:24]}…", seq=seq)
            )
        seen.add(key)
    return findings


def _optional(text: str | None) -> str | None:
    return normalise_text(text) or None if text else None


def normalise_article(article: Article, issue_date: date | None) -> Article:
    """Return a normalised copy of a split article; the split article is left untouched."""
    paragraphs = [normalise_text(p) for p in article.paragraphs]
    subheads = [normalise_text(s) for s in article.subheads]
    paragraphs, findings = join_broken_paragraphs([p for p in paragraphs if p], subheads, article.seq)
    findings += find_repeated_paragraphs(paragraphs, article.seq)
    dateline = _optional(article.dateline)
    return replace(
        article,
        kicker=_optional(article.kicker),
        headline=_optional(article.headline),
        subtitle=_optional(article.subtitle),
        byline=_optional(article.byline.replace("\n", " / ")) if article.byline else None,
        dateline=dateline,
        dateline_date=resolve_dateline_date(dateline, issue_date),
        paragraphs=paragraphs,
        subheads=subheads,
        contributors=parse_contributors(article.byline, article.credits),
        findings=[*article.findings, *findings],
    )


def infer_issue_date(datelines: list[str], today: date) -> date | None:
    """Infer an issue date from datelines: the day after the most common dateline date."""
    resolved = [resolve_dateline_date(d, today) for d in datelines]
    dates = [d for d in resolved if d is not None]
    if not dates:
        return None
    most_common = max(set(dates), key=lambda d: (dates.count(d), d))
    return most_common + timedelta(days=1)
