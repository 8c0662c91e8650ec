"""DuckDB's fts extension, loaded from its wheel, and the BM25 index it keeps in a DuckDB file.

Apart from search (flows/storage/search.py), so `newsprint sql` loads the extension light.
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb

from flows.settings import sql
from flows.storage.checkpoint import bound_memory
from flows.storage.database import transaction

log = logging.getLogger(__name__)

INDEX_MEMORY_LIMIT = "256MB"  # DuckDB's memory while it builds the index (it spills beyond)


class SearchError(RuntimeError):
    """Search cannot run; the message says what to do."""


def fts_extension_file() -> Path:
    """Find the fts extension built for this DuckDB in the duckdb-extension-fts wheel."""
    try:
        import duckdb_extension_fts
    except ImportError as error:
        raise SearchError("the duckdb-extension-fts package is not installed") from error
    root = Path(duckdb_extension_fts.__file__).parent / "extensions"
    path = root / f"v{duckdb.__version__}" / "fts.duckdb_extension"
    if not path.exists():
        found = sorted(p.parent.name for p in root.glob("*/fts.duckdb_extension"))
        raise SearchError(
            f"duckdb-extension-fts has no build for DuckDB {duckdb.__version__} (it has {found}): "
            "pin both packages to the same version"
        )
    return path


def load_fts(con: duckdb.DuckDBPyConnection) -> None:
    """Load the fts extension from its file, so nothing is fetched from the network."""
    con.load_extension(str(fts_extension_file()))


def index_exists(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(sql("search/index_exists")).fetchone()
    return bool(row and row[0])


def index_is_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Tell whether the index holds exactly the articles in the warehouse now."""
    return index_exists(con) and _index_changes(con) == (0, 0)


def _index_changes(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Count the articles the existing index lacks, and its documents that are no longer articles."""
    row = con.execute(sql("search/index_changes")).fetchone()
    return (row[0], row[1]) if row else (0, 0)


def refresh_file_index(con: duckdb.DuckDBPyConnection) -> bool:
    """Bring a DuckDB file's BM25 index up to date with its articles; return whether it changed."""
    if index_exists(con):  # an append reads and writes the index's tables: no fts function needed
        missing, gone = _index_changes(con)
        if not missing and not gone:
            return False
        if not gone:
            _append_to_index(con)
            log.info("search index: %d article(s) added", missing)
            return True
    _build_index(con)
    log.info("search index rebuilt")
    return True


def _append_to_index(con: duckdb.DuckDBPyConnection) -> None:
    """Add the articles the index lacks, in one transaction: never a half-appended index."""
    with transaction(con):
        con.execute(sql("search/append_index"))


def _build_index(con: duckdb.DuckDBPyConnection) -> None:
    """Build the index over every article, DuckDB's memory bounded while it does."""
    load_fts(con)  # only a build needs the extension (its pragma): 40 ms a connection
    # A build holds the whole archive's words in memory (800 MB for ten years of the sample);
    # bounded, DuckDB spills to disk instead, in about the same time (measured when it was bounded).
    previous = con.execute(sql("settings/memory_limit")).fetchone()
    con.execute(sql("settings/set_memory_limit"), {"limit": INDEX_MEMORY_LIMIT})
    try:
        con.execute(sql("search/create_index"))
    finally:  # back to the connection's own limit (a backfill's writer sets one)
        bound_memory(con, previous[0] if previous else INDEX_MEMORY_LIMIT)
