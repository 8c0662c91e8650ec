"""A later issue cut from the sample: its long article, rejected there for want of a dateline, with one."""

from __future__ import annotations

from flows.models import ParsedIssue

LONGREAD_HEADLINE = "锚定新目标，笃行实干开新局"
LONGREAD_ISSUE_NAME = "qingdao-daily-2026-01-06.txt"


def longread_issue(sample_parsed: ParsedIssue) -> bytes:
    """Return the 2026-01-06 issue: the sample's long article, its first paragraph given a dateline."""
    article = next(a for a in sample_parsed.articles if a.headline == LONGREAD_HEADLINE)
    lines = sample_parsed.issue.text.splitlines()
    first_paragraph = next(n for n, role in article.lines if role == "paragraph")
    out = []
    for number, _ in article.lines:
        text = lines[number - 1]
        out += [f"本报1月5日讯 {text}" if number == first_paragraph else text, ""]
    return "\n".join(out).encode("utf-8")
