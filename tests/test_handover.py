"""A backfill's writer keeps the warehouse open between batches, and hands it over when asked."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from flows import bulk_load, load
from flows.settings import PROJECT_ROOT
from flows.storage import connection, handover
from flows.storage.warehouse import parse_warehouse
from flows.transform import transform_issue
from tests.conftest import TODAY

NOW = datetime(2026, 1, 15, 6, 0)


def test_a_mark_is_wanted_while_fresh_and_not_once_stale(tmp_path: Path) -> None:
    mark = handover.waiting_mark(parse_warehouse(str(tmp_path / "w.duckdb")))
    assert mark == tmp_path / "w.duckdb.waiting"
    assert not handover.is_wanted(mark)
    handover.announce(mark)
    assert handover.is_wanted(mark)
    stale = time.time() - handover.FRESH_S - 1
    os.utime(mark, (stale, stale))  # a waiting process that gave up or died
    assert not handover.is_wanted(mark)
    handover.wait_for_taker(mark, timeout_s=60)  # returns at once: nobody to wait for
    handover.announce(mark)
    handover.withdraw(mark)
    assert not mark.exists()


def test_a_postgres_lake_has_no_mark() -> None:
    assert handover.waiting_mark(parse_warehouse("ducklake:postgres:dbname=newsprint")) is None
    assert not handover.is_wanted(None)


def test_connect_marks_that_it_waits_and_removes_the_mark_once_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = str(tmp_path / "w.duckdb")
    mark = tmp_path / "w.duckdb.waiting"
    marked_while_waiting: list[bool] = []

    def busy_twice(target, read_only=False):
        if len(marked_while_waiting) < 2:
            marked_while_waiting.append(mark.exists())
            raise duckdb.IOException('Could not set lock on file "w.duckdb": Conflicting lock is held')
        return "connection"

    monkeypatch.setattr(connection, "open_connection", busy_twice)
    monkeypatch.setattr(connection.time, "sleep", lambda seconds: None)
    assert load.connect(parse_warehouse(warehouse), timeout_s=60) == "connection"
    assert marked_while_waiting == [False, True]  # marked from the first refusal on
    assert not mark.exists()


def test_the_writer_keeps_one_connection_and_opens_again_after_a_failed_batch(
    warehouse: str, sample_issue
) -> None:
    bundle = transform_issue(sample_issue, TODAY)
    with load.BatchWriter(parse_warehouse(warehouse)) as writer:
        for _ in range(3):
            with writer.batch() as con:
                bulk_load.load_issues(con, writer.warehouse, [bundle], "run-1", lambda: NOW)
        assert writer.opens == 1
        with pytest.raises(ZeroDivisionError), writer.batch():
            raise ZeroDivisionError
        with writer.batch() as con:
            assert con.execute("select count(*) from issues").fetchone() == (1,)
        assert writer.opens == 2
    with duckdb.connect(warehouse) as con:  # closed at the end: another process may open it
        assert con.execute("select count(*) from articles").fetchone() == (6,)


def test_a_query_waiting_during_a_backfill_gets_in_after_a_batch(warehouse: str, sample_issue) -> None:
    """Without the hand-over the writer would hold the file to the end, and the query give up."""
    bundle = transform_issue(sample_issue, TODAY)
    query = (
        "from flows.load import connect\nfrom flows.storage.warehouse import Warehouse\n"
        f"con = connect(Warehouse({warehouse!r}), read_only=True, timeout_s=60)\n"
        "print('IN', con.execute('select count(*) from issues').fetchone()[0], flush=True)\n"
        "con.close()\n"
    )
    with load.BatchWriter(parse_warehouse(warehouse)) as writer:
        with writer.batch() as con:
            bulk_load.load_issues(con, writer.warehouse, [bundle], "run-1", lambda: NOW)
        analyst = subprocess.Popen(
            [sys.executable, "-c", query], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 60
        while analyst.poll() is None and time.monotonic() < deadline:
            with writer.batch() as con:  # the batches go on, each a short transaction
                con.execute("select count(*) from articles").fetchone()
            time.sleep(0.01)
        out, _ = analyst.communicate(timeout=60)
        assert out.split() == ["IN", "1"] and analyst.returncode == 0
        with writer.batch() as con:  # and the writer took the warehouse back
            assert con.execute("select count(*) from issues").fetchone() == (1,)
        assert writer.opens == 2
