"""Segment article bodies with jieba and the newspaper user dictionary.

The module is named tokenise, not tokenize, so it never shadows the standard library.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

import jieba
import polars as pl

from flows.settings import USER_DICT

log = logging.getLogger(__name__)
_WORDLIKE = re.compile(r"[\w\u3400-\u9fff]")


@lru_cache(maxsize=4)
def segmenter(user_dict: Path = USER_DICT) -> jieba.Tokenizer:
    """Return a jieba tokenizer with the user dictionary, built once per process."""
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    if user_dict.exists():
        tokenizer.load_userdict(str(user_dict))
    log.info("jieba ready with user dictionary %s", user_dict)
    return tokenizer


def segment(text: str, tokenizer: jieba.Tokenizer | None = None) -> list[str]:
    """Cut a text into words, dropping whitespace and punctuation tokens."""
    tokenizer = tokenizer or segmenter()
    return [t for t in (w.strip() for w in tokenizer.cut(text)) if t and _WORDLIKE.search(t)]


def segment_articles(articles: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return (article_id → space-joined tokens) and (article_id, term, count) frames."""
    tokenizer = segmenter()
    ids: list[str] = []
    joined: list[str] = []
    term_rows: dict[str, list] = {"article_id": [], "term": [], "count": []}
    for article_id, headline, body in articles.select("article_id", "headline", "body").iter_rows():
        tokens = segment(f"{headline or ''}\n{body}", tokenizer)
        ids.append(article_id)
        joined.append(" ".join(tokens))
        for term, count in sorted(Counter(tokens).items()):
            term_rows["article_id"].append(article_id)
            term_rows["term"].append(term)
            term_rows["count"].append(count)
    segmented = pl.DataFrame(
        {"article_id": ids, "tokens": joined}, schema={"article_id": pl.String, "tokens": pl.String}
    )
    terms = pl.DataFrame(term_rows, schema={"article_id": pl.String, "term": pl.String, "count": pl.Int64})
    return segmented, terms
