"""A worker process that dies on a file costs that file, not the backfill (flows/runs/workers.py)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import pytest

from flows.runs.backfill import BatchItem, FileJob
from flows.runs.workers import WORKER_DIED, Workers
from tests.conftest import TODAY
from tests.crashing import MARK, transform_or_die


@pytest.fixture(scope="module")
def issues(tmp_path_factory: pytest.TempPathFactory) -> list[FileJob]:
    """Six synthetic issues, the fourth marked to kill the worker that transforms it."""
    from bench.synthetic import build_archive

    paths = build_archive(tmp_path_factory.mktemp("workers") / "archive", 6)
    jobs = [FileJob(p.name, p.read_bytes()) for p in paths]
    jobs[3] = FileJob(jobs[3].source_file, jobs[3].data + f"\n{MARK}\n".encode())
    return jobs


def test_a_worker_that_dies_fails_its_file_and_the_rest_of_the_batch_loads(issues: list[FileJob]) -> None:
    settled = BatchItem("loaded-before.txt", "f" * 64, 10, already_loaded=True)
    with Workers(1, transform=transform_or_die) as workers:
        items = workers.transform_batch([*issues, settled], TODAY, None)
        assert (workers.restarts, workers.isolated) == (1, 6)
        again = workers.transform_batch(issues[:2], TODAY, None)  # the restarted pool works
    assert [i.source_file for i in items] == [*(j.source_file for j in issues), "loaded-before.txt"]
    culprit = items[3]
    assert (culprit.bundle, culprit.reason) == (None, WORKER_DIED)
    assert culprit.file_size == len(issues[3].data)
    assert all(i.bundle is not None for n, i in enumerate(items[:6]) if n != 3)
    assert items[6] is settled
    assert all(i.bundle is not None for i in again)


def test_batches_in_flight_when_a_worker_dies_all_finish_and_only_the_culprit_fails(
    issues: list[FileJob],
) -> None:
    """Every batch in a broken pool fails with it; each is then done file by file."""
    with Workers(2, transform=transform_or_die) as workers, ThreadPoolExecutor(3) as threads:
        batches = [issues[0:2], issues[2:4], issues[4:6]]
        results = list(threads.map(lambda batch: workers.transform_batch(batch, TODAY, None), batches))
    failed = [i.source_file for batch in results for i in batch if i.bundle is None]
    assert failed == [issues[3].source_file]
    assert sum(len(batch) for batch in results) == 6


def test_a_pool_without_deaths_transforms_each_batch_once(issues: list[FileJob]) -> None:
    with Workers(1, transform=transform_or_die) as workers:
        items = workers.transform_batch(issues[:3], TODAY, None)
        assert workers.restarts == 0
    assert all(i.bundle is not None for i in items)


def test_a_batch_submitted_to_a_pool_already_broken_goes_to_the_new_pool_whole(issues: list[FileJob]) -> None:
    """Another batch's file broke the pool before this batch went in: nothing of this batch fails."""
    with Workers(1, transform=transform_or_die) as workers:
        broken = workers._pool.submit(transform_or_die, [issues[3]], TODAY, None)  # the marked file
        with pytest.raises(BrokenProcessPool):
            broken.result()
        items = workers.transform_batch(issues[:3], TODAY, None)
        assert (workers.restarts, workers.isolated) == (1, 0)
    assert all(i.bundle is not None for i in items)
