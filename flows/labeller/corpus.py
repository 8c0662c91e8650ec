"""Read the People's Daily per-article dump that the line labeller is trained on.

The dump (GitHub `caspiankexin/people-daily-crawler-date`, withdrawn by its author over
copyright, so its text is never committed here) holds month archives: one folder a day
(`20190201/`), one file an article (`20190201-01-03.txt`: day, page, place on the page).
Line 1 is the kicker 引题, line 2 the headline, line 3 the subtitle 副题 (empty where the paper
had none), then the paragraphs, indented with two ideographic spaces.

`extract_months` takes the three month archives out of a mirror of that repository's history
(they were deleted from its tip) into a folder; `read_days` reads such a folder.
"""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

# The months the model is trained on, as they lie in the repository's history.
MONTHS = ("2019年2月", "2020年2月", "2020年5月")
_ARCHIVE_PATHS = {month: f"{month[:4]}年数据/{month}.7z" for month in MONTHS}
_FILE_NAME = re.compile(r"^(?P<day>\d{8})-(?P<page>\d{2})-(?P<place>\d{2})\.txt$")
_TRIM = " \t\r\u3000\xa0\ufeff"


@dataclass(frozen=True)
class DumpArticle:
    """One article of the dump: its heading slots and paragraphs, as the paper printed them."""

    day: date
    page: int
    place: int
    kicker: str
    headline: str
    subtitle: str
    paragraphs: tuple[str, ...]

    @property
    def key(self) -> str:
        """Name the article as the dump does: day, page and place on the page."""
        return f"{self.day:%Y%m%d}-{self.page:02d}-{self.place:02d}"


def parse_article(name: str, text: str) -> DumpArticle | None:
    """Read one article file; None for a name outside the dump's scheme or an empty headline."""
    match = _FILE_NAME.match(name)
    if match is None:
        return None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines += [""] * (3 - len(lines))
    kicker, headline, subtitle = (line.strip(_TRIM) for line in lines[:3])
    if not headline:
        return None
    paragraphs = tuple(p for p in (line.strip(_TRIM) for line in lines[3:]) if p)
    day = match.group("day")
    return DumpArticle(
        day=date(int(day[:4]), int(day[4:6]), int(day[6:])),
        page=int(match.group("page")),
        place=int(match.group("place")),
        kicker=kicker,
        headline=headline,
        subtitle=subtitle,
        paragraphs=paragraphs,
    )


def _read_folder(folder: Path) -> Iterator[DumpArticle]:
    for path in sorted(folder.rglob("*.txt")):
        article = parse_article(path.name, path.read_text(encoding="utf-8", errors="replace"))
        if article is not None:
            yield article


def read_articles(root: Path, months: Iterable[str] = MONTHS) -> list[DumpArticle]:
    """Return every article of the given months under `root`, in day, page, place order."""
    articles = [a for month in months for a in _read_folder(root / month)]
    if not articles:
        raise FileNotFoundError(f"no dump articles under {root} for {', '.join(months)}")
    return sorted(articles, key=lambda a: (a.day, a.page, a.place))


def read_days(root: Path, months: Iterable[str] = MONTHS) -> dict[date, list[DumpArticle]]:
    """Return the articles of the given months grouped by day, each day in page order."""
    days: dict[date, list[DumpArticle]] = {}
    for article in read_articles(root, months):
        days.setdefault(article.day, []).append(article)
    return days


def month_of(day: date) -> str:
    """Name the dump month a day belongs to (`2019年2月`)."""
    return f"{day.year}年{day.month}月"


def extract_months(mirror: Path, target: Path, months: Iterable[str] = MONTHS) -> list[Path]:
    """Extract month archives from a git mirror of the dump's repository into `target`.

    The archives were deleted from the repository's tip; each is read from the commit that
    last had it. Needs the `train` extra (py7zr).
    """
    import py7zr  # the train extra: only rebuilding the model reads 7z archives

    target.mkdir(parents=True, exist_ok=True)
    done = []
    for month in months:
        path = _ARCHIVE_PATHS[month]
        commit = _git(mirror, "log", "--all", "--format=%H", "-1", "--diff-filter=A", "--", path).strip()
        if not commit:
            raise FileNotFoundError(f"{path} is not in the history of {mirror}")
        blob = subprocess.run(
            ["git", "-C", str(mirror), "show", f"{commit}:{path}"], check=True, capture_output=True
        ).stdout
        with py7zr.SevenZipFile(io.BytesIO(blob)) as archive:
            archive.extractall(path=target)
        done.append(target / month)
    return done


def _git(mirror: Path, *args: str) -> str:
    command = ["git", "-C", str(mirror), *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout
