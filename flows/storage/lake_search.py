"""Full-text search on a DuckLake: the BM25 index lives in a local DuckDB file beside the lake.

DuckDB's fts extension stores its index as tables and macros of the database it indexes, and
a DuckLake cannot hold them (`PRAGMA create_fts_index` fails on a lake table). So the writer
keeps a copy of the lake's `articles` in a DuckDB file, with a fingerprint of what it copied,
and indexes it there as on a single-file warehouse: after a run, only the articles the copy
lacks are copied and appended to the index (`flows/storage/search.py`); it is rebuilt only when
articles left the lake (a revalidation) or their columns changed. Searches open that file
read-only and run the same SQL as on a single-file warehouse. Readers of the lake never wait
for it; readers of the index wait only while a refresh holds the file.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from flows.settings import DATA_DIR, sql
from flows.storage.database import OFFLINE, catalog_data_path, transaction
from flows.storage.fts import SearchError, refresh_file_index
from flows.storage.warehouse import Warehouse

log = logging.getLogger(__name__)

READ_WAIT_S = 60.0  # a search waits this long for a rebuild to finish
BUILD_WAIT_S = 1800.0  # a writer waits this long for another writer's rebuild
SOURCE_SCHEMA = pa.schema(
    [("articles", pa.int64()), ("ids", pa.uint64()), ("last_loaded_at", pa.timestamp("us"))]
)


def _open_index(path: Path, read_only: bool, timeout_s: float) -> duckdb.DuckDBPyConnection:
    """Open the index file, waiting while another process rebuilds it."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=OFFLINE)
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or time.monotonic() >= deadline:
                raise SearchError(f"the search index {path} is being rebuilt; try again shortly") from error
            time.sleep(0.2)


def _source(index: duckdb.DuckDBPyConnection) -> tuple[Any, ...] | None:
    """Return the fingerprint the index was built from (None: it never was)."""
    try:
        return index.execute(sql("lake/search_source")).fetchone()
    except duckdb.CatalogException:
        return None


def _fingerprint(con: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
    row = con.execute(sql("lake/articles_fingerprint")).fetchone()
    assert row is not None  # an aggregate always returns one row
    return tuple(row)


def index_file(con: duckdb.DuckDBPyConnection, warehouse: Warehouse) -> Path:
    """Return the DuckDB file of the lake's full-text index (`con`: the lake, attached)."""
    return warehouse.search_index_file(catalog_data_path(con), default_folder=DATA_DIR)


def refresh_index(con: duckdb.DuckDBPyConnection, warehouse: Warehouse) -> bool:
    """Bring the lake's index file up to date with its articles; return whether anything changed."""
    path = index_file(con, warehouse)
    fingerprint = _fingerprint(con)
    path.parent.mkdir(parents=True, exist_ok=True)
    index = _open_index(path, read_only=False, timeout_s=BUILD_WAIT_S)
    try:
        if _source(index) == fingerprint:
            return False
        with transaction(index):
            added = _sync_copy(con, index)
        refresh_file_index(index)  # append the new articles to the BM25 index, or rebuild it
        source = pa.Table.from_pylist(
            [dict(zip(SOURCE_SCHEMA.names, fingerprint, strict=True))], SOURCE_SCHEMA
        )
        with transaction(index), _registered(index, "incoming", source):
            index.execute(sql("lake/replace_search_source"))
    finally:
        index.close()
    log.info("search index %s: %d article(s) copied, %d in all", path, added, fingerprint[0])
    return True


def _sync_copy(con: duckdb.DuckDBPyConnection, index: duckdb.DuckDBPyConnection) -> int:
    """Make the index file's copy of `articles` hold the lake's; return how many rows were copied."""
    if not _same_columns(con, index):  # a first build, or the lake's articles gained a column
        with _registered(index, "incoming", con.execute(sql("lake/search_articles")).to_arrow_reader()):
            index.execute(sql("lake/replace_search_articles"))
        row = index.execute(sql("lake/search_copy_size")).fetchone()
        return int(row[0]) if row else 0
    with _registered(index, "lake_ids", con.execute(sql("lake/article_ids")).to_arrow_table()):
        index.execute(sql("lake/delete_gone_search_articles"))
        missing = index.execute(sql("lake/missing_search_ids")).to_arrow_table()
    if missing.num_rows:
        with _registered(con, "wanted", missing):
            rows = con.execute(sql("lake/search_articles_wanted")).to_arrow_reader()
            with _registered(index, "incoming", rows):
                index.execute(sql("lake/append_search_articles"))
    return int(missing.num_rows)


def _same_columns(con: duckdb.DuckDBPyConnection, index: duckdb.DuckDBPyConnection) -> bool:
    """Tell whether the index file has a copy of `articles` with the lake's columns."""
    try:
        copied = index.table("articles").columns
    except duckdb.CatalogException:
        return False
    return copied == con.table("articles").columns


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, name: str, data: Any) -> Iterator[None]:
    """Make Arrow data a relation of `con` while the block runs."""
    con.register(name, data)
    try:
        yield
    finally:
        con.unregister(name)


@contextmanager
def open_index(con: duckdb.DuckDBPyConnection, warehouse: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the lake's index file read-only, warning when the lake has changed since it was built."""
    path = index_file(con, warehouse)
    if not path.exists():
        raise SearchError(
            f"the lake has no search index at {path} yet: `newsprint run` (or a backfill) builds it "
            "on the machine that runs it; set ` SEARCH_INDEX <file>` in the warehouse setting to share one"
        )
    index = _open_index(path, read_only=True, timeout_s=READ_WAIT_S)
    try:
        if _source(index) != _fingerprint(con):
            log.warning("the search index is older than the lake's articles: the next run rebuilds it")
        yield index
    finally:
        index.close()
