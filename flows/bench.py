"""Measure a backfill against the bare cost of segmentation, on a synthetic archive.

`newsprint bench` builds N daily issues from the sample (flows/synthetic.py) and times, in
one run and on the same worker processes: the backfill through the Prefect flow that
`newsprint backfill` runs; the same batches loaded without Prefect (same functions, no
engine), which isolates Prefect's overhead; and the bare cost, reading and segmenting with
rjieba exactly the text the pipeline segmented (read back from the warehouse). Peak memory
is the resident set of this process and its worker processes, sampled while each part runs.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import resource
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import psutil

from flows import backfill, bulk_load, files, load, search
from flows.backfill import BatchItem
from flows.settings import Settings

log = logging.getLogger(__name__)

SEPARATOR = "\x1e"  # between the article texts of one issue in a segment-input file
BARE_RUNS = 3  # the bare cost is measured this many times, and the median run kept
SAMPLE_EVERY_S = 0.1  # RSS
PSS_EVERY_S = 1.0
LIST_EVERY_S = 1.0  # the process tree is listed again this often (workers start once, at the start)
PSS_AGAIN_ABOVE = 1.02  # read PSS again before it is due when RSS passes 102% of its last reading


@dataclass
class PeakRss:
    """The largest memory seen, in MB: this process and its worker processes.

    Two measures. RSS summed over processes counts a library page the processes share once
    per process (Python, Polars, DuckDB: about 60 MB each), so it overstates. PSS, the
    kernel's proportional set size, charges a shared page to its processes in equal parts:
    summed, it is what the process tree really holds.
    """

    pipeline_mb: float = 0.0
    with_others_mb: float = 0.0  # including children that were running before (Prefect's server)
    main_mb: float = 0.0  # this process alone
    workers_mb: float = 0.0  # the processes it started, together
    pipeline_pss_mb: float = 0.0
    main_pss_mb: float = 0.0
    workers_pss_mb: float = 0.0


@contextmanager
def peak_rss(
    others: frozenset[int] = frozenset(), interval_s: float = SAMPLE_EVERY_S, pss_every_s: float = PSS_EVERY_S
) -> Iterator[PeakRss]:
    """Sample the process tree's RSS and PSS in a thread while the block runs; keep the peaks.

    Processes in `others` (a Prefect server) are counted apart, so the pipeline's figure is
    this process plus its workers. RSS is read every `interval_s` (`/proc/PID/statm`, free);
    PSS every `pss_every_s` only: the kernel sums it by walking the process's page tables
    (`smaps_rollup`, 1.6 ms for 400 MB), holding the lock the process's own page faults need;
    read ten times a second, it cost the writer 2 s of system time in a 12 s backfill. It is
    also read whenever RSS grows 2% past its last reading, so a peak is not missed between.
    """
    me = psutil.Process()
    peak = PeakRss()
    stop = threading.Event()

    def sample() -> None:
        next_pss, rss_at_pss = time.monotonic(), 0
        tree = ProcessTree(me)
        while True:
            rss, _ = _tree_memory(tree.processes(), me, others, with_pss=False)
            peak.pipeline_mb = max(peak.pipeline_mb, rss["pipeline"] / 1e6)
            peak.main_mb = max(peak.main_mb, rss["main"] / 1e6)
            peak.workers_mb = max(peak.workers_mb, (rss["pipeline"] - rss["main"]) / 1e6)
            peak.with_others_mb = max(peak.with_others_mb, (rss["pipeline"] + rss["others"]) / 1e6)
            # PSS when due, and whenever RSS grows past where PSS was last read: a short phase's peak
            if time.monotonic() >= next_pss or rss["pipeline"] > PSS_AGAIN_ABOVE * rss_at_pss:
                next_pss, rss_at_pss = time.monotonic() + pss_every_s, max(rss_at_pss, rss["pipeline"])
                _, pss = _tree_memory(tree.processes(), me, others, with_pss=True)
                peak.pipeline_pss_mb = max(peak.pipeline_pss_mb, pss["pipeline"] / 1e6)
                peak.main_pss_mb = max(peak.main_pss_mb, pss["main"] / 1e6)
                peak.workers_pss_mb = max(peak.workers_pss_mb, (pss["pipeline"] - pss["main"]) / 1e6)
            if stop.wait(interval_s):
                return

    thread = threading.Thread(target=sample, name="peak-rss", daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        stop.set()
        thread.join()


class ProcessTree:
    """This process and its descendants, listed again at most every LIST_EVERY_S seconds.

    Listing walks every process of the machine (psutil reads each one's `/proc/PID/stat` to
    find the children): 1.4 ms, more than reading the tree's memory, and it was done ten
    times a second. A new process is seen within LIST_EVERY_S (the pipeline's workers start
    once, at its start); one that ended is skipped when its memory cannot be read.
    """

    def __init__(self, root: psutil.Process) -> None:
        self.root = root
        self.listed: list[psutil.Process] = []
        self.next_listing = 0.0

    def processes(self) -> list[psutil.Process]:
        if time.monotonic() >= self.next_listing:
            self.listed = [self.root, *self.root.children(recursive=True)]
            self.next_listing = time.monotonic() + LIST_EVERY_S
        return self.listed


def _tree_memory(
    processes: Sequence[psutil.Process], me: psutil.Process, others: frozenset[int], with_pss: bool
) -> tuple[dict[str, int], dict[str, int]]:
    """Return the RSS and (if asked for) PSS in bytes of this process, the pipeline, and `others`."""
    rss = {"main": 0, "pipeline": 0, "others": 0}
    pss = {"main": 0, "pipeline": 0}
    for proc in processes:
        counted = proc.pid not in others
        try:
            memory = proc.memory_full_info() if with_pss and counted else proc.memory_info()
        except psutil.Error:  # ended between listing and reading
            continue
        rss["pipeline" if counted else "others"] += memory.rss
        if proc is me:
            rss["main"] = memory.rss
        if with_pss and counted:
            pss["pipeline"] += memory.pss
            if proc is me:
                pss["main"] = memory.pss
    return rss, pss


@dataclass
class Phase:
    """One measured part of the benchmark: wall and CPU seconds, peak memory, stages, counts."""

    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this process and the worker processes it started and ended
    peak: PeakRss = field(default_factory=PeakRss)
    stages: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def cpu_seconds() -> float:
    """Return the CPU time of this process and of its ended (waited-for) children, user + system."""
    own, ended = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + ended.ru_utime + ended.ru_stime


@contextmanager
def measured(others: frozenset[int] = frozenset()) -> Iterator[Phase]:
    """Measure the block's wall time, its CPU time (workers started and ended in it) and peak RSS.

    CPU time barely moves when other work shares the machine; wall time does.
    """
    phase = Phase()
    cpu, wall = cpu_seconds(), time.perf_counter()
    with peak_rss(others) as peak:
        yield phase
    phase.seconds, phase.cpu_seconds, phase.peak = time.perf_counter() - wall, cpu_seconds() - cpu, peak


# --- the bare cost: read the text the pipeline segmented and segment it -----------------------


def write_segment_input(warehouse: str, folder: Path) -> tuple[int, int]:
    """Write the text the pipeline segmented, one file per issue; return (files, articles)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = articles = 0
    with load.connect(warehouse, read_only=True) as con:
        reader = con.execute(load.sql("bench/segment_input")).to_arrow_reader(10_000)
        current, texts = None, []
        for batch in reader:
            for sha, text in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist(), strict=True):
                if sha != current and texts:
                    (folder / f"{current}.txt").write_text(SEPARATOR.join(texts), encoding="utf-8")
                    files += 1
                    texts = []
                current = sha
                texts.append(text)
                articles += 1
        if texts:
            (folder / f"{current}.txt").write_text(SEPARATOR.join(texts), encoding="utf-8")
            files += 1
    return files, articles


def warm_segmenter(pause_s: float = 0.3) -> int:
    """Build the segmenter in a worker before the clock starts; pause so each worker gets one."""
    from flows.tokenise import segmenter

    segmenter()
    time.sleep(pause_s)
    return os.getpid()


def segment_files(paths: Sequence[Path]) -> tuple[int, int, float]:
    """Read files of article texts and segment each text as the pipeline does (rjieba tag).

    Returns (articles, bytes, CPU seconds spent reading and segmenting).
    """
    from flows.tokenise import segmenter

    tag = segmenter().jieba.tag
    articles = size = 0
    started = time.process_time()
    for path in paths:
        data = path.read_bytes()
        size += len(data)
        for text in data.decode("utf-8").split(SEPARATOR):
            tag(text)
            articles += 1
    return articles, size, time.process_time() - started


def measure_bare(folder: Path, workers: int, batch_size: int, others: frozenset[int] = frozenset()) -> Phase:
    """Time reading and segmenting every file of `folder` on `workers` warm processes.

    The workers start and build the segmenter before the clock starts: the bare cost is the
    reading and segmenting alone (CPU time: what the workers spent in it).
    """
    paths = sorted(folder.glob("*.txt"))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        list(pool.map(warm_segmenter, [0.3] * workers))
        with measured(others) as phase:
            results = list(pool.map(segment_files, backfill.batches(paths, batch_size)))
    phase.cpu_seconds = sum(r[2] for r in results)
    phase.stages = {"segment": phase.cpu_seconds}
    phase.counts = {
        "files": len(paths),
        "articles": sum(r[0] for r in results),
        "bytes": sum(r[1] for r in results),
    }
    return phase


# --- the backfill without Prefect: the same functions as the flow's tasks, no engine -----------


def load_items(writer: load.BatchWriter, items: Sequence[BatchItem], run_id: str) -> dict[str, int]:
    """Load a transformed batch as the flow's load-batch task does: one transaction per batch."""
    counts = {"files_loaded": 0, "files_failed": 0, "articles_accepted": 0, "articles_rejected": 0}
    counts["files_failed"] = sum(1 for item in items if item.bundle is None)
    with writer.batch() as con:
        for result in bulk_load.load_issues(con, [i.bundle for i in items if i.bundle is not None], run_id):
            if result.loaded:
                counts["files_loaded"] += 1
                counts["articles_accepted"] += result.bundle.validated.accepted.height
                counts["articles_rejected"] += result.bundle.validated.rejected.height
        search.refresh_file_index(con)  # as pipeline.load_batch
    return counts


def backfill_without_prefect(
    archive: Path, warehouse: str, workers: int, batch_size: int, others: frozenset[int] = frozenset()
) -> Phase:
    """Backfill the archive as pipeline.load_archive does, with plain calls instead of tasks."""
    settings = Settings()
    paths = files.list_archive(archive)
    seconds: dict[str, float] = {}
    counts: dict[str, int] = {}
    run_id = str(uuid.uuid4())
    with measured(others) as phase:
        with (
            backfill.start_workers(workers) as pool,
            load.BatchWriter(warehouse, settings.lock_timeout_s) as writer,
        ):
            pending = deque(backfill.batches(paths, batch_size, settings.batch_bytes))
            in_flight: set[Future[list[BatchItem]]] = set()
            while pending or in_flight:
                while pending and len(in_flight) < backfill.in_flight_limit(workers):
                    with backfill.timed(seconds, "read"):
                        # as the flow's transform-batch task reads them (an empty warehouse)
                        items = backfill.read_batch(pending.popleft(), set(), settings.max_file_bytes, 0.0)
                    in_flight.add(pool.submit(backfill.transform_files, items, date.today(), settings.checks))
                done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    transformed = future.result()
                    with backfill.timed(seconds, "load"):
                        batch_counts = load_items(writer, transformed, run_id)
                    backfill.add_seconds(counts, batch_counts)  # type: ignore[arg-type]
                    backfill.add_batch_seconds(seconds, transformed)
        with backfill.timed(seconds, "index"), load.open_warehouse(warehouse) as con:
            search.refresh_index(con)
    phase.stages, phase.counts = seconds, {k: int(v) for k, v in counts.items()}
    return phase


# --- the backfill through the flow -------------------------------------------------------------


def backfill_with_prefect(
    archive: Path, warehouse: str, workers: int, batch_size: int, others: frozenset[int] = frozenset()
) -> Phase:
    """Run the backfill flow as `newsprint backfill` does; Prefect must already be started."""
    from flows.pipeline import backfill_archive

    with measured(others) as phase:
        state = backfill_archive(
            archive=str(archive),
            warehouse=warehouse,
            batch_size=batch_size,
            workers=workers,
            return_state=True,
        )
    row = state.result(raise_on_failure=False)
    if not isinstance(row, dict):
        raise RuntimeError(f"the backfill flow failed: {state.message}")
    phase.stages = {k: float(v) for k, v in row.get("seconds", {}).items() if k != "wall"}
    phase.counts = {k: int(v) for k, v in row.items() if k.startswith(("files_", "articles_"))}
    return phase


def start_prefect(folder: Path, warehouse: str) -> float:
    """Run the backfill flow over an empty archive, so Prefect's start-up is timed apart."""
    from flows.pipeline import backfill_archive

    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    backfill_archive(archive=str(folder), warehouse=warehouse, workers=1, return_state=True)
    return time.perf_counter() - started


# --- each measurement in a process of its own ------------------------------------------------


def run_phase(kind: str, source: Path, warehouse: Path, workers: int, batch_size: int) -> Phase:
    """Run one measurement in this (fresh) process: flow, plain or bare."""
    if kind == "bare":
        return measure_bare(source, workers, batch_size)
    if kind == "plain":
        return backfill_without_prefect(source, str(warehouse), workers, batch_size)
    startup = start_prefect(warehouse.parent / "empty", str(warehouse.parent / "startup.duckdb"))
    server = frozenset(p.pid for p in psutil.Process().children(recursive=True))  # Prefect's, if any
    phase = backfill_with_prefect(source, str(warehouse), workers, batch_size, server)
    phase.stages["prefect start-up"] = startup
    return phase


def in_fresh_process(kind: str, source: Path, warehouse: Path, workers: str, batch_size: str) -> Phase:
    """Run a measurement in a new Python process, so no measurement inherits another's memory."""
    report = warehouse.with_suffix(f".{kind}.json")
    command = [sys.executable, "-m", "flows.bench", kind, str(source), str(warehouse), workers, batch_size]
    subprocess.run([*command, str(report)], check=True, stdout=subprocess.DEVNULL)  # logs: stderr
    data = json.loads(report.read_text(encoding="utf-8"))
    return Phase(**{**data, "peak": PeakRss(**data["peak"])})


def main(argv: Sequence[str]) -> None:
    """Measure one phase and write it as JSON: `python -m flows.bench KIND SOURCE WAREHOUSE W B OUT`."""
    kind, source, warehouse, workers, batch_size, out = argv
    phase = run_phase(kind, Path(source), Path(warehouse), int(workers), int(batch_size))
    Path(out).write_text(json.dumps(asdict(phase)), encoding="utf-8")


# --- the whole benchmark -----------------------------------------------------------------------


@dataclass
class BenchResult:
    """What `newsprint bench --json` prints."""

    issues: int
    mb: float
    articles: int
    seconds: float  # the backfill through the Prefect flow, Prefect already started
    segment_seconds: float  # the bare cost: read and segment the same text, same workers (median run)
    segment_seconds_runs: list[float]  # each of the BARE_RUNS runs of the bare cost
    ratio: float  # seconds / segment_seconds
    cpu_seconds: float  # CPU time of the flow process and its workers during the backfill
    segment_cpu_seconds: float  # CPU time the workers spent reading and segmenting (bare)
    cpu_ratio: float  # cpu_seconds / segment_cpu_seconds: robust to other work on the machine
    plain_seconds: float  # the same backfill without Prefect
    plain_ratio: float
    plain_cpu_seconds: float
    plain_cpu_ratio: float
    prefect_overhead_seconds: float  # seconds - plain_seconds
    prefect_startup_seconds: float
    mb_per_s: float
    articles_per_s: float
    segment_mb_per_s: float
    stages: dict[str, float]  # worker and writer seconds per stage, summed over processes (flow run)
    plain_stages: dict[str, float]
    peak_rss_mb: float  # the flow process and its workers
    peak_rss_main_mb: float  # the flow process alone (the writer)
    peak_pss_mb: float  # the same, shared pages divided among the processes sharing them
    peak_pss_main_mb: float
    peak_rss_with_prefect_server_mb: float
    plain_peak_rss_mb: float
    plain_peak_pss_mb: float
    segment_peak_rss_mb: float  # the bare cost's worker processes
    segment_peak_pss_mb: float
    files_loaded: int
    articles_accepted: int
    articles_rejected: int
    workers: int
    batch_size: int
    batch_mb: float  # a batch also stops at this many MB of files (NEWSPRINT_BATCH_MB)
    cpus: int
    prefect_api: str  # PREFECT_API_URL, or "temporary" (Prefect starts a server for the run)
    load_average_start: list[float]  # 1, 5 and 15 minutes: other work on the machine
    load_average: list[float]  # when the run ended

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def rounded(stages: dict[str, float]) -> dict[str, float]:
    return {stage: round(value, 3) for stage, value in stages.items()}


def median_run(runs: Sequence[Phase]) -> Phase:
    """The run with the median wall time (the lower middle one of an even number).

    The bare cost is a few seconds at most, so a moment of other work on a shared machine
    moves it by half (2.9 and 5.1 s in two ten-year runs): it is measured BARE_RUNS times.
    """
    ordered = sorted(runs, key=lambda run: run.seconds)
    return ordered[(len(ordered) - 1) // 2]


def run_bench(issues: int, workers: int, batch_size: int, folder: Path, seed: int = 20251230) -> BenchResult:
    """Build the archive in `folder`, run the three measurements and put them side by side."""
    from flows.synthetic import build_archive

    load_at_start = [round(x, 2) for x in os.getloadavg()]
    archive = folder / "archive"
    paths = build_archive(archive, issues, seed)
    size = sum(p.stat().st_size for p in paths)
    settings = [str(workers), str(batch_size)]
    flow = in_fresh_process("flow", archive, folder / "prefect.duckdb", *settings)
    plain = in_fresh_process("plain", archive, folder / "plain.duckdb", *settings)
    if plain.counts.get("articles_accepted") != flow.counts.get("articles_accepted"):
        raise RuntimeError(f"the two backfills disagree: {flow.counts} vs {plain.counts}")
    write_segment_input(str(folder / "prefect.duckdb"), folder / "segment-input")
    cores = [str(os.cpu_count() or 1), str(batch_size)]  # the bare cost on every core, whatever --workers
    bare_runs = [
        in_fresh_process("bare", folder / "segment-input", folder / "unused", *cores)
        for _ in range(BARE_RUNS)
    ]
    bare = median_run(bare_runs)
    startup = flow.stages.pop("prefect start-up")
    articles = flow.counts.get("articles_accepted", 0) + flow.counts.get("articles_rejected", 0)
    if bare.counts["articles"] != articles:
        raise RuntimeError(f"segmented {bare.counts['articles']} articles, the backfill {articles}")
    mb = size / 1e6
    return BenchResult(
        issues=issues,
        mb=round(mb, 3),
        articles=articles,
        seconds=round(flow.seconds, 3),
        segment_seconds=round(bare.seconds, 3),
        segment_seconds_runs=[round(run.seconds, 3) for run in bare_runs],
        ratio=round(flow.seconds / bare.seconds, 2),
        cpu_seconds=round(flow.cpu_seconds, 3),
        segment_cpu_seconds=round(bare.cpu_seconds, 3),
        cpu_ratio=round(flow.cpu_seconds / bare.cpu_seconds, 2),
        plain_seconds=round(plain.seconds, 3),
        plain_ratio=round(plain.seconds / bare.seconds, 2),
        plain_cpu_seconds=round(plain.cpu_seconds, 3),
        plain_cpu_ratio=round(plain.cpu_seconds / bare.cpu_seconds, 2),
        prefect_overhead_seconds=round(flow.seconds - plain.seconds, 3),
        prefect_startup_seconds=round(startup, 3),
        mb_per_s=round(mb / flow.seconds, 3),
        articles_per_s=round(articles / flow.seconds, 1),
        segment_mb_per_s=round(mb / bare.seconds, 3),
        stages=rounded(flow.stages),
        plain_stages=rounded(plain.stages),
        peak_rss_mb=round(flow.peak.pipeline_mb, 1),
        peak_rss_main_mb=round(flow.peak.main_mb, 1),
        peak_pss_mb=round(flow.peak.pipeline_pss_mb, 1),
        peak_pss_main_mb=round(flow.peak.main_pss_mb, 1),
        peak_rss_with_prefect_server_mb=round(flow.peak.with_others_mb, 1),
        plain_peak_rss_mb=round(plain.peak.pipeline_mb, 1),
        plain_peak_pss_mb=round(plain.peak.pipeline_pss_mb, 1),
        segment_peak_rss_mb=round(bare.peak.workers_mb, 1),
        segment_peak_pss_mb=round(bare.peak.workers_pss_mb, 1),
        files_loaded=flow.counts.get("files_loaded", 0),
        articles_accepted=flow.counts.get("articles_accepted", 0),
        articles_rejected=flow.counts.get("articles_rejected", 0),
        workers=workers,
        batch_size=batch_size,
        batch_mb=Settings().batch_mb,
        cpus=os.cpu_count() or 1,
        prefect_api=os.environ.get("PREFECT_API_URL") or "temporary",
        load_average_start=load_at_start,
        load_average=[round(x, 2) for x in os.getloadavg()],
    )


if __name__ == "__main__":
    main(sys.argv[1:])
