"""`newsprint bench` on a tiny archive: the report's keys, counts and consistency (no timings)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli.app import app

pytestmark = [pytest.mark.usefixtures("prefect_harness"), pytest.mark.slow]

KEYS = {"issues", "mb", "seconds", "segment_seconds", "ratio", "peak_rss_mb", "articles", "plain_seconds"}
KEYS |= {"mb_per_cpu_s", "peer_mb_per_cpu_s", "times_peer", "warehouse_ratio", "server_cpu_seconds"}
STAGES = {"read", "decode", "split", "validate", "segment", "load", "index"}
# A stand-in for the peer script (CI has neither the shared script nor PyPI for its environment):
# it loads each issue's text into its own warehouse and reports as the real one does.
PEER_STAND_IN = """
import sys, duckdb, pathlib
files = sorted(pathlib.Path(sys.argv[1]).glob("*.txt"))
con = duckdb.connect(sys.argv[2])
con.execute("create table issues (raw_text varchar)")
con.executemany("insert into issues values (?)", [[f.read_text()] for f in files])
print(f"{len(files)} issues, 0.0 MB, {7 * len(files)} accepted, 0 rejected, 0.1 s, 0.0 MB/s")
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from prefect.settings import PREFECT_API_URL

    keep = tmp_path_factory.mktemp("bench")
    peer = tmp_path_factory.mktemp("peer") / "peer_script.py"
    peer.write_text(PEER_STAND_IN, encoding="utf-8")
    args = ["bench", "--issues", "3", "--size", "sample", "--json", "--workers", "1", "--batch-size", "2"]
    args += ["--keep", str(keep), "--peer-script", str(peer)]
    with pytest.MonkeyPatch.context() as env:  # the measurements run in fresh processes: same API
        env.setenv("PREFECT_API_URL", str(PREFECT_API_URL.value()))
        env.setenv("NEWSPRINT_PEER_PYTHON", sys.executable)
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return {"keep": keep, **json.loads(result.stdout.strip().splitlines()[-1])}


def test_the_report_has_the_promised_keys(report: dict) -> None:
    assert set(report) >= KEYS
    runs = report["segment_seconds_runs"]
    assert len(runs) == 3 and report["segment_seconds"] == sorted(runs)[1]  # the median bare run
    assert set(report["stages"]) >= STAGES and set(report["plain_stages"]) >= STAGES


def test_every_issue_and_article_is_counted(report: dict) -> None:
    assert report["issues"] == report["files_loaded"] == 3
    assert report["articles"] == report["articles_accepted"] == 3 * 7  # the sample's seven, all distinct
    assert report["articles_rejected"] == 0
    archive = sorted((report["keep"] / "archive").iterdir())
    assert len(archive) == 3
    assert report["mb"] == round(sum(p.stat().st_size for p in archive) / 1e6, 3)


def test_the_figures_are_consistent(report: dict) -> None:
    assert report["seconds"] > 0 and report["segment_seconds"] > 0 and report["ratio"] > 0
    bare = report["segment_seconds"]
    assert report["ratio"] == pytest.approx(report["seconds"] / bare, rel=0.02)
    assert report["plain_ratio"] == pytest.approx(report["plain_seconds"] / bare, rel=0.02)
    bare_cpu = report["segment_cpu_seconds"]
    assert report["cpu_ratio"] == pytest.approx(report["cpu_seconds"] / bare_cpu, rel=0.02)
    assert report["peak_rss_mb"] > 0 and report["segment_peak_rss_mb"] > 0
    # shared pages count once in PSS, once per process in RSS
    assert 0 < report["peak_pss_mb"] < report["peak_rss_mb"]
    assert 0 < report["peak_pss_main_mb"] <= report["peak_pss_mb"]
    assert 0 < report["plain_peak_pss_mb"] < report["plain_peak_rss_mb"]
    from flows.settings import Settings

    assert (report["workers"], report["batch_size"], report["batch_mb"]) == (1, 2, Settings().batch_mb)
    assert report["mb_per_cpu_s"] == pytest.approx(report["mb"] / report["cpu_seconds"], abs=0.001)
    assert report["times_peer"] == pytest.approx(  # rounded to hundredths
        report["mb_per_cpu_s"] / report["peer_mb_per_cpu_s"], abs=0.01
    )
    assert report["peer_accepted"] == 21 and report["peer_warehouse_mb"] > 0
    assert report["warehouse_ratio"] == pytest.approx(report["warehouse_mb"] / report["mb"], rel=0.02)
    # the backfill runs against the test's Prefect server (not one it starts): its CPU is not seen
    assert report["prefect_api"].startswith("http") and report["server_cpu_seconds"] == 0


def test_the_two_backfills_fill_the_same_warehouse(report: dict) -> None:
    import duckdb

    counts = []
    query = "select count(*), count(distinct issue_sha256) from articles"
    for name in ("prefect.duckdb", "plain.duckdb"):
        with duckdb.connect(str(report["keep"] / name), read_only=True) as con:
            counts.append(con.execute(query).fetchone())
    assert counts == [(21, 3), (21, 3)]


def test_real_size_issues_without_the_dump_are_synthetic_and_as_large(tmp_path: Path) -> None:
    """Without the People's Daily dump, real-size issues are drawn from the sample: 250-300 kB each."""
    from bench.real_size import build_archive, corpus_folder

    assert corpus_folder(tmp_path / "no-dump") is None
    paths = build_archive(tmp_path / "archive", 3)
    assert all(250_000 <= p.stat().st_size <= 350_000 for p in paths)


def test_a_kept_folder_must_be_empty(tmp_path: Path) -> None:
    (tmp_path / "something").write_text("x")
    result = CliRunner().invoke(app, ["bench", "--issues", "1", "--keep", str(tmp_path)])
    assert result.exit_code != 0
    assert "not empty" in result.output
