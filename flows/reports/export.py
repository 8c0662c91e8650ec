"""Export the warehouse's tables as Parquet, partitioned by issue date, for tools outside DuckDB.

One query per table (`sql/export/<table>.sql`, or `-- name: <table>` in `sql/export.sql`); child
tables join their issue's date in.
Tables that belong to no issue (runs, failed files) are written whole.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import duckdb

from flows.settings import sql, sql_names

log = logging.getLogger(__name__)

PARTITION_COLUMN = "issue_date"


@dataclass(frozen=True)
class Exported:
    """One table written: where, how many rows, and whether it is split by issue date."""

    table: str
    path: Path
    rows: int
    partitioned: bool


def export_queries() -> list[str]:
    """Return the tables that have an export query, in name order."""
    return sql_names("export")


def warehouse_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [row[0] for row in con.execute(sql("catalog/tables")).fetchall()]


def export_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Return the tables to export: those with a query, if this warehouse has them yet."""
    present = set(warehouse_tables(con))
    return [table for table in export_queries() if table in present]


def export_table(con: duckdb.DuckDBPyConnection, table: str, out_dir: Path) -> Exported:
    """Write one table under `out_dir/<table>/`, replacing an earlier export of it."""
    relation = con.sql(sql(f"export/{table}"))
    target = out_dir / table
    (rows,) = relation.aggregate("count(*)").fetchall()[0]
    partitioned = PARTITION_COLUMN in relation.columns
    if partitioned:
        relation.write_parquet(str(target), partition_by=[PARTITION_COLUMN], overwrite=True)
    else:
        target.mkdir(parents=True, exist_ok=True)
        relation.write_parquet(str(target / "data_0.parquet"))
    log.info("exported %s: %d rows to %s", table, rows, target)
    return Exported(table=table, path=target, rows=rows, partitioned=partitioned)


def export_warehouse(con: duckdb.DuckDBPyConnection, out_dir: Path) -> list[Exported]:
    """Write every exported table as Parquet under `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    missing = sorted(set(warehouse_tables(con)) - set(export_queries()))
    if missing:
        log.warning(
            "no export query for %s: add sql/export/<table>.sql or a `-- name: <table>` in sql/export.sql",
            ", ".join(missing),
        )
    return [export_table(con, table, out_dir) for table in export_tables(con)]
