"""Loading into DuckDB: one transaction per issue, idempotent, nothing lost."""

from __future__ import annotations

import itertools
import logging
import re
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pytest

from flows import bulk_load, load
from flows.ingest import read_issue
from flows.storage import connection, relations
from flows.storage.database import transaction
from flows.storage.warehouse import parse_warehouse
from flows.transform import transform_issue
from tests.conftest import TODAY

NOW = datetime(2026, 1, 15, 6, 0)


@pytest.fixture
def bundle(sample_issue):
    return transform_issue(sample_issue, TODAY)


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = [
        "issues",
        "articles",
        "rejected_articles",
        "article_reporters",
        "article_terms",
        "quality_findings",
    ]
    return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}


def test_load_sample(warehouse: str, bundle) -> None:
    with load.open_warehouse(parse_warehouse(warehouse)) as con:
        assert (
            bulk_load.load_issues(con, parse_warehouse(warehouse), [bundle], "run-1", lambda: NOW)[0].loaded
            is True
        )
        c = counts(con)
        assert c["issues"] == 1 and c["articles"] == 6 and c["rejected_articles"] == 1
        assert c["article_terms"] > 500
        raw = con.execute("select raw_text from issues").fetchone()[0]
        assert raw == bundle.issue.text
        people = con.execute("select name from article_reporters where role = 'correspondent'").fetchall()
        assert people == [("李青健",)]
        rejected = con.execute("select headline, failed_checks from rejected_articles").fetchall()
        assert rejected == [("锚定新目标，笃行实干开新局", ["dateline_present"])]
        date_row = con.execute("select distinct dateline_date from articles").fetchall()
        assert [str(d[0]) for d in date_row] == ["2025-12-29"]


def test_article_terms_counts_every_article_s_tokens(warehouse: str, bundle) -> None:
    """The view holds each word of every article's tokens, accepted or rejected, with its count."""
    from collections import Counter

    with load.open_warehouse(parse_warehouse(warehouse)) as con:
        bulk_load.load_issues(con, parse_warehouse(warehouse), [bundle], "run-1", lambda: NOW)
        terms = con.execute("select article_id, term, count from article_terms").fetchall()
    expected = Counter(
        (article, word)
        for article, tokens in bundle.segmented.select("article_id", "tokens").iter_rows()
        for word in tokens.split(" ")
    )
    assert {(a, t): n for a, t, n in terms} == expected
    assert {a for a, _, _ in terms} == set(bundle.validated.articles["article_id"])  # rejected one too


def test_a_warehouse_with_a_terms_table_gets_the_view(warehouse: str, bundle) -> None:
    """A warehouse made when article_terms was a table: the table goes, the view counts the same."""
    with load.open_warehouse(parse_warehouse(warehouse)) as con:
        bulk_load.load_issues(con, parse_warehouse(warehouse), [bundle], "run-1", lambda: NOW)
        before = con.execute("select * from article_terms order by all").fetchall()
        con.execute("drop view article_terms")
        con.execute(
            "create table article_terms as select * from (select 'x' as article_id, 'y' as term, 1 as count)"
        )
        con.execute("drop schema newsprint cascade")  # made by files of an earlier version
    with load.open_warehouse(parse_warehouse(warehouse)) as con:
        kind = con.execute(
            "select table_type from information_schema.tables where table_name = 'article_terms'"
        )
        assert kind.fetchone() == ("VIEW",)
        assert con.execute("select * from article_terms order by all").fetchall() == before


def test_reload_changes_nothing(warehouse: str, bundle) -> None:
    with load.open_warehouse(parse_warehouse(warehouse)) as con:
        bulk_load.load_issues(con, parse_warehouse(warehouse), [bundle], "run-1", lambda: NOW)
        before = counts(con)
        assert (
            bulk_load.load_issues(con, parse_warehouse(warehouse), [bundle], "run-2", lambda: NOW)[0].loaded
            is False
        )
        assert counts(con) == before


def test_reprinted_article_is_rejected_as_duplicate(warehouse: str, bundle, sample_bytes: bytes) -> None:
    later_text = "\n".join(
        [
            "曾赞荣任刚会见宋迎东殷敬伟一行",
            "□青岛日报/观海新闻记者 薛华飞",
            *bundle.parsed.issue.text.splitlines()[4:9],
        ]
    )
    later = transform_issue(read_issue("qingdao-daily-2026-01-05.txt", later_text.encode()), TODAY)
    with load.open_warehouse(parse_warehouse(warehouse)) as con:
        bulk_load.load_issues(con, parse_warehouse(warehouse), [bundle], "run-1", lambda: NOW)
        assert bulk_load.load_issues(con, parse_warehouse(warehouse), [later], "run-2", lambda: NOW)[0].loaded
        row = con.execute(
            "select duplicate_of, failed_checks from rejected_articles where issue_sha256 = ?",
            [later.issue.sha256],
        ).fetchone()
        first_id = con.execute("select article_id from articles where seq = 1").fetchone()[0]
        assert row == (first_id, ["body_not_duplicate"])


def test_failure_mid_load_leaves_nothing(warehouse: str, bundle, monkeypatch) -> None:
    broken = replace(bundle, entities=bundle.entities.rename({"entity": "not_a_column"}))
    with load.open_warehouse(parse_warehouse(warehouse)) as con:
        with pytest.raises(duckdb.Error):
            bulk_load.load_issues(con, parse_warehouse(warehouse), [broken], "run-1", lambda: NOW)
        assert counts(con) == dict.fromkeys(counts(con), 0)
        assert (
            bulk_load.load_issues(con, parse_warehouse(warehouse), [bundle], "run-2", lambda: NOW)[0].loaded
            is True
        )


def test_second_writer_waits_then_says_why(warehouse: str, bundle) -> None:
    import subprocess
    import sys

    with load.open_warehouse(parse_warehouse(warehouse)):
        code = (
            "from flows.load import connect, WarehouseBusy\nfrom flows.storage.warehouse import Warehouse\n"
            f"try:\n    connect(Warehouse({warehouse!r}), timeout_s=0.5)\n"
            "except WarehouseBusy as e:\n    print('BUSY', e)\n"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert out.stdout.startswith("BUSY") and "another process" in out.stdout


@pytest.mark.parametrize("holder_reads", [True, False], ids=["reader", "writer"])
def test_a_waiting_writer_says_who_holds_the_warehouse_and_for_how_long(
    warehouse: str, bundle, caplog: pytest.LogCaptureFixture, holder_reads: bool
) -> None:
    import subprocess
    import sys

    with load.open_warehouse(parse_warehouse(warehouse)) as con:
        bulk_load.load_issues(con, parse_warehouse(warehouse), [bundle], "run-1", lambda: NOW)
    code = (
        "import sys, duckdb\n"
        f"con = duckdb.connect({warehouse!r}, read_only={holder_reads})\n"
        "print('HOLDING', flush=True)\nsys.stdin.read()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "HOLDING"
        with (
            caplog.at_level(logging.INFO, logger="flows.storage.connection"),
            pytest.raises(load.WarehouseBusy) as busy,
        ):
            load.connect(parse_warehouse(warehouse), timeout_s=8)
    finally:
        holder.communicate(timeout=60)
    doing = "held open by a reader" if holder_reads else "being written by another process"
    who = f"PID {holder.pid} ("
    assert str(busy.value).startswith(f"the warehouse {warehouse} is {doing}, {who}")
    assert "(waited 8 s)" in str(busy.value) and ("close that session" in str(busy.value)) == holder_reads
    messages = [r.getMessage() for r in caplog.records]
    reports = [m for m in messages if m.startswith("waiting for the warehouse")]
    assert reports and all(f"{doing}, {who}" in report for report in reports)
    waited = [int(re.search(r"waited (\d+) s of 8$", report)[1]) for report in reports]  # type: ignore[index]
    assert waited[0] >= 2 and all(b - a >= 4 for a, b in itertools.pairwise(waited))  # every 5 s, rounded


def test_a_busy_warehouse_is_tried_again_often_enough_to_get_in_between_batches(monkeypatch) -> None:
    """connect waits 0.05 s, then 0.1, then at most POLL_MAX_S between attempts, and gets in."""
    attempts: list[bool] = []
    waits: list[float] = []

    def busy_six_times(target, read_only=False):
        attempts.append(read_only)
        if len(attempts) <= 6:
            raise duckdb.IOException('Could not set lock on file "w.duckdb": Conflicting lock is held')
        return "connection"

    monkeypatch.setattr(connection, "open_connection", busy_six_times)
    monkeypatch.setattr(connection.time, "sleep", waits.append)
    assert load.connect(parse_warehouse("w.duckdb"), read_only=True, timeout_s=60) == "connection"
    assert waits == [0.05, 0.1, 0.2, 0.2, 0.2, 0.2] and load.POLL_MAX_S == 0.2
    assert attempts == [True] * 7


# --- one transaction ----------------------------------------------------------------------------


def test_a_transaction_rolls_back_what_its_block_wrote_when_the_block_raises(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "t.duckdb")) as con:
        con.execute("create table t (s varchar)")
        with pytest.raises(ValueError, match="stop"), transaction(con):
            con.execute("insert into t values ('half a batch')")
            raise ValueError("stop")
        assert con.execute("select count(*) from t").fetchone() == (0,)


def test_a_commit_that_fails_reports_its_own_error_not_a_failed_rollback(tmp_path: Path) -> None:
    """A commit out of memory ends DuckDB's transaction: rolling back after it failed with
    "cannot rollback - no transaction is active", which was all a run reported. Here the
    commit fails in the checkpoint DuckDB starts at commit (its WAL is past 16 MB) at 2 MB."""
    with duckdb.connect(str(tmp_path / "t.duckdb")) as con:
        con.execute("create table t (s varchar)")
        for limit, rows in (("4MB", 20_000), ("4MB", 50_000), ("8MB", 100_000)):
            con.execute(f"set memory_limit = '{limit}'")
            con.execute(f"insert into t select repeat('x', 200) || range from range({rows})")
        con.execute("set memory_limit = '2MB'")
        with pytest.raises(duckdb.TransactionException, match="Failed to commit"), transaction(con):
            con.execute("insert into t select repeat('y', 200) || range from range(20000)")
        con.execute("set memory_limit = '1GB'")
        assert con.execute("select count(*) from t where s like 'y%'").fetchone() == (0,)


def test_a_frame_concatenated_from_a_batch_reaches_duckdb_in_one_piece() -> None:
    """DuckDB reads an Arrow table a chunk at a time: a chunk per issue cost a batch's insert 6x."""
    batch = pl.concat([pl.DataFrame({"word": [f"词{i}", "语"]}) for i in range(64)])
    assert batch.n_chunks() == 64
    con = _Spy(duckdb.connect())
    with relations.registered(con, "incoming", batch):  # type: ignore[arg-type]
        assert con.execute("select count(*) from incoming").fetchone() == (128,)
    assert [table.column("word").num_chunks for table in con.tables] == [1]


class _Spy:
    """A connection that keeps every table registered through it."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con, self.tables = con, []

    def register(self, name: str, table: pa.Table) -> None:
        self.tables.append(table)
        self.con.register(name, table)

    def unregister(self, name: str) -> None:
        self.con.unregister(name)

    def execute(self, query: str) -> duckdb.DuckDBPyConnection:
        return self.con.execute(query)
