"""Publish a read-only copy of the warehouse that analysts may keep open while runs write.

DuckDB lets one process write a database file, and no process hold it open meanwhile, not
even read-only: a `duckdb -readonly` session or a notebook's connection left open on the
warehouse keeps every run out. So analysts read a copy. At the end of every run the writer
checkpoints the warehouse (its file alone then holds everything, with no WAL beside it) and
copies the file to `<warehouse>.read.duckdb` (`data/warehouse.read.duckdb`): written beside
it, synced, made read-only and renamed over the old copy. A session that has the old copy
open keeps reading it, whole and unchanged, until it reconnects; no lock is shared between
the copy and the warehouse, so readers of the copy never make a run wait.

A DuckLake needs no copy: its readers never hold the writers' lock (a PostgreSQL catalog
serves both at once).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from flows.storage import checkpoint
from flows.storage.warehouse import Warehouse

log = logging.getLogger(__name__)

READ_COPY_SUFFIX = ".read.duckdb"
OFF = "off"


@dataclass(frozen=True)
class Published:
    """A read copy put in place: where, how large, and what the checkpoint and copy took."""

    path: Path
    bytes: int
    checkpoint_seconds: float
    copy_seconds: float


def read_copy_path(warehouse: Warehouse, setting: str | None = None) -> Path | None:
    """Return where a warehouse's read copy goes (`setting`: NEWSPRINT_READ_COPY); None: no copy."""
    if warehouse.lake or setting == OFF:
        return None
    if setting:
        return Path(setting)
    database = Path(warehouse.location)
    return database.with_name(database.name.removesuffix(".duckdb") + READ_COPY_SUFFIX)


def finish(con: duckdb.DuckDBPyConnection, warehouse: Warehouse, read_copy: Path | None) -> Published | None:
    """Checkpoint a DuckDB-file warehouse at the end of a run, then publish its read copy, if any.

    The checkpoint makes the `.duckdb` file complete on its own (a backup or a copy of the
    file alone copies everything), and the copy is then a plain copy of the file.
    """
    if warehouse.lake:
        return None
    database = Path(warehouse.location)
    started = time.perf_counter()
    checkpoint.checkpoint(con, database)
    checkpointed = time.perf_counter()
    if read_copy is None:
        return None
    if read_copy.resolve() == database.resolve():
        raise ValueError(f"the read copy cannot be the warehouse itself ({database})")
    read_copy.parent.mkdir(parents=True, exist_ok=True)
    # a WAL beside the copy could only be an old copy's (opened for writing against the advice)
    read_copy.with_name(read_copy.name + ".wal").unlink(missing_ok=True)
    size = checkpoint.copy_database(database, read_copy)
    published = Published(read_copy, size, checkpointed - started, time.perf_counter() - checkpointed)
    log.info(
        "read copy %s published: %.1f MB (checkpoint %.2f s, copy %.2f s)",
        read_copy, size / 1e6, published.checkpoint_seconds, published.copy_seconds,
    )  # fmt: skip
    return published
