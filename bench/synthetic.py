"""Build a synthetic archive of daily issues from the real sample, for benchmarks.

Each issue keeps the sample's layout (heading blocks, bylines, datelines, blank lines) but
gets its own date and bodies made of the sample's paragraphs shuffled across articles, so
that no body is an exact duplicate of another and nothing is rejected as one.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from flows.settings import SAMPLE_ISSUE
from flows.split import split_issue

FIRST_DAY = date(2016, 1, 1)


def _sample_parts() -> tuple[list[list[str]], list[str], list[str]]:
    """Return the sample's heading blocks, bylines and body paragraphs."""
    articles, _ = split_issue(SAMPLE_ISSUE.read_text(encoding="utf-8"))
    headings = [[h for h in (a.kicker, a.headline, a.subtitle) if h] for a in articles]
    bylines = [a.byline or "□青岛日报/观海新闻记者 薛华飞" for a in articles]
    paragraphs = [p for a in articles for p in a.paragraphs if len(p) > 40 and p[-1] in "。”"]
    return headings, bylines, paragraphs


def synthetic_issue(day: date, rng: random.Random) -> str:
    """Return one issue's text dated `day`, laid out like the sample."""
    headings, bylines, paragraphs = _PARTS
    dateline_day = day - timedelta(days=1)
    lines: list[str] = ["", ""]
    for heading, byline in zip(headings, bylines, strict=True):
        body = rng.sample(paragraphs, rng.randint(3, 8))
        body[0] = f"本报{dateline_day.month}月{dateline_day.day}日讯 {body[0]}"
        for line in [*heading, *byline.split("\n"), *body]:
            lines += [line, ""]
    return "\n".join(lines)


_PARTS = _sample_parts()


def build_archive(folder: Path, issues: int, seed: int = 20251230) -> list[Path]:
    """Write `issues` consecutive daily issues into `folder`; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for offset in range(issues):
        day = FIRST_DAY + timedelta(days=offset)
        path = folder / f"qingdao-daily-{day.isoformat()}.txt"
        path.write_text(synthetic_issue(day, rng), encoding="utf-8")
        paths.append(path)
    return paths
