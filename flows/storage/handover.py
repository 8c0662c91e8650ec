"""Hand a busy warehouse over, between two batches, to a process waiting for it.

DuckDB lets one process open a file for writing, and no other process read it meanwhile.
A backfill's writer keeps the file open from batch to batch, because opening it costs a
replay of the WAL and a check of the schema: 4–5 s of a ten-year backfill's writer, one
open a batch (docs/storage.md). So a process that finds the warehouse busy says
so: `load.connect` touches `<file>.waiting` at each attempt. At the end of a batch, the
writer sees a recent mark, closes the file and waits for the mark to go: the waiting
process removes it once it is in. A mark left by a process that gave up or died goes
stale after `FRESH_S`, and the writer then goes on.

A PostgreSQL-catalogued lake takes writers from many processes and has no mark. A process
that may not create files beside the warehouse cannot leave a mark: it waits as a plain
`duckdb` session would, until the backfill ends or its own timeout.
"""

from __future__ import annotations

import time
from contextlib import suppress
from pathlib import Path

from flows.storage.warehouse import Warehouse

WAITING_SUFFIX = ".waiting"
# A waiting process touches its mark at every attempt, at most POLL_MAX_S (0.2 s) apart: a
# mark older than this is from one that got in, gave up or died.
FRESH_S = 1.0
HANDOVER_S = 2.0  # the longest a writer that closed for a waiting process leaves it to get in
_POLL_S = 0.02


def waiting_mark(warehouse: Warehouse) -> Path | None:
    """Return the file through which processes waiting for this warehouse make it known."""
    if warehouse.postgres:
        return None
    location = Path(warehouse.location)
    return location.with_name(location.name + WAITING_SUFFIX)


def announce(mark: Path | None) -> None:
    """Say that this process waits for the warehouse (where it may not create the mark: unannounced)."""
    if mark is not None:
        with suppress(OSError):
            mark.touch()


def withdraw(mark: Path | None) -> None:
    """Say that nobody waits any more: this process is in (another waiting one says so again)."""
    if mark is not None:
        with suppress(OSError):
            mark.unlink(missing_ok=True)


def is_wanted(mark: Path | None) -> bool:
    """Tell whether a process has asked for the warehouse within the last FRESH_S seconds."""
    if mark is None:
        return False
    try:
        return time.time() - mark.stat().st_mtime < FRESH_S
    except OSError:
        return False


def wait_for_taker(mark: Path | None, timeout_s: float = HANDOVER_S) -> None:
    """Wait, having closed the warehouse, until the waiting process is in (or its mark is stale)."""
    deadline = time.monotonic() + timeout_s
    while is_wanted(mark) and time.monotonic() < deadline:
        time.sleep(_POLL_S)
