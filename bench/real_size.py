"""Build an archive of real-size daily issues for `newsprint bench`: about 100 articles, 250–300 KB.

From the People's Daily dump when it is present (`--corpus`, or NEWSPRINT_CORPUS; its text is
never committed, see flows/labeller/corpus.py): one issue a day, every article of the day in
page order. An archive longer than the dump's days reuses them with shifted dates, each body
lightly varied (two of its sentences swapped, or its last two characters moved to its front
when it has one sentence), so that a reused body is not an exact duplicate of the first (which
the duplicate check would reject, changing what the run stores). A reused day lies a whole
dump (88 days) after its first use, beyond the near-duplicate check's 30 days.

Without the dump, synthetic issues of the same size: the sample's sentences drawn afresh for
every article (bench/synthetic.py), about 100 articles an issue.

Either way the text is laid out plainly, as the splitter reads a People's Daily page: heading
lines (kicker, title, subtitle), a `本报记者 X` byline, then `　　`-indented paragraphs, the
first opening with a dateline of the eve of the issue's date: the dump's own, re-dated, or
`本报北京1月31日电` when it has none.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from flows.settings import DATA_DIR

CORPUS_ENV = "NEWSPRINT_CORPUS"
DEFAULT_CORPUS = DATA_DIR / "corpus"
FIRST_DAY = date(2016, 1, 1)
PAPER = "peoples-daily"
INDENT = "\u3000\u3000"
SYNTHETIC_ARTICLES = (92, 108)  # articles per synthetic issue
SYNTHETIC_PARAGRAPHS = (4, 10)
SYNTHETIC_SENTENCES = (1, 3)
_SENTENCE = re.compile(r"[^。！？]+[。！？]”?")
_DATELINE = re.compile(r"^((?:本报|新华社|人民日报)[^\s，。]{0,12}?)\d{1,2}月\d{1,2}日([电讯])")
_REPORTER = re.compile(r"记者\s*([\u4e00-\u9fff]{2,3})")
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢"
)
_GIVEN = "建国华明伟芳敏静丽强磊军洋勇艳杰娟涛超秀霞平刚桂英红玉兰志鹏飞宇博文浩然晨阳雪梅海燕"


@dataclass(frozen=True)
class Article:
    """One article to lay out: heading slots, a reporter's name and paragraphs."""

    kicker: str
    headline: str
    subtitle: str
    reporter: str
    paragraphs: tuple[str, ...]


def corpus_folder(option: Path | None = None) -> Path | None:
    """Return the dump's folder (the option, else NEWSPRINT_CORPUS, else data/corpus) if it holds a month."""
    from flows.labeller.corpus import MONTHS

    folder = option or Path(os.environ.get(CORPUS_ENV) or DEFAULT_CORPUS)
    return folder if any((folder / month).is_dir() for month in MONTHS) else None


def render_issue(day: date, articles: Sequence[Article]) -> str:
    """Lay out one issue: headings, byline, indented paragraphs, a blank line between articles."""
    eve = day - timedelta(days=1)
    blocks = []
    for article in articles:
        paragraphs = list(article.paragraphs)
        if _DATELINE.match(paragraphs[0]):
            paragraphs[0] = _DATELINE.sub(rf"\g<1>{eve.month}月{eve.day}日\g<2>", paragraphs[0], count=1)
        else:
            paragraphs[0] = f"本报北京{eve.month}月{eve.day}日电　{paragraphs[0]}"
        heading = [line for line in (article.kicker, article.headline, article.subtitle) if line]
        lines = [*heading, f"本报记者　{article.reporter}", *(INDENT + p for p in paragraphs)]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def reporter_of(paragraphs: Sequence[str], rng: random.Random) -> str:
    """The reporter the text names (`记者杜一菲`), else a plausible name."""
    for paragraph in paragraphs[:2]:
        found = _REPORTER.search(paragraph)
        if found:
            return found.group(1)
    return rng.choice(_SURNAMES) + "".join(rng.sample(_GIVEN, rng.choice((1, 2))))


def varied(paragraphs: Sequence[str], rng: random.Random) -> tuple[str, ...]:
    """Vary a body lightly: swap two sentences of one paragraph (or rotate a one-sentence body)."""
    cut = [_SENTENCE.findall(p) or [p] for p in paragraphs]
    several = [i for i, sentences in enumerate(cut) if len(sentences) > 1]
    out = list(paragraphs)
    if several:
        i = rng.choice(several)
        sentences = cut[i]
        a, b = rng.sample(range(len(sentences)), 2)
        sentences[a], sentences[b] = sentences[b], sentences[a]
        out[i] = "".join(sentences) + paragraphs[i][len("".join(cut[i])) :]
    elif out and len(out[0]) > 4:
        out[0] = out[0][-2:] + out[0][:-2]
    return tuple(out)


def corpus_days(folder: Path) -> list[list[Article]]:
    """Read the dump's days as issues of articles (articles without paragraphs left out)."""
    from flows.labeller.corpus import read_days

    issues = []
    for day, dump in sorted(read_days(folder).items()):
        rng = random.Random(day.toordinal())
        articles = [
            Article(a.kicker, a.headline, a.subtitle, reporter_of(a.paragraphs, rng), a.paragraphs)
            for a in dump
            if a.paragraphs
        ]
        issues.append(articles)
    return issues


def corpus_issues(folder: Path, count: int, seed: int) -> Iterator[list[Article]]:
    """Yield `count` issues from the dump's days, reused with varied bodies past its end."""
    days = corpus_days(folder)
    for n in range(count):
        cycle, articles = divmod(n, len(days))[0], days[n % len(days)]
        if cycle == 0:
            yield articles
            continue
        rng = random.Random(f"{seed}-{n}")
        yield [
            Article(a.kicker, a.headline, a.subtitle, a.reporter, varied(a.paragraphs, rng)) for a in articles
        ]


def synthetic_issues(count: int, seed: int) -> Iterator[list[Article]]:
    """Yield `count` issues of real size drawn from the sample's sentences and headings."""
    from bench.synthetic import sample_parts

    parts = sample_parts()
    rng = random.Random(seed)
    for _ in range(count):
        articles = []
        for _ in range(rng.randint(*SYNTHETIC_ARTICLES)):
            heading = rng.choice(parts.headings)
            kicker, headline, subtitle = ([""] * (3 - len(heading)) + heading)[-3:]
            sizes = [rng.randint(*SYNTHETIC_SENTENCES) for _ in range(rng.randint(*SYNTHETIC_PARAGRAPHS))]
            drawn = rng.sample(parts.sentences, sum(sizes))
            paragraphs, start = [], 0
            for size in sizes:
                paragraphs.append("".join(drawn[start : start + size]))
                start += size
            articles.append(Article(kicker, headline, subtitle, reporter_of((), rng), tuple(paragraphs)))
        yield articles


def build_archive(folder: Path, issues: int, corpus: Path | None = None, seed: int = 20251230) -> list[Path]:
    """Write `issues` real-size daily issues into `folder`, one a day from FIRST_DAY; return their paths.

    From the dump in `corpus` when given (see corpus_folder), else synthetic.
    """
    folder.mkdir(parents=True, exist_ok=True)
    source = corpus_issues(corpus, issues, seed) if corpus else synthetic_issues(issues, seed)
    paths = []
    for offset, articles in enumerate(source):
        day = FIRST_DAY + timedelta(days=offset)
        path = folder / f"{PAPER}-{day.isoformat()}.txt"
        path.write_text(render_issue(day, articles), encoding="utf-8")
        paths.append(path)
    return paths
