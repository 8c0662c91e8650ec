"""Inbox and archive entries: every bad one recorded with its reason, half-written ones left for later.

The same entries go through `newsprint run` and `newsprint backfill`, which must say the same
thing about each (one code path, flows/runs/files.py). The tests may run as root, whom `chmod 000`
does not stop, so an unreadable file is simulated by making the read itself fail as the
kernel would (and, for other users, by `chmod 000` too).
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

import flows.pipeline  # noqa: F401  (Prefect's log handler binds the stderr of its import)
from flows.cli.app import app
from flows.runs import files
from flows.runs.files import list_archive, list_inbox, read_entry
from flows.settings import SAMPLE_ISSUE

MAX = 50_000_000
AN_HOUR_AGO = time.time() - 3600


def _aged(path: Path, when: float = AN_HOUR_AGO) -> Path:
    os.utime(path, (when, when), follow_symlinks=False)
    return path


def test_a_settled_regular_file_is_read_whole(tmp_path: Path, sample_bytes: bytes) -> None:
    path = tmp_path / SAMPLE_ISSUE.name
    path.write_bytes(sample_bytes)
    _aged(path)
    entry = read_entry(path, MAX, settle_s=30)
    assert (entry.data, entry.size, entry.reason, entry.arriving) == (
        sample_bytes,
        len(sample_bytes),
        None,
        None,
    )


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: p.symlink_to(p.parent / "nowhere.txt"), "a dangling symbolic link: its target"),
        (lambda p: p.symlink_to(p), "a symbolic link that loops back on itself"),
        (lambda p: p.mkdir(), "a directory, not a file"),
        (lambda p: os.mkfifo(p), "a FIFO (named pipe), not a file"),
    ],
    ids=["dangling-link", "link-loop", "directory", "fifo"],
)
def test_an_entry_that_is_not_a_file_is_refused_with_what_it_is(
    tmp_path: Path, make: Any, reason: str
) -> None:
    path = tmp_path / "qingdao-daily-2025-12-31.txt"
    make(path)
    entry = read_entry(path, MAX, settle_s=0)
    assert entry.data is None and entry.arriving is None
    assert entry.reason is not None and entry.reason.startswith(reason)


@pytest.fixture
def failing_reads(monkeypatch: pytest.MonkeyPatch) -> dict[str, OSError]:
    """Make reading the named files fail as the kernel would: {file name: the error}."""
    failures: dict[str, OSError] = {}
    real = files.read_bytes

    def read(path: Path, limit: int) -> tuple[bytes, os.stat_result]:
        if path.name in failures:
            raise failures[path.name]
        return real(path, limit)

    monkeypatch.setattr(files, "read_bytes", read)
    return failures


def test_a_file_this_user_may_not_read_is_refused(
    tmp_path: Path, sample_bytes: bytes, failing_reads: dict[str, OSError]
) -> None:
    path = tmp_path / "locked-2025-12-31.txt"
    path.write_bytes(sample_bytes)
    failing_reads[path.name] = PermissionError(errno.EACCES, "Permission denied", str(path))
    entry = read_entry(path, MAX, settle_s=0)
    assert entry.reason == "permission denied: this user may not read the file (fix its permissions)"
    assert entry.size == len(sample_bytes) and entry.sha256 is None


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its mode")
def test_a_file_without_read_permission_is_refused(tmp_path: Path, sample_bytes: bytes) -> None:
    path = tmp_path / "locked-2025-12-31.txt"
    path.write_bytes(sample_bytes)
    path.chmod(0)
    assert read_entry(path, MAX, settle_s=0).reason.startswith("permission denied")


def test_an_io_error_is_refused_with_the_kernels_words(
    tmp_path: Path, sample_bytes: bytes, failing_reads: dict[str, OSError]
) -> None:
    path = tmp_path / "bad-sector-2025-12-31.txt"
    path.write_bytes(sample_bytes)
    failing_reads[path.name] = OSError(errno.EIO, "Input/output error")
    assert read_entry(path, MAX, settle_s=0).reason == "cannot read: Input/output error (errno 5)"


def test_a_file_over_the_limit_is_refused_unread(tmp_path: Path, failing_reads: dict[str, OSError]) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(2_000_000)
    failing_reads[path.name] = AssertionError("read")  # type: ignore[assignment]
    entry = read_entry(path, 1_000_000, settle_s=0)
    assert entry.reason is not None and entry.reason.startswith("too large: 2.0 MB")
    assert entry.size == 2_000_000


def test_a_file_modified_within_the_settle_time_is_left_for_later(
    tmp_path: Path, sample_bytes: bytes
) -> None:
    path = tmp_path / SAMPLE_ISSUE.name
    path.write_bytes(sample_bytes)
    now = path.stat().st_mtime + 5
    entry = read_entry(path, MAX, settle_s=30, clock=lambda: now)
    assert entry.data is None and entry.reason is None
    assert entry.arriving is not None and entry.arriving.startswith(
        "modified 5 s ago, within the settle time of 30 s"
    )
    assert read_entry(path, MAX, settle_s=30, clock=lambda: now + 30).data == sample_bytes


def test_a_file_written_while_it_is_read_is_left_for_later(
    tmp_path: Path, sample_bytes: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / SAMPLE_ISSUE.name
    half = len(sample_bytes) // 2
    path.write_bytes(sample_bytes[:half])
    _aged(path)
    real = files.read_bytes

    def read_while_the_copy_goes_on(target: Path, limit: int) -> tuple[bytes, os.stat_result]:
        read = real(target, limit)
        with target.open("ab") as handle:  # the copier writes the rest meanwhile
            handle.write(sample_bytes[half:])
        return read

    monkeypatch.setattr(files, "read_bytes", read_while_the_copy_goes_on)
    entry = read_entry(path, MAX, settle_s=0)
    assert entry.data is None and entry.reason is None
    assert entry.arriving == (
        f"changed while it was read ({half} → {len(sample_bytes)} bytes): still being written?"
    )


def test_the_inbox_lists_every_entry_that_claims_to_be_a_file(tmp_path: Path) -> None:
    (tmp_path / "a-2025-12-30.txt").write_text("x")
    (tmp_path / "dir-2025-12-31.txt").mkdir()
    (tmp_path / "processed").mkdir()  # a folder: left alone
    (tmp_path / ".hidden.txt").write_text("x")
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "nowhere")
    (tmp_path / "loop.txt").symlink_to(tmp_path / "loop.txt")
    os.mkfifo(tmp_path / "pipe.txt")
    names = [p.name for p in list_inbox(tmp_path)]
    assert names == ["a-2025-12-30.txt", "dangling.txt", "dir-2025-12-31.txt", "loop.txt", "pipe.txt"]


def test_the_archive_is_listed_recursively_without_following_a_loop(tmp_path: Path) -> None:
    for name in ["2025/01/a-2025-01-01.txt", "2025/02/b-2025-02-01.txt", ".git/x.txt", "2025/.DS_Store"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    (tmp_path / "2025" / "02" / "up").symlink_to(tmp_path)  # a link back to the top
    (tmp_path / "2025" / "c-2025-03-01.txt").mkdir()
    (tmp_path / "2025" / "d-2025-03-02.txt").symlink_to(tmp_path / "gone.txt")
    found = [p.relative_to(tmp_path).as_posix() for p in list_archive(tmp_path)]
    assert found == [
        "2025/01/a-2025-01-01.txt",
        "2025/02/b-2025-02-01.txt",
        "2025/c-2025-03-01.txt",
        "2025/d-2025-03-02.txt",
    ]


# --- through the flows: `run` and `backfill` record the same entries with the same reasons -------


BAD_ENTRIES = {
    "locked-2025-12-31.txt": "permission denied: this user may not read the file",
    "bad-sector-2026-01-01.txt": "cannot read: Input/output error (errno 5)",
    "dangling-2026-01-02.txt": "a dangling symbolic link: its target",
    "loop-2026-01-03.txt": "a symbolic link that loops back on itself",
    "folder-2026-01-04.txt": "a directory, not a file",
    "pipe-2026-01-05.txt": "a FIFO (named pipe), not a file",
}


@pytest.fixture
def hostile_folder(tmp_path: Path, sample_bytes: bytes, failing_reads: dict[str, OSError]) -> Iterator[Path]:
    """The sample, the sample again with other words, and one entry of each bad kind."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    text = sample_bytes.decode("utf-8")
    (folder / SAMPLE_ISSUE.name).write_bytes(sample_bytes)
    (folder / "yantai-daily-2025-12-30.txt").write_text(text.replace("青岛", "烟台"), encoding="utf-8")
    for name in ("locked-2025-12-31.txt", "bad-sector-2026-01-01.txt"):
        (folder / name).write_bytes(sample_bytes)
    failing_reads["locked-2025-12-31.txt"] = PermissionError(errno.EACCES, "Permission denied")
    failing_reads["bad-sector-2026-01-01.txt"] = OSError(errno.EIO, "Input/output error")
    (folder / "dangling-2026-01-02.txt").symlink_to(folder / "gone.txt")
    (folder / "loop-2026-01-03.txt").symlink_to(folder / "loop-2026-01-03.txt")
    (folder / "folder-2026-01-04.txt").mkdir()
    os.mkfifo(folder / "pipe-2026-01-05.txt")
    yield folder


def _recorded(warehouse: str) -> tuple[dict[str, str], list[str], tuple[Any, ...]]:
    with duckdb.connect(warehouse, read_only=True) as con:
        failed = {
            Path(f).name: r for f, r in con.execute("select source_file, reason from failed_files").fetchall()
        }
        loaded = sorted(Path(f).name for (f,) in con.execute("select source_file from issues").fetchall())
        run = con.execute("select files_seen, files_loaded, files_failed, status from runs").fetchone()
    return failed, loaded, run


@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize("command", ["run", "backfill"])
def test_every_bad_entry_is_recorded_and_the_good_files_load(
    hostile_folder: Path, tmp_path: Path, command: str
) -> None:
    warehouse = str(tmp_path / "warehouse.duckdb")
    if command == "run":
        arguments = ["run", "--inbox", str(hostile_folder), "--warehouse", warehouse]
    else:
        arguments = ["backfill", str(hostile_folder), "--warehouse", warehouse, "--no-progress"]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 1, result.output
    assert "run failed: 6 file(s) could not be read" in result.output and "Traceback" not in result.output
    failed, loaded, run = _recorded(warehouse)
    assert set(failed) == set(BAD_ENTRIES)
    for name, reason in BAD_ENTRIES.items():
        assert failed[name].startswith(reason), (name, failed[name])
    assert loaded == [SAMPLE_ISSUE.name, "yantai-daily-2025-12-30.txt"]
    assert run == (8, 2, 6, "failed")


@pytest.mark.usefixtures("prefect_harness")
def test_a_file_still_arriving_is_left_then_loaded_by_a_later_run(
    tmp_path: Path, sample_bytes: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.pipeline import daily_ingest

    monkeypatch.setenv("NEWSPRINT_SETTLE_SECONDS", "30")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    path = inbox / SAMPLE_ISSUE.name
    path.write_bytes(sample_bytes[: len(sample_bytes) // 2])  # the copy has just begun
    warehouse = str(tmp_path / "warehouse.duckdb")
    first = daily_ingest(inbox=str(inbox), warehouse=warehouse)
    assert (first["files_seen"], first["files_loaded"], first["files_skipped"], first["files_failed"]) == (
        1,
        0,
        1,
        0,
    )
    path.write_bytes(sample_bytes)  # the copy ends; a while later the next run comes
    _aged(path)
    second = daily_ingest(inbox=str(inbox), warehouse=warehouse)
    assert (second["files_loaded"], second["articles_accepted"], second["articles_rejected"]) == (1, 6, 1)
    with duckdb.connect(warehouse, read_only=True) as con:
        assert con.execute("select count(*), max(file_size) from issues").fetchone() == (1, len(sample_bytes))
        assert con.execute("select count(*) from failed_files").fetchone() == (0,)
