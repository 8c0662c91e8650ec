"""Crash safety: a load killed at any moment leaves each issue fully loaded or absent.

A loading subprocess is SIGKILLed at a random moment of its load, again and again; after
every kill the warehouse is opened as the next run would open it, and each issue must be
either all there (the same rows in every table as an undisturbed load gives it) or nowhere.
Then the next run, the real `newsprint backfill`, completes the work. A kill that lands inside
DuckDB's in-place metadata write is rare at random (it once failed CI, tests/test_checkpoint.py
rebuilds it exactly); the checkpoint journal (flows/storage/checkpoint.py) is what makes it harmless.

The loaders are forked from a forkserver that has imported the pipeline once, so a kill
costs milliseconds rather than an interpreter start-up.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import random
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from flows import bulk_load, load
from flows.ingest import read_issue
from flows.settings import PROJECT_ROOT
from flows.storage import checkpoint
from flows.storage.warehouse import parse_warehouse
from flows.transform import IssueBundle, transform_issue
from tests.conftest import TODAY

KILLS = 20  # kills that land while the loader runs
MAX_TRIES = 80
SEED = 20251230
NOT_PER_ISSUE = {"runs", "failed_files"}


def load_bundles(
    warehouse: str, bundles_file: str, batch_size: int, ready: multiprocessing.synchronize.Event
) -> None:
    """The loading subprocess: load every issue not yet loaded.

    A batch of 1 is loaded as the daily flow's writer loads (a transaction per issue), a
    larger one as the backfill's (`batch_writer`, a transaction per batch).
    """
    bundles = pickle.loads(Path(bundles_file).read_bytes())
    ready.set()
    now = datetime(2026, 1, 15, 6, 0)
    with load.open_warehouse(parse_warehouse(warehouse)) as con:
        if batch_size == 1:
            for bundle in bundles:
                bulk_load.load_issues(con, parse_warehouse(warehouse), [bundle], "crash-test", lambda: now)
            return
        for start in range(0, len(bundles), batch_size):
            bulk_load.load_issues(
                con,
                parse_warehouse(warehouse),
                bundles[start : start + batch_size],
                "crash-test",
                lambda: now,
                batch_writer=True,
            )


def per_issue_rows(warehouse: str, shas: list[str]) -> dict[str, dict[str, int]]:
    """Count each issue's rows in every table that holds them (by issue hash or article id)."""
    con = load.connect(
        parse_warehouse(warehouse)
    )  # read-write, as the next run opens it: recovers, replays the WAL
    try:
        columns = con.execute(
            "select table_name, list(column_name) from information_schema.columns "
            "where table_schema = 'main' and table_name in "
            "(select table_name from information_schema.tables where table_type = 'BASE TABLE') group by all"
        ).fetchall()
        counts: dict[str, dict[str, int]] = {sha: {} for sha in shas}
        for table, names in columns:
            if table in NOT_PER_ISSUE:
                continue
            key = next((k for k in ("issue_sha256", "sha256", "article_id") if k in names), None)
            if key is None:
                continue
            rows = con.execute(
                f'select "{key}" from "{table}"'
            ).fetchall()  # test-only, names from the catalog
            for sha in shas:
                prefix = sha[:16] + "-"
                counts[sha][table] = sum(
                    1
                    for (value,) in rows
                    if (value == sha if key != "article_id" else str(value).startswith(prefix))
                )
    finally:
        checkpoint.release(con, Path(warehouse))
    return counts


@pytest.fixture(scope="module")
def issues(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[IssueBundle], Path]:
    """Six synthetic daily issues: their archive folder, their bundles, and the bundles' pickle."""
    from bench.synthetic import build_archive

    root = tmp_path_factory.mktemp("crash")
    paths = build_archive(root / "archive", 6)
    bundles = [transform_issue(read_issue(str(p), p.read_bytes()), TODAY) for p in paths]
    pickled = root / "bundles.pickle"
    pickled.write_bytes(pickle.dumps(bundles))
    return root / "archive", bundles, pickled


def _loader(
    context: multiprocessing.context.ForkServerContext, warehouse: Path, pickled: Path, batch_size: int
) -> multiprocessing.process.BaseProcess:
    ready = context.Event()
    process = context.Process(target=load_bundles, args=(str(warehouse), str(pickled), batch_size, ready))
    process.start()
    assert ready.wait(60), "the loader never got ready"
    return process


def _fresh(warehouse: Path) -> None:
    for path in warehouse.parent.glob(warehouse.name + "*"):  # the file, its WAL, any journal
        path.unlink()


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize("batch_size", [1, 2], ids=["daily-writer", "backfill-writer"])
def test_killing_a_load_at_any_moment_loses_or_half_loads_nothing(
    tmp_path: Path, issues: tuple[Path, list[IssueBundle], Path], batch_size: int
) -> None:
    archive, bundles, pickled = issues
    shas = [b.issue.sha256 for b in bundles]
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["flows.load", "flows.transform", "tests.test_crash"])

    # an undisturbed load: what each issue looks like in full, and how long a load takes
    reference = tmp_path / "reference.duckdb"
    process = _loader(context, reference, pickled, batch_size)
    started = time.perf_counter()
    process.join(300)
    window = time.perf_counter() - started  # from ready to done: the kills land in here
    assert process.exitcode == 0
    full = per_issue_rows(str(reference), shas)
    assert all(full[sha]["issues"] == 1 and full[sha]["articles"] > 0 for sha in shas)

    rng = random.Random(SEED)
    warehouse = tmp_path / "warehouse.duckdb"
    landed, states = 0, []
    while landed < KILLS and len(states) < MAX_TRIES:
        process = _loader(context, warehouse, pickled, batch_size)
        time.sleep(rng.uniform(0, window))
        running = process.is_alive()
        process.kill()  # SIGKILL: no cleanup, no rollback, no checkpoint
        process.join(60)
        landed += running
        counts = per_issue_rows(str(warehouse), shas)
        for sha in shas:
            found = {table: counts[sha].get(table, 0) for table in full[sha]}
            assert found in (full[sha], dict.fromkeys(full[sha], 0)), f"issue {sha[:12]} half-loaded: {found}"
        loaded = sum(counts[sha].get("issues", 0) for sha in shas)
        states.append(loaded)
        if loaded == len(shas):
            _fresh(warehouse)  # all in: start over, so the next kills land inside loads again
    print(f"load window {window:.2f} s; loaded issues after each kill: {states}")
    assert landed >= KILLS, f"only {landed} kills landed during a load"
    assert any(0 < n < len(shas) for n in states), "no kill landed between two issues"

    # the next run completes the work
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSPRINT_")}
    from prefect.settings import PREFECT_API_URL

    env["PREFECT_API_URL"] = str(PREFECT_API_URL.value())
    done = subprocess.run(
        [str(Path(sys.executable).with_name("newsprint")), "backfill", str(archive), "-w", str(warehouse)],
        cwd=PROJECT_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert per_issue_rows(str(warehouse), shas) == full
