"""Plain data passed between stages: what the splitter finds and what normalising makes of it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

# Roles a line can play inside an article; the lossless invariant is checked against these.
LINE_ROLES = (
    "kicker",
    "headline",
    "subtitle",
    "byline",
    "dateline",
    "paragraph",
    "subhead",
    "credit",
)


@dataclass(frozen=True)
class Line:
    """One non-blank input line with its 1-based number in the decoded text."""

    number: int
    text: str


@dataclass
class Contributor:
    """A person named in a byline, with the role the paper gave them."""

    name: str
    role: str


@dataclass
class Credit:
    """Page furniture kept as metadata: editor and photo credits, notes, jump lines."""

    role: str
    text: str


@dataclass
class Finding:
    """Something a careful editor should look at; `check` names the rule that found it."""

    check: str
    severity: str
    detail: str
    seq: int | None = None


@dataclass
class Article:
    """One article as split from an issue, with the input lines it was built from."""

    seq: int
    kicker: str | None = None
    headline: str | None = None
    subtitle: str | None = None
    byline: str | None = None
    dateline: str | None = None
    dateline_date: date | None = None
    paragraphs: list[str] = field(default_factory=list)
    subheads: list[str] = field(default_factory=list)
    contributors: list[Contributor] = field(default_factory=list)
    credits: list[Credit] = field(default_factory=list)
    # (line number, role) for every input line this article took: the lossless bookkeeping.
    lines: list[tuple[int, str]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    # The splitter's confidence in this article's boundaries and heading roles (0 to 1), and
    # the lines it doubts: (line number, the role it gave, its confidence in that role).
    confidence: float = 1.0
    doubts: list[tuple[int, str, float]] = field(default_factory=list)

    @property
    def body(self) -> str:
        """Return the article text without heading, byline and dateline."""
        return "\n".join(self.paragraphs)

    @property
    def reporters(self) -> list[str]:
        return [c.name for c in self.contributors if c.role == "reporter"]

    @property
    def correspondents(self) -> list[str]:
        return [c.name for c in self.contributors if c.role == "correspondent"]


@dataclass
class Issue:
    """One decoded issue: identity, date and the raw text that must never be lost."""

    source_file: str
    text: str
    encoding: str
    sha256: str
    paper: str | None = None
    issue_date: date | None = None
    issue_date_source: str | None = None
    file_sha256: str | None = None
    file_size: int = 0


@dataclass
class ParsedIssue:
    """An issue split into articles, plus every line that belongs to no article."""

    issue: Issue
    articles: list[Article]
    residue: list[Line]
    findings: list[Finding] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Return the `newsprint parse --json` contract (extend it, never break it)."""
        issue = self.issue
        return {
            "issue": {
                "paper": issue.paper,
                "issue_date": _iso(issue.issue_date),
                "issue_date_source": issue.issue_date_source,
                "encoding": issue.encoding,
                "sha256": issue.sha256,
                "source_file": issue.source_file,
                "lines": len(issue.text.splitlines()),
            },
            "articles": [_article_json(a) for a in self.articles],
            "residue": [line.text for line in self.residue],
            "residue_lines": [line.number for line in self.residue],
            "findings": [asdict(f) for f in self.findings],
        }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _article_json(article: Article) -> dict[str, Any]:
    return {
        "seq": article.seq,
        "kicker": article.kicker,
        "headline": article.headline,
        "subtitle": article.subtitle,
        "byline": article.byline,
        "reporters": article.reporters,
        "correspondents": article.correspondents,
        "contributors": [asdict(c) for c in article.contributors],
        "dateline": article.dateline,
        "dateline_date": _iso(article.dateline_date),
        "paragraphs": article.paragraphs,
        "subheads": article.subheads,
        "body": article.body,
        "credits": [asdict(c) for c in article.credits],
        "lines": [{"n": n, "role": role} for n, role in article.lines],
        "findings": [asdict(f) for f in article.findings],
        "split_confidence": round(article.confidence, 3),
        "uncertain_lines": [{"n": n, "role": role, "confidence": p} for n, role, p in article.doubts],
    }
