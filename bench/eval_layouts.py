"""Measure the splitter on the layout fixture corpus: article F1 and per-field accuracy.

Runs the pipeline's own path (`read_issue` + `parse_issue`) on every fixture in
tests/fixtures/layouts/ and compares it with the hand-written `.expected.json` beside it.

- An article *matches* an expected one when its headline is the same (for an expected article
  with no headline, when its first paragraph is the same); each expected article matches at
  most one parsed article, in order. Precision, recall and F1 count matched articles.
- A *field* is one key of one expected article (kicker, headline, …, credits, findings) plus
  each issue's residue. It is right when the parsed value equals the expected one; every field
  of an expected article that no parsed article matches counts as wrong.

Run: .venv/bin/python -m bench.eval_layouts [--all | --held-out] [--verbose]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from flows.ingest import read_issue
from flows.parse import parse_issue

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "layouts"
# Fixtures laid out like the sample issue (blank line between lines, no indentation, □ bylines);
# the quality bar is measured on the others. See tests/fixtures/layouts/README.md.
SAMPLE_LIKE = frozenset(
    {
        "city-daily-2025-12-31",
        "qingdao-daily-2025-12-31",
        "qingdao-daily-2026-01-06",
        "yantai-daily-2025-12-29",
    }
)
# Fixtures written after the splitter was tuned on the others, and scored once before any change
# to it: the honest estimate of how it does on a layout it has not seen.
HELD_OUT = frozenset(
    {
        "henan-daily-2025-03-10",
        "guangming-daily-2025-03-03",
        "dazhong-daily-2025-01-01",
        "renmin-ribao-1984-03-05",
        "wenhui-daily-2025-04-08",
    }
)
ARTICLE_FIELDS = (
    "kicker",
    "headline",
    "subtitle",
    "reporters",
    "correspondents",
    "contributors",
    "dateline",
    "dateline_date",
    "paragraphs",
    "subheads",
    "credits",
    "findings",
)
# The damage checks the fixtures state; other findings (paragraph_joined, …) are not compared.
DAMAGE_CHECKS = frozenset({"text_lost_at_break", "repeated_paragraph"})
# A fixed "today" so an inferred issue date never depends on the clock.
TODAY = date(2026, 1, 15)


@dataclass
class Score:
    """Counts for one fixture (or a total): articles matched and fields right."""

    expected: int = 0
    parsed: int = 0
    matched: int = 0
    fields: Counter[str] = field(default_factory=Counter)
    right: Counter[str] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        """Fold another score into this one."""
        self.expected += other.expected
        self.parsed += other.parsed
        self.matched += other.matched
        self.fields.update(other.fields)
        self.right.update(other.right)
        self.misses += other.misses

    @property
    def f1(self) -> float:
        """Return the article-boundary F1 (1.0 when there is nothing to find and nothing found)."""
        if not self.expected and not self.parsed:
            return 1.0
        precision = self.matched / self.parsed if self.parsed else 0.0
        recall = self.matched / self.expected if self.expected else 0.0
        return 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    @property
    def accuracy(self) -> float:
        """Return the share of expected fields the parse got exactly right."""
        total = sum(self.fields.values())
        return sum(self.right.values()) / total if total else 1.0


def fixture_names() -> list[str]:
    """Return the names of all fixtures, sorted."""
    return sorted(p.name.removesuffix(".expected.json") for p in FIXTURES.glob("*.expected.json"))


def load_expected(name: str) -> dict[str, Any]:
    """Return a fixture's hand-written expected parse."""
    return json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))


def parse_fixture(name: str) -> dict[str, Any]:
    """Parse a fixture the way the pipeline does and return the `parse --json` document."""
    path = FIXTURES / f"{name}.txt"
    issue = read_issue(path.name, path.read_bytes())
    return parse_issue(issue, TODAY).to_json()


def comparable(article: dict[str, Any], key: str) -> Any:
    """Return the value of one field in the form the expected files state it."""
    if key == "findings":
        return sorted({f["check"] for f in article["findings"] if f["check"] in DAMAGE_CHECKS})
    return article.get(key)


def _identity(article: dict[str, Any]) -> str | None:
    if article.get("headline"):
        return article["headline"]
    return article["paragraphs"][0] if article.get("paragraphs") else None


def match_articles(parsed: list[dict[str, Any]], expected: list[dict[str, Any]]) -> dict[int, int]:
    """Pair expected articles with parsed ones by headline (first paragraph if headless)."""
    pairs: dict[int, int] = {}
    used: set[int] = set()
    for e, wanted in enumerate(expected):
        key = _identity(wanted)
        for p, article in enumerate(parsed):
            if p not in used and key is not None and _identity(article) == key:
                pairs[e] = p
                used.add(p)
                break
    return pairs


def score_fixture(name: str) -> Score:
    """Compare one fixture's parse with its expected parse."""
    return score_parse(name, load_expected(name), parse_fixture(name))


def score_parse(name: str, expected: dict[str, Any], doc: dict[str, Any]) -> Score:
    """Compare a `parse --json` document with an expected parse."""
    parsed = doc["articles"]
    pairs = match_articles(parsed, expected["articles"])
    score = Score(expected=len(expected["articles"]), parsed=len(parsed), matched=len(pairs))
    for e, wanted in enumerate(expected["articles"]):
        got = parsed[pairs[e]] if e in pairs else None
        for key in ARTICLE_FIELDS:
            if key not in wanted:
                continue
            want = sorted(wanted[key]) if key == "findings" else wanted[key]
            score.fields[key] += 1
            if got is not None and comparable(got, key) == want:
                score.right[key] += 1
            else:
                shown = "no matching article" if got is None else comparable(got, key)
                score.misses.append(f"{name} #{e + 1} {key}: expected {want!r}, got {shown!r}")
    score.fields["residue"] += 1
    if doc["residue"] == expected["residue"]:
        score.right["residue"] += 1
    else:
        score.misses.append(f"{name} residue: expected {expected['residue']!r}, got {doc['residue']!r}")
    return score


def evaluate(names: list[str]) -> tuple[dict[str, Score], Score]:
    """Score each named fixture and return the scores and their total."""
    scores = {name: score_fixture(name) for name in names}
    total = Score()
    for score in scores.values():
        total.add(score)
    return scores, total


def unlike_sample() -> list[str]:
    """Return the fixtures whose layout differs from the sample issue's."""
    return [name for name in fixture_names() if name not in SAMPLE_LIKE]


def print_table(scores: dict[str, Score], total: Score) -> None:
    """Print one row per fixture and a total row."""
    from rich.console import Console
    from rich.table import Table

    table = Table("fixture", "expected", "parsed", "matched", "F1", "fields right", "accuracy")
    for name, s in [*scores.items(), ("TOTAL", total)]:
        right, fields = sum(s.right.values()), sum(s.fields.values())
        table.add_row(
            name,
            str(s.expected),
            str(s.parsed),
            str(s.matched),
            f"{s.f1:.3f}",
            f"{right}/{fields}",
            f"{s.accuracy:.3f}",
        )
    per_field = Table("field", "right", "of", "accuracy")
    for key in (*ARTICLE_FIELDS, "residue"):
        if total.fields[key]:
            per_field.add_row(
                key,
                str(total.right[key]),
                str(total.fields[key]),
                f"{total.right[key] / total.fields[key]:.3f}",
            )
    console = Console(width=120)
    console.print(table)
    console.print(per_field)


def main() -> None:
    """Print the F1 and field-accuracy table for the fixtures unlike the sample (or all)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--all", action="store_true", help="include the sample-like fixtures")
    choice.add_argument("--held-out", action="store_true", help="only the fixtures written after tuning")
    parser.add_argument("--verbose", action="store_true", help="list every wrong field")
    args = parser.parse_args()
    if args.all:
        names = fixture_names()
    elif args.held_out:
        names = sorted(HELD_OUT)
    else:
        names = unlike_sample()
    scores, total = evaluate(names)
    print_table(scores, total)
    if args.verbose:
        for miss in total.misses:
            print(miss)


if __name__ == "__main__":
    main()
