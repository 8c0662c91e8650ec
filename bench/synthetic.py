"""Build a synthetic archive of daily issues from the real sample, for `newsprint bench` and the tests.

    .venv/bin/python -m bench.synthetic FOLDER [--issues 365]

Each issue keeps the sample's layout (heading blocks, bylines, datelines, blank lines) but
gets its own date and bodies made of the sample's sentences drawn afresh for every article,
so that no body is a duplicate or a near-duplicate (MinHash) of another: a backfill of the
archive accepts every article, as a real archive of distinct issues would.
"""

from __future__ import annotations

import argparse
import random
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from flows.settings import SAMPLE_ISSUE
from flows.split import split_issue

FIRST_DAY = date(2016, 1, 1)
PARAGRAPHS_PER_BODY = (3, 8)
SENTENCES_PER_PARAGRAPH = (1, 3)
_SENTENCE = re.compile(r"[^。！？]+[。！？]”?")
_DEFAULT_BYLINE = "□青岛日报/观海新闻记者 薛华飞"


@dataclass(frozen=True)
class SampleParts:
    """The sample's heading blocks and bylines (one per article) and its distinct sentences."""

    headings: list[list[str]]
    bylines: list[str]
    sentences: list[str]


@cache
def sample_parts(sample: Path = SAMPLE_ISSUE) -> SampleParts:
    """Cut the sample into heading blocks, bylines and distinct body sentences."""
    articles, _ = split_issue(sample.read_text(encoding="utf-8"))
    headings = [[h for h in (a.kicker, a.headline, a.subtitle) if h] for a in articles]
    bylines = [a.byline or _DEFAULT_BYLINE for a in articles]
    found = (s for a in articles for p in a.paragraphs for s in _SENTENCE.findall(p))
    sentences = list(dict.fromkeys(s.strip() for s in found if len(s.strip()) > 8))
    return SampleParts(headings, bylines, sentences)


def synthetic_body(rng: random.Random, sentences: list[str]) -> list[str]:
    """Draw one body's paragraphs from the sentences, none used twice in the body."""
    sizes = [rng.randint(*SENTENCES_PER_PARAGRAPH) for _ in range(rng.randint(*PARAGRAPHS_PER_BODY))]
    drawn = rng.sample(sentences, sum(sizes))
    paragraphs, start = [], 0
    for size in sizes:
        paragraphs.append("".join(drawn[start : start + size]))
        start += size
    return paragraphs


def synthetic_issue(day: date, rng: random.Random) -> str:
    """Return one issue's text dated `day`, laid out like the sample."""
    parts = sample_parts()
    dateline_day = day - timedelta(days=1)
    lines: list[str] = ["", ""]
    for heading, byline in zip(parts.headings, parts.bylines, strict=True):
        body = synthetic_body(rng, parts.sentences)
        body[0] = f"本报{dateline_day.month}月{dateline_day.day}日讯 {body[0]}"
        for line in [*heading, *byline.split("\n"), *body]:
            lines += [line, ""]
    return "\n".join(lines)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--issues", type=int, default=365)
    parser.add_argument("--seed", type=int, default=20251230)
    args = parser.parse_args()
    paths = build_archive(args.folder, args.issues, args.seed)
    print(f"{len(paths)} issues in {args.folder}")


if __name__ == "__main__":
    main()
