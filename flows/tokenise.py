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

from flows.frames import split_parts
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

    def dictionary_cut(self, text: str) -> list[str]:
        """Cut a text into dictionary words only (no HMM guess at unknown ones), every character kept."""
        return self.jieba.cut(text, False)

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
def keyword_model() -> tuple[pl.DataFrame, float]:
    """Load jieba's IDF table (word, idf) and its median, once per process.

    A Polars frame, not a dict: 11 MB instead of 50 MB in every worker process, and the
    keywords of a whole batch are weighed with one join.
    """
    return read_idf_table(jieba_idf_file())


def read_idf_table(path: Path) -> tuple[pl.DataFrame, float]:
    """Read an IDF table ("word idf" lines) and its median as jieba.analyse's IDFLoader does."""
    table = pl.read_csv(
        path,
        separator=" ",
        has_header=False,
        new_columns=["word", "idf"],
        schema_overrides={"word": pl.String, "idf": pl.Float64},
        quote_char=None,
    )
    # a repeated word: the last wins, as in jieba's dict. A filter, not unique(): unique's hash
    # table left 70 MB in each worker process for the allocator's next ten seconds
    table = table.drop_nulls().filter(pl.col("word").is_last_distinct())
    return table, float(table["idf"].sort()[table.height // 2])


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
def is_keyword_candidate(word: str) -> bool:
    """Tell whether a word can be a keyword: not short, not a stop word, not a bare number."""
    return len(word) >= 2 and word.lower() not in JIEBA_STOP_WORDS and _HAS_LETTER.search(word) is not None


def rank_keywords(counts: Mapping[str, int], top_k: int = KEYWORDS_PER_ARTICLE) -> list[tuple[str, float]]:
    """Weigh each counted word by jieba's TF-IDF; ties keep the order words first appeared in."""
    frame = pl.DataFrame(
        {"article": [0] * len(counts), "word": list(counts), "n": list(counts.values())},
        schema={"article": pl.UInt32, "word": pl.String, "n": pl.UInt32},
    )
    ranked = rank_keywords_of(frame, top_k)
    return list(zip(ranked["keyword"].to_list(), ranked["weight"].to_list(), strict=True))


def rank_keywords_of(counts: pl.DataFrame, top_k: int = KEYWORDS_PER_ARTICLE) -> pl.DataFrame:
    """Rank the words of many articles at once, as rank_keywords ranks one article's.

    `counts` holds (article, word, n), each article's words in the order they first appear;
    the result holds (article, rank, keyword, weight). The weight is jieba's TF-IDF, computed
    in jieba's order of operations (n × (idf / total)), so the floats are the same.
    """
    idf, median = keyword_model()
    words = counts["word"].unique().to_list()
    candidates = pl.DataFrame(
        {"word": [w for w in words if is_keyword_candidate(w)]}, schema={"word": pl.String}
    )
    # the IDF rows of these words first: a join would hash all 270,000 of them every batch (14 ms)
    known = idf.filter(pl.col("word").is_in(candidates["word"].implode()))
    weighed = candidates.join(known, on="word", how="left").with_columns(pl.col("idf").fill_null(median))
    return (
        counts.with_row_index("order")
        .join(weighed, on="word", how="inner")
        .with_columns(pl.col("n").sum().over("article").alias("total"))
        .with_columns((pl.col("n") * (pl.col("idf") / pl.col("total"))).alias("weight"))
        .sort(["article", "weight", "order"], descending=[False, True, False])
        .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int32).over("article").alias("rank"))
        .filter(pl.col("rank") <= top_k)
        .select("article", "rank", pl.col("word").alias("keyword"), "weight")
    )


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


def count_entities_of(tags: pl.DataFrame) -> pl.DataFrame:
    """Count the people, places and organisations of many articles at once, as extract_entities does.

    `tags` holds (article, word, flag), one row per token; the result (article, entity, kind,
    count) lists each article's most mentioned first, then by kind and name.
    """
    stopwords = entity_stopwords()
    named = (
        tags.filter(pl.col("flag").is_in(list(ENTITY_KINDS)))
        .group_by("article", "word", "flag")
        .agg(pl.len().alias("n"))
    )
    pairs = named.select("word", "flag").unique()
    kinds = pairs.with_columns(
        pl.Series("kind", [entity_kind(w, f, stopwords) for w, f in pairs.iter_rows()], dtype=pl.String)
    )
    return (
        named.join(kinds.drop_nulls("kind"), on=["word", "flag"], how="inner")
        .group_by("article", "word", "kind")
        .agg(pl.col("n").sum().cast(pl.Int32).alias("count"))
        .sort(["article", "count", "kind", "word"], descending=[False, True, False, False])
        .select("article", pl.col("word").alias("entity"), "kind", "count")
    )


def analyse_articles(articles: pl.DataFrame) -> ArticleText:
    """Segment each article's headline and body once; derive terms, keywords and entities."""
    return analyse_batch([articles])[0]


def analyse_batch(issues: Sequence[pl.DataFrame]) -> list[ArticleText]:
    """Analyse the articles of several issues (one frame each) together, one result per issue.

    Each article is tagged once; the counting, ranking and naming then run as one Polars
    query per table over the whole batch: a query costs about a millisecond whatever its
    size, and Python counting per article cost more than rjieba's tagging itself.
    """
    seg = segmenter()
    parts: list[int] = []
    ids: list[str] = []
    joined: list[str] = []
    searchable: list[str] = []
    token_article: list[int] = []
    token_words: list[str] = []
    token_flags: list[str] = []
    batch = (
        pl.concat(issues, how="diagonal_relaxed").select("article_id", "headline", "body") if issues else None
    )
    for part, (article_id, headline, body) in zip(
        (part for part, articles in enumerate(issues) for _ in range(articles.height)),
        batch.iter_rows() if batch is not None else (),
        strict=True,
    ):
        tagged = seg.tag(f"{headline or ''}\n{body}")
        words, flags = zip(*tagged, strict=True) if tagged else ((), ())
        token_article.extend([len(ids)] * len(words))
        token_words.extend(words)
        token_flags.extend(flags)
        parts.append(part)
        ids.append(article_id)
        joined.append(" ".join(words))
        searchable.append(" ".join(seg.search_words(words)))
    articles_of = pl.DataFrame(
        {"article": range(len(ids)), "part": parts, "article_id": ids},
        schema={"article": pl.UInt32, "part": pl.UInt32, "article_id": pl.String},
    )
    tags = pl.DataFrame(
        {"article": token_article, "word": token_words, "flag": token_flags},
        schema={"article": pl.UInt32, "word": pl.String, "flag": pl.String},
    )
    counts = tags.group_by("article", "word", maintain_order=True).agg(pl.len().cast(pl.UInt32).alias("n"))
    tokens = pl.DataFrame(
        {"article": range(len(ids)), "tokens": joined, "search_tokens": searchable},
        schema={"article": pl.UInt32, "tokens": pl.String, "search_tokens": pl.String},
    )
    terms = counts.select("article", pl.col("word").alias("term"), pl.col("n").cast(pl.Int64).alias("count"))
    tables = {
        "tokens": (tokens, TOKENS_SCHEMA, ["article"]),
        "terms": (terms, TERM_SCHEMA, ["article_id", "term"]),
        "keywords": (rank_keywords_of(counts), KEYWORD_SCHEMA, ["article", "rank"]),
        "entities": (count_entities_of(tags), ENTITY_SCHEMA, ["article"]),
    }
    per_issue: dict[str, list[pl.DataFrame]] = {}
    for name, (frame, schema, order) in tables.items():
        with_ids = frame.join(articles_of, on="article", how="inner")
        ordered = with_ids.sort("part", *order, maintain_order=True)
        per_issue[name] = _split_parts(ordered, len(issues), schema)
    return [
        ArticleText(tokens=t, terms=c, keywords=k, entities=e)
        for t, c, k, e in zip(*(per_issue[n] for n in tables), strict=True)
    ]


def _split_parts(frame: pl.DataFrame, count: int, schema: Mapping[str, pl.DataType]) -> list[pl.DataFrame]:
    """Cut a batch's frame (with a `part` column) into one frame per issue, in `schema`'s columns."""
    return split_parts(frame.select("part", *schema).cast(dict(schema)), count)  # type: ignore[arg-type]


def segment_articles(articles: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return (article_id → space-joined tokens and search tokens) and (article_id, term, count) frames."""
    text = analyse_articles(articles)
    return text.tokens, text.terms
