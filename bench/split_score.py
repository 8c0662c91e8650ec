"""Score parsed articles against gold ones the way `../shared/tools/score_parse.py` counts.

An article is found when one of its heading lines (kicker, headline or subtitle, whatever
role it was given) is the gold headline, exactly or at a similarity of 0.8; gold articles are
matched in reading order. Boundary F1 counts found articles; field accuracy is the mean, over
the fields the gold labels, of the share of found articles whose field is right.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

FIELDS = (
    "headline",
    "kicker",
    "subtitle",
    "reporters",
    "correspondents",
    "dateline",
    "dateline_date",
    "body_start",
    "body_end",
)


def canon(text: str | None) -> str | None:
    """Compare text as score_parse does: NFKC, no whitespace, no leading dash."""
    if text is None:
        return None
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lstrip("—-–―－")
    return text or None


def _names(values: Iterable[str] | None) -> list[str]:
    return sorted(c for c in (canon(v) for v in values or []) if c)


def _month_day(value: str | None) -> str | None:
    match = re.match(r"\d{4}-(\d{2})-(\d{2})", value or "")
    return f"{match.group(1)}-{match.group(2)}" if match else None


def _body(article: dict[str, Any]) -> str:
    if article.get("body"):
        return canon(article["body"]) or ""
    return canon("".join(article.get("paragraphs") or [])) or ""


def _close(a: str, b: str) -> bool:
    return bool(a) and bool(b) and (a == b or difflib.SequenceMatcher(a=a, b=b).ratio() >= 0.8)


@dataclass
class SplitScore:
    """Counts of articles found and fields right; add scores to pool them."""

    gold: int = 0
    parsed: int = 0
    matched: int = 0
    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    labelled: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    misses: list[str] = field(default_factory=list)

    def __add__(self, other: SplitScore) -> SplitScore:
        return SplitScore(
            gold=self.gold + other.gold,
            parsed=self.parsed + other.parsed,
            matched=self.matched + other.matched,
            right={k: self.right[k] + other.right[k] for k in FIELDS},
            labelled={k: self.labelled[k] + other.labelled[k] for k in FIELDS},
            misses=self.misses + other.misses,
        )

    @property
    def f1(self) -> float:
        precision = self.matched / self.parsed if self.parsed else 0.0
        recall = self.matched / self.gold if self.gold else 0.0
        return 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    @property
    def field_accuracy(self) -> float:
        shares = [self.right[k] / self.labelled[k] for k in FIELDS if self.labelled[k]]
        return sum(shares) / len(shares) if shares else 0.0

    def accuracy_of(self, name: str) -> float | None:
        return self.right[name] / self.labelled[name] if self.labelled[name] else None


def score_articles(gold: list[dict[str, Any]], parsed: list[dict[str, Any]]) -> SplitScore:
    """Match gold articles to parsed ones in reading order and count what is right."""
    score = SplitScore(gold=len(gold), parsed=len(parsed))
    heads = [[canon(p.get(k)) or "" for k in ("kicker", "headline", "subtitle")] for p in parsed]
    used: set[int] = set()
    cursor = 0
    for want in gold:
        headline = canon(want["headline"]) or ""
        order = [*range(cursor, len(parsed)), *range(cursor)]
        hit = next((j for j in order if j not in used and any(_close(headline, h) for h in heads[j])), None)
        if hit is None:
            score.misses.append(f"not found: {want['headline']}")
            continue
        used.add(hit)
        cursor = hit + 1
        score.matched += 1
        _score_fields(score, want, parsed[hit])
    return score


def _score_fields(score: SplitScore, want: dict[str, Any], got: dict[str, Any]) -> None:
    body = _body(got)
    checks = {
        "headline": canon(want["headline"]) == canon(got.get("headline")),
        "kicker": canon(want.get("kicker")) == canon(got.get("kicker")),
        "subtitle": canon(want.get("subtitle")) == canon(got.get("subtitle")),
        "reporters": _names(want.get("reporters")) == _names(got.get("reporters")),
        "correspondents": _names(want.get("correspondents")) == _names(got.get("correspondents")),
        "dateline": canon(want.get("dateline")) == canon(got.get("dateline")),
        "dateline_date": want.get("dateline_md") == _month_day(got.get("dateline_date")),
        "body_start": body.startswith(canon(want.get("body_start")) or ""),
        "body_end": body.endswith(canon(want.get("body_end")) or ""),
    }
    for name, ok in checks.items():
        labelled = "dateline_md" if name == "dateline_date" else name
        if labelled not in want:
            continue
        score.labelled[name] += 1
        score.right[name] += ok
        if not ok:
            score.misses.append(f"{want['headline'][:16]} {name}")
