"""Backfill helpers without Prefect: choosing files, batching, the worker's transform."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from flows.backfill import (
    BatchItem,
    FileJob,
    batches,
    progress_of,
    read_batch,
    select_files,
    transform_files,
)
from flows.report import IssueOutcome
from flows.settings import SAMPLE_ISSUE
from tests.conftest import TODAY

NAMES = [
    "2025/qingdao-daily-2025-12-29.txt",
    "2025/qingdao-daily-2025-12-30.txt",
    "2025/rmrb20251231.txt",
    "2026/qingdao-daily-2026-01-01.txt",
    "notes.txt",
]


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        (None, None, NAMES),
        (date(2025, 12, 30), None, NAMES[1:4]),
        (None, date(2025, 12, 30), NAMES[:2]),
        (date(2025, 12, 30), date(2025, 12, 31), NAMES[1:3]),
        (date(2027, 1, 1), None, []),
    ],
)
def test_select_files_by_the_date_in_their_name(
    since: date | None, until: date | None, expected: list[str]
) -> None:
    chosen = select_files([Path(n) for n in NAMES], since, until)
    assert [p.as_posix() for p in chosen] == expected


def test_batches_cover_every_item_once_in_order() -> None:
    assert list(batches(list(range(7)), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(batches([], 3)) == []
    with pytest.raises(ValueError, match="at least one"):
        list(batches([1], 0))


def test_a_worker_batch_turns_bad_files_into_reasons_and_keeps_the_order(sample_bytes: bytes) -> None:
    settled = BatchItem("loaded-before.txt", "f" * 64, 10, already_loaded=True)
    items = transform_files(
        [
            FileJob(SAMPLE_ISSUE.name, sample_bytes),
            FileJob("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(40)),
            settled,
            FileJob("notes-2025-12-30.txt", "本目录存放报纸文本。\n请勿修改。\n".encode()),
        ],
        TODAY,
    )
    assert [i.source_file for i in items] == [
        SAMPLE_ISSUE.name,
        "photo.png",
        "loaded-before.txt",
        "notes-2025-12-30.txt",
    ]
    good, png, passed, notes = items
    assert good.bundle is not None and good.reason is None
    assert good.bundle.validated.articles.height == 7
    assert "decode" in good.seconds and all(v >= 0 for v in good.seconds.values())  # for `newsprint bench`
    assert png.bundle is None and png.reason == "binary file (a PNG image), not text"
    assert passed is settled
    assert notes.bundle is None and notes.reason.startswith("no articles found")


def test_reading_a_batch_settles_huge_missing_and_loaded_files_unread(
    tmp_path: Path, sample_bytes: bytes
) -> None:
    new, loaded, huge = tmp_path / "new.txt", tmp_path / "loaded.txt", tmp_path / "huge.txt"
    new.write_bytes(sample_bytes)
    loaded.write_bytes(sample_bytes + b"\n")
    with huge.open("wb") as handle:  # sparse: 2 MB on paper
        handle.truncate(2_000_000)
    missing = tmp_path / "gone.txt"
    known = {hashlib.sha256(loaded.read_bytes()).hexdigest()}
    items = read_batch([new, loaded, huge, missing], known, max_bytes=1_000_000)
    assert items[0] == FileJob(str(new), sample_bytes)
    assert isinstance(items[1], BatchItem) and items[1].already_loaded and items[1].reason is None
    assert isinstance(items[2], BatchItem) and items[2].reason is not None
    assert items[2].reason.startswith("too large: 2.0 MB") and items[2].file_size == 2_000_000
    assert isinstance(items[3], BatchItem) and items[3].reason is not None
    assert items[3].reason.startswith("cannot read:") and items[3].file_sha256 is None


def test_progress_counts_outcomes_against_the_total() -> None:
    outcomes = [IssueOutcome("a", "loaded"), IssueOutcome("b", "skipped"), IssueOutcome("c", "failed")]
    progress = progress_of(outcomes, 6)
    assert (progress.done, progress.loaded, progress.skipped, progress.failed) == (3, 1, 1, 1)
    assert progress.percent == 50.0
    assert progress_of([], 0).percent == 100.0


_MAIN_SCRIPT = """
import os, sys
from pathlib import Path
if __name__ == "__mp_main__":  # this file imported again in a worker
    Path(sys.argv[1]).write_text("imported")
if __name__ == "__main__":
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from flows import backfill
    if sys.argv[2] == "worker-pool":
        pool = backfill.start_workers(1)
    else:
        pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    with pool:
        assert pool.submit(os.getpid).result() != os.getpid()
    assert __spec__ is None and __file__.endswith("main_script.py")  # as before the pool
"""


@pytest.mark.parametrize(("pool", "imported"), [("plain-pool", True), ("worker-pool", False)])
def test_a_worker_does_not_import_the_parents_main_module(tmp_path: Path, pool: str, imported: bool) -> None:
    """A plain spawned pool runs the main script again in its worker; the backfill's does not."""
    script, marker = tmp_path / "main_script.py", tmp_path / "marker"
    script.write_text(_MAIN_SCRIPT, encoding="utf-8")
    subprocess.run([sys.executable, str(script), str(marker), pool], check=True, timeout=120)
    assert marker.exists() is imported
