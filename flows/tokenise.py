"""Segment articles and describe them: tokens, search words, TF-IDF keywords, named entities.

Segmentation is rjieba (jieba-rs: jieba's dictionary and algorithm, about 20 times faster;
bench/segmenters.py measures it against jieba) with the newspaper user dictionary, whose
part-of-speech tags win over the base dictionary's. Keywords use jieba's own TF-IDF formula
and shipped IDF table (offline). Named entities are the words the dictionaries tag as people,
places and organisations. Term counts are not stored: the view `article_terms` counts the
stored tokens.

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
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from flows.frames import split_parts

if TYPE_CHECKING:
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
# is_word's and _HAS_LETTER's classes in Polars' (Rust) regex syntax, for a whole batch's words
WORD_PATTERN = r"[\p{L}\p{N}_\x{3400}-\x{9fff}]"  # Python's \w: letters, numbers, _
LETTER_PATTERN = r"[\p{L}\p{Nl}\p{No}]"  # [^\W\d_]: a word character, not a digit, not _
CHINESE_WORD_PATTERN = r"^[\x{3400}-\x{9fff}]{2,}$"  # _CHINESE_WORD, whole

KEYWORD_SCHEMA = pl.Schema(
    {"article_id": pl.String, "rank": pl.Int32, "keyword": pl.String, "weight": pl.Float64}
)
ENTITY_SCHEMA = pl.Schema(
    {"article_id": pl.String, "entity": pl.String, "kind": pl.String, "count": pl.Int32}
)
TOKENS_SCHEMA = pl.Schema({"article_id": pl.String, "tokens": pl.String, "search_tokens": pl.String})
SCHEMAS = (TOKENS_SCHEMA, KEYWORD_SCHEMA, ENTITY_SCHEMA)  # ArticleText's frames, in its order
_WORD_KIND = {"word": pl.String, "kind": pl.String}
_WORD_VALUE = {"word": pl.String, "value": pl.String}


@dataclass(frozen=True)
class DictEntry:
    """One line of a jieba user dictionary: word, optional frequency, optional tag."""

    word: str
    freq: int | None
    tag: str | None


class WordMemo:
    """What a function gives for a word, remembered per process in a frame (word, value).

    A batch's distinct words are found among the known ones with a filter, and the function runs
    in Python only for the words no earlier batch had: asking rjieba about every distinct word
    of a batch cost more than all the queries over its words.
    """

    def __init__(self, compute: Callable[[str], str | None], limit: int = 200_000) -> None:
        self.compute = compute
        self.limit = limit  # words remembered; the earliest learnt are forgotten first
        self.known = pl.DataFrame(schema=_WORD_VALUE)

    def of(self, words: pl.Series) -> pl.DataFrame:
        """Return (word, value) for distinct words, in their order."""
        asked = words.rename("word").to_frame()
        # filters, not joins with what is known: a join hashes all of it (three times the cost)
        hits = self.known.filter(pl.col("word").is_in(asked["word"].implode()))
        new = asked.filter(~pl.col("word").is_in(hits["word"].implode()))["word"].unique(maintain_order=True)
        if new.len():
            values = pl.Series("value", [self.compute(word) for word in new.to_list()], dtype=pl.String)
            added = pl.DataFrame([new, values])
            self.known = pl.concat([self.known, added], rechunk=False)
            hits = pl.concat([hits, added])
        found = asked.join(hits, on="word", how="left", maintain_order="left")
        if self.known.height > self.limit or self.known.n_chunks() > 32:
            self.known = self.known.tail(self.limit).rechunk()
        return found


@dataclass(frozen=True)
class Segmenter:
    """rjieba with the user dictionary added, and the dictionary's tags that must win."""

    jieba: rjieba.Jieba
    user_tags: dict[str, str]
    inner_words: Callable[[str], tuple[str, ...]] = field(init=False, repr=False, compare=False)
    guessed_flag: Callable[[str], str | None] = field(init=False, repr=False, compare=False)
    search_forms: WordMemo = field(init=False, repr=False, compare=False)  # word → its search words
    guessed_flags: WordMemo = field(init=False, repr=False, compare=False)  # word → guessed_flag

    def __post_init__(self) -> None:
        object.__setattr__(self, "inner_words", partial(dictionary_words_inside, self.jieba))
        object.__setattr__(self, "guessed_flag", partial(flag_of_guess, self.jieba))
        forms = WordMemo(lambda word: " ".join((*self.inner_words(word), word)))
        object.__setattr__(self, "search_forms", forms)
        object.__setattr__(self, "guessed_flags", WordMemo(lambda word: self.guessed_flag(word)))

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


def flag_of_guess(jieba: rjieba.Jieba, word: str) -> str | None:
    """Return the tag rjieba gives a word its dictionaries lack (found by its HMM), tagged alone.

    Such a word's tag depends on the word, not on the text around it; alone, though, a few
    are cut otherwise than in their text (None: tag them in their text). A dictionary word
    gives "" (named_words has its names).
    """
    if jieba.has_word(word):
        return ""
    tagged = jieba.tag(word)
    return tagged[0][1] if len(tagged) == 1 else None


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


def segmenter(user_dict: Path = USER_DICT) -> Segmenter:
    """Return the segmenter with the user dictionary, built once per process.

    The cache is keyed on the dictionary itself: `segmenter()` and `segmenter(USER_DICT)` are
    one key here, where lru_cache would key them apart and build (and hold) the 35 MB twice.
    """
    return _built_segmenter(user_dict)


@lru_cache(maxsize=4)
def _built_segmenter(user_dict: Path) -> Segmenter:
    """Build the segmenter with the user dictionary."""
    import rjieba  # here: importing it builds a segmenter (35 MB), which the writer never uses

    # the one rjieba builds at import (its module functions' `_DEFAULT_JIEBA`) takes the project's
    # dictionary: a second build would cost every process 0.15 s of CPU and 35 MB more
    jieba = rjieba._DEFAULT_JIEBA if user_dict == USER_DICT else rjieba.Jieba()
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


def jieba_file(name: str) -> Path:
    """Locate a file jieba ships (dictionary, IDF table), without importing jieba (a 3 s import)."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        raise RuntimeError("jieba is not installed: its dictionary and IDF table are needed")
    return Path(spec.origin).parent / name


def jieba_idf_file() -> Path:
    """Locate the IDF table jieba ships (the keyword weights)."""
    return jieba_file("analyse/idf.txt")


@lru_cache(maxsize=4)
def named_words(user_dict: Path = USER_DICT) -> pl.DataFrame:
    """Return (word, kind) for every dictionary word that names a person, place or organisation.

    rjieba tags a dictionary word with the dictionary's tag (jieba's, or the user dictionary's,
    which wins: Segmenter.tag) whatever the text around it, so a text's named dictionary words
    are found by a join, with no tagging pass; the rules of `entity_kind` (stop words, Chinese
    only, no four-character idioms as names) are applied once, here. 90,000 words, read from
    jieba's dictionary once per process.
    """
    tagged = pl.scan_csv(
        jieba_file("dict.txt"),
        separator=" ",
        has_header=False,
        new_columns=["word", "freq", "flag"],
        schema_overrides={"word": pl.String, "freq": pl.String, "flag": pl.String},
        quote_char=None,
    )
    base = tagged.select("word", "flag").filter(pl.col("flag").is_in(list(ENTITY_KINDS))).collect()
    user = pl.DataFrame(
        list(segmenter(user_dict).user_tags.items()),
        schema={"word": pl.String, "flag": pl.String},
        orient="row",
    )
    named = pl.concat([base.join(user, on="word", how="anti"), user])  # the user dictionary's tags win
    named = named.filter(pl.col("flag").is_in(list(ENTITY_KINDS))).unique(
        "word", keep="last", maintain_order=True
    )
    return named.select("word", entity_kinds(entity_stopwords()).alias("kind")).drop_nulls("kind")


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
    word = pl.col("word")
    candidates = counts.select(word.unique()).filter(  # is_keyword_candidate, for the batch at once
        (word.str.len_chars() >= 2)
        & word.str.contains(LETTER_PATTERN)
        & ~word.str.to_lowercase().is_in(list(JIEBA_STOP_WORDS))
    )
    # the IDF rows of these words first: a join would hash all 270,000 of them every batch (14 ms)
    known = idf.filter(pl.col("word").is_in(candidates["word"].implode()))
    weighed = candidates.join(known, on="word", how="left").with_columns(pl.col("idf").fill_null(median))
    return (
        counts.with_row_index("order")
        .join(weighed, on="word", how="inner")
        .with_columns(pl.col("n").sum().over("article").alias("total"))
        .with_columns((pl.col("n") * (pl.col("idf") / pl.col("total"))).alias("weight"))
        # only the words as heavy as an article's top_k-th can rank: the sort takes a tenth of the rows
        .filter(pl.col("weight") >= pl.col("weight").top_k(top_k).min().over("article"))
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


def entity_kinds(stopwords: frozenset[str]) -> pl.Expr:
    """entity_kind over a frame's `word` and `flag` columns at once (null: not a name)."""
    word = pl.col("word")
    kind = pl.col("flag").replace_strict(ENTITY_KINDS, default=None, return_dtype=pl.String)
    length = word.str.len_chars()
    person = (length <= 3) | ((length == 4) & word.str.slice(0, 2).is_in(list(COMPOUND_SURNAMES)))
    named = ~word.is_in(list(stopwords)) & word.str.contains(CHINESE_WORD_PATTERN)
    return pl.when(named & ((kind != "person") | person)).then(kind)


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


def count_entities_of(counts: pl.DataFrame, seg: Segmenter, text_of: Callable[[int], str]) -> pl.DataFrame:
    """Count the people, places and organisations of many articles at once, as extract_entities does.

    `counts` holds (article, word, n); the result (article, entity, kind, count) lists each
    article's most mentioned first, then by kind and name. A dictionary word is named by
    `named_words`; a word the dictionaries lack (found by rjieba's HMM) by its tag
    (`Segmenter.guessed_flag`, remembered in `Segmenter.guessed_flags`), or, for the few that
    alone are cut otherwise, by tagging the articles that hold them (`text_of(article)`).
    """
    word = pl.col("word")
    distinct = counts.select(word.unique())
    named_here = named_words().filter(word.is_in(distinct["word"].implode()))  # (a filter: see WordMemo)
    guesses = distinct.filter(
        ~word.is_in(named_here["word"].implode()) & word.str.contains(CHINESE_WORD_PATTERN)
    )
    flags = seg.guessed_flags.of(guesses["word"]).rename({"value": "flag"})
    stopwords = entity_stopwords()
    guessed = flags.filter(pl.col("flag") != "").select("word", entity_kinds(stopwords).alias("kind"))
    in_text = flags.filter(pl.col("flag").is_null())["word"].to_list()
    rows = []
    for article in counts.filter(word.is_in(in_text))["article"].unique().sort().to_list():
        tagged = _first_tags(seg, text_of(article), set(in_text))
        rows += [(article, w, entity_kind(w, tagged[w], stopwords)) for w in in_text if w in tagged]
    named = pl.concat([named_here, guessed.drop_nulls()])
    in_context = pl.DataFrame(rows, schema={"article": pl.UInt32, **_WORD_KIND}, orient="row").drop_nulls()
    return (
        pl.concat(
            [
                counts.join(named, on="word", how="inner"),
                counts.join(in_context, on=["article", "word"], how="inner"),
            ]
        )
        .sort(["article", "n", "kind", "word"], descending=[False, True, False, False])
        .select("article", pl.col("word").alias("entity"), "kind", pl.col("n").cast(pl.Int32).alias("count"))
    )


def _first_tags(seg: Segmenter, text: str, words: set[str]) -> dict[str, str]:
    """Return the tag `Segmenter.tag` gives each of these words where it first occurs in the text."""
    tags = seg.user_tags
    first: dict[str, str] = {}
    for word, flag in seg.jieba.tag(text):
        if word in words and word not in first:  # these are Chinese words: never punctuation
            first[word] = tags.get(word, flag)
    return first


def analyse_articles(articles: pl.DataFrame) -> ArticleText:
    """Segment each article's headline and body once; derive its search words, keywords and entities."""
    return analyse_batch([articles])[0]


def analyse_batch(issues: Sequence[pl.DataFrame]) -> list[ArticleText]:
    """Analyse the articles of several issues (one frame each) together, one result per issue.

    Each article is cut once by rjieba; everything after the cut runs as Polars queries over
    the batch's words, one row per word: which are words (not punctuation), the joined
    tokens, the counts, the search words, the keywords and the named entities (`entity_words`:
    no tagging pass). A query costs about a millisecond whatever its size; the same work per
    word in Python cost as much as the cut itself.
    """
    seg = segmenter()
    batch = (
        pl.concat([frame.select("article_id", "headline", "body") for frame in issues]) if issues else None
    )
    if batch is None or batch.height == 0:
        return [ArticleText(*(pl.DataFrame(schema=schema) for schema in SCHEMAS)) for _ in issues]
    articles_of = pl.DataFrame(
        {
            "article": np.arange(batch.height, dtype=np.uint32),
            "part": np.repeat(np.arange(len(issues), dtype=np.uint32), [frame.height for frame in issues]),
            "article_id": batch["article_id"],
        }
    )
    texts = batch.select(pl.concat_str(pl.col("headline").fill_null(""), pl.lit("\n"), "body"))[
        :, 0
    ].to_list()
    words = cut_words(seg, texts)
    counts = words.group_by("article", "word", maintain_order=True).agg(pl.len().cast(pl.UInt32).alias("n"))
    joined = (
        with_search_words(seg, words, counts)
        .group_by("article")
        .agg(
            pl.col("word").str.join(" ").alias("tokens"),
            pl.col("search").str.join(" ").alias("search_tokens"),
        )
    )
    tokens = (
        articles_of.select("article")
        .join(joined, on="article", how="left")  # an article without a word has empty tokens
        .with_columns(pl.col("tokens", "search_tokens").fill_null(""))
    )
    tables = {
        "tokens": (tokens, TOKENS_SCHEMA, ["article"]),
        "keywords": (rank_keywords_of(counts), KEYWORD_SCHEMA, ["article", "rank"]),
        "entities": (count_entities_of(counts, seg, texts.__getitem__), ENTITY_SCHEMA, ["article"]),
    }
    per_issue: dict[str, list[pl.DataFrame]] = {}
    for name, (frame, schema, order) in tables.items():
        with_ids = frame.join(articles_of, on="article", how="inner")
        ordered = with_ids.sort("part", *order, maintain_order=True)
        per_issue[name] = _split_parts(ordered, len(issues), schema)
    return [
        ArticleText(tokens=t, keywords=k, entities=e)
        for t, k, e in zip(*(per_issue[n] for n in tables), strict=True)
    ]


def cut_words(seg: Segmenter, texts: Sequence[str]) -> pl.DataFrame:
    """Cut each article's text (headline and body): its words (article, word) in order, no punctuation."""
    cut = seg.jieba.cut
    found: list[str] = []
    lengths: list[int] = []
    for text in texts:
        words = cut(text)
        found.extend(words)
        lengths.append(len(words))
    owner = np.repeat(np.arange(len(lengths), dtype=np.uint32), lengths)
    frame = pl.DataFrame({"article": owner, "word": pl.Series(found, dtype=pl.String)})
    return frame.filter(pl.col("word").str.contains(WORD_PATTERN))  # is_word


def with_search_words(seg: Segmenter, words: pl.DataFrame, counts: pl.DataFrame) -> pl.DataFrame:
    """Add `search`: each word after the dictionary words inside it, as Segmenter.search_words gives.

    The dictionary is asked once per distinct long word of the batch (and remembered across
    batches), then every word is mapped in one query.
    """
    long = counts.filter(pl.col("word").str.len_chars() > 2)["word"].unique()
    forms = seg.search_forms.of(long)
    return words.with_columns(pl.col("word").replace(forms["word"], forms["value"]).alias("search"))


def _split_parts(frame: pl.DataFrame, count: int, schema: pl.Schema) -> list[pl.DataFrame]:
    """Cut a batch's frame (with a `part` column) into one frame per issue, in `schema`'s columns."""
    return split_parts(frame.select("part", *schema).cast(schema), count)


def segment_articles(articles: pl.DataFrame) -> pl.DataFrame:
    """Return article_id → space-joined tokens and search tokens."""
    return analyse_articles(articles).tokens
