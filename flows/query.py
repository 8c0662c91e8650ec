"""Analyst queries that cannot write, change a setting or reach outside the warehouse.

Two guards, each enough alone for what the other misses:

- Before anything opens, the text is parsed by DuckDB: only `SELECT` statements (and an
  `EXPLAIN` of one) pass, and none may call a function that acts instead of answering
  (`enable_logging`, `checkpoint`, `query('…')`, …). DuckDB's own parser names the functions
  (`json_serialize_sql`), so quoting or a schema prefix does not hide one.
- The connection is read-only; the extensions a query may need (fts) are loaded from their
  wheels first; then DuckDB's external access is turned off and its configuration locked
  (DuckDB's "Securing DuckDB"): no file outside the warehouse is read or written, no
  extension installed, nothing fetched, and no `SET` can undo it. `--read-files DIR` opens
  only DIR to reading (`allowed_directories`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from flows.settings import sql
from flows.storage.connection import WarehouseBusy, connect
from flows.storage.database import catalog_data_path
from flows.storage.fts import load_fts
from flows.storage.warehouse import Warehouse

# Statement types an analyst may run: reading, and explaining a read.
READ_ONLY_STATEMENTS = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN})
# Table and scalar functions that act rather than answer: change logging or profiling (to a
# file), checkpoint, write a log line, or run SQL held in a string, out of the parser's sight.
ACTING_FUNCTIONS = frozenset(
    {
        "checkpoint",
        "force_checkpoint",
        "enable_logging",
        "disable_logging",
        "truncate_duckdb_logs",
        "enable_profiling",
        "disable_profiling",
        "write_log",
        "query",
        "json_execute_serialized_sql",
    }
)
_EXPLAIN = re.compile(r"^\s*explain(?:\s+analy[sz]e)?\s+", re.IGNORECASE)
_NOT_READ_ONLY = "the warehouse changes only through `newsprint run` and `newsprint backfill`"


class QueryError(RuntimeError):
    """A query that could not run; the message is meant for the analyst."""


@cache
def _parser() -> duckdb.DuckDBPyConnection:
    """An empty in-memory DuckDB that only parses: no warehouse, no files."""
    return duckdb.connect(":memory:")


def _statements(query: str) -> list[duckdb.Statement]:
    try:
        return duckdb.extract_statements(query)
    except duckdb.Error as error:
        raise QueryError(f"query failed: {error}") from error


def _function_names(tree: Any) -> Iterator[str]:
    """Walk DuckDB's JSON parse tree for every function it calls, table functions included."""
    if isinstance(tree, dict):
        name = tree.get("function_name")
        if isinstance(name, str):
            yield name.lower()
        for value in tree.values():
            yield from _function_names(value)
    elif isinstance(tree, list):
        for value in tree:
            yield from _function_names(value)


def called_functions(select: str) -> set[str]:
    """Return the functions one SELECT statement calls, as DuckDB's parser reads it."""
    (serialized,) = _parser().execute(sql("query/serialize"), {"query": select}).fetchone() or ("{}",)
    tree = json.loads(serialized)
    if tree.get("error"):
        reason = tree.get("error_message")
        raise QueryError(f"refused: `newsprint sql` cannot check this statement ({reason})")
    return set(_function_names(tree))


def refuse_writes(query: str) -> None:
    """Raise QueryError unless every statement only reads (see the module's first guard)."""
    for number, statement in enumerate(_statements(query), start=1):
        text = statement.query
        if statement.type == duckdb.StatementType.EXPLAIN:
            inner = _statements(_EXPLAIN.sub("", text, count=1))
            if len(inner) != 1 or inner[0].type != duckdb.StatementType.SELECT:
                raise QueryError(
                    f"refused: `newsprint sql` is read-only and statement {number} explains "
                    f"something other than a SELECT; {_NOT_READ_ONLY}"
                )
            text = inner[0].query
        elif statement.type not in READ_ONLY_STATEMENTS:
            raise QueryError(
                f"refused: `newsprint sql` is read-only and statement {number} is {statement.type.name}; "
                f"{_NOT_READ_ONLY}"
            )
        acting = sorted(called_functions(text) & ACTING_FUNCTIONS)
        if acting:
            raise QueryError(
                f"refused: `newsprint sql` is read-only and statement {number} calls {', '.join(acting)}, "
                "which acts on the database or the disk rather than reading"
            )


def lock_down(con: duckdb.DuckDBPyConnection, warehouse: Warehouse, read_dirs: Sequence[Path] = ()) -> None:
    """Load what a query may need, then shut the connection off from files, settings and network."""
    load_fts(con)  # the search index's macros call its functions
    con.execute(sql("query/offline"))
    allowed = [str(Path(d).resolve()) + "/" for d in read_dirs]
    data_path = catalog_data_path(con) if warehouse.lake else ""
    if data_path:  # a lake reads its Parquet files from its data folder or bucket
        path = data_path if "://" in data_path else str(Path(data_path).resolve())
        allowed.append(path.rstrip("/") + "/")
    if allowed:
        con.execute(sql("query/allowed_directories"), {"directories": allowed})
    con.execute(sql("query/lock_down"))


def run_query(
    warehouse: Warehouse, query: str, timeout_s: float = 10.0, read_dirs: Sequence[Path] = ()
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run one SQL text read-only and return (columns, rows) of its last statement."""
    refuse_writes(query)
    if not warehouse.exists():
        raise QueryError(f"no warehouse at {warehouse}: run `newsprint run` first")
    try:
        con = connect(warehouse, read_only=True, timeout_s=timeout_s)
    except WarehouseBusy as error:
        raise QueryError(
            f"the warehouse is busy: a load is writing to {warehouse} right now and DuckDB lets no one "
            f"read while it writes (waited {timeout_s:.0f} s); try again when the run has finished"
        ) from error
    except duckdb.Error as error:
        raise QueryError(f"cannot open {warehouse}: {error}") from error
    try:
        lock_down(con, warehouse, read_dirs)
        cursor = con.execute(query)
        if cursor.description is None:
            return [], []
        columns = [d[0] for d in cursor.description]
        return columns, cursor.fetchall()
    except duckdb.Error as error:
        raise QueryError(f"query failed: {error}") from error
    finally:
        con.close()
