"""Segment articles and describe them: tokens, term counts, TF-IDF keywords, named entities.

Segmentation is rjieba (jieba-rs: jieba's dictionary and algorithm, about 20 times faster;
bench/segmenters.py measures it against jieba) with the newspaper user dictionary, whose
part-of-speech tags win over the base dictionary's. Keywords use jieba's own TF-IDF formula
and shipped IDF table (offline). Named entities come from the part-of-speech tags.

The module is named tokenise, not tokenize, so it never shadows the standard library.
"""

from __future__ import annotations

import importlib.util
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path

import polars as pl
import rjieba

from flows.settings import DATA_DIR, USER_DICT

log = logging.getLogger(__name__)

ENTITY_STOPWORDS = DATA_DIR / "entity_stopwords.txt"
KEYWORDS_PER_ARTICLE = 10
ENTITY_KINDS = {"nr": "person", "nrfg": "person", "nrt": "person", "ns": "place", "nt": "organisation"}
# jieba.analyse's KeywordExtractor.STOP_WORDS, so keywords match jieba's extract_tags
JIEBA_STOP_WORDS = frozenset(
    "the of is and to in that we for an are by be as on with can if from which you it "  # noqa: SIM905
    "this then at have all not one has or".split()
)
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 令狐 端木 独孤 南宫".split()  # noqa: SIM905
)

_WORDLIKE = re.compile(r"[\w\u3400-\u9fff]")
_HAS_LETTER = re.compile(r"[^\W\d_]")  # any letter, Chinese included; not digits or punctuation
_CHINESE_WORD = re.compile(r"[\u3400-\u9fff]{2,}")
_USER_DICT_LINE = re.compile(r"^(.+?)(?: (\d+))?(?: ([a-z]+))?$")  # jieba's user-dictionary format

KEYWORD_SCHEMA = {"article_id": pl.String, "rank": pl.Int32, "keyword": pl.String, "weight": pl.Float64}
ENTITY_SCHEMA = {"article_id": pl.String, "entity": pl.String, "kind": pl.String, "count": pl.Int32}
TOKENS_SCHEMA = {"article_id": pl.String, "tokens": pl.String, "search_tokens": pl.String}
TERM_SCHEMA = {"article_id": pl.String, "term": pl.String, "count": pl.Int64}


@dataclass(frozen=True)
class DictEntry:
    """One line of a jieba user dictionary: word, optional frequency, optional tag."""

    word: str
    freq: int | None
    tag: str | None


@dataclass(frozen=True)
class Segmenter:
    """rjieba with the user dictionary added, and the dictionary's tags that must win."""

    jieba: rjieba.Jieba
    user_tags: dict[str, str]
    inner_words: Callable[[str], tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        inner = lru_cache(maxsize=200_000)(partial(dictionary_words_inside, self.jieba))
        object.__setattr__(self, "inner_words", inner)

    def tag(self, text: str) -> list[tuple[str, str]]:
        """Cut a text into (word, part-of-speech) pairs, without whitespace and punctuation."""
        tags = self.user_tags
        return [(w, tags.get(w, flag)) for w, flag in self.jieba.tag(text) if w.isalnum() or is_word(w)]

    def cut(self, text: str) -> list[str]:
        """Cut a text into words, without whitespace and punctuation."""
        return [w for w in self.jieba.cut(text) if w.isalnum() or is_word(w)]

    def search_words(self, words: Iterable[str]) -> list[str]:
        """Put the dictionary words inside each long word before it, as jieba's search mode does.

        Indexing them lets a search for 机器人 find 手术机器人, without cutting the text again.
        """
        out: list[str] = []
        for word in words:
            if len(word) > 2:
                out.extend(self.inner_words(word))
            out.append(word)
        return out


def dictionary_words_inside(jieba: rjieba.Jieba, word: str) -> tuple[str, ...]:
    """Return the 2- then 3-character dictionary words inside a word (jieba's cut_for_search)."""
    grams = [word[i : i + 2] for i in range(len(word) - 1)]
    if len(word) > 3:
        grams += [word[i : i + 3] for i in range(len(word) - 2)]
    return tuple(gram for gram in grams if jieba.has_word(gram))


@dataclass(frozen=True)
class ArticleText:
    """What segmentation adds to an issue's articles, one frame per table."""

    tokens: pl.DataFrame  # article_id, tokens and search_tokens (space-joined)
    terms: pl.DataFrame  # article_id, term, count
    keywords: pl.DataFrame  # article_id, rank, keyword, weight
    entities: pl.DataFrame  # article_id, entity, kind, count


def parse_user_dictionary(text: str) -> list[DictEntry]:
    """Read jieba's user-dictionary format: `word [freq] [tag]` per line."""
    entries = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _USER_DICT_LINE.match(line)
        if match:
            word, freq, tag = match.groups()
            entries.append(DictEntry(word, int(freq) if freq else None, tag))
    return entries


@lru_cache(maxsize=4)
def segmenter(user_dict: Path = USER_DICT) -> Segmenter:
    """Build the segmenter with the user dictionary, once per process."""
    jieba = rjieba.Jieba()
    entries = parse_user_dictionary(user_dict.read_text(encoding="utf-8")) if user_dict.exists() else []
    for entry in entries:
        jieba.add_word(entry.word, entry.freq, entry.tag)
    log.info("segmenter ready with %d user-dictionary words from %s", len(entries), user_dict)
    return Segmenter(jieba=jieba, user_tags={e.word: e.tag for e in entries if e.tag})


@lru_cache(maxsize=4)
def entity_stopwords(path: Path = ENTITY_STOPWORDS) -> frozenset[str]:
    """Load the common words that jieba tags as names, places or organisations."""
    if not path.exists():
        return frozenset()
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def jieba_idf_file() -> Path:
    """Locate the IDF table jieba ships, without importing jieba.analyse (a 3 s import)."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        raise RuntimeError("jieba is not installed: its IDF table gives the keyword weights")
    return Path(spec.origin).parent / "analyse" / "idf.txt"


@lru_cache(maxsize=1)
def keyword_model() -> tuple[dict[str, float], float]:
    """Load jieba's IDF table and its median as jieba.analyse's IDFLoader does, once per process."""
    idf: dict[str, float] = {}
    for line in jieba_idf_file().read_text(encoding="utf-8").splitlines():
        word, _, value = line.strip().partition(" ")
        if value:
            idf[word] = float(value)
    return idf, sorted(idf.values())[len(idf) // 2]


def is_word(token: str) -> bool:
    """Tell words (Chinese, Latin, numbers, 0532-12388) from whitespace and punctuation tokens."""
    return token.isalnum() or (not token.isspace() and _WORDLIKE.search(token) is not None)


def segment(text: str, seg: Segmenter | None = None) -> list[str]:
    """Cut a text into words, dropping whitespace and punctuation tokens."""
    return (seg or segmenter()).cut(text)


def extract_keywords(tokens: Sequence[str], top_k: int = KEYWORDS_PER_ARTICLE) -> list[tuple[str, float]]:
    """Rank words by TF-IDF as jieba.analyse.extract_tags does, skipping bare numbers.

    Working from the tokens already cut avoids segmenting every article a second time.
    """
    return rank_keywords(Counter(tokens), top_k)


@lru_cache(maxsize=200_000)
def keyword_idf(word: str) -> float | None:
    """Return a word's IDF, or None for what is never a keyword (short, stop word, number)."""
    if len(word) < 2 or word.lower() in JIEBA_STOP_WORDS or not _HAS_LETTER.search(word):
        return None
    idf, median_idf = keyword_model()
    return idf.get(word, median_idf)


def rank_keywords(counts: Mapping[str, int], top_k: int = KEYWORDS_PER_ARTICLE) -> list[tuple[str, float]]:
    """Weigh each counted word by jieba's TF-IDF; ties keep the order words first appeared in."""
    idfs = {word: (n, idf) for word, n in counts.items() if (idf := keyword_idf(word)) is not None}
    total = sum(n for n, _ in idfs.values())
    weights = {word: n * (idf / total) for word, (n, idf) in idfs.items()}  # jieba's order of operations
    return sorted(weights.items(), key=lambda item: item[1], reverse=True)[:top_k]


def entity_kind(word: str, flag: str, stopwords: frozenset[str]) -> str | None:
    """Return person, place or organisation for a tagged word that names one, else None."""
    kind = ENTITY_KINDS.get(flag)
    if kind is None or word in stopwords or not _CHINESE_WORD.fullmatch(word):
        return None
    if kind == "person" and not (len(word) <= 3 or (len(word) == 4 and word[:2] in COMPOUND_SURNAMES)):
        return None  # four-character words tagged nr are idioms, not names
    return kind


def extract_entities(tagged: Iterable[tuple[str, str]]) -> list[tuple[str, str, int]]:
    """Count the people, places and organisations among tagged words, most mentioned first."""
    stopwords = entity_stopwords()
    counts: Counter[tuple[str, str]] = Counter()
    for (word, flag), n in Counter(tagged).items():
        kind = entity_kind(word, flag, stopwords)
        if kind:
            counts[(word, kind)] += n
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0][1], item[0][0]))
    return [(word, kind, count) for (word, kind), count in ordered]


def count_terms(tokens: pl.DataFrame) -> pl.DataFrame:
    """Count each article's words from its space-joined tokens, in one vectorised pass."""
    return (
        tokens.select("article_id", pl.col("tokens").str.split(" ").alias("term"))
        .explode("term")
        .filter(pl.col("term") != "")
        .group_by("article_id", "term")
        .agg(pl.len().cast(pl.Int64).alias("count"))
        .sort("article_id", "term")
        .cast(TERM_SCHEMA)
    )


def analyse_articles(articles: pl.DataFrame) -> ArticleText:
    """Segment each article's headline and body once; derive terms, keywords and entities."""
    seg = segmenter()
    ids: list[str] = []
    joined: list[str] = []
    searchable: list[str] = []
    keywords: list[tuple[str, int, str, float]] = []
    entities: list[tuple[str, str, str, int]] = []
    for article_id, headline, body in articles.select("article_id", "headline", "body").iter_rows():
        tagged = seg.tag(f"{headline or ''}\n{body}")
        tokens = [word for word, _ in tagged]
        counts = Counter(tokens)
        ids.append(article_id)
        joined.append(" ".join(tokens))
        searchable.append(" ".join(seg.search_words(tokens)))
        keywords.extend(
            (article_id, rank, word, weight)
            for rank, (word, weight) in enumerate(rank_keywords(counts), start=1)
        )
        entities.extend((article_id, *entity) for entity in extract_entities(tagged))
    tokens = pl.DataFrame(
        {"article_id": ids, "tokens": joined, "search_tokens": searchable}, schema=TOKENS_SCHEMA
    )
    return ArticleText(
        tokens=tokens,
        terms=count_terms(tokens),
        keywords=pl.DataFrame(keywords, schema=KEYWORD_SCHEMA, orient="row"),
        entities=pl.DataFrame(entities, schema=ENTITY_SCHEMA, orient="row"),
    )


def segment_articles(articles: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return (article_id → space-joined tokens and search tokens) and (article_id, term, count) frames."""
    text = analyse_articles(articles)
    return text.tokens, text.terms
