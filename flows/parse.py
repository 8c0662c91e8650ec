"""Parse one decoded issue: split it, normalise its articles and settle its issue date."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from flows.labeller.model import MODEL_PATH
from flows.lossless import placement_errors
from flows.models import Finding, Issue, ParsedIssue
from flows.normalise import infer_issue_date, normalise_article
from flows.split import split_issue


def parse_issue(issue: Issue, today: date, model: Path = MODEL_PATH) -> ParsedIssue:
    """Return the issue's normalised articles and residue; `today` bounds an inferred date.

    `model` is the splitter's line labeller: the shipped one unless an evaluation says otherwise.
    """
    raw_articles, residue = split_issue(issue.text, model)
    if issue.issue_date is None:
        inferred = infer_issue_date([a.dateline for a in raw_articles if a.dateline], today)
        if inferred is not None:
            issue = replace(issue, issue_date=inferred, issue_date_source="datelines")
    articles = [normalise_article(a, issue.issue_date) for a in raw_articles]
    findings = [f for a in articles for f in a.findings]
    findings += [
        Finding(check="line_not_placed", severity="error", detail=message)
        for message in placement_errors(issue.text, raw_articles, residue)
    ]
    return ParsedIssue(issue=issue, articles=articles, residue=residue, findings=findings)
