"""A later issue cut from the sample: one article reprinted word for word, one lightly edited."""

from __future__ import annotations

LATER_ISSUE_NAME = "qingdao-daily-2026-01-05.txt"


def later_issue_text(sample_text: str) -> str:
    """Return an issue of 2026-01-05 reprinting sample article 1 and an edited sample article 4."""
    lines = sample_text.splitlines()
    reprint = lines[2:11]  # 曾赞荣任刚会见宋迎东殷敬伟一行, byline, dateline and body unchanged
    edited = [line.replace("1.38万人", "1.4万人").replace("3600余名", "3700余名") for line in lines[30:49]]
    edited[2] = "青岛社会帮扶领域资金累计达15亿元"  # a new headline (the kicker stays)
    return "\n".join([*reprint, "", *edited]) + "\n"
