"""Find and read the entries of an inbox or an archive: each one is read whole, left for later, or refused.

The one way `run` and `backfill` look at the file system. An entry that cannot be an issue
file (a dangling or looping symbolic link, a directory named like an issue, a FIFO, a file
this user may not read, an I/O error) is refused with a reason in plain words, never an
exception, so that it is recorded and the other files still load. A file still being written
is neither loaded nor refused: it is left for a later run, when it has settled (below).

Settling: a file is taken only when its modification time is at least `settle_s` seconds old
and its size and modification time did not change while it was read. The age catches a copy
that pauses (a slow transfer leaves a half file that is stable for a moment, and a read then
sees no change); the second look catches a file written during the read. `run` rests inbox
files 30 s (NEWSPRINT_SETTLE_SECONDS); a file moved into the inbox keeps the time its writer
last touched it, so `mv` or `cp -p` of a finished file is taken at once, and `make run`, which
has just copied the sample whole, runs with 0. `backfill` reads an archive as it is (0, or
`--settle-seconds`), and still leaves a file that changed while it was read.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from flows.ingest import IngestError, check_size

# A directory with one of these suffixes stands where an issue file should be: it is refused
# (and, in an archive, not searched); other directories are folders.
ISSUE_SUFFIXES = (".txt",)
_KINDS = (
    (stat.S_ISDIR, "a directory, not a file"),
    (stat.S_ISFIFO, "a FIFO (named pipe), not a file"),
    (stat.S_ISSOCK, "a socket, not a file"),
    (stat.S_ISCHR, "a character device, not a file"),
    (stat.S_ISBLK, "a block device, not a file"),
)


@dataclass(frozen=True)
class Entry:
    """What reading one entry gave: its bytes, or why it is refused, or why it is left for later."""

    path: Path
    data: bytes | None = None
    size: int = 0
    reason: str | None = None  # refused: recorded in failed_files, and the run fails
    arriving: str | None = None  # still being written: left for a later run, not a failure

    @property
    def sha256(self) -> str | None:
        """The hash of the bytes read (None when nothing was read)."""
        return hashlib.sha256(self.data).hexdigest() if self.data is not None else None


def _visible(name: str) -> bool:
    return not name.startswith(".")


def _is_folder(path: Path) -> bool:
    """Tell a folder to look into (or leave) from a directory standing where an issue file should be."""
    return path.is_dir() and path.suffix.lower() not in ISSUE_SUFFIXES


def list_inbox(inbox: Path) -> list[Path]:
    """Return the inbox's entries that claim to be issue files, in a stable order (hidden ones skipped).

    Broken links, directories named like an issue and other oddities are listed too: reading
    them says what is wrong. Folders are left alone.
    """
    if not inbox.is_dir():
        return []
    return sorted(p for p in inbox.iterdir() if _visible(p.name) and not _is_folder(p))


def list_archive(root: Path) -> list[Path]:
    """Return every entry under an archive folder that claims to be an issue file, recursively.

    A linked folder is searched once (a link back up the tree does not make the walk endless).
    """
    if not root.is_dir():
        return []
    return sorted(_walk(root, {os.path.realpath(root)}))


def _walk(folder: Path, seen: set[str]) -> Iterator[Path]:
    try:
        names = os.listdir(folder)
    except OSError:
        return  # a folder this user cannot list names no file
    for name in filter(_visible, names):
        path = folder / name
        if not _is_folder(path):
            yield path
            continue
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            yield from _walk(path, seen)


def _kind(mode: int) -> str | None:
    """Say what a non-regular file is (None for a regular file)."""
    return next((what for test, what in _KINDS if test(mode)), None)


def _link_reason(path: Path, error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return "a symbolic link that loops back on itself; not a file"
    if error.errno == errno.ENOENT:
        return f"a dangling symbolic link: its target {os.readlink(path)} does not exist"
    return f"a symbolic link that cannot be followed: {error.strerror}"


def _io_reason(error: OSError) -> str:
    if isinstance(error, PermissionError):
        return "permission denied: this user may not read the file (fix its permissions)"
    if error.errno == errno.ENOENT:
        return "gone: removed before it could be read"
    return f"cannot read: {error.strerror or error} (errno {error.errno})"


def read_bytes(path: Path, limit: int) -> tuple[bytes, os.stat_result]:
    """Read a regular file whole, at most `limit` bytes; return them and its state when opened.

    Non-blocking, so a FIFO that took the file's place since it was inspected cannot hang the run.
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        opened = os.fstat(descriptor)
        if _kind(opened.st_mode) is not None:
            raise IsADirectoryError(errno.EISDIR, "not a regular file any more")
        chunks, held = [], 0
        while held <= limit:
            chunk = os.read(descriptor, min(1 << 20, limit + 1 - held))
            if not chunk:
                break
            chunks.append(chunk)
            held += len(chunk)
        return b"".join(chunks), opened
    finally:
        os.close(descriptor)


def read_entry(path: Path, max_bytes: int, settle_s: float, clock: Callable[[], float] = time.time) -> Entry:
    """Read one listed entry; an entry that cannot be an issue file is refused with the reason."""
    try:
        before = os.stat(path)
    except OSError as error:
        if path.is_symlink():
            return Entry(path, reason=_link_reason(path, error))
        return Entry(path, reason=_io_reason(error))
    kind = _kind(before.st_mode)
    if kind is not None:
        return Entry(path, reason=kind)
    try:
        check_size(before.st_size, max_bytes)
    except IngestError as error:
        return Entry(path, size=before.st_size, reason=str(error))
    age = clock() - before.st_mtime
    if age < settle_s:
        return Entry(
            path,
            size=before.st_size,
            arriving=f"modified {max(age, 0):.0f} s ago, within the settle time of {settle_s:g} s "
            "(NEWSPRINT_SETTLE_SECONDS): still being copied?",
        )
    try:
        data, opened = read_bytes(path, max_bytes)
        after = os.stat(path)
    except OSError as error:
        return Entry(path, size=before.st_size, reason=_io_reason(error))
    states = [(s.st_ino, s.st_size, s.st_mtime_ns) for s in (before, opened, after)]
    if len(set(states)) > 1 or len(data) != after.st_size:
        return Entry(
            path,
            size=after.st_size,
            arriving=f"changed while it was read ({before.st_size} → {after.st_size} bytes): "
            "still being written?",
        )
    return Entry(path, data=data, size=len(data))
