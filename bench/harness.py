"""Measure a backfill of real-size issues beside a peer script and the bare segmentation.

`newsprint bench` builds N daily issues (bench/real_size.py: the size of a real paper's, from
the People's Daily dump when present; `--size sample`: bench/synthetic.py, the sample's size)
and measures, in one run, each part in a process of its own:

- the backfill as a user runs it: `newsprint backfill` against a running Prefect server
  (PREFECT_API_URL, or one the benchmark starts, as a deployment has): CPU of the command,
  its workers and the server's share meanwhile, peak memory of them all;
- the same backfill without Prefect (same functions, plain calls): Prefect's cost;
- the bare cost: reading and segmenting with rjieba exactly the text the pipeline segmented
  (read back from the warehouse), on every core;
- the peer (bench/peer.py): the afternoon script, pure-Python jieba, same archive.
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
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import psutil

from flows import bulk_load, ingest, load
from flows.reports import quality
from flows.reports.report import IssueOutcome, RunStats
from flows.runs import backfill, files
from flows.runs.backfill import BatchItem
from flows.settings import Settings
from flows.storage import read_copy, search
from flows.storage.warehouse import parse_warehouse
from flows.transform import transform_issue

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
    others: frozenset[int] = frozenset(),
    interval_s: float = SAMPLE_EVERY_S,
    pss_every_s: float = PSS_EVERY_S,
    root: psutil.Process | None = None,
) -> Iterator[PeakRss]:
    """Sample the process tree's RSS and PSS in a thread while the block runs; keep the peaks.

    The tree is `root` (this process by default) and its descendants. Processes in `others`
    (a Prefect server) and their descendants are counted apart, so the pipeline's figure is
    the root plus its workers. RSS is read every `interval_s` (`/proc/PID/statm`, free);
    PSS every `pss_every_s` only: the kernel sums it by walking the process's page tables
    (`smaps_rollup`, 1.6 ms for 400 MB), holding the lock the process's own page faults need;
    read ten times a second, it cost the writer 2 s of system time in a 12 s backfill. It is
    also read whenever RSS grows 2% past its last reading, so a peak is not missed between.
    """
    me = root or psutil.Process()
    peak = PeakRss()
    stop = threading.Event()

    def sample() -> None:
        next_pss, rss_at_pss = time.monotonic(), 0
        tree = ProcessTree(me, others)
        while True:
            rss, _ = _tree_memory(tree.processes(), me, tree.others, with_pss=False)
            peak.pipeline_mb = max(peak.pipeline_mb, rss["pipeline"] / 1e6)
            peak.main_mb = max(peak.main_mb, rss["main"] / 1e6)
            peak.workers_mb = max(peak.workers_mb, (rss["pipeline"] - rss["main"]) / 1e6)
            peak.with_others_mb = max(peak.with_others_mb, (rss["pipeline"] + rss["others"]) / 1e6)
            # PSS when due, and whenever RSS grows past where PSS was last read: a short phase's peak
            if time.monotonic() >= next_pss or rss["pipeline"] > PSS_AGAIN_ABOVE * rss_at_pss:
                next_pss, rss_at_pss = time.monotonic() + pss_every_s, max(rss_at_pss, rss["pipeline"])
                _, pss = _tree_memory(tree.processes(), me, tree.others, with_pss=True)
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
    """A process and its descendants, and other processes and theirs, listed again at most every LIST_EVERY_S.

    Listing walks every process of the machine (psutil reads each one's `/proc/PID/stat` to
    find the children): 1.4 ms, more than reading the tree's memory, and it was done ten
    times a second. A new process is seen within LIST_EVERY_S (the pipeline's workers start
    once, at its start); one that ended is skipped when its memory cannot be read.
    """

    def __init__(self, root: psutil.Process, others: frozenset[int] = frozenset()) -> None:
        self.root = root
        self.other_roots = others
        self.others: frozenset[int] = others  # the other processes' ids, their descendants included
        self.listed: list[psutil.Process] = []
        self.next_listing = 0.0

    def processes(self) -> list[psutil.Process]:
        if time.monotonic() >= self.next_listing:
            listed = {p.pid: p for p in [self.root, *self.root.children(recursive=True)]}
            for pid in self.other_roots:
                try:
                    other = psutil.Process(pid)
                    listed |= {p.pid: p for p in [other, *other.children(recursive=True)]}
                except psutil.Error:
                    continue
            others = {p.pid for p in listed.values() if p.pid in self.other_roots}
            for pid in self.other_roots & set(listed):
                others |= {p.pid for p in listed[pid].children(recursive=True)}
            self.listed, self.others = list(listed.values()), frozenset(others)
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
    server_cpu_seconds: float = 0.0  # a Prefect server's CPU meanwhile (included in cpu_seconds)
    peak: PeakRss = field(default_factory=PeakRss)
    stages: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def cpu_seconds() -> float:
    """Return the CPU time of this process and of its ended (waited-for) children, user + system."""
    own, ended = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + ended.ru_utime + ended.ru_stime


@contextmanager
def measured(others: frozenset[int] = frozenset(), root: psutil.Process | None = None) -> Iterator[Phase]:
    """Measure the block's wall time, its CPU time (workers started and ended in it) and peak RSS.

    CPU time barely moves when other work shares the machine; wall time does. `root`: the
    process whose tree's memory counts (this one by default).
    """
    phase = Phase()
    cpu, wall = cpu_seconds(), time.perf_counter()
    with peak_rss(others, root=root) as peak:
        yield phase
    phase.seconds, phase.cpu_seconds, phase.peak = time.perf_counter() - wall, cpu_seconds() - cpu, peak


# --- the bare cost: read the text the pipeline segmented and segment it -----------------------


def write_segment_input(warehouse: str, folder: Path) -> tuple[int, int]:
    """Write the text the pipeline segmented, one file per issue; return (files, articles)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = articles = 0
    with load.connect(parse_warehouse(warehouse), read_only=True) as con:
        reader = con.execute(load.sql("bench/segment_input")).to_arrow_reader(10_000)
        current: str | None = None
        texts: list[str] = []
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


# --- the daily run without Prefect: the same functions as the flow's tasks, no engine ----------


def daily_without_prefect(inbox: Path, warehouse: str) -> None:
    """Do what daily_ingest does for an inbox with plain calls: transform, load, index, record, publish."""
    settings = Settings()
    target = parse_warehouse(warehouse)
    stats = RunStats(run_id=str(uuid.uuid4()), flow_name="daily-ingest", started_at=datetime.now())
    with load.open_warehouse(target, settings.lock_timeout_s) as con:
        for path in files.list_inbox(inbox):
            issue = ingest.read_issue(str(path), path.read_bytes())
            if load.is_loaded(con, issue.sha256):
                continue
            bundle = transform_issue(issue, date.today(), settings.checks)
            bulk_load.load_issues(con, target, [bundle], stats.run_id)
            accepted, rejected = quality.committed_counts(con, issue.sha256)
            stats.outcomes.append(
                IssueOutcome(str(path), "loaded", sha256=issue.sha256, accepted=accepted, rejected=rejected)
            )
        search.refresh_index(con, target)
        stats.ended_at = datetime.now()
        load.record_run(con, stats.row())
        quality.read_report(con, issues=[o.sha256 for o in stats.outcomes if o.sha256])
        read_copy.finish(con, target, read_copy.read_copy_path(target, settings.read_copy))


# --- the backfill without Prefect: the same functions as the flow's tasks, no engine -----------


def load_items(writer: load.BatchWriter, items: Sequence[BatchItem], run_id: str) -> dict[str, int]:
    """Load a transformed batch as the flow's load-batch task does: one transaction per batch."""
    counts = {"files_loaded": 0, "files_failed": 0, "articles_accepted": 0, "articles_rejected": 0}
    counts["files_failed"] = sum(1 for item in items if item.bundle is None)
    with writer.batch() as con:
        for result in bulk_load.load_issues(
            con,
            writer.warehouse,
            [i.bundle for i in items if i.bundle is not None],
            run_id,
            batch_writer=True,
        ):
            if result.loaded:
                counts["files_loaded"] += 1
                counts["articles_accepted"] += result.bundle.validated.accepted.height
                counts["articles_rejected"] += result.bundle.validated.rejected.height
        search.refresh_batch_index(con, writer.warehouse)  # as pipeline.load_batch
    return counts


def backfill_without_prefect(
    archive: Path, warehouse: str, workers: int, batch_size: int, others: frozenset[int] = frozenset()
) -> Phase:
    """Backfill the archive as pipeline.load_archive does (backfill.write_in_order), plain calls for tasks."""
    settings = Settings()
    paths = files.list_archive(archive)
    seconds: dict[str, float] = {}
    counts: Counter[str] = Counter()
    run_id = str(uuid.uuid4())
    with measured(others) as phase:
        with (
            backfill.start_workers(workers) as pool,
            load.BatchWriter(parse_warehouse(warehouse), settings.lock_timeout_s) as writer,
        ):

            def submit(batch: list[Path]) -> Future[list[BatchItem]]:
                with backfill.timed(seconds, "read"):
                    # as the flow's transform-batch task reads them (an empty warehouse)
                    items = backfill.read_batch(batch, set(), settings.max_file_bytes, 0.0)
                return pool.submit(backfill.transform_files, items, date.today(), settings.checks)

            def write(done: Future[list[BatchItem]]) -> None:
                transformed = done.result()
                with backfill.timed(seconds, "load"):
                    counts.update(load_items(writer, transformed, run_id))
                backfill.add_batch_seconds(seconds, transformed)

            batches = backfill.batches(paths, batch_size, settings.batch_bytes)
            backfill.write_in_order(batches, submit, write, backfill.in_flight_limit(workers))
            writer.finish()  # as the flow's end checkpoints (flows/storage/read_copy.py finish)
        with backfill.timed(seconds, "index"), load.open_warehouse(parse_warehouse(warehouse)) as con:
            search.refresh_index(con, parse_warehouse(warehouse))
    phase.stages, phase.counts = seconds, dict(counts)
    return phase


# --- the backfill through the flow, as a user runs it ------------------------------------------


def server_cpu_seconds(pids: Sequence[int]) -> float:
    """Return the CPU time so far of these processes (a Prefect server) and their children."""
    total = 0.0
    for pid in pids:
        try:
            root = psutil.Process(pid)
            for proc in [root, *root.children(recursive=True)]:
                times = proc.cpu_times()
                total += times.user + times.system + times.children_user + times.children_system
        except psutil.Error:
            continue
    return total


def backfill_command(
    archive: Path, warehouse: Path, workers: int, batch_size: int, api_url: str, server: Sequence[int]
) -> Phase:
    """Run `newsprint backfill` in a process of its own, against the Prefect API at `api_url`.

    CPU: the command and the workers it waited for (this process's ended children), and
    the server's CPU meanwhile (`server`: its process ids, when this benchmark started it).
    Memory: the command and its workers; with the server, `with_others_mb`.
    """
    command = [sys.executable, "-m", "flows", "backfill", str(archive), "--warehouse", str(warehouse)]
    command += ["--workers", str(workers), "--batch-size", str(batch_size), "--no-progress"]
    env = {**os.environ, "PREFECT_API_URL": api_url}
    ended, server_before = resource.getrusage(resource.RUSAGE_CHILDREN), server_cpu_seconds(server)
    started = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with measured(frozenset(server), root=psutil.Process(started.pid)) as phase:
        stdout, stderr = started.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if started.returncode != 0:
        raise RuntimeError(f"newsprint backfill failed ({started.returncode}): {stderr[-2000:]}")
    row = json.loads(stdout[stdout.index("{") :])
    phase.server_cpu_seconds = server_cpu_seconds(server) - server_before
    phase.cpu_seconds = (
        after.ru_utime + after.ru_stime - ended.ru_utime - ended.ru_stime + phase.server_cpu_seconds
    )
    phase.stages = {k: float(v) for k, v in row.get("seconds", {}).items() if k != "wall"}
    phase.counts = {k: int(v) for k, v in row.items() if k.startswith(("files_", "articles_"))}
    return phase


def peer_phase(script: Path, archive: Path, warehouse: Path) -> Phase:
    """Run the peer script over the archive in its own environment (bench/peer.py)."""
    from bench.peer import peer_command, peer_counts

    command = peer_command(script, archive, warehouse)  # makes the environment, before the clock
    ended = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with measured(root=psutil.Process(started.pid)) as phase:
        stdout, stderr = started.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if started.returncode != 0:
        raise RuntimeError(f"the peer script failed ({started.returncode}): {stderr[-2000:]}")
    phase.cpu_seconds = after.ru_utime + after.ru_stime - ended.ru_utime - ended.ru_stime
    phase.counts = peer_counts(stdout)
    return phase


def file_mb(path: Path) -> float:
    """A DuckDB file's size with its WAL, in MB."""
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + ".wal")) if p.exists()) / 1e6


# --- each measurement in a process of its own ------------------------------------------------


def run_phase(kind: str, source: Path, warehouse: Path, workers: int, batch_size: int) -> Phase:
    """Run one measurement in this (fresh) process: plain or bare."""
    if kind == "bare":
        return measure_bare(source, workers, batch_size)
    return backfill_without_prefect(source, str(warehouse), workers, batch_size)


def in_fresh_process(kind: str, source: Path, warehouse: Path, workers: str, batch_size: str) -> Phase:
    """Run a measurement in a new Python process, so no measurement inherits another's memory."""
    report = warehouse.with_suffix(f".{kind}.json")
    command = [sys.executable, "-m", "bench.harness", kind, str(source), str(warehouse), workers, batch_size]
    subprocess.run([*command, str(report)], check=True, stdout=subprocess.DEVNULL)  # logs: stderr
    data = json.loads(report.read_text(encoding="utf-8"))
    return Phase(**{**data, "peak": PeakRss(**data["peak"])})


def main(argv: Sequence[str]) -> None:
    """Measure one phase and write it as JSON: `python -m bench.harness KIND SOURCE WAREHOUSE W B OUT`."""
    kind, source, warehouse, workers, batch_size, out = argv
    phase = run_phase(kind, Path(source), Path(warehouse), int(workers), int(batch_size))
    Path(out).write_text(json.dumps(asdict(phase)), encoding="utf-8")


# --- the whole benchmark -----------------------------------------------------------------------

PHASES = ("flow", "plain", "bare", "peer")


@dataclass
class BenchResult:
    """What `newsprint bench --json` prints. MB are the archive's, 10^6 bytes of files."""

    issues: int
    size: str  # real | sample
    source: str  # where the text came from: the dump's folder, or "synthetic"
    mb: float
    articles: int
    seconds: float  # `newsprint backfill`, against a running Prefect server
    cpu_seconds: float  # its CPU: the command, its workers, the server's share
    mb_per_cpu_s: float
    server_cpu_seconds: float
    segment_seconds: float  # the bare cost: read and segment the same text on every core (median run)
    segment_seconds_runs: list[float]  # each of the BARE_RUNS runs of the bare cost
    segment_cpu_seconds: float
    ratio: float  # seconds / segment_seconds
    cpu_ratio: float  # cpu_seconds / segment_cpu_seconds: robust to other work on the machine
    plain_seconds: float | None  # the same backfill without Prefect
    plain_cpu_seconds: float | None
    plain_ratio: float | None
    plain_cpu_ratio: float | None
    prefect_cpu_seconds: float | None  # cpu_seconds - plain_cpu_seconds: what Prefect costs, all in
    peer_seconds: float | None  # the peer script (bench/peer.py), same archive
    peer_cpu_seconds: float | None
    peer_mb_per_cpu_s: float | None
    times_peer: float | None  # mb_per_cpu_s / peer_mb_per_cpu_s
    peer_peak_rss_mb: float | None
    peer_warehouse_mb: float | None
    peer_accepted: int | None
    mb_per_s: float
    articles_per_s: float
    segment_mb_per_s: float
    stages: dict[str, float]  # worker and writer seconds per stage, summed over processes (flow run)
    plain_stages: dict[str, float]
    peak_rss_mb: float  # the backfill command and its workers, summed
    peak_rss_main_mb: float  # the command alone (the writer)
    peak_pss_mb: float  # the same, shared pages divided among the processes sharing them
    peak_pss_main_mb: float
    peak_rss_with_prefect_server_mb: float
    plain_peak_rss_mb: float | None
    plain_peak_pss_mb: float | None
    segment_peak_rss_mb: float  # the bare cost's worker processes
    segment_peak_pss_mb: float
    warehouse_mb: float  # the backfill's DuckDB file and WAL
    warehouse_ratio: float  # warehouse_mb / mb
    files_loaded: int
    articles_accepted: int
    articles_rejected: int
    workers: int
    batch_size: int
    batch_mb: float  # a batch also stops at this many MB of files (NEWSPRINT_BATCH_MB)
    cpus: int
    prefect_api: str  # PREFECT_API_URL, or "started" (a server this benchmark started)
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


def build_archive(
    folder: Path, issues: int, seed: int, size: str, corpus: Path | None
) -> tuple[list[Path], str]:
    """Write the archive: real-size issues (from the dump if `corpus`, else synthetic), or sample-size."""
    if size == "sample":
        from bench.synthetic import build_archive as sample_archive

        return sample_archive(folder, issues, seed), "synthetic"
    from bench import real_size

    return real_size.build_archive(folder, issues, corpus, seed), str(corpus) if corpus else "synthetic"


@contextmanager
def prefect_api(folder: Path) -> Iterator[tuple[str, list[int]]]:
    """Yield the Prefect API to run the flow against, and its server's process ids if started here."""
    from bench.prefect_server import running_prefect_server

    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        yield configured, []
        return
    pids: list[int] = []
    with running_prefect_server(folder, pids=pids) as url:
        yield url, pids


def _per(value: float, by: float) -> float:
    return round(value / by, 3) if by else 0.0


def run_bench(
    issues: int,
    workers: int,
    batch_size: int,
    folder: Path,
    seed: int = 20251230,
    size: str = "real",
    corpus: Path | None = None,
    peer: Path | None = None,
    phases: Sequence[str] = PHASES,
) -> BenchResult:
    """Build the archive in `folder`, run the measurements and put them side by side.

    `phases`: which of flow, plain, bare and peer to run (the flow always runs); the peer runs
    when `peer` names its script.
    """
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    archive = folder / "archive"
    paths, source = build_archive(archive, issues, seed, size, corpus)
    mb = sum(p.stat().st_size for p in paths) / 1e6
    settings = [str(workers), str(batch_size)]
    with prefect_api(folder / "prefect") as (api_url, server):
        flow = backfill_command(archive, folder / "prefect.duckdb", workers, batch_size, api_url, server)
    plain = (
        in_fresh_process("plain", archive, folder / "plain.duckdb", *settings) if "plain" in phases else None
    )
    if plain and plain.counts.get("articles_accepted") != flow.counts.get("articles_accepted"):
        raise RuntimeError(f"the two backfills disagree: {flow.counts} vs {plain.counts}")
    write_segment_input(str(folder / "prefect.duckdb"), folder / "segment-input")
    cores = [str(os.cpu_count() or 1), str(batch_size)]  # the bare cost on every core, whatever --workers
    bare_runs = [
        in_fresh_process("bare", folder / "segment-input", folder / "unused", *cores)
        for _ in range(BARE_RUNS if "bare" in phases else 1)
    ]
    bare = median_run(bare_runs)
    peer_run = peer_phase(peer, archive, folder / "peer.duckdb") if peer and "peer" in phases else None
    articles = flow.counts.get("articles_accepted", 0) + flow.counts.get("articles_rejected", 0)
    if bare.counts["articles"] != articles:
        raise RuntimeError(f"segmented {bare.counts['articles']} articles, the backfill {articles}")
    warehouse_mb = file_mb(folder / "prefect.duckdb")
    peer_rate = _per(mb, peer_run.cpu_seconds) if peer_run else None
    return BenchResult(
        issues=issues,
        size=size,
        source=source,
        mb=round(mb, 3),
        articles=articles,
        seconds=round(flow.seconds, 3),
        cpu_seconds=round(flow.cpu_seconds, 3),
        mb_per_cpu_s=_per(mb, flow.cpu_seconds),
        server_cpu_seconds=round(flow.server_cpu_seconds, 3),
        segment_seconds=round(bare.seconds, 3),
        segment_seconds_runs=[round(run.seconds, 3) for run in bare_runs],
        segment_cpu_seconds=round(bare.cpu_seconds, 3),
        ratio=round(flow.seconds / bare.seconds, 2),
        cpu_ratio=round(flow.cpu_seconds / bare.cpu_seconds, 2),
        plain_seconds=round(plain.seconds, 3) if plain else None,
        plain_cpu_seconds=round(plain.cpu_seconds, 3) if plain else None,
        plain_ratio=round(plain.seconds / bare.seconds, 2) if plain else None,
        plain_cpu_ratio=round(plain.cpu_seconds / bare.cpu_seconds, 2) if plain else None,
        prefect_cpu_seconds=round(flow.cpu_seconds - plain.cpu_seconds, 3) if plain else None,
        peer_seconds=round(peer_run.seconds, 3) if peer_run else None,
        peer_cpu_seconds=round(peer_run.cpu_seconds, 3) if peer_run else None,
        peer_mb_per_cpu_s=peer_rate,
        times_peer=round(_per(mb, flow.cpu_seconds) / peer_rate, 2) if peer_rate else None,
        peer_peak_rss_mb=round(peer_run.peak.pipeline_mb, 1) if peer_run else None,
        peer_warehouse_mb=round(file_mb(folder / "peer.duckdb"), 1) if peer_run else None,
        peer_accepted=peer_run.counts["accepted"] if peer_run else None,
        mb_per_s=round(mb / flow.seconds, 3),
        articles_per_s=round(articles / flow.seconds, 1),
        segment_mb_per_s=round(mb / bare.seconds, 3),
        stages=rounded(flow.stages),
        plain_stages=rounded(plain.stages) if plain else {},
        peak_rss_mb=round(flow.peak.pipeline_mb, 1),
        peak_rss_main_mb=round(flow.peak.main_mb, 1),
        peak_pss_mb=round(flow.peak.pipeline_pss_mb, 1),
        peak_pss_main_mb=round(flow.peak.main_pss_mb, 1),
        peak_rss_with_prefect_server_mb=round(flow.peak.with_others_mb, 1),
        plain_peak_rss_mb=round(plain.peak.pipeline_mb, 1) if plain else None,
        plain_peak_pss_mb=round(plain.peak.pipeline_pss_mb, 1) if plain else None,
        segment_peak_rss_mb=round(bare.peak.workers_mb, 1),
        segment_peak_pss_mb=round(bare.peak.workers_pss_mb, 1),
        warehouse_mb=round(warehouse_mb, 1),
        warehouse_ratio=round(warehouse_mb / mb, 2),
        files_loaded=flow.counts.get("files_loaded", 0),
        articles_accepted=flow.counts.get("articles_accepted", 0),
        articles_rejected=flow.counts.get("articles_rejected", 0),
        workers=workers,
        batch_size=batch_size,
        batch_mb=Settings().batch_mb,
        cpus=os.cpu_count() or 1,
        prefect_api="started" if server else api_url,
        load_average_start=load_at_start,
        load_average=[round(x, 2) for x in os.getloadavg()],
    )


if __name__ == "__main__":
    main(sys.argv[1:])
