"""Backfill helpers without Prefect: choosing files, batching, the worker's transform."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import date
from itertools import pairwise
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.ingest import file_digest
from flows.reports.report import IssueOutcome
from flows.runs import backfill
from flows.runs.backfill import (
    BatchItem,
    FileJob,
    batches,
    progress_of,
    read_batch,
    select_files,
    transform_files,
)
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


def _files(folder: Path, sizes: list[int]) -> list[Path]:
    paths = [folder / f"issue-{i:03d}.txt" for i in range(len(sizes))]
    for path, size in zip(paths, sizes, strict=True):
        path.write_bytes(b"x" * size)
    return paths


def test_batches_cover_every_file_once_in_order(tmp_path: Path) -> None:
    paths = _files(tmp_path, [10] * 7)
    assert list(batches(paths, 3)) == [paths[0:3], paths[3:6], paths[6:7]]
    assert list(batches([], 3)) == []
    with pytest.raises(ValueError, match="at least one"):
        list(batches(paths, 0))


def test_batches_are_cut_by_bytes_as_well_as_by_files(tmp_path: Path) -> None:
    """Issues larger than the sample's hold more text per file: a batch stops at its bytes too."""
    a, b, c, big, d, e, f = _files(tmp_path, [400, 400, 400, 1500, 100, 100, 100])
    cut = list(batches([a, b, c, big, d, e, f], 2, max_bytes=1000))
    assert cut == [[a, b], [c], [big], [d, e], [f]], "a file larger than the limit is a batch alone"
    assert list(batches([a, b], 64, max_bytes=800)) == [[a, b]], "a batch may hold the limit exactly"
    assert list(batches([a, b, c, big, d, e, f], 3, max_bytes=10_000)) == [[a, b, c], [big, d, e], [f]]


def test_a_file_gone_before_batching_counts_as_empty_and_stays_in_its_batch(tmp_path: Path) -> None:
    a, b = _files(tmp_path, [600, 600])
    gone = tmp_path / "gone.txt"
    assert list(batches([a, gone, b], 64, max_bytes=1000)) == [[a, gone], [b]]


@settings(max_examples=200, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 50), max_size=40),  # small numbers: sums that meet the limit exactly
    size=st.integers(1, 8),
    max_bytes=st.integers(1, 200),
)
def test_batches_keep_every_file_once_and_within_both_limits(
    sizes: list[int], size: int, max_bytes: int
) -> None:
    paths = [Path(f"issue-{i:03d}.txt") for i in range(len(sizes))]
    weights = dict(zip(paths, sizes, strict=True))
    with patch.object(backfill, "_file_size", weights.__getitem__):
        cut = list(batches(paths, size, max_bytes))
    assert [p for batch in cut for p in batch] == paths
    for batch in cut:
        assert 1 <= len(batch) <= size
        assert len(batch) == 1 or sum(weights[p] for p in batch) <= max_bytes
    for batch, following in pairwise(cut):  # a batch is cut only when the next file would not fit
        held = sum(weights[p] for p in batch)
        assert len(batch) == size or held + weights[following[0]] > max_bytes


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
    items = read_batch([new, loaded, huge, missing], known, max_bytes=1_000_000, settle_s=0)
    assert items[0] == FileJob(str(new), sample_bytes)
    assert isinstance(items[1], BatchItem) and items[1].already_loaded and items[1].reason is None
    assert isinstance(items[2], BatchItem) and items[2].reason is not None
    assert items[2].reason.startswith("too large: 2.0 MB") and items[2].file_size == 2_000_000
    assert isinstance(items[3], BatchItem) and items[3].reason is not None
    assert items[3].reason.startswith("gone:") and items[3].file_sha256 is None


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
    from flows.runs import backfill
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


def test_counting_the_archive_files_already_loaded_reads_only_those_of_a_loaded_size(tmp_path: Path) -> None:
    loaded = tmp_path / "a-2016-01-01.txt"
    loaded.write_text("已经入库的一期")
    renamed = tmp_path / "copy-of-a.txt"  # the same bytes under another name: loaded too
    renamed.write_bytes(loaded.read_bytes())
    same_size = tmp_path / "b-2016-01-02.txt"
    same_size.write_text("尚未入库的一期")  # as many bytes, other text
    other = tmp_path / "c-2016-01-03.txt"
    other.write_text("另一期，长一点，没有入库")
    digest, size = file_digest(loaded)
    assert size == same_size.stat().st_size != other.stat().st_size
    paths = [loaded, renamed, same_size, other, tmp_path / "gone.txt"]
    with patch("flows.runs.backfill.file_digest", wraps=file_digest) as hashed:
        assert backfill.count_loaded(paths, {digest}, {size}) == 2
        assert [call.args[0] for call in hashed.call_args_list] == [loaded, renamed, same_size]
        assert backfill.count_loaded(paths, set(), set()) == 0  # an empty warehouse: nothing read
        assert hashed.call_count == 3
