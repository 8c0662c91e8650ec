"""Publish a read-only copy of the warehouse that analysts may keep open while runs write.

DuckDB lets one process write a database file, and no process hold it open meanwhile, not
even read-only: a `duckdb -readonly` session or a notebook's connection left open on the
warehouse keeps every run out. So analysts read a copy. At the end of every run the writer
checkpoints the warehouse (its file alone then holds everything, with no WAL beside it) and
copies the file to `<warehouse>.read.duckdb` (`data/warehouse.read.duckdb`): made beside it,
read-only, and renamed over the old copy. A session that has the old copy open keeps reading
it, whole and unchanged, until it reconnects; no lock is shared between the copy and the
warehouse, so readers of the copy never make a run wait.

A copy costs what the file has changed, not its size: the copy a run replaces is kept as
`<copy>.spare`, and the next run brings that file up to date in place, writing only the
blocks whose checksums differ from the warehouse's (every DuckDB block starts with the
checksum of its contents; a daily run changes a few of a year's 1,600). A spare that a
reader still has open (DuckDB holds a shared lock on a file it reads) is left alone, and that
run copies the whole file instead. The copies take twice the warehouse's size on disk.

A DuckLake needs no copy: its readers never hold the writers' lock (a PostgreSQL catalog
serves both at once).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from flows.settings import sql
from flows.storage import checkpoint
from flows.storage.warehouse import Warehouse

log = logging.getLogger(__name__)

READ_COPY_SUFFIX = ".read.duckdb"
OFF = "off"
CHECKSUM_BYTES = 8  # what leads each DuckDB block: the checksum of the rest
READ_ONLY, WRITABLE = 0o444, 0o644


@dataclass(frozen=True)
class Published:
    """A read copy put in place: where, how large, and what the checkpoint and copy took."""

    path: Path
    bytes: int
    checkpoint_seconds: float
    copy_seconds: float
    bytes_written: int = 0  # the whole file, or the blocks that changed since the spare was published


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
    (block_size,) = con.execute(sql("checkpoint/block_size")).fetchone() or (0,)
    size, written = publish_copy(database, read_copy, int(block_size))
    copied = time.perf_counter()
    published = Published(read_copy, size, checkpointed - started, copied - checkpointed, written)
    log.info(
        "read copy %s published: %.1f MB, %.1f MB written (checkpoint %.2f s, copy %.2f s)",
        read_copy, size / 1e6, written / 1e6, published.checkpoint_seconds, published.copy_seconds,
    )  # fmt: skip
    return published


def spare_path(read_copy: Path) -> Path:
    """Where the copy published before the current one waits to become the next (`<copy>.spare`)."""
    return read_copy.with_name(read_copy.name + ".spare")


def publish_copy(database: Path, read_copy: Path, block_size: int) -> tuple[int, int]:
    """Put a copy of the writer's checkpointed file at `read_copy`; return its bytes and those written.

    The spare is brought up to date under a name of its own (`.patching`), which no reader
    knows and no run trusts: a run stopped half-way leaves it to be deleted, never published.
    """
    descriptor = checkpoint.writer_descriptor(database)
    spare, patching = spare_path(read_copy), read_copy.with_name(read_copy.name + ".patching")
    previous = read_copy.with_name(read_copy.name + ".previous")
    patching.unlink(missing_ok=True)  # what a stopped run left
    previous.unlink(missing_ok=True)
    written = _patch_spare(descriptor, spare, patching, block_size)
    if written is None:
        written = checkpoint.copy_database(database, patching)
    with contextlib.suppress(FileNotFoundError):  # the copy being replaced becomes the next spare
        os.link(read_copy, previous)
    patching.replace(read_copy)
    with contextlib.suppress(FileNotFoundError):
        previous.replace(spare)
    return os.fstat(descriptor).st_size, written


def _patch_spare(descriptor: int, spare: Path, patching: Path, block_size: int) -> int | None:
    """Make the spare equal to the file behind `descriptor`, as `patching`; None: no spare to patch.

    None when there is no spare, a reader has it open, or the file's size is not DuckDB's
    headers and whole blocks: the caller then copies the whole file.
    """
    size = os.fstat(descriptor).st_size
    if block_size <= 0 or (size - checkpoint.HEADERS_BYTES) % block_size:
        return None
    try:
        spare.chmod(WRITABLE)  # our own file: a reader of it is not disturbed by its mode
        target = os.open(spare, os.O_RDWR)
    except OSError:  # none yet, or not ours to write
        return None
    try:
        try:
            fcntl.lockf(target, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # a reader holds it: it must not change under them
            spare.chmod(READ_ONLY)
            return None
        spare.replace(patching)
        written = _write_changed_blocks(descriptor, target, size, block_size)
        os.fchmod(target, READ_ONLY)
    finally:
        os.close(target)  # releases the lock before the file gets a name a reader may open
    return written


def _write_changed_blocks(source: int, target: int, size: int, block_size: int) -> int:
    """Copy the blocks whose checksums differ, then the headers that point at them; return bytes written."""
    headers = checkpoint.HEADERS_BYTES
    known = os.fstat(target).st_size
    written = 0
    for offset in range(headers, size, block_size):
        same = offset + block_size <= known and os.pread(source, CHECKSUM_BYTES, offset) == os.pread(
            target, CHECKSUM_BYTES, offset
        )
        if not same:
            written += _copy_range(source, target, offset, block_size)
    os.ftruncate(target, size)
    return written + _copy_range(source, target, 0, headers)


def _copy_range(source: int, target: int, offset: int, length: int) -> int:
    """Copy `length` bytes at `offset` from one descriptor to the other, at the same offset."""
    copied = 0
    while copied < length:
        at = offset + copied
        try:
            step = os.copy_file_range(source, target, length - copied, at, at)
        except OSError:  # no in-kernel copy between these file systems: read and write
            step = os.pwrite(target, os.pread(source, length - copied, at), at)
        if step == 0:
            raise OSError(f"the warehouse ended at {at} bytes while its read copy was written")
        copied += step
    return copied
