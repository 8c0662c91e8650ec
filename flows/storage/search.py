"""Chinese full-text search: DuckDB's fts extension ranks articles by BM25 over their segmentation.

The extension is loaded from the file in the `duckdb-extension-fts` wheel (same version as
DuckDB), never installed from the network. The index covers `articles.search_tokens`, the
words the segmenter cut plus the dictionary words inside long ones (jieba's search mode), and
a query is cut by the same segmenter, so both sides split text alike.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date

import duckdb

from flows.settings import sql
from flows.storage import lake_search
from flows.storage.fts import SearchError, index_exists, index_is_current, load_fts, refresh_file_index
from flows.storage.warehouse import Warehouse
from flows.tokenise import segment

log = logging.getLogger(__name__)

SNIPPET_CHARS = 60


@dataclass(frozen=True)
class Hit:
    """One ranked article."""

    rank: int
    score: float
    headline: str | None
    issue_date: date | None
    paper: str | None
    article_id: str
    snippet: str

    def to_json(self) -> dict[str, object]:
        return {
            "rank": self.rank,
            "score": self.score,
            "headline": self.headline,
            "issue_date": self.issue_date.isoformat() if self.issue_date else None,
            "paper": self.paper,
            "article_id": self.article_id,
            "snippet": self.snippet,
        }


def refresh_index(con: duckdb.DuckDBPyConnection, warehouse: Warehouse) -> bool:
    """Bring the BM25 index up to date with the articles; return whether it changed.

    New articles are appended to the index (`search/append_index.sql`), so a daily run costs
    what its own articles cost, not the archive's; the index is rebuilt whole only when it is
    missing or an article left (a revalidation moved it). A lake's index file is kept the same
    way, from a copy of the lake's articles (flows/storage/lake_search.py).
    """
    if warehouse.lake:  # a DuckLake cannot hold the index: it lives in a DuckDB file beside the lake
        return lake_search.refresh_index(con, warehouse)
    return refresh_file_index(con)


def refresh_batch_index(con: duckdb.DuckDBPyConnection, warehouse: Warehouse) -> None:
    """Append a backfill batch's articles to a DuckDB file's index (a lake's is refreshed at the end)."""
    if not warehouse.lake:
        refresh_file_index(con)


def query_terms(query: str) -> list[str]:
    """Cut the analyst's query with the segmenter that cut the articles."""
    return list(dict.fromkeys(segment(query)))


def make_snippet(body: str, terms: list[str], width: int = SNIPPET_CHARS) -> str:
    """Cut the body around the first query term it contains, on one line."""
    text = re.sub(r"\s+", " ", body).strip()
    positions = [i for i in (text.find(term) for term in terms) if i >= 0]
    if not positions:
        return text[:width] + ("…" if len(text) > width else "")
    start = max(0, min(positions) - width // 3)
    end = min(len(text), start + width)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def search_articles(
    con: duckdb.DuckDBPyConnection, warehouse: Warehouse, query: str, limit: int = 10, any_word: bool = False
) -> list[Hit]:
    """Return the articles that best match the query, by BM25 over their segmentation.

    By default an article must contain every word of the query, as search engines do; with
    `any_word` one is enough (single characters such as 的 then match nearly everything).
    """
    terms = query_terms(query)
    if not terms:
        raise SearchError(f"nothing to search for in {query!r}")
    if warehouse.lake:  # search the lake's index file, which holds a copy of the searchable columns
        with lake_search.open_index(con, warehouse) as index:
            return _match(index, terms, limit, any_word)
    return _match(con, terms, limit, any_word)


def _match(con: duckdb.DuckDBPyConnection, terms: list[str], limit: int, any_word: bool) -> list[Hit]:
    """Rank the articles of a DuckDB file by its BM25 index (a lake's index file is one too)."""
    load_fts(con)
    if not index_exists(con):
        raise SearchError("the warehouse has no search index yet: run `newsprint run` to build it")
    if not index_is_current(con):
        log.warning("the search index is older than the articles: the next `newsprint run` rebuilds it")
    rows = con.execute(
        sql("search/match_articles"), {"query": " ".join(terms), "limit": limit, "any_word": any_word}
    ).fetchall()
    return [
        Hit(
            rank=rank,
            score=score,
            headline=headline,
            issue_date=issue_date,
            paper=paper,
            article_id=article_id,
            snippet=make_snippet(body, terms),
        )
        for rank, score, headline, issue_date, paper, article_id, body in rows
    ]
