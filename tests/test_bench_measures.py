"""The benchmark's own measures: PSS read rarely (it is costly) yet no peak missed; the median bare run."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil

from bench.harness import LIST_EVERY_S, Phase, median_run, peak_rss


def test_memory_that_grows_between_pss_readings_is_still_seen() -> None:
    before = psutil.Process().memory_full_info()
    with peak_rss(interval_s=0.05, pss_every_s=3600) as peak:  # PSS due once only, at the start
        time.sleep(0.2)
        block = b"x" * 200_000_000  # written, so resident
        time.sleep(0.3)
    assert len(block) == 200_000_000
    assert peak.main_mb > before.rss / 1e6 + 150
    assert peak.main_pss_mb > before.pss / 1e6 + 150  # read again because RSS grew


def test_processes_counted_apart_are_not_in_the_pipeline_figures() -> None:
    """A process in `others` (a Prefect server) counts only in with_others, and its PSS is not read."""
    hog = "b = b'x' * 200_000_000; import time; time.sleep(30)"
    child = subprocess.Popen([sys.executable, "-c", hog])
    try:
        while psutil.Process(child.pid).memory_info().rss < 200_000_000:
            time.sleep(0.05)
        with peak_rss(others=frozenset({child.pid}), interval_s=0.05) as peak:
            time.sleep(0.2)
    finally:
        child.kill()
        child.wait()
    assert peak.with_others_mb > peak.pipeline_mb + 190
    assert 0 < peak.pipeline_pss_mb < peak.pipeline_mb  # PSS ≤ RSS: the child's 200 MB are not in it


def test_the_bare_cost_is_the_median_run() -> None:
    runs = [Phase(seconds=5.1), Phase(seconds=2.9), Phase(seconds=3.0)]
    assert median_run(runs) is runs[2]
    assert median_run(runs[:2]) is runs[1]  # the lower middle of two
    assert median_run(runs[:1]) is runs[0]


def test_a_process_started_while_sampling_is_counted() -> None:
    """The tree is listed again while it is sampled (not every sample: listing is the costly part)."""
    hog = "b = b'x' * 200_000_000; import time; time.sleep(30)"
    with peak_rss(interval_s=0.05) as peak:
        time.sleep(0.2)
        child = subprocess.Popen([sys.executable, "-c", hog])
        try:
            while psutil.Process(child.pid).memory_info().rss < 200_000_000:
                time.sleep(0.05)
            time.sleep(LIST_EVERY_S + 0.3)
        finally:
            child.kill()
            child.wait()
    assert peak.workers_mb > 190
