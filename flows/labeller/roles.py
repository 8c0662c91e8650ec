"""The labels the line labeller gives: one per non-blank line of an issue.

A heading block is a run of heading lines; its first line carries `B-` (it begins an article),
the others continue it. Two `B-` lines in a row are two articles; `B-headline` then `headline`
is one headline broken over two lines. Every other label says where a line goes inside the
article that is open, or (`furniture`) that it goes to the issue's residue. A bracketed line
that closes a story (`（本报记者 贺 勇采访整理）`, `（新华社北京2月3日电）`) is `closing`, whatever it
holds: the rules read its byline or dateline, and what the labeller must learn is that a story
ends there, unlike a byline under a headline.
"""

from __future__ import annotations

BEGIN_KICKER = "B-kicker"
BEGIN_HEADLINE = "B-headline"
KICKER = "kicker"
HEADLINE = "headline"
SUBTITLE = "subtitle"
BYLINE = "byline"
DATELINE = "dateline"
PARAGRAPH = "paragraph"
SUBHEAD = "subhead"
CREDIT = "credit"
CLOSING = "closing"
FURNITURE = "furniture"

LABELS = (
    BEGIN_KICKER,
    BEGIN_HEADLINE,
    KICKER,
    HEADLINE,
    SUBTITLE,
    BYLINE,
    DATELINE,
    PARAGRAPH,
    SUBHEAD,
    CREDIT,
    CLOSING,
    FURNITURE,
)
BEGINS = frozenset({BEGIN_KICKER, BEGIN_HEADLINE})
HEADING = frozenset({BEGIN_KICKER, BEGIN_HEADLINE, KICKER, HEADLINE, SUBTITLE})


def field_of(label: str) -> str:
    """Name the article field a label fills: `B-headline` and `headline` both fill headline."""
    return label.removeprefix("B-")
