"""Backfill helpers: choose archive files, cut them into batches, transform a batch in a worker.

Pure apart from reading a batch's files and the clock that times each stage (for `newsprint
bench`). The worker function `transform_files` runs in a separate process, so it takes and
returns plain picklable data and never touches Prefect or the warehouse: the flow process is
the one writer.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from flows.ingest import (
    IngestError,
    date_from_filename,
    describe_files,
    file_digest,
    read_issue,
    refuse_without_articles,
)
from flows.models import ParsedIssue
from flows.parse import parse_issue
from flows.reports.report import IssueOutcome
from flows.runs import stopping
from flows.runs.files import read_entry
from flows.storage.warehouse import Warehouse
from flows.transform import IssueBundle, bundle_issues
from flows.validate import Validated, validate_issues

log = logging.getLogger(__name__)
progress_log = logging.getLogger("flows.runs.backfill.progress")

T = TypeVar("T")
P = TypeVar("P")  # a batch in flight: a future of its transformation
WORKER_NICENESS = 5  # a third of the writer's CPU share when both want a core
STAGES = ("read", "decode", "split", "validate", "segment", "load", "index")


@dataclass
class FileJob:
    """One archive file's bytes, read by the flow process and sent to a worker."""

    source_file: str
    data: bytes

    def item(self, reason: str | None = None) -> BatchItem:
        """What becomes of this file, identified by its bytes' hash and size; a reason if it failed."""
        digest = hashlib.sha256(self.data).hexdigest()
        return BatchItem(self.source_file, digest, len(self.data), reason=reason)


@dataclass
class BatchItem:
    """What a worker made of one file: a bundle ready to load, or the reason it cannot be read."""

    source_file: str
    file_sha256: str | None
    file_size: int
    bundle: IssueBundle | None = None
    reason: str | None = None
    already_loaded: bool = False  # the same bytes are in the warehouse: settled without decoding
    deferred: bool = False  # another writer of the lake holds it: tried again at the run's end
    arriving: str | None = None  # still being written: left for the next run (flows/runs/files.py)
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class BackfillOptions:
    """How a backfill runs, settled once at its start."""

    warehouse: Warehouse
    batch_size: int
    batch_bytes: int
    workers: int
    severities: dict[str, str]
    max_bytes: int
    lock_timeout_s: float
    today: date
    settle_s: float = 0.0  # a file modified more recently may still be arriving (flows/runs/files.py)
    loaded: set[str] = field(default_factory=set)  # raw-byte hashes of the files already loaded


@dataclass(frozen=True)
class Progress:
    """Where a backfill stands, logged after every batch (the CLI draws its bar from it)."""

    done: int
    total: int
    loaded: int
    skipped: int
    failed: int

    @property
    def percent(self) -> float:
        """The share of the files done, whatever became of them (the terminal's bar)."""
        return 100.0 * self.done / self.total if self.total else 100.0

    @property
    def percent_in_warehouse(self) -> float:
        """The share of the files in the warehouse, loaded or found there: a failure keeps it below 100."""
        return 100.0 * (self.loaded + self.skipped) / self.total if self.total else 100.0

    def describe(self) -> str:
        """Say where the backfill stands in counts (the progress artifact's description)."""
        return (
            f"{self.done} of {self.total} files done: {self.loaded} loaded, "
            f"{self.skipped} skipped (already loaded), {self.failed} failed"
        )


def select_files(paths: Sequence[Path], since: date | None, until: date | None) -> list[Path]:
    """Keep the files whose name dates them within [since, until] (undated ones only without limits),
    in issue-date order, then by path: the order the backfill loads them in (flows/order.py)."""
    chosen = []
    for path in paths:
        day = date_from_filename(path.name)
        if since is None and until is None:
            chosen.append(path)
        elif day is None:
            log.info("left out (no date in its name, and --since/--until given): %s", path)
        elif (since is None or day >= since) and (until is None or day <= until):
            chosen.append(path)
    return sorted(chosen, key=_in_date_order)


def _in_date_order(path: Path) -> tuple[date, str]:
    return (date_from_filename(path.name) or date.max, str(path))


def count_loaded(paths: Sequence[Path], hashes: set[str], sizes: set[int]) -> int:
    """Count the files whose bytes are already in the warehouse (their batches skip them unread).

    Only a file with the size of a loaded one is read and hashed: starting an archive into an
    empty warehouse reads nothing here.
    """
    count = 0
    for path in paths:
        try:
            if path.stat().st_size in sizes and file_digest(path)[0] in hashes:
                count += 1
        except OSError:  # gone or forbidden: its batch will say so
            continue
    return count


def start_workers(count: int) -> ProcessPoolExecutor:
    """Start the worker processes that transform batches, below the writer's CPU priority.

    Spawned, not forked: the threads of Polars and DuckDB do not survive a fork. Niced: the
    one writer is the backfill's critical path, and the workers, with batches queued ahead,
    lose nothing by yielding a core to it when it has work.
    """
    context = multiprocessing.get_context("spawn")
    return WorkerPool(count, mp_context=context, initializer=init_worker, initargs=(WORKER_NICENESS,))


def init_worker(niceness: int) -> None:
    """Lower a worker's priority, and make it end when the process that started it ends, however.

    A backfill killed with SIGKILL runs no clean-up: its workers (300 MB each) and
    multiprocessing's resource tracker stayed alive. multiprocessing gives a spawned child its
    parent's sentinel, a pipe that reads end-of-file once the parent is gone, whatever killed
    it; a thread here waits on it and ends the worker. (Linux's PR_SET_PDEATHSIG would fire
    when the parent's *thread* that spawned the worker ends, and the pool spawns from Prefect's
    task threads.) The resource tracker ends by itself once no process holds its pipe.
    """
    os.nice(niceness)
    # Ctrl-C reaches the whole process group: the backfill decides, and stops its workers itself.
    # (SIGTERM stays: the process pool ends the workers of a broken pool with it.)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_end_with, args=(parent.sentinel,), name="parent-watch", daemon=True).start()


def _end_with(sentinel: int) -> None:
    """Wait for the parent to end, then end this process at once (no clean-up to wait for)."""
    multiprocessing.connection.wait([sentinel])
    os._exit(1)


class WorkerPool(ProcessPoolExecutor):
    """A process pool whose workers do not import the parent's `__main__` module.

    A spawned child imports its parent's main module before its first job, so that functions
    defined there can be unpickled. The workers only run `transform_files`, but a served
    deployment's main module is `prefect.engine`, and the benchmark's is `bench.harness`: each
    worker imported Prefect (40 MB, about a second) or DuckDB it never used. The pool starts
    its workers on `submit`, so `submit` hides the main module from multiprocessing meanwhile.
    A job must therefore be a function a worker can import by its module's name.
    """

    _main_lock = threading.Lock()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        with self._main_lock, main_module_hidden():
            return super().submit(fn, *args, **kwargs)


@contextmanager
def main_module_hidden() -> Iterator[None]:
    """Let multiprocessing see a `__main__` without spec or file: a child then imports none."""
    main = sys.modules.get("__main__")
    if main is None:  # an embedded interpreter: nothing for a child to import
        yield
        return
    saved: dict[str, Any] = {
        name: main.__dict__[name] for name in ("__spec__", "__file__") if name in main.__dict__
    }
    main.__spec__ = None
    main.__dict__.pop("__file__", None)
    try:
        yield
    finally:
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)


def in_flight_limit(workers: int) -> int:
    """How many batches may be submitted and not yet written: two per worker, and one more.

    The writer takes a finished batch off the list before loading it; without the extra one,
    a worker that finished its next batch during that load waited for the writer to come back
    and submit another (idle 3.0–3.7 s of a 25 s backfill of 1,024 issues; 1.7–1.8 s with it,
    the rest being the batches' transfer). It costs one more transformed batch in memory.
    """
    return 2 * workers + 1


def write_in_order(
    batches: Iterable[list[Path]],
    submit: Callable[[list[Path]], P],
    write: Callable[[P], None],
    limit: int,
) -> None:
    """Keep up to `limit` batches in flight (in_flight_limit) and write them in the archive's order.

    `submit` starts a batch's transformation (the flow's transform-batch task; a worker pool's
    future in bench/harness.py) and `write` waits for it and writes it. In order, whichever
    batch finished first: the archive is listed in issue-date order (select_files), so each
    issue is judged against the issues before it as they are already loaded, and a kill
    leaves a prefix of the archive loaded, which the next run continues (a batch written before
    those it follows would have their issues judged again, flows/bulk_load.py). A signal stops
    the loop between two batches (flows/runs/stopping.py): each is written whole.
    """
    pending = deque(batches)
    in_flight: deque[P] = deque()
    while pending or in_flight:
        stopping.check()
        while pending and len(in_flight) < limit:
            in_flight.append(submit(pending.popleft()))
        write(in_flight.popleft())


def batches(paths: Sequence[Path], size: int, max_bytes: int | None = None) -> Iterator[list[Path]]:
    """Cut files into consecutive batches of at most `size` files and `max_bytes` bytes.

    Why bytes too: what a batch holds in the worker and in the writer, and the WAL its commit
    writes, grow with its text, not with its number of files. 64 issues of the sample are 1 MB;
    64 issues six times its size took the worker from 364 to 693 MB and the writer's WAL from
    10 to 35 MB a batch (`python -m bench.large_issues`). A file larger than `max_bytes` is a batch
    of its own; a file that cannot be stat'ed counts as empty (reading it will say why).
    """
    if size < 1:
        raise ValueError(f"a batch holds at least one file, not {size}")
    batch: list[Path] = []
    held = 0
    for path in paths:
        weight = 0 if max_bytes is None else _file_size(path)
        if batch and (len(batch) == size or (max_bytes is not None and held + weight > max_bytes)):
            yield batch
            batch, held = [], 0
        batch.append(path)
        held += weight
    if batch:
        yield batch


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def transform_files(
    items: Sequence[FileJob | BatchItem], today: date, severities: Mapping[str, str] | None = None
) -> list[BatchItem]:
    """Decode and transform a batch; items settled when read pass through, in order.

    The batch's issues are validated together (one Pandera run, its cost is mostly per call).
    A bad file becomes a reason, never an exception, so one file cannot stop a batch.
    """
    out: list[BatchItem] = []
    parsed: list[tuple[BatchItem, ParsedIssue]] = []
    for job in items:
        if isinstance(job, BatchItem):
            out.append(job)
            continue
        item = job.item()
        out.append(item)
        issue = _settle(item, partial(parse_file, job, today, item.seconds))
        if issue is not None:
            parsed.append((item, issue))
    started = time.perf_counter()
    validated = _validate_batch(parsed, severities)
    share = (time.perf_counter() - started) / max(len(parsed), 1)
    for item, _ in parsed:
        item.seconds["validate"] = share
    valid = [(item, issue, result) for (item, issue), result in zip(parsed, validated, strict=True) if result]
    started = time.perf_counter()
    bundles = _segment_batch(valid, severities)
    share = (time.perf_counter() - started) / max(len(valid), 1)
    for (item, _, _), bundle in zip(valid, bundles, strict=True):
        item.seconds["segment"] = share
        item.bundle = bundle.for_writer() if bundle is not None else None
    return out


def parse_file(job: FileJob, today: date, seconds: dict[str, float]) -> ParsedIssue:
    """Decode, split and normalise one file; refuse one without articles."""
    with timed(seconds, "decode"):
        issue = read_issue(job.source_file, job.data)
    with timed(seconds, "split"):
        parsed = parse_issue(issue, today)
    refuse_without_articles(parsed)
    return parsed


def _settle(item: BatchItem, work: Callable[[], T]) -> T | None:
    """Run one file's work; a failure becomes the item's reason, never an exception."""
    try:
        return work()
    except IngestError as error:
        item.reason = str(error)
    except Exception as error:  # a bug on one file must not stop a ten-year backfill
        log.exception("could not process %s", item.source_file)
        item.reason = f"could not be processed: {type(error).__name__}: {error}"
    return None


def _validate_batch(
    parsed: list[tuple[BatchItem, ParsedIssue]], severities: Mapping[str, str] | None
) -> list[Validated | None]:
    """Validate the batch in one run; if that fails, issue by issue, so the bad file is named."""
    if not parsed:
        return []
    try:
        return list(validate_issues([issue for _, issue in parsed], severities))
    except Exception:
        files = describe_files([item.source_file for item, _ in parsed])
        log.warning("validating the batch %s at once failed: validating its issues one by one", files)
    return [_settle(item, partial(_first, validate_issues, [issue], severities)) for item, issue in parsed]


def _segment_batch(
    valid: list[tuple[BatchItem, ParsedIssue, Validated]], severities: Mapping[str, str] | None
) -> list[IssueBundle | None]:
    """Segment the batch in one pass; if that fails, issue by issue, so the bad file is named."""
    if not valid:
        return []
    try:
        return list(bundle_issues([p for _, p, _ in valid], [v for _, _, v in valid], severities))
    except Exception:
        files = describe_files([item.source_file for item, _, _ in valid])
        log.warning("segmenting the batch %s at once failed: segmenting its issues one by one", files)
    return [_settle(item, partial(_first, bundle_issues, [p], [v], severities)) for item, p, v in valid]


def _first(batch_step: Callable[..., list[T]], *args: Any) -> T:
    """Run a batch step on a batch of one issue (a fallback that names the file that fails)."""
    (result,) = batch_step(*args)
    return result


def add_seconds(total: dict[str, float], seconds: Mapping[str, float]) -> None:
    """Add one item's stage timings to a run's totals."""
    for stage, value in seconds.items():
        total[stage] = total.get(stage, 0.0) + value


def read_batch(
    paths: Sequence[Path], loaded: set[str], max_bytes: int, settle_s: float
) -> list[FileJob | BatchItem]:
    """Read a batch's files; one refused, still arriving or already loaded is settled here, undecoded."""
    items: list[FileJob | BatchItem] = []
    for path in paths:
        entry = read_entry(path, max_bytes, settle_s)
        if entry.data is None:
            items.append(BatchItem(str(path), None, entry.size, reason=entry.reason, arriving=entry.arriving))
            continue
        digest = entry.sha256
        if digest in loaded:
            items.append(BatchItem(str(path), digest, entry.size, already_loaded=True))
        else:
            items.append(FileJob(str(path), entry.data))
    return items


def add_batch_seconds(total: dict[str, float], items: Sequence[BatchItem]) -> None:
    """Add a transformed batch's stage timings to a run's totals."""
    for item in items:
        add_seconds(total, item.seconds)


def progress_of(outcomes: Sequence[IssueOutcome], total: int) -> Progress:
    """Count the outcomes so far against the files to do."""
    counts = Counter(o.status for o in outcomes)
    return Progress(len(outcomes), total, counts["loaded"], counts["skipped"], counts["failed"])


@contextmanager
def timed(seconds: dict[str, float], stage: str) -> Iterator[None]:
    """Add the time spent in the block to `seconds[stage]`."""
    started = time.perf_counter()
    try:
        yield
    finally:
        seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - started


def log_progress(progress: Progress) -> None:
    """Log where the backfill stands; `progress` rides along for a terminal progress bar."""
    progress_log.info(
        "%d of %d files done (%d loaded, %d skipped, %d failed)",
        progress.done,
        progress.total,
        progress.loaded,
        progress.skipped,
        progress.failed,
        extra={"progress": progress},
    )
