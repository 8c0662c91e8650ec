"""Prefect flows: thin wiring of the stages, with retries, logs and artifacts.

The only module that imports Prefect. Work is batched per issue, never a task per article.
"""

from __future__ import annotations

import functools
import gc
import logging
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import duckdb
from prefect import flow, get_run_logger, serve, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import TaskRun
from prefect.exceptions import FailedRun
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run
from prefect.schedules import Cron
from prefect.settings import temporary_settings
from prefect.states import Failed, State
from prefect.utilities.annotations import opaque, quote

from flows import bulk_load, ingest, load
from flows.ingest import IngestError
from flows.models import Issue
from flows.reports import quality
from flows.reports.report import (
    FINDING_COLUMNS,
    IssueOutcome,
    QualityReport,
    RunStats,
    findings_table,
    summary_markdown,
)
from flows.revisions import Loaded
from flows.runs import backfill, failures, files, logs, stopping
from flows.runs.backfill import BackfillOptions, BatchItem, FileJob
from flows.runs.files import Entry
from flows.runs.workers import Workers
from flows.settings import Settings, check_severities
from flows.storage import lake_maintenance, read_copy, search
from flows.storage.lake_claims import CLAIM_RETRY_S, NoClaims, claims_for
from flows.storage.read_copy import Published
from flows.storage.warehouse import Warehouse
from flows.transform import IssueBundle, transform_issue

if TYPE_CHECKING:  # importing Prefect's deployments costs a run 0.13 s; only `serve` needs them
    from prefect.deployments.runner import RunnerDeployment

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def with_stage_logs(fn: F) -> F:
    """Let the stage modules' INFO lines reach the run logs while a flow runs, and the debug log.

    PREFECT_LOGGING_EXTRA_LOGGERS (flows/__init__.py) gives their loggers Prefect's handlers,
    but they inherit the root logger's WARNING level. Outside a run they keep it: Prefect
    would warn about every INFO line it cannot send to a run. A flow started by `newsprint run`
    or `backfill` also takes SIGTERM back from Prefect's engine (flows/runs/stopping.py).
    """

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        logs.attach_debug_log(Settings().debug_log)
        stopping.take_signals()
        stage_logger = logging.getLogger("flows")
        previous = stage_logger.level
        stage_logger.setLevel(logging.INFO)
        try:
            return fn(*args, **kwargs)
        finally:
            stage_logger.setLevel(previous)

    return cast(F, run)


def retry_on_io_error(task: Any, task_run: TaskRun, state: State) -> bool:
    """Retry what the machine got wrong (IO), never a verdict on a file or a bug."""
    return isinstance(state.result(raise_on_failure=False), OSError | duckdb.IOException)


# Listing a folder is retried on an IO error. Reading a file is not: an entry that cannot be
# read is recorded and tried again by the next run (flows/runs/files.py). Nor is writing: a disk
# full or a read-only file system does not mend in seconds, and DuckDB invalidates a database
# whose write failed; the run stops with one line and is recorded failed (README).
IO_RETRIES: dict[str, Any] = {"retries": 2, "retry_delay_seconds": 2, "retry_condition_fn": retry_on_io_error}
# Tasks carry no tags: a tagged task run first asks the API for the tags' concurrency slots, a
# round trip per run even with no limit set (bench/prefect_overhead.py, docs/benchmarks.md).


def _named(task_name: str, describe: Callable[[dict[str, Any]], str]) -> Callable[..., str]:
    """Name each run of a task after what it works on (Prefect calls this with the run's parameters)."""

    def name(parameters: dict[str, Any]) -> str:
        return f"{task_name} {describe(parameters)}"

    return name


def synchronous(result: T | Coroutine[Any, Any, T]) -> T:
    """Return the result of a Prefect call that is a coroutine only when called from async code."""
    if isinstance(result, Coroutine):
        result.close()
        raise TypeError("a Prefect call made from synchronous code returned a coroutine")
    return result


def _files(*paths: Any) -> str:
    return ingest.describe_files([str(path) for path in paths])


@task(
    name="open-warehouse",
    task_run_name=_named("open-warehouse", lambda p: _files(p["warehouse"].location)),
    cache_policy=NO_CACHE,
)
def open_writer(warehouse: Warehouse, timeout_s: float) -> duckdb.DuckDBPyConnection | State:
    """Open the warehouse for writing, waiting up to `timeout_s` for whoever holds it.

    Still held, the task fails with a message naming the holder, and Prefect retries it
    (NEWSPRINT_LOCK_RETRIES times, NEWSPRINT_LOCK_RETRY_DELAY seconds apart): the run's
    page shows the wait and who caused it. A returned state, not an exception: no traceback.
    """
    try:
        return load.open_writer(warehouse, timeout_s)
    except load.WarehouseBusy as error:
        return Failed(message=str(error))


def retry_while_held(task: Any, task_run: TaskRun, state: State) -> bool:
    """Try the warehouse again only while another process holds it (a returned Failed state), not
    after another error (a read-only file system), and not once a signal asked the run to stop."""
    return isinstance(state.result(raise_on_failure=False), FailedRun) and stopping.requested() is None


@contextmanager
def writing(warehouse: Warehouse, settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """Hold the warehouse for writing while the block runs; raise WarehouseBusy if it stays held.

    Any other error opening it (a full disk, a read-only file system, a signal) is raised as it
    was, for the run to say what it is (flows/runs/failures.py).
    """
    opener = open_writer.with_options(
        retries=settings.lock_retries,
        retry_delay_seconds=settings.lock_retry_delay_s,
        retry_condition_fn=retry_while_held,
    )
    state = opener(warehouse, settings.lock_timeout_s, return_state=True)
    con = None if state.is_failed() else state.result()
    if not isinstance(con, duckdb.DuckDBPyConnection):  # the task failed, or returned its Failed state
        stopping.check()
        error = state.result(raise_on_failure=False)
        if isinstance(error, Exception) and not isinstance(error, FailedRun):
            raise error
        raise load.WarehouseBusy(state.message or f"the warehouse {warehouse} stayed busy")
    try:
        yield con
    finally:
        load.close_writer(warehouse, con)


@task(
    name="publish-read-copy",
    task_run_name=_named("publish-read-copy", lambda p: _files(p["warehouse"].location)),
    **IO_RETRIES,
    cache_policy=NO_CACHE,
)
def publish_read_copy(
    con: duckdb.DuckDBPyConnection, warehouse: Warehouse, setting: str | None
) -> Published | None:
    """Checkpoint the warehouse (its file alone is then complete) and publish the analysts' copy.

    `setting`: NEWSPRINT_READ_COPY (unset: beside the warehouse; `off`: no copy).
    """
    return read_copy.finish(con, warehouse, read_copy.read_copy_path(warehouse, setting))


@task(name="discover-files", task_run_name="discover-files in {inbox}", **IO_RETRIES, cache_policy=NO_CACHE)
def discover_files(inbox: Path) -> list[Path]:
    """List the inbox."""
    return files.list_inbox(inbox)


@task(name="read-issue", task_run_name="read-issue {path.name}", cache_policy=NO_CACHE)
def read_issue(
    path: Path, issue_date: date | None, paper: str | None, max_bytes: int, settle_s: float
) -> Issue | Entry:
    """Read and decode one entry; one refused or still arriving is returned as it was read, not raised."""
    entry = files.read_entry(path, max_bytes, settle_s)
    if entry.data is None:
        return entry
    try:
        return ingest.read_issue(str(path), entry.data, issue_date=issue_date, paper=paper)
    except IngestError as error:  # a verdict on the file: nothing to retry, no traceback to log
        return replace(entry, reason=str(error))


@task(
    name="transform-issue",
    task_run_name=_named("transform-issue", lambda p: _files(p["issue"].source_file)),
    cache_policy=NO_CACHE,
)
def transform(
    issue: Issue, today: date, severities: dict[str, str] | None = None
) -> IssueBundle | IngestError:
    """Split, normalise, validate and segment one issue; a text with no article is refused."""
    bundle = transform_issue(issue, today, severities)
    try:
        ingest.refuse_without_articles(bundle.parsed)
    except IngestError as error:
        return error
    return bundle


@task(
    name="load-issue",
    task_run_name=_named("load-issue", lambda p: _files(p["bundle"].issue.source_file)),
    cache_policy=NO_CACHE,
)
def load_bundle(
    con: duckdb.DuckDBPyConnection, warehouse: Warehouse, bundle: IssueBundle, run_id: str
) -> Loaded:
    """Load one issue in one transaction: the backfill's load with a batch of one."""
    now = datetime.now()
    (result,) = bulk_load.load_issues(con, warehouse, [bundle], run_id, lambda: now)
    return result


@task(name="refresh-search-index", cache_policy=NO_CACHE)
def refresh_search_index(con: duckdb.DuckDBPyConnection, warehouse: Warehouse) -> bool:
    """Rebuild the full-text index once per run, after the issues are loaded, if they changed it."""
    return search.refresh_index(con, warehouse)


def _outcome(bundle: IssueBundle, status: str) -> IssueOutcome:
    validated = bundle.validated
    issue = bundle.issue
    return IssueOutcome(
        source_file=issue.source_file,
        status=status,
        sha256=issue.sha256,
        issue_date=issue.issue_date.isoformat() if issue.issue_date else None,
        paper=issue.paper,
        accepted=validated.accepted.height,
        rejected=validated.rejected.height,
        findings=validated.findings,
    )


def publish_artifacts(
    stats: RunStats, prefix: str, report: QualityReport | None = None, published: Published | None = None
) -> None:
    """Publish the run summary and the findings table under stable keys (`report`: from the warehouse)."""
    copy = str(published.path) if published else None
    create_markdown_artifact(
        key=f"{prefix}-summary",
        markdown=summary_markdown(stats, report, copy),
        description=f"{stats.flow_name}: what was loaded, skipped and failed, and its data quality",
    )
    rows = findings_table(stats, report)
    create_table_artifact(
        key=f"{prefix}-findings",
        table=rows or [dict.fromkeys(FINDING_COLUMNS, "") | {"check": "none", "detail": "no finding"}],
        description="Errors (the article or file was rejected), then warnings; info findings counted",
    )


def read_run_report(con: duckdb.DuckDBPyConnection, stats: RunStats) -> QualityReport:
    """Read the quality of the issues this run loaded, as committed."""
    loaded = [o.sha256 for o in stats.outcomes if o.status == "loaded" and o.sha256]
    return quality.read_report(con, issues=loaded)


def ingest_files(
    paths: list[Path],
    con: duckdb.DuckDBPyConnection,
    warehouse: Warehouse,
    stats: RunStats,
    issue_date: date | None,
    paper: str | None,
    severities: dict[str, str] | None = None,
    max_bytes: int = 50_000_000,
    settle_s: float = 0.0,
) -> None:
    """Read, transform and load each file; a bad file is recorded, left in place, and the rest go on."""
    logger = get_run_logger()
    today = date.today()
    for path in paths:
        stopping.check()  # between two files: nothing half-done
        issue = read_issue(path, issue_date, paper, max_bytes, settle_s)
        if isinstance(issue, Entry):
            if issue.arriving:
                logger.info("left for the next run: %s: %s", path, issue.arriving)
                stats.outcomes.append(IssueOutcome(str(path), "skipped", reason=issue.arriving))
            else:
                _record_failure(con, stats, str(path), issue.reason or "", issue.sha256, issue.size)
            continue
        if load.is_loaded(con, issue.sha256):
            logger.info("already loaded: %s", path)
            stats.outcomes.append(
                IssueOutcome(str(path), "skipped", sha256=issue.sha256, reason="already loaded")
            )
            continue
        # Duplicates against the warehouse are checked inside the load's transaction.
        try:
            bundle = transform(issue, today, severities)
        except Exception as error:  # a bug on one file must not keep the others out
            logger.exception("could not process %s", path)
            bundle = IngestError(f"could not be processed: {type(error).__name__}: {error}")
        if isinstance(bundle, IngestError):
            _record_failure(con, stats, str(path), str(bundle), issue.file_sha256, issue.file_size)
            continue
        # quote: Prefect does not walk the bundle's frames and findings for futures (35 ms an issue)
        result = load_bundle(con, warehouse, quote(bundle), stats.run_id)  # type: ignore[call-overload]
        outcome = _load_outcome(result)
        if result.loaded:  # the load re-checks duplicates against the warehouse: count what it committed
            outcome.accepted, outcome.rejected = quality.committed_counts(con, issue.sha256)
        stats.outcomes.append(outcome)


def _record_failure(
    con: duckdb.DuckDBPyConnection,
    stats: RunStats,
    source_file: str,
    reason: str,
    file_sha256: str | None,
    size: int,
) -> None:
    """Record a file that cannot be loaded in `failed_files` and the run's outcomes; leave it in place."""
    get_run_logger().warning("cannot load %s: %s", source_file, reason)
    stats.outcomes.append(IssueOutcome(source_file, "failed", reason=reason))
    load.record_failed_files(con, [_failed_row(source_file, file_sha256, size, reason, stats.run_id)])


def _failed_row(
    source_file: str, file_sha256: str | None, size: int, reason: str, run_id: str
) -> dict[str, Any]:
    return {
        "source_file": source_file,
        "file_sha256": file_sha256,
        "file_size": size,
        "reason": reason,
        "run_id": run_id,
        "failed_at": datetime.now(),
    }


@flow(name="daily-ingest", log_prints=True)
@with_stage_logs
def daily_ingest(
    inbox: str | None = None,
    warehouse: str | None = None,
    issue_date: date | None = None,
    paper: str | None = None,
    checks: dict[str, str] | None = None,
    settle_seconds: float | None = None,
) -> dict[str, Any] | State:
    """Load every issue in the inbox that is not loaded yet (`checks`: check → severity overrides)."""
    settings = Settings()
    severities = check_severities(checks)
    inbox_dir = Path(inbox) if inbox else settings.inbox
    target = settings.warehouse_or(warehouse)  # a flow's parameter is the setting: parsed here, once
    run_id = flow_run.get_id() or str(uuid.uuid4())
    stats = RunStats(run_id=run_id, flow_name="daily-ingest", started_at=datetime.now())
    logger = get_run_logger()
    paths = discover_files(inbox_dir)
    logger.info("%d file(s) in %s; warehouse %s", len(paths), inbox_dir, target)
    try:
        with writing(target, settings) as con:
            ingest_files(
                paths,
                con,
                target,
                stats,
                issue_date,
                paper or settings.paper,
                severities,
                settings.max_file_bytes,
                settings.settle_s if settle_seconds is None else settle_seconds,
            )
            stopping.check()
            refresh_search_index(con, target)
            stats.ended_at = datetime.now()
            load.record_run(con, stats.row())
            report = read_run_report(con, stats)
            published = publish_read_copy(con, target, settings.read_copy)
    except load.WarehouseBusy as error:  # another run is writing: say so, no traceback
        logger.error("%s", error)
        return Failed(message=str(error))
    except Exception as error:  # a full disk, a read-only file system, a signal: one line
        return stop_run(error, stats, target, settings)
    publish_artifacts(stats, "daily-ingest", report, published)
    row = stats.row()
    logger.info("run summary: %s", {k: v for k, v in row.items() if k.startswith(("files", "articles"))})
    if stats.status == "failed":
        return Failed(message=stats.message, data=row)
    return row


def run_daily_ingest(**parameters: Any) -> State:
    """Run daily-ingest once in this process (`newsprint run`) and return its final state.

    The run sends no flow-run heartbeat unless PREFECT_FLOWS_HEARTBEAT_FREQUENCY is set: the
    engine's heartbeat thread sleeps a second at a time and the run's end waits for it, 0–1 s
    on a run of a few seconds, for the one heartbeat such a run sends. The runs of a
    deployment (`newsprint serve`) keep Prefect's heartbeats, which drive zombie-run detection.
    """
    with temporary_settings(set_defaults={"flows.heartbeat_frequency": None}):
        return cast(State, daily_ingest(**parameters, return_state=True))


def stop_run(error: Exception, stats: RunStats, warehouse: Warehouse, settings: Settings) -> Any:
    """End a run that the machine stopped: record it as failed if the warehouse lets us, say why.

    Re-raises an error that is none of the machine's (a bug): Prefect reports it as it is.
    """
    message = failures.explain(error)
    if message is None:
        raise error
    logs.trace(error, settings.debug_log)
    stats.stopped, stats.ended_at = message, datetime.now()
    try:
        with load.open_warehouse(warehouse, timeout_s=min(settings.lock_timeout_s, 10)) as con:
            load.record_run(con, stats.row())
    except Exception as unrecorded:  # the disk is still full, the file system still read-only
        logs.trace(unrecorded, settings.debug_log)
        get_run_logger().warning("the run could not be recorded in the warehouse: %s", unrecorded)
    return Failed(message=message, data=stats.row())


# --- backfill: batches transformed in worker processes, one writer (this process) -------------


@task(name="list-archive", task_run_name="list-archive {archive}", **IO_RETRIES, cache_policy=NO_CACHE)
def discover_archive(archive: Path, since: date | None, until: date | None) -> list[Path]:
    """List the archive's files (recursively) dated within [since, until]."""
    return backfill.select_files(files.list_archive(archive), since, until)


@dataclass
class Transformed:
    """A transformed batch, in a box the writer empties once the batch is written.

    A Prefect future and the future it wraps hold each other (a done callback), so what a
    task returns, and the task's parameters, live until Python's cyclic collector finds them.
    Emptied, the box and the read batch leave only small objects in that cycle: the batch is
    freed at once, with no full collection per batch (10–50 ms each, growing with the run's
    objects: 1.7–2.0 s of a ten-year backfill's writer).
    """

    items: list[BatchItem]
    read_seconds: float = 0.0  # reading the batch's files, in the task: the run's `read` stage


@task(
    name="transform-batch",
    task_run_name=_named("transform-batch", lambda p: _files(*p["paths"])),
    cache_policy=NO_CACHE,
)
def transform_batch(
    workers: Workers, paths: list[Path], options: BackfillOptions, claims: NoClaims
) -> Transformed:
    """Read one batch's files, then decode, split, validate and segment them in a worker process.

    The files are read here, in the task's thread, not by a task of their own: each task run
    costs Prefect's API server about 25 ms of CPU, taken from the same two cores (a ten-year
    backfill's server spends about a fifth less CPU without a read task). The files read are
    dropped once transformed (see Transformed). On a shared lake the files other writers hold or
    loaded are passed over (flows/storage/lake_claims.py).
    """
    started = time.perf_counter()
    items = claims.settle(backfill.read_batch(paths, options.loaded, options.max_bytes, options.settle_s))
    read_seconds = time.perf_counter() - started
    if not any(isinstance(item, FileJob) for item in items):
        transformed = [item for item in items if isinstance(item, BatchItem)]  # all settled when read
    else:
        transformed = workers.transform_batch(items, options.today, options.severities)
    items.clear()
    return Transformed(transformed, read_seconds)


@task(
    name="load-batch",
    task_run_name=_named("load-batch", lambda p: _files(*(item.source_file for item in p["batch"].items))),
    cache_policy=NO_CACHE,
)
def load_batch(writer: load.BatchWriter, batch: Transformed, run_id: str) -> list[IssueOutcome]:
    """Write one batch as the only writer: its issues in one transaction, then the failed files.

    The writer keeps the warehouse open between batches, and hands it over after this batch if
    another run or an analyst's query is waiting for it (flows/storage/handover.py).
    """
    items = batch.items
    logger = get_run_logger()
    outcomes: list[IssueOutcome] = []
    failed: list[dict[str, Any]] = []
    with writer.batch() as con:
        bundles = [i.bundle for i in items if i.bundle is not None]
        loaded = iter(bulk_load.load_issues(con, writer.warehouse, bundles, run_id, batch_writer=True))
        for item in items:
            if item.bundle is not None:
                outcomes.append(_load_outcome(next(loaded)))
            elif item.already_loaded:
                outcomes.append(IssueOutcome(item.source_file, "skipped", reason="already loaded"))
            elif item.deferred:  # another writer holds it: the run comes back to it at its end
                continue
            elif item.arriving:
                logger.info("left for the next run: %s: %s", item.source_file, item.arriving)
                outcomes.append(IssueOutcome(item.source_file, "skipped", reason=item.arriving))
            else:
                logger.warning("cannot load %s: %s", item.source_file, item.reason)
                outcomes.append(IssueOutcome(item.source_file, "failed", reason=item.reason))
                failed.append(
                    _failed_row(item.source_file, item.file_sha256, item.file_size, item.reason or "", run_id)
                )
        load.record_failed_files(con, failed)
        # batch by batch: no archive-wide rebuild at the end
        search.refresh_batch_index(con, writer.warehouse)
    return outcomes


def _load_outcome(result: Loaded) -> IssueOutcome:
    """Say what the warehouse committed for one issue (the load re-checks duplicates, applies revisions)."""
    bundle = result.bundle
    if not result.loaded:
        reason = result.reason or "already loaded"
        return IssueOutcome(bundle.issue.source_file, "skipped", sha256=bundle.issue.sha256, reason=reason)
    outcome = _outcome(bundle, "loaded")
    if result.counts is not None:  # issues before it arrived after it: judged again
        outcome.accepted, outcome.rejected = result.counts
    if result.replaced:
        outcome.reason = "a revision: replaces " + ", ".join(result.replaced)
    return outcome


@contextmanager
def heap_frozen() -> Iterator[None]:
    """Freeze the objects alive now (Prefect's and the libraries') out of the cyclic collector.

    Its automatic full collections then scan only what the block makes, not the whole heap.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@heap_frozen()
def load_archive(
    paths: list[Path],
    workers: Workers,
    writer: load.BatchWriter,
    stats: RunStats,
    seconds: dict[str, float],
    options: BackfillOptions,
    claims: NoClaims | None = None,
) -> None:
    """Transform batches in the workers and write them in the archive's order (backfill.write_in_order).

    A written batch is freed at once: its box is emptied (Transformed). Left in the Prefect
    future's state, batches waited for Python's next full collection, about every dozen
    batches: +250 MB in the writer (`python -m bench.writer_memory`). Meanwhile the heap of before
    is frozen out of the collector (heap_frozen). The files another writer of the lake held
    are looked at again at the end, until none is left (flows/storage/lake_claims.py).
    """
    claims = claims or NoClaims()
    deferred: list[Path] = []
    progress = backfill.progress_of(stats.outcomes, len(paths))
    artifact_id = synchronous(
        create_progress_artifact(0.0, key="backfill-progress", description=progress.describe())
    )
    backfill.log_progress(progress)

    def submit(batch: list[Path]) -> PrefectFuture[Transformed]:
        # quote: Prefect does not walk the options (the loaded files' hashes) for futures.
        # The task's typed signature does not admit the quote() wrappers Prefect unwraps.
        return transform_batch.submit(workers, batch, quote(options), quote(claims))  # type: ignore[call-overload]

    def write(done: PrefectFuture[Transformed]) -> None:
        done.wait()
        stopping.check()
        with backfill.timed(seconds, "load"):
            # opaque: Prefect links the load to its transform but does not walk the batch's
            # ~30,000 objects looking for futures (0.5 s a batch, in the one writer process);
            # the task's typed signature does not admit the opaque() wrapper Prefect unwraps
            outcomes = load_batch(writer, opaque(done), stats.run_id)  # type: ignore[call-overload]
        stats.outcomes += outcomes
        batch = done.result()
        claims.release(batch.items)  # committed: the other writers may have these files
        deferred.extend(Path(item.source_file) for item in batch.items if item.deferred)
        seconds["read"] += batch.read_seconds
        backfill.add_batch_seconds(seconds, batch.items)
        batch.items = []  # the batch is freed here, not at a full collection (Transformed)
        progress = backfill.progress_of(stats.outcomes, len(paths))
        backfill.log_progress(progress)
        update_progress_artifact(artifact_id, progress.percent_in_warehouse, description=progress.describe())

    todo = paths
    while todo:
        batches = backfill.batches(todo, options.batch_size, options.batch_bytes)
        backfill.write_in_order(batches, submit, write, backfill.in_flight_limit(options.workers))
        todo, deferred = deferred, []
        if todo:
            stopping.check()
            get_run_logger().info("%d file(s) held by another writer: looking at them again", len(todo))
            time.sleep(CLAIM_RETRY_S)


@flow(name="backfill", log_prints=True)
@with_stage_logs
def backfill_archive(
    archive: str,
    warehouse: str | None = None,
    since: date | None = None,
    until: date | None = None,
    batch_size: int | None = None,
    workers: int | None = None,
    checks: dict[str, str] | None = None,
    batch_mb: float | None = None,
    settle_seconds: float | None = None,
) -> dict[str, Any] | State:
    """Load an archive of issues in batches; re-running skips what is loaded, so it resumes."""
    settings = Settings()
    run_id = flow_run.get_id() or str(uuid.uuid4())
    stats = RunStats(run_id=run_id, flow_name="backfill", started_at=datetime.now())
    logger = get_run_logger()
    seconds: dict[str, float] = dict.fromkeys(backfill.STAGES, 0.0)
    started = time.perf_counter()
    options = BackfillOptions(
        warehouse=settings.warehouse_or(warehouse),  # a flow's parameter is the setting: parsed here, once
        batch_size=batch_size or settings.batch_size,
        batch_bytes=(replace(settings, batch_mb=batch_mb) if batch_mb else settings).batch_bytes,
        workers=workers or settings.workers,
        severities=check_severities(checks),
        max_bytes=settings.max_file_bytes,
        lock_timeout_s=settings.lock_timeout_s,
        today=date.today(),
        settle_s=settle_seconds or 0.0,  # an archive is taken as it is (a file changing while read is not)
    )
    paths = discover_archive(Path(archive), since, until)
    try:
        with writing(options.warehouse, settings) as con:
            options.loaded = load.loaded_file_hashes(con)
            already = backfill.count_loaded(paths, options.loaded, load.loaded_file_sizes(con))
        logger.info(
            "%d file(s) in %s, %d of them already in %s; batches of %d files or %.1f MB, %d worker(s)",
            len(paths), archive, already, options.warehouse, options.batch_size,
            options.batch_bytes / 1e6, options.workers,
        )  # fmt: skip
        claims = claims_for(options.warehouse, options.lock_timeout_s)
        try:
            with (  # the workers stop first (flows/runs/workers.py), then the writer closes the warehouse
                load.BatchWriter(options.warehouse, options.lock_timeout_s) as writer,
                Workers(options.workers) as pool,
            ):
                load_archive(paths, pool, writer, stats, seconds, options, claims)
        finally:
            claims.close()
        stopping.check()
        with writing(options.warehouse, settings) as con:
            with backfill.timed(seconds, "index"):
                refresh_search_index(con, options.warehouse)
            stats.ended_at = datetime.now()
            load.record_run(con, stats.row())
            report = read_run_report(con, stats)
            published = publish_read_copy(con, options.warehouse, settings.read_copy)
    except load.WarehouseBusy as error:  # another run held the warehouse too long: re-run to resume
        logger.error("%s; %d of %d file(s) done, re-run to resume", error, len(stats.outcomes), len(paths))
        return Failed(message=str(error))
    except Exception as error:  # a full disk, a read-only file system, a signal: one line
        return stop_run(error, stats, options.warehouse, settings)
    publish_artifacts(stats, "backfill", report, published)
    seconds["wall"] = time.perf_counter() - started
    row = {**stats.row(), "seconds": {stage: round(value, 3) for stage, value in seconds.items()}}
    logger.info("backfill summary: %s", {k: v for k, v in row.items() if k.startswith(("files", "articles"))})
    if stats.status == "failed":
        return Failed(message=stats.message, data=row)
    return row


# --- lake upkeep -------------------------------------------------------------------------------


@flow(name="lake-maintenance", log_prints=True)
@with_stage_logs
def maintain_lake(warehouse: str | None = None, keep_days: int | None = None) -> dict[str, Any] | State:
    """Flush a lake's inlined rows, merge its small files, expire old snapshots, delete unused files."""
    settings = Settings()
    target = settings.warehouse_or(warehouse)  # a flow's parameter is the setting: parsed here, once
    logger = get_run_logger()
    if not target.lake:
        logger.info("the warehouse is a DuckDB file: it needs no lake maintenance")
        return {}
    keep = settings.keep_snapshots_days if keep_days is None else keep_days
    try:
        with load.open_warehouse(target, settings.lock_timeout_s) as con:
            upkeep = lake_maintenance.maintain_lake(con, target, keep)
    except load.WarehouseBusy as error:
        logger.error("%s", error)
        return Failed(message=str(error))
    create_markdown_artifact(
        key="lake-maintenance-summary", markdown=upkeep.markdown(), description="Lake maintenance"
    )
    return upkeep.row()


# --- schedule ---------------------------------------------------------------------------------


def deployments(
    cron: str, timezone: str, parameters: dict[str, Any], maintenance_cron: str = "0 3 * * 0"
) -> list[RunnerDeployment]:
    """Return daily-ingest on its cron schedule, backfill to start by hand, a lake's weekly upkeep."""
    daily = daily_ingest.to_deployment(
        name="daily",
        schedules=[Cron(cron, timezone=timezone)],
        parameters=parameters,
        # the UI shows the next run in the browser's time zone: the tag says the schedule's
        tags=["newsprint", "daily", f"{cron} {timezone}"],
        description=f"Load the inbox on the schedule `{cron}` in the time zone {timezone}.",
    )
    archive = backfill_archive.to_deployment(
        name="archive",
        parameters={k: v for k, v in parameters.items() if k == "warehouse"},
        tags=["newsprint", "backfill"],
        description="Load an archive folder of issues; give `archive` when you start a run.",
    )
    upkeep = maintain_lake.to_deployment(
        name="maintenance",
        schedules=[Cron(maintenance_cron, timezone=timezone)],
        parameters={k: v for k, v in parameters.items() if k == "warehouse"},
        tags=["newsprint", "maintenance"],
        description=f"Keep a lake's files and snapshots in check ({maintenance_cron}, {timezone}).",
    )
    return [synchronous(daily), synchronous(archive), synchronous(upkeep)]


def serve_deployments(
    cron: str, timezone: str, parameters: dict[str, Any], maintenance_cron: str = "0 3 * * 0"
) -> None:
    """Serve the deployments from this process until it is stopped (runs go to PREFECT_API_URL)."""
    serve(*deployments(cron, timezone, parameters, maintenance_cron))
