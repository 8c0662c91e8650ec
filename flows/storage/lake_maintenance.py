"""A lake's upkeep: inlined rows to Parquet, small files merged, old snapshots and unused files gone.

A DuckLake keeps every snapshot and every file any of them used, so a daily lake grows a
snapshot and a few small files per run, and keeps the rows of small inserts (a daily run's
issue, raw text and all) inlined in the catalog. DuckLake's own functions put that right;
this runs them in order, alone in the lake (no load meanwhile), and says what each did. A
DuckDB file needs none of it.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import duckdb

from flows.settings import sql
from flows.storage.database import writer_lock
from flows.storage.warehouse import Warehouse

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Upkeep:
    """What one maintenance of a lake did."""

    keep_days: int
    rows_flushed: int  # inlined rows written out to Parquet
    files_merged: int  # small files read by a merge
    files_written: int  # files the merges wrote
    snapshots_before: int
    snapshots_expired: int
    files_deleted: int  # files no kept snapshot uses, and files the catalog never recorded

    def row(self) -> dict[str, int]:
        return asdict(self)

    def markdown(self) -> str:
        """Render the upkeep as the flow's artifact."""
        lines = ["## Lake maintenance", "", "| step | count |", "|---|---:|"]
        lines += [f"| {name.replace('_', ' ')} | {value} |" for name, value in asdict(self).items()]
        return "\n".join(lines)


def maintain_lake(con: duckdb.DuckDBPyConnection, warehouse: Warehouse, keep_days: int) -> Upkeep:
    """Flush, merge, expire snapshots older than `keep_days` and delete the files left unused."""
    if not warehouse.lake:
        raise ValueError("lake maintenance needs a DuckLake warehouse; a DuckDB file needs none")
    if keep_days < 0:
        raise ValueError(f"keep snapshots for 0 days or more, not {keep_days}")
    keep = {"keep_days": keep_days}
    with writer_lock(warehouse):  # the whole lake, alone: no load commits while files move
        before = _count(con, "lake/snapshot_count")
        flushed = con.execute(sql("lake/flush_inlined_data")).fetchall()
        merged = con.execute(sql("lake/merge_adjacent_files")).fetchall()
        expired = con.execute(sql("lake/expire_snapshots"), keep).fetchall()
        cleaned = con.execute(sql("lake/cleanup_old_files"), keep).fetchall()
        orphans = con.execute(sql("lake/delete_orphaned_files"), keep).fetchall()
    upkeep = Upkeep(
        keep_days=keep_days,
        rows_flushed=sum(row[2] for row in flushed),
        files_merged=sum(row[2] for row in merged),
        files_written=sum(row[3] for row in merged),
        snapshots_before=before,
        snapshots_expired=len(expired),
        files_deleted=len(cleaned) + len(orphans),
    )
    log.info("lake maintenance: %s", upkeep.row())
    return upkeep


def _count(con: duckdb.DuckDBPyConnection, name: str) -> int:
    row = con.execute(sql(name)).fetchone()
    return int(row[0]) if row else 0
