"""The benchmark's memory sampler: PSS is read rarely (it is costly), yet no peak is missed."""

from __future__ import annotations

import time

import psutil

from flows.bench import peak_rss


def test_memory_that_grows_between_pss_readings_is_still_seen() -> None:
    before = psutil.Process().memory_full_info()
    with peak_rss(interval_s=0.05, pss_every_s=3600) as peak:  # PSS due once only, at the start
        time.sleep(0.2)
        block = b"x" * 200_000_000  # written, so resident
        time.sleep(0.3)
    assert len(block) == 200_000_000
    assert peak.main_mb > before.rss / 1e6 + 150
    assert peak.main_pss_mb > before.pss / 1e6 + 150  # read again because RSS grew


def test_processes_counted_apart_have_no_pss_read() -> None:
    me = psutil.Process().pid
    with peak_rss(others=frozenset({me}), interval_s=0.05) as peak:
        time.sleep(0.1)
    assert peak.with_others_mb > 0 and peak.pipeline_mb == peak.pipeline_pss_mb == 0
