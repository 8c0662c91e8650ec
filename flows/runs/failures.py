"""Say in one line what stopped a run and what to do, for the failures the machine causes.

A full disk, a read-only file system and an interruption are not bugs: the user needs what
happened and what to do, not a traceback (which goes to the debug log, flows/runs/logs.py). DuckDB
reports the system's error inside its own message (`Failed to commit: Could not write file
"….wal": No space left on device`), and an error may be the cause or context of another, so
the whole chain is read.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator

from flows.runs.stopping import Interrupted

_NOTHING_LOST = "every load is a transaction, so nothing was half-loaded"
DISK_FULL = (
    "the disk holding the warehouse is full ({detail}); "
    + _NOTHING_LOST
    + ": free some space, then run again"
)
READ_ONLY = (
    "the warehouse is on a read-only file system ({detail}); nothing was written: make it writable "
    "or point --warehouse / NEWSPRINT_WAREHOUSE elsewhere, then run again"
)
INTERRUPTED = "interrupted by {signal}; " + _NOTHING_LOST + ": run the same command again to go on"
INVALIDATED = (
    "DuckDB stopped writing the warehouse after an earlier failure in this run ({detail}); "
    + _NOTHING_LOST
    + ": run again once the cause is fixed"
)
_DISK_FULL_TEXT = ("No space left on device", "Disk quota exceeded", "not enough space")
_READ_ONLY_TEXT = ("Read-only file system",)


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, then its causes and contexts, each once."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _detail(error: BaseException) -> str:
    return str(error).splitlines()[0][:200] if str(error) else type(error).__name__


def explain(error: BaseException) -> str | None:
    """Return what happened and what to do, for a full disk, a read-only file system or a signal.

    None means the error is none of these (a bug, or a verdict the caller already words).
    """
    chain = list(_chain(error))
    for exc in chain:
        if isinstance(exc, Interrupted):
            return INTERRUPTED.format(signal=str(exc).removeprefix("interrupted by "))
        if isinstance(exc, KeyboardInterrupt):
            return INTERRUPTED.format(signal="Ctrl-C (SIGINT)")
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return DISK_FULL.format(detail=_detail(exc))
        if isinstance(exc, OSError) and exc.errno == errno.EROFS:
            return READ_ONLY.format(detail=_detail(exc))
    for exc in chain:
        text = str(exc)
        if any(words in text for words in _DISK_FULL_TEXT):
            return DISK_FULL.format(detail=_detail(exc))
        if any(words in text for words in _READ_ONLY_TEXT):
            return READ_ONLY.format(detail=_detail(exc))
        if "Query interrupted" in text:
            return INTERRUPTED.format(signal="a signal")
        if "database has been invalidated" in text:
            return INVALIDATED.format(detail=_detail(exc))
    return None
