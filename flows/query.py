"""Analyst queries on a read-only connection, with clear messages instead of tracebacks.

Two guards: statements that could write anything (to the warehouse, another database file or
a file on disk) are refused before they run, and the connection itself is read-only.
"""

from __future__ import annotations

from typing import Any

import duckdb

from flows.connection import WarehouseBusy, connect
from flows.warehouse import redact, warehouse_exists

# Statement types an analyst may run: reading, explaining, settings, table functions, extensions.
READ_ONLY_STATEMENTS = frozenset(
    {
        duckdb.StatementType.SELECT,
        duckdb.StatementType.EXPLAIN,
        duckdb.StatementType.SET,
        duckdb.StatementType.CALL,
        duckdb.StatementType.LOAD,
    }
)


class QueryError(RuntimeError):
    """A query that could not run; the message is meant for the analyst."""


def refuse_writes(query: str) -> None:
    """Raise QueryError when any statement of the text is not read-only (INSERT, COPY … TO, ATTACH …)."""
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as error:
        raise QueryError(f"query failed: {error}") from error
    for number, statement in enumerate(statements, start=1):
        if statement.type not in READ_ONLY_STATEMENTS:
            kind = statement.type.name
            raise QueryError(
                f"refused: `newsprint sql` is read-only and statement {number} is {kind}; "
                "the warehouse changes only through `newsprint run` and `newsprint backfill`"
            )


def run_query(warehouse: str, query: str, timeout_s: float = 10.0) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run one SQL text read-only and return (columns, rows) of its last statement."""
    refuse_writes(query)
    if not warehouse_exists(warehouse):
        raise QueryError(f"no warehouse at {warehouse}: run `newsprint run` first")
    try:
        con = connect(warehouse, read_only=True, timeout_s=timeout_s)
    except WarehouseBusy as error:
        raise QueryError(
            f"the warehouse is busy: a load is writing to {warehouse} right now and DuckDB lets no one "
            f"read while it writes (waited {timeout_s:.0f} s); try again when the run has finished"
        ) from error
    except duckdb.Error as error:
        raise QueryError(f"cannot open {redact(warehouse)}: {error}") from error
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
