"""The load's writer: the connection a backfill keeps between batches, what is loaded, the run's rows.

Issues are loaded by flows/bulk_load.py (`load_issues`: a batch in one transaction; the daily
run's issue is a batch of one), Arrow in, idempotent. The warehouse is opened by
flows/storage/connection.py (`connect`, `open_warehouse`: re-exported here). It may also be a
DuckLake (`flows/storage/warehouse.py`), where loads from several processes are serialised per
issue by a writer lock (`flows/storage/database.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import duckdb
import polars as pl

from flows.settings import sql
from flows.storage import handover
from flows.storage.checkpoint import checkpoint_if_due
from flows.storage.connection import (
    COMMENTS_SUFFIX,
    POLL_MAX_S,
    apply_ddl,
    busy_message,
    close_writer,
    comments_differ,
    connect,
    ddl_files,
    migrate,
    open_warehouse,
    open_writer,
    view_files,
)
from flows.storage.database import WarehouseBusy, lock_holder
from flows.storage.relations import insert
from flows.storage.warehouse import Warehouse

__all__ = [  # the opening of the warehouse, which callers reach through this module
    "COMMENTS_SUFFIX",
    "POLL_MAX_S",
    "WarehouseBusy",
    "apply_ddl",
    "busy_message",
    "close_writer",
    "comments_differ",
    "connect",
    "ddl_files",
    "lock_holder",
    "migrate",
    "open_warehouse",
    "open_writer",
    "view_files",
]

log = logging.getLogger(__name__)


class BatchWriter:
    """Write batch after batch through one connection, and hand the warehouse over when asked.

    Opening the warehouse replays its WAL and checks its schema: one open a batch cost a
    ten-year backfill's writer 4–5 s. So the connection stays open between batches, and is
    closed after a batch only for a process waiting for the warehouse (flows/storage/handover.py), or
    after a failed batch (a retry starts from a new connection).
    """

    def __init__(self, warehouse: Warehouse, timeout_s: float = 60.0) -> None:
        self.warehouse = warehouse
        self.timeout_s = timeout_s
        self.opens = 0
        self._mark = handover.waiting_mark(warehouse)
        self._open: ExitStack | None = None
        self._con: duckdb.DuckDBPyConnection | None = None

    @contextmanager
    def batch(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Give the connection for one batch; then checkpoint a due WAL, and close for a waiting process."""
        con = self._connection()
        try:
            yield con
            self._checkpoint_if_due(con)
        except BaseException:
            self.close()
            raise
        if handover.is_wanted(self._mark):
            self.close()
            handover.wait_for_taker(self._mark)

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            opened = ExitStack()
            self._con = opened.enter_context(open_warehouse(self.warehouse, self.timeout_s))
            self._open = opened
            self.opens += 1
        return self._con

    def _checkpoint_if_due(self, con: duckdb.DuckDBPyConnection, wal_bytes: int | None = None) -> None:
        """Checkpoint a due WAL; if that fails, open the file again and checkpoint it unbounded.

        A failed checkpoint (out of DuckDB's memory bound: a year of real-size issues stopped
        there at every run) is fatal to DuckDB's database instance. The batch is committed by
        then (in the WAL): the instance is closed, the file opened again (its journal undoes
        the half-done checkpoint, DuckDB replays the WAL) and checkpointed without a bound,
        so the backfill goes on.
        """
        try:
            checkpoint_if_due(con, wal_bytes=wal_bytes)
        except duckdb.FatalException as error:
            log.warning("a checkpoint failed; opening the warehouse again to finish it unbounded: %s", error)
            self.close()
            checkpoint_if_due(self._connection(), bounded=False, wal_bytes=wal_bytes)

    def finish(self) -> None:
        """Checkpoint the WAL whatever its size, then close: a backfill leaves its warehouse compact.

        (A daily run leaves a WAL under DuckDB's threshold, flows/storage/checkpoint.py release; a
        backfill's last batches left up to 16 MB of uncompressed rows, the size of the text.)
        """
        if self._con is not None:
            self._checkpoint_if_due(self._con, wal_bytes=1)
        self.close()

    def close(self) -> None:
        """Close the warehouse (checkpointing it if its WAL is due), if it is open."""
        opened, self._open, self._con = self._open, None, None
        if opened is not None:
            opened.close()

    def __enter__(self) -> BatchWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def is_loaded(con: duckdb.DuckDBPyConnection, sha256: str) -> bool:
    row = con.execute(sql("load/issue_is_loaded"), {"sha256": sha256}).fetchone()
    return bool(row and row[0])


def loaded_file_hashes(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Return the raw-byte hashes of loaded files, so a resumed backfill skips them unread."""
    return {row[0] for row in con.execute(sql("load/loaded_file_hashes")).fetchall()}


def loaded_file_sizes(con: duckdb.DuckDBPyConnection) -> set[int]:
    """Return the byte sizes of loaded files (a file of another size is not among them)."""
    return {row[0] for row in con.execute(sql("load/loaded_file_sizes")).fetchall()}


def record_run(con: duckdb.DuckDBPyConnection, run: dict[str, object]) -> None:
    """Append the run's row (its own small transaction)."""
    insert(con, "run", pl.DataFrame([run]))


def record_failed_files(con: duckdb.DuckDBPyConnection, rows: list[dict[str, object]]) -> None:
    if rows:
        insert(con, "failed_files", pl.DataFrame(rows))
