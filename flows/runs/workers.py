"""The backfill's worker processes, which outlive a file that kills one of them.

A worker can die on a file: the kernel kills it when one huge issue takes more memory than
the machine has, or a native library crashes on pathological input. A process pool then
breaks, every batch in flight fails with it, and every later one would too: the backfill
stopped, and the next run stopped at the same file. Here a broken pool is started again, and
the batches it held are transformed once more file by file, one file at a time in a pool of
their own, so that a death names its file: that file is recorded as failed with the reason,
and the others load.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import CancelledError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from types import TracebackType

from flows.runs import stopping
from flows.runs.backfill import BatchItem, FileJob, start_workers, transform_files

log = logging.getLogger(__name__)

Transform = Callable[[Sequence[FileJob | BatchItem], date, Mapping[str, str] | None], list[BatchItem]]
WORKER_DIED = (
    "the worker process transforming this file died (killed by the system, most often for "
    "want of memory, or crashed in a native library); the other files of its batch went on without it"
)


class Workers:
    """Transform batches in worker processes; a worker's death costs its file, not the backfill.

    `transform` runs in the workers, so it must be importable by its module's name
    (backfill.WorkerPool); tests pass one that dies on a marked file.
    """

    def __init__(self, count: int, transform: Transform = transform_files) -> None:
        self.count = count
        self.transform = transform
        self.restarts = 0  # pools started again after a worker died
        self.isolated = 0  # files transformed alone since
        self.stopped = False  # the run is stopping: no more work, and no pool started again
        self._pool: ProcessPoolExecutor = start_workers(count)
        self._lock = threading.Lock()
        self._isolation = threading.Lock()

    def transform_batch(
        self, items: Sequence[FileJob | BatchItem], today: date, severities: Mapping[str, str] | None
    ) -> list[BatchItem]:
        """Transform a batch in the pool; if the pool breaks meanwhile, file by file (see the module).

        Once the run is stopping, a batch is not transformed: nothing will write it.
        """
        pool = self._pool
        try:
            if self.ending:
                return []
            future = pool.submit(self.transform, items, today, severities)
        except BrokenProcessPool:  # broken by another batch's file before this one went in
            self._replace(pool)
            return self.transform_batch(items, today, severities)
        except RuntimeError:  # shut down by stop() meanwhile
            if self.ending:
                return []
            raise
        try:
            return future.result()
        except (BrokenProcessPool, CancelledError):
            if self.ending:  # the workers were ended (a signal to the process group, or stop())
                return []
            self._replace(pool)
            return self._one_file_at_a_time(items, today, severities)

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """Start a new pool in place of a broken one, once however many batches saw it break."""
        with self._lock:
            if self._pool is broken:
                log.warning("a worker process died: starting the workers again")
                broken.shutdown(wait=False, cancel_futures=True)
                self._pool = start_workers(self.count)
                self.restarts += 1

    def _one_file_at_a_time(
        self, items: Sequence[FileJob | BatchItem], today: date, severities: Mapping[str, str] | None
    ) -> list[BatchItem]:
        """Transform each file alone in a one-worker pool, so that a death can only be its own."""
        out: list[BatchItem] = []
        with self._isolation:  # one file in isolation at a time, whichever batches broke
            pool = start_workers(1)
            try:
                for item in items:
                    if self.ending:
                        return []
                    if isinstance(item, BatchItem):
                        out.append(item)
                        continue
                    self.isolated += 1
                    try:
                        out.extend(pool.submit(self.transform, [item], today, severities).result())
                    except BrokenProcessPool:
                        log.warning("cannot transform %s: its worker process died", item.source_file)
                        out.append(item.item(reason=WORKER_DIED))
                        pool.shutdown(wait=False, cancel_futures=True)
                        pool = start_workers(1)
            finally:
                pool.shutdown()
        return out

    @property
    def ending(self) -> bool:
        """Whether the run is stopping (stop(), or a signal asked it to): no batch is worth transforming."""
        return self.stopped or stopping.requested() is not None

    def shutdown(self) -> None:
        self._pool.shutdown()

    def stop(self) -> None:
        """End the workers now, for a run that stops early: the batches they hold will not be written."""
        self.stopped = True
        pool = self._pool
        for process in list(getattr(pool, "_processes", {}).values()):  # the executor keeps them there
            process.kill()
        pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Workers:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if error is None:
            self.shutdown()
        else:
            self.stop()
