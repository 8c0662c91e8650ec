"""Checkpoint a DuckDB warehouse file so that a process killed at any moment leaves it readable.

Why: DuckDB (1.5.5) writes table data copy-on-write, and its header is one page, but it
rewrites its metadata blocks in place at every checkpoint (`strace` shows the 256 KB write at
offset 12288 each time). Linux lets SIGKILL stop a large write between pages, so a process
killed inside that write leaves a torn block that the still-current header points to, and the
file no longer opens: "Corrupt database file: computed checksum ... in block at location
12288". tests/test_crash.py met it in CI; tests/test_checkpoint.py reproduces it exactly.

So a writer never lets DuckDB checkpoint on its own (no automatic checkpoint, none on
shutdown) and checkpoints here, behind a rollback journal as SQLite keeps one: before the
checkpoint the file's headers and the metadata blocks go to `<file>.journal` (written whole,
then renamed into place); after it the journal is removed. Whoever opens the file next and
finds a journal takes the file's lock and, if the checkpoint never wrote its header, writes the
blocks back: the file is then exactly as before the checkpoint, and DuckDB replays its WAL on
top of it. A checkpoint that did write its header is complete, and its journal is dropped.

DuckDB locks the file with `fcntl`, and POSIX drops a process's `fcntl` locks when it closes
any descriptor of the file. So the writer reads the blocks through one descriptor opened after
DuckDB's and closed only after DuckDB has closed (`release`).

Which blocks a checkpoint overwrites is a fact of one DuckDB version (LAYOUT_OF). The journal
writes to no file made by another DuckDB, and runs on no other duckdb library
(`check_layout`): a new DuckDB is taken on by checking its checkpoint again (docs/storage.md).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from flows.settings import sql

log = logging.getLogger(__name__)

LAYOUT_OF = "1.5.5"  # the DuckDB whose checkpoints this module knows (its in-place writes, its headers)
HEADERS_BYTES = 3 * 4096  # DuckDB's main header and its two alternating database headers
# The main header: checksum (8 bytes), b"DUCK", storage version (8), four flags (8 each), then
# the version of the DuckDB that made the file, NUL-padded (32).
_MAGIC_AT, _MAKER_AT, _MAKER_BYTES = 8, 52, 32
CHECKPOINT_WAL_BYTES = 16 * 1024 * 1024  # DuckDB's own default threshold for a checkpoint
CHECKPOINT_MARGIN_BYTES = 64 * 2**20  # beyond twice the rows it writes (memory_for_checkpoint)
_UNITS = {"": 1, "b": 1, "bytes": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}
_UNITS |= {"kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
JOURNAL_SUFFIX = ".journal"
_MAGIC = b"NEWSPRINT-JOURNAL-1\n"
_ENTRY = struct.Struct("<QQ")  # offset, length

_descriptors: dict[str, int] = {}  # database file → the descriptor its writer reads blocks through


class JournalError(RuntimeError):
    """A journal is unreadable; the message says what to do."""


class LayoutError(RuntimeError):
    """The file or the library is of a DuckDB the journal does not know; the message says what to do."""


def made_by(database: Path) -> str | None:
    """Return the version of the DuckDB that made a database file (`1.5.5`), from its main header.

    None for a file that is not a DuckDB database (DuckDB then says what is wrong with it).
    """
    with database.open("rb") as file:
        header = file.read(_MAKER_AT + _MAKER_BYTES)
    if header[_MAGIC_AT : _MAGIC_AT + 4] != b"DUCK" or len(header) < _MAKER_AT + _MAKER_BYTES:
        return None
    return header[_MAKER_AT:].rstrip(b"\0").decode("ascii", errors="replace").removeprefix("v")


def check_layout(database: Path) -> None:
    """Refuse to journal a file, or to run at all, under a DuckDB version other than LAYOUT_OF.

    Why: the journal copies the blocks DuckDB 1.5.5 overwrites in place, from offsets read in
    its headers; another version may write elsewhere, and a journal that misses a block is
    worse than none, since the file would be "recovered" into something DuckDB never wrote.
    """
    if duckdb.__version__ != LAYOUT_OF:
        raise LayoutError(
            f"the checkpoint journal (flows/storage/checkpoint.py) knows the file layout of DuckDB "
            f"{LAYOUT_OF}, and this process runs duckdb {duckdb.__version__}: it writes nothing to "
            f"{database}. Install the pinned versions (`make dev` installs requirements.lock); to move "
            "to another DuckDB, check that its checkpoints rewrite in place only the blocks the journal "
            "copies (docs/storage.md, tests/test_checkpoint.py), then change LAYOUT_OF"
        )
    maker = made_by(database) if database.exists() else None
    if maker is not None and maker != LAYOUT_OF:
        raise LayoutError(
            f"{database} was made by DuckDB {maker}; the checkpoint journal knows the file layout of "
            f"DuckDB {LAYOUT_OF} only, so nothing writes to it. Copy it into a new file with DuckDB "
            f"{LAYOUT_OF} (in a `duckdb` shell or `.venv/bin/python`: `attach '{database}' as old "
            f"(read_only); attach 'new.duckdb' as new; copy from database old to new`), then put the "
            "new file in its place"
        )


def journal_path(database: Path) -> Path:
    return database.with_name(database.name + JOURNAL_SUFFIX)


def wal_path(database: Path) -> Path:
    return database.with_name(database.name + ".wal")


def take_over(con: duckdb.DuckDBPyConnection, database: Path) -> None:
    """Make a newly opened writer checkpoint only through `checkpoint`."""
    con.execute(sql("checkpoint/writer_settings"))
    key = str(database.resolve())
    stale = _descriptors.get(key)
    if stale is not None and os.fstat(stale).st_ino != os.stat(key).st_ino:
        os.close(stale)  # a file since replaced: closing it drops no lock on the new one
        stale = None
    if stale is None:
        _descriptors[key] = os.open(key, os.O_RDONLY)


def release(con: duckdb.DuckDBPyConnection, database: Path) -> None:
    """Close a writer, checkpointing first only if its WAL is due; then close its block-reading descriptor.

    Why not always: a checkpoint rewrites the last row group of every table it touches, which
    took a ten-year warehouse 1.1 s for one day's issue. A small WAL is what DuckDB keeps by
    design: whoever opens the file next replays it (a reader in memory), and the writer that
    takes the WAL past DuckDB's threshold checkpoints it, behind the journal.
    """
    try:
        if _wal_is_due(database):
            checkpoint(con, database)
    except duckdb.FatalException as error:  # committed data is safe in the WAL; the journal undoes the rest
        log.warning("%s: its WAL is kept for the next writer to checkpoint: %s", database, error)
    finally:
        con.close()
        descriptor = _descriptors.pop(str(database.resolve()), None)
        if descriptor is not None:
            os.close(descriptor)


def checkpoint_if_due(
    con: duckdb.DuckDBPyConnection, bounded: bool = True, wal_bytes: int | None = None
) -> None:
    """Checkpoint a journalled writer once its WAL passes DuckDB's usual threshold.

    Called after each commit (a backfill: each batch), so a long backfill's WAL stays as small
    as DuckDB would keep it; a DuckLake connection (its file is not journalled here) is left
    to DuckLake. `bounded`: see memory_for_checkpoint; `wal_bytes`: another threshold.
    """
    row = con.execute(sql("checkpoint/database_file")).fetchone()
    if not row or not row[0] or str(Path(row[0]).resolve()) not in _descriptors:
        return
    database = Path(row[0])
    if _wal_is_due(database, wal_bytes):
        checkpoint(con, database, bounded)


def _wal_is_due(database: Path, wal_bytes: int | None = None) -> bool:
    """Tell whether the WAL has passed DuckDB's own checkpoint threshold (or `wal_bytes`)."""
    wal = wal_path(database)
    return wal.exists() and wal.stat().st_size >= (CHECKPOINT_WAL_BYTES if wal_bytes is None else wal_bytes)


def checkpoint(con: duckdb.DuckDBPyConnection, database: Path, bounded: bool = True) -> None:
    """Run DuckDB's checkpoint behind a journal of the blocks it overwrites in place.

    A checkpoint that runs out of memory is fatal to the database instance
    (`duckdb.FatalException`): the connection is dead, the committed rows are safe in the
    WAL, and the next process to open the file undoes the half-done checkpoint (`recover`).
    `bounded`: see memory_for_checkpoint.
    """
    descriptor = writer_descriptor(database)
    if not wal_path(database).exists():
        return  # nothing committed since the last checkpoint
    blocks = con.execute(sql("checkpoint/metadata_blocks")).fetchall()
    extents = [(0, HEADERS_BYTES)] + [(HEADERS_BYTES + block * size, size) for block, size in blocks]
    journal = journal_path(database)
    _write_journal(journal, [(offset, os.pread(descriptor, length, offset)) for offset, length in extents])
    with memory_for_checkpoint(con, bounded):
        con.execute(sql("checkpoint/checkpoint"))
    journal.unlink()
    _sync_directory(journal.parent)


def writer_descriptor(database: Path) -> int:
    """Return the descriptor a journalled writer reads its database file through (see `take_over`)."""
    descriptor = _descriptors.get(str(database.resolve()))
    if descriptor is None:
        raise RuntimeError(
            f"{database} was not opened as a journalled writer (see flows/storage/checkpoint.py)"
        )
    return descriptor


def copy_database(database: Path, target: Path, mode: int = 0o444) -> int:
    """Put a copy of a journalled writer's database file at `target`, whole; return its bytes.

    Read through the descriptor the writer already holds: opening and closing another one of
    the file would drop this process's fcntl locks, DuckDB's among them (module docstring). The
    caller checkpoints first, so the file holds every committed row and needs no WAL. The copy
    is written beside the target, given `mode` and renamed over it: a process that has the old
    copy open keeps reading the old one. Not synced: the copy is derived data, and waiting for
    a ten-year warehouse's 535 MB to reach the disk cost a daily run 6 s on a busy machine
    (bench/read_copy.py); a power cut can at worst leave a copy the next run replaces.
    """
    descriptor = writer_descriptor(database)
    size = os.fstat(descriptor).st_size
    partial = target.with_name(target.name + ".partial")
    with open(partial, "wb") as out:
        copied = 0
        while copied < size:
            try:
                step = os.copy_file_range(descriptor, out.fileno(), size - copied, copied, copied)
            except OSError:  # no in-kernel copy between these file systems: read and write
                chunk = os.pread(descriptor, min(size - copied, 2**24), copied)
                step = os.pwrite(out.fileno(), chunk, copied)
            if step == 0:
                raise OSError(f"{database} ended at {copied} bytes while being copied, not {size}")
            copied += step
        os.fchmod(out.fileno(), mode)
    partial.replace(target)
    return size


@contextmanager
def memory_for_checkpoint(con: duckdb.DuckDBPyConnection, bounded: bool = True) -> Iterator[None]:
    """Let DuckDB's buffers hold twice what the checkpoint must write and a margin, then bound them again.

    Why: the backfill's writer bounds DuckDB's buffers (`batch_writer_settings` in sql/load.sql),
    and a checkpoint that runs out of memory is fatal to the database instance. A checkpoint
    pins the committed rows it writes (DuckDB's `IN_MEMORY_TABLE` and `OVERFLOW_STRINGS`
    memory) beside the blocks it fills: a year of real-size issues left 79 MB of them at one
    checkpoint, which failed at 100 MB and passed at 110 (that checkpoint replayed from its WAL
    under bounds from 100 to 300 MB; the process's peak was 265–290 MB under every one).
    Twice that and 64 MiB is far from the edge, and DuckDB takes only what it uses.
    `bounded=False` lifts the bound altogether (DuckDB's default, 80% of the machine's
    memory): the way out after a bounded checkpoint failed (BatchWriter). A connection whose
    limit is already higher is left alone.
    """
    (setting,) = con.execute(sql("settings/memory_limit")).fetchone() or ("0",)
    (pending,) = con.execute(sql("checkpoint/uncheckpointed_bytes")).fetchone() or (0,)
    limit, needed = memory_bytes(setting), 2 * int(pending) + CHECKPOINT_MARGIN_BYTES
    if bounded and needed <= limit:
        yield
        return
    con.execute(sql("settings/set_memory_limit"), {"limit": f"{needed}B" if bounded else unbounded()})
    yield  # a failed checkpoint leaves the limit raised: its writer closes the connection
    # as DuckDB shows it, to a tenth of a MiB (the backfill's writer sets its own before each batch)
    bound_memory(con, setting)


def bound_memory(con: duckdb.DuckDBPyConnection, limit: str) -> None:
    """Bound DuckDB's buffers at `limit`, or, when DuckDB cannot free enough for it, above what it holds.

    Why: DuckDB refuses a bound below the memory it cannot evict at that moment ("could not
    free up enough memory for the new limit"); a ten-year backfill of real-size issues stopped
    on it after two years, when its writer bounded itself before a batch (past four years its
    writer held 161 MB it could not free). A bound must never stop a run: the bound is then what
    DuckDB holds and a margin, until the next bound is asked for.
    """
    try:
        con.execute(sql("settings/set_memory_limit"), {"limit": limit})
        return
    except duckdb.OutOfMemoryException:
        (held,) = con.execute(sql("settings/memory_held")).fetchone() or (0,)
    grown = max(memory_bytes(limit), int(held)) + CHECKPOINT_MARGIN_BYTES
    log.info(
        "DuckDB holds %.0f MB it cannot free now: bounded at %.0f MB instead of %s",
        int(held) / 1e6, grown / 1e6, limit,
    )  # fmt: skip
    con.execute(sql("settings/set_memory_limit"), {"limit": f"{grown}B"})


def unbounded() -> str:
    """DuckDB's own memory limit, 80% of the machine's memory (set explicitly: RESET leaves a SET bound)."""
    return f"{int(0.8 * os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES'))}B"


def memory_bytes(setting: str) -> int:
    """Read a DuckDB memory setting ("61.0 MiB", "64MB", "1.5 GiB") as bytes."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([A-Za-z]*)\s*", setting)
    if not match or match.group(2).lower() not in _UNITS:
        raise ValueError(f"not a DuckDB memory size: {setting!r}")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def recover(database: Path) -> str | None:
    """Finish or undo a checkpoint that a killed writer left behind; say which, or None if none.

    Runs before DuckDB opens the file, under an exclusive lock on it; a file another process
    has open is left alone (its writer is alive, and the journal is its own).
    """
    journal = journal_path(database)
    if not database.exists() or str(database.resolve()) in _descriptors:
        return None
    if partial_path(journal).exists():
        _drop_partial(database, partial_path(journal))
    if not journal.exists():
        return None
    if not os.access(database, os.W_OK):
        log.warning("%s has a checkpoint journal, but this user cannot write the file to undo it", database)
        return None
    check_layout(database)
    with open(database, "r+b") as file:
        try:
            fcntl.lockf(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return None
        if not journal.exists():  # another process recovered it meanwhile
            return None
        extents = _read_journal(journal)
        headers = extents[0][1]
        if os.pread(file.fileno(), len(headers), 0) != headers:
            outcome = "the interrupted checkpoint had completed; its journal is dropped"
        else:
            for offset, data in extents[1:]:
                os.pwrite(file.fileno(), data, offset)
            os.fsync(file.fileno())
            outcome = "the interrupted checkpoint was undone; DuckDB replays its WAL"
        journal.unlink()
        _sync_directory(journal.parent)
    log.warning("%s: %s", database, outcome)
    return outcome


def partial_path(journal: Path) -> Path:
    """The file a journal is written to before it is renamed into place."""
    return journal.with_name(journal.name + ".partial")


def _drop_partial(database: Path, partial: Path) -> None:
    """Remove a journal a writer never finished (a full disk, a kill), once no writer holds the file.

    Only a writer holding DuckDB's lock writes one; under the file's exclusive lock none does,
    so what is there is left over. The checkpoint it was for never began: nothing to undo.
    """
    try:
        with open(database, "rb") as file:
            fcntl.lockf(file, fcntl.LOCK_SH | fcntl.LOCK_NB)  # a writer holds it exclusively
            partial.unlink(missing_ok=True)
    except OSError as error:
        log.debug("left %s in place: %s", partial, error)
        return
    log.warning("%s: removed the unfinished checkpoint journal %s", database, partial.name)


def _write_journal(journal: Path, extents: list[tuple[int, bytes]]) -> None:
    """Write the journal beside its database and rename it into place: whole, or not there at all.

    A write that fails (a full disk) removes what it wrote, and raises.
    """
    partial = partial_path(journal)
    try:
        _write_extents(partial, extents)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(journal)
    _sync_directory(journal.parent)


def _write_extents(partial: Path, extents: list[tuple[int, bytes]]) -> None:
    digest = hashlib.sha256()
    with open(partial, "wb") as file:
        file.write(_MAGIC)
        for offset, data in extents:
            entry = _ENTRY.pack(offset, len(data))
            file.write(entry)
            file.write(data)
            digest.update(entry)
            digest.update(data)
        file.write(digest.digest())
        file.flush()
        os.fsync(file.fileno())


def _read_journal(journal: Path) -> list[tuple[int, bytes]]:
    """Read a journal's extents, headers first; refuse one whose checksum does not match."""
    content = journal.read_bytes()
    body, stored = content[len(_MAGIC) : -32], content[-32:]
    if not content.startswith(_MAGIC) or hashlib.sha256(body).digest() != stored:
        raise JournalError(
            f"{journal} is damaged; it is only written before a checkpoint and renamed into place, "
            "so something else changed it: keep it and the database aside, and restore from a backup"
        )
    extents, position = [], 0
    while position < len(body):
        offset, length = _ENTRY.unpack_from(body, position)
        position += _ENTRY.size
        extents.append((offset, body[position : position + length]))
        position += length
    return extents


def _sync_directory(directory: Path) -> None:
    """Make a rename or an unlink in `directory` durable, as a power cut would otherwise undo it."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
