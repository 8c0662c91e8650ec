"""Issue-date order: the order in which duplicates are judged, whatever order issues arrive in.

"The earlier article" of a duplicate or near-duplicate is the one in the earlier issue by
date, then by content hash (undated issues last): a fact of the archive, not of which
worker finished first, which batch a kill cut, or which year was backfilled first. A load
judges each issue against the issues before it in this order, and an issue that arrives
after issues it precedes has those judged again (flows/bulk_load.py, flows/revalidate.py).
"""

from __future__ import annotations

from datetime import date

import numpy as np

IssueKey = tuple[bool, date, str]  # (undated, date, sha256): compares in issue-date order


def issue_key(issue_date: date | None, sha256: str) -> IssueKey:
    """Return where an issue stands in issue-date order."""
    return (issue_date is None, issue_date or date.min, sha256)


def since_date(key: IssueKey | None) -> date | None:
    """The date of a key (None for an undated issue, or no key)."""
    return None if key is None or key[0] else key[1]


def before(dates: np.ndarray, shas: np.ndarray, key: IssueKey) -> np.ndarray:
    """Mark the rows (issue dates as datetime64[D], NaT for none; content hashes) of issues before `key`."""
    undated = np.isnat(dates)
    if key[0]:
        return ~undated | (undated & (shas < key[2]))
    day = np.datetime64(key[1], "D")
    return ~undated & ((dates < day) | ((dates == day) & (shas < key[2])))


def after(dates: np.ndarray, shas: np.ndarray, key: IssueKey) -> np.ndarray:
    """Mark the rows of issues after `key` (the complement of `before`, less the issue itself)."""
    return ~before(dates, shas, key) & (shas != key[2])
