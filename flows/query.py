"""Analyst queries on a read-only connection, with clear messages instead of tracebacks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from flows.load import connect


class QueryError(RuntimeError):
    """A query that could not run; the message is meant for the analyst."""


def run_query(warehouse: str, query: str, timeout_s: float = 10.0) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run one SQL text read-only and return (columns, rows) of its last statement."""
    if not Path(warehouse).exists():
        raise QueryError(f"no warehouse at {warehouse}: run `newsprint run` first")
    try:
        con = connect(warehouse, read_only=True, timeout_s=timeout_s)
    except Exception as error:  # WarehouseBusy and DuckDB errors alike
        raise QueryError(f"cannot open {warehouse}: {error}") from error
    try:
        cursor = con.execute(query)
        if cursor.description is None:
            return [], []
        columns = [d[0] for d in cursor.description]
        return columns, cursor.fetchall()
    except duckdb.Error as error:
        raise QueryError(f"query failed: {error}") from error
    finally:
        con.close()
