"""The warehouse as a DuckLake: a local file catalog (always) and a real PostgreSQL catalog (integration).

Same tables, same SQL, same checks as the single DuckDB file: the pipeline's results on a lake
are compared with its results on a file. On PostgreSQL, analysts read while a backfill writes,
and two backfills of the same archive at once load each issue exactly once.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from bench.synthetic import build_archive
from flows import bulk_load, load
from flows.cli.app import app
from flows.load import sql as sql_text
from flows.query import run_query
from flows.settings import PROJECT_ROOT, check_severities
from flows.storage import database, search
from flows.storage.warehouse import Warehouse, WarehouseSettingError, parse_warehouse
from flows.transform import transform_issue
from tests.conftest import TODAY

NOW = datetime(2026, 1, 15, 6, 0)
TABLES = (
    "issues",
    "articles",
    "rejected_articles",
    "article_reporters",
    "article_terms",
    "article_keywords",
    "article_entities",
    "article_minhashes",
    "quality_findings",
    "failed_files",
)
runner = CliRunner()


def table_counts(warehouse_setting: str) -> dict[str, int]:
    """Count every pipeline table through the analysts' read-only path."""
    query = " union all ".join(f"select '{t}', count(*) from {t}" for t in TABLES)
    _, rows = run_query(parse_warehouse(warehouse_setting), query)
    return dict(rows)  # type: ignore[arg-type]


def content(warehouse_setting: str) -> list[tuple]:
    """Return what was loaded, independent of load times and run ids."""
    _, rows = run_query(
        parse_warehouse(warehouse_setting),
        "select i.source_file, i.issue_date, a.seq, a.headline, a.body_hash, a.tokens "
        "from articles a join issues i on i.sha256 = a.issue_sha256 order by all",
    )
    return rows


# --- the setting ------------------------------------------------------------------------------


def test_a_path_is_a_duckdb_file_and_ducklake_settings_name_their_catalog(tmp_path: Path) -> None:
    assert parse_warehouse("data/warehouse.duckdb") == Warehouse(location="data/warehouse.duckdb")
    local = parse_warehouse(f"ducklake:{tmp_path}/catalog.ducklake")
    assert (local.lake, local.postgres, local.location) == (True, False, f"{tmp_path}/catalog.ducklake")
    pg = parse_warehouse(
        "ducklake:postgres:dbname=newsprint host=127.0.0.1 port=54329 user=postgres "
        "DATA_PATH '/srv/it''s lake' METADATA_SCHEMA lake_a"
    )
    assert pg.location == "postgres:dbname=newsprint host=127.0.0.1 port=54329 user=postgres"
    assert (pg.postgres, pg.data_path, pg.metadata_schema) == (True, "/srv/it's lake", "lake_a")
    assert parse_warehouse("ducklake:postgres:dbname=n DATA_PATH s3://bucket/lake/").data_path == (
        "s3://bucket/lake/"
    )


def test_a_relative_data_path_is_made_absolute_so_every_worker_agrees(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    lake = parse_warehouse("ducklake:lake/catalog.ducklake DATA_PATH lake/data")
    assert (lake.location, lake.data_path) == (f"{tmp_path}/lake/catalog.ducklake", f"{tmp_path}/lake/data")


def test_an_unsupported_catalog_is_refused_with_the_accepted_forms() -> None:
    with pytest.raises(WarehouseSettingError, match="ducklake:postgres:"):
        parse_warehouse("ducklake:sqlite:/tmp/catalog.sqlite")
    with pytest.raises(WarehouseSettingError):
        parse_warehouse("ducklake: DATA_PATH /tmp/x")


def test_newsprint_data_path_fills_in_a_lake_without_one(monkeypatch) -> None:
    from flows.settings import Settings

    monkeypatch.setenv("NEWSPRINT_WAREHOUSE", "ducklake:postgres:dbname=newsprint")
    monkeypatch.setenv("NEWSPRINT_DATA_PATH", "/srv/lake/data")
    assert Settings().warehouse.data_path == "/srv/lake/data"
    monkeypatch.setenv("NEWSPRINT_WAREHOUSE", "ducklake:postgres:dbname=newsprint DATA_PATH /srv/other")
    assert Settings().warehouse.data_path == "/srv/other"  # the setting's own wins
    monkeypatch.setenv("NEWSPRINT_WAREHOUSE", "data/w.duckdb")
    assert Settings().warehouse == Warehouse("data/w.duckdb")


# --- a lake with a local catalog --------------------------------------------------------------


@pytest.fixture
def local_lake(tmp_path: Path) -> str:
    return f"ducklake:{tmp_path}/lake/catalog.ducklake DATA_PATH {tmp_path}/lake/data"


def test_the_extensions_load_from_the_wheels_with_installing_switched_off(local_lake: str) -> None:
    with load.open_warehouse(parse_warehouse(local_lake)) as con:
        rows = con.execute(
            "select extension_name, loaded, installed from duckdb_extensions() "
            "where extension_name in ('ducklake', 'postgres_scanner') order by 1"
        ).fetchall()
        assert rows == [("ducklake", True, False), ("postgres_scanner", False, False)]
        assert con.execute("select current_setting('autoinstall_known_extensions')").fetchone() == (False,)
        assert con.execute(
            "select type from duckdb_databases() where database_name = current_database()"
        ).fetchone() == ("ducklake",)
        assert con.execute("select count(*) from duckdb_variables()").fetchone() == (0,)  # nothing parked


def test_one_issue_loads_once_on_a_local_lake_with_its_parquet_in_the_data_folder(
    local_lake: str, sample_issue, tmp_path: Path
) -> None:
    bundle = transform_issue(sample_issue, TODAY)
    with load.open_warehouse(parse_warehouse(local_lake)) as con:
        assert (
            bulk_load.load_issues(con, parse_warehouse(local_lake), [bundle], "run-1", lambda: NOW)[0].loaded
            is True
        )
        assert (
            bulk_load.load_issues(con, parse_warehouse(local_lake), [bundle], "run-2", lambda: NOW)[0].loaded
            is False
        )
        stored = con.execute(sql_text("lake/data_path")).fetchone()
    assert stored == (f"{tmp_path}/lake/data/",)
    counts = table_counts(local_lake)
    assert (counts["issues"], counts["articles"], counts["rejected_articles"]) == (1, 6, 1)
    assert list((tmp_path / "lake" / "data").rglob("*.parquet"))  # the article terms, at least
    _, rows = run_query(parse_warehouse(local_lake), "select raw_text from issues")
    assert rows == [(bundle.issue.text,)]


def test_a_read_only_lake_connection_refuses_writes(local_lake: str) -> None:
    with load.open_warehouse(parse_warehouse(local_lake)):
        pass
    con = load.connect(parse_warehouse(local_lake), read_only=True)
    try:
        with pytest.raises(duckdb.Error, match=r"read-only|read only"):
            con.execute("insert into runs (run_id, flow_name, started_at) values ('x', 'y', now())")
    finally:
        con.close()


def test_revalidation_moves_articles_between_tables_on_a_lake(local_lake: str, sample_issue) -> None:
    from flows.revalidate import revalidate_warehouse

    with load.open_warehouse(parse_warehouse(local_lake)) as con:
        bulk_load.load_issues(
            con, parse_warehouse(local_lake), [transform_issue(sample_issue, TODAY)], "run-1", lambda: NOW
        )
        relaxed = check_severities({"dateline_present": "warning"})
        outcome = revalidate_warehouse(con, parse_warehouse(local_lake), relaxed, NOW)
    assert (outcome.accepted, outcome.rejected, len(outcome.to_accepted)) == (7, 0, 1)
    counts = table_counts(local_lake)
    assert (counts["articles"], counts["rejected_articles"]) == (7, 0)


@pytest.mark.usefixtures("prefect_harness")
def test_daily_ingest_and_search_on_a_local_lake_match_the_duckdb_file(
    local_lake: str, inbox: Path, warehouse: str
) -> None:
    from flows.pipeline import daily_ingest

    on_lake = daily_ingest(inbox=str(inbox), warehouse=local_lake)
    on_file = daily_ingest(inbox=str(inbox), warehouse=warehouse)
    keys = ("files_loaded", "articles_accepted", "articles_rejected")
    assert [on_lake[k] for k in keys] == [on_file[k] for k in keys] == [1, 6, 1]
    again = daily_ingest(inbox=str(inbox), warehouse=local_lake)
    assert (again["files_loaded"], again["files_skipped"]) == (0, 1)
    assert table_counts(local_lake) == table_counts(warehouse)
    assert content(local_lake) == content(warehouse)
    # the views and the search index work on the lake too
    _, overview = run_query(parse_warehouse(local_lake), "select count(*) from article_overview")
    assert overview == [(6,)]
    con = load.connect(parse_warehouse(local_lake), read_only=True)
    try:
        hits = search.search_articles(con, parse_warehouse(local_lake), "人工智能")
    finally:
        con.close()
    with load.open_warehouse(parse_warehouse(warehouse)) as con:
        expected = search.search_articles(con, parse_warehouse(warehouse), "人工智能")
    assert [h.article_id for h in hits] == [h.article_id for h in expected] and hits


def test_newsprint_sql_reads_a_lake(local_lake: str, sample_issue) -> None:
    with load.open_warehouse(parse_warehouse(local_lake)) as con:
        bulk_load.load_issues(
            con, parse_warehouse(local_lake), [transform_issue(sample_issue, TODAY)], "run-1", lambda: NOW
        )
    result = runner.invoke(
        app, ["sql", "select count(*) as n from articles", "--warehouse", local_lake, "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["n", "6"]
    refused = runner.invoke(app, ["sql", "delete from articles", "--warehouse", local_lake])
    assert refused.exit_code == 1 and "read-only" in refused.output


@pytest.mark.usefixtures("prefect_harness")
def test_backfill_into_a_local_lake_loads_what_it_loads_into_a_file(local_lake: str, tmp_path: Path) -> None:
    from flows.pipeline import backfill_archive

    archive = tmp_path / "archive"
    build_archive(archive, 6)
    file_warehouse = str(tmp_path / "file.duckdb")
    on_lake = backfill_archive(archive=str(archive), warehouse=local_lake, batch_size=4, workers=1)
    on_file = backfill_archive(archive=str(archive), warehouse=file_warehouse, batch_size=4, workers=1)
    assert on_lake["files_loaded"] == on_file["files_loaded"] == 6
    assert table_counts(local_lake) == table_counts(file_warehouse)
    assert content(local_lake) == content(file_warehouse)
    resumed = backfill_archive(archive=str(archive), warehouse=local_lake, batch_size=4, workers=1)
    assert (resumed["files_loaded"], resumed["files_skipped"]) == (0, 6)


# --- a lake with a PostgreSQL catalog (integration) -------------------------------------------


@dataclass(frozen=True)
class Postgres:
    conninfo: str
    root: Path

    def lake(self, name: str) -> str:
        """Return the setting of a fresh lake: its own catalog schema and data folder."""
        return f"ducklake:postgres:{self.conninfo} DATA_PATH {self.root / name} METADATA_SCHEMA {name}"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres_script(*args: str) -> subprocess.CompletedProcess[str]:
    script = PROJECT_ROOT / ".ci" / "postgres.sh"
    return subprocess.run(["bash", str(script), *args], capture_output=True, text=True, timeout=900)


def _can_install_postgres() -> bool:
    installed = any(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return installed or (os.geteuid() == 0 and shutil.which("apt-get") is not None)


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    """A throwaway PostgreSQL on 127.0.0.1 (installed with apt if missing), destroyed afterwards."""
    if not _can_install_postgres():
        pytest.skip("PostgreSQL is not installed and cannot be (apt-get needs root)")
    # not under pytest's tmp dir (mode 700): the server runs as the postgres user
    root = Path(tempfile.mkdtemp(prefix="newsprint-pg-"))
    root.chmod(0o755)
    pg_dir = str(root / "cluster")
    port = str(free_port())
    started = _postgres_script("start", pg_dir, port)
    if started.returncode != 0:  # root with apt could install it: CI must not pass by skipping
        pytest.fail(f".ci/postgres.sh start failed:\n{started.stderr[-2000:]}")
    try:
        yield Postgres(conninfo=started.stdout.strip(), root=root)
    finally:
        _postgres_script("destroy", pg_dir, port)
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.integration
@pytest.mark.usefixtures("prefect_harness")
def test_the_pipeline_on_a_postgres_catalog_matches_the_duckdb_file(
    postgres: Postgres, inbox: Path, tmp_path: Path
) -> None:
    from flows.pipeline import backfill_archive, daily_ingest

    lake = postgres.lake("pipeline")
    file_warehouse = str(tmp_path / "file.duckdb")
    archive = tmp_path / "archive"
    build_archive(archive, 5)
    for target in (lake, file_warehouse):
        assert daily_ingest(inbox=str(inbox), warehouse=target)["files_loaded"] == 1
        assert (
            backfill_archive(archive=str(archive), warehouse=target, batch_size=2, workers=1)["files_loaded"]
            == 5
        )
    assert table_counts(lake) == table_counts(file_warehouse)
    assert content(lake) == content(file_warehouse)
    con = load.connect(parse_warehouse(lake), read_only=True)
    try:
        assert search.search_articles(con, parse_warehouse(lake), "人工智能")
    finally:
        con.close()


ATTACH_AT = """
import sys, time
from flows import load
from flows.storage.warehouse import parse_warehouse
start = float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))  # every process attaches at the same moment
lake = parse_warehouse(sys.argv[1])
con = load.connect(lake)
load.apply_ddl(con, lake)
print(con.execute("select count(*) from issues").fetchone()[0])
"""


@pytest.mark.integration
def test_processes_creating_one_new_lake_at_the_same_moment_all_attach_it(postgres: Postgres) -> None:
    lake = postgres.lake("created_at_once")
    start = str(time.time() + 20)  # after every process has imported the pipeline
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", ATTACH_AT, lake, start], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=300) for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0], [e.decode()[-800:] for _, e in outputs]
    assert [out.decode().split() for out, _ in outputs] == [["0"]] * 3


@pytest.mark.integration
def test_ducklake_alone_lets_two_writers_load_the_same_issue(postgres: Postgres) -> None:
    """The premise of the writer lock: two transactions that both saw no issue both commit it."""
    lake = postgres.lake("premise")
    with load.open_warehouse(parse_warehouse(lake)):
        pass
    first, second = load.connect(parse_warehouse(lake)), load.connect(parse_warehouse(lake))
    try:
        for con in (first, second):
            con.execute("begin transaction")
            assert not load.is_loaded(con, "same-issue")
        for con in (first, second):
            con.execute(
                "insert into issues (sha256, source_file, encoding, lines, articles_total, "
                "articles_accepted, articles_rejected, residue_lines, findings, loaded_at, raw_text, "
                "residue) "
                "values ('same-issue', 'x.txt', 'utf-8', 1, 0, 0, 0, 0, 0, now(), '', [])"
            )
        for con in (first, second):
            con.execute("commit")
        assert first.execute("select count(*) from issues").fetchone() == (2,)
    finally:
        first.close()
        second.close()


def wait_for_a_lock_waiter(con: duckdb.DuckDBPyConnection, timeout_s: float = 60.0) -> None:
    """Poll PostgreSQL until a session waits for an advisory lock (fail after `timeout_s`)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        row = con.execute(
            "select count(*) from postgres_query('__ducklake_metadata_lake', "
            "'select 1 from pg_locks where locktype = ''advisory'' and not granted')"
        ).fetchone()
        if row and row[0]:
            return
        time.sleep(0.1)
    pytest.fail("no writer ever waited for the lake's writer lock")


@pytest.mark.integration
def test_the_writer_lock_makes_the_second_writer_see_the_first_ones_issue(
    postgres: Postgres, sample_issue
) -> None:
    lake = postgres.lake("guarded")
    bundle = transform_issue(sample_issue, TODAY)
    with load.open_warehouse(parse_warehouse(lake)):
        pass
    first, second = load.connect(parse_warehouse(lake)), load.connect(parse_warehouse(lake))
    results: dict[str, bool] = {}
    try:
        with database.writer_lock(parse_warehouse(lake)):
            waiting = threading.Thread(
                target=lambda: results.update(
                    second=bulk_load.load_issues(second, parse_warehouse(lake), [bundle], "b", lambda: NOW)[
                        0
                    ].loaded
                )
            )
            waiting.start()
            wait_for_a_lock_waiter(first)  # the second writer is blocked before its transaction
            with database.transaction(first):  # the load's own lock taking left out: `first` holds it
                (loaded,) = bulk_load._load_in_transaction(first, [bundle], "a", lambda: NOW)
            results["first"] = loaded.loaded
            assert "second" not in results
        waiting.join(timeout=120)
        assert results == {"first": True, "second": False}
        assert first.execute("select run_id from issues").fetchall() == [("a",)]
    finally:
        first.close()
        second.close()


def start_backfill(archive: Path, lake: str, log: Path) -> subprocess.Popen[bytes]:
    """Start `newsprint backfill` in its own process, reporting to the test harness's Prefect API."""
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), "NEWSPRINT_LOCK_TIMEOUT": "600"}
    command = [str(Path(sys.executable).parent / "newsprint"), "backfill", str(archive), "--warehouse", lake]
    options = ["--batch-size", "1", "--workers", "1", "--no-progress"]
    with log.open("wb") as out:
        return subprocess.Popen([*command, *options], env=env, stdout=out, stderr=subprocess.STDOUT)


def finish(process: subprocess.Popen[bytes], log: Path) -> None:
    assert process.wait(timeout=900) == 0, log.read_text(encoding="utf-8", errors="replace")[-3000:]


READ_COUNTS = (
    "select (select count(*) from issues) as issues, "
    "(select coalesce(sum(articles_accepted), 0) from issues) as accepted, "
    "(select count(*) from articles) as articles"
)


@pytest.mark.integration
@pytest.mark.usefixtures("prefect_harness")
def test_two_backfills_at_once_load_each_issue_once_while_analysts_read(
    postgres: Postgres, tmp_path: Path
) -> None:
    lake = postgres.lake("two_writers")
    archive = tmp_path / "archive"
    build_archive(archive, 6)
    with load.open_warehouse(parse_warehouse(lake)):
        pass  # the tables exist before the first read
    logs = [tmp_path / f"writer-{n}.log" for n in (1, 2)]
    writers = [start_backfill(archive, lake, log) for log in logs]
    seen: list[tuple[int, int, int]] = []
    while any(w.poll() is None for w in writers):
        _, rows = run_query(parse_warehouse(lake), READ_COUNTS)  # never refused, never waits for the writers
        if any(w.poll() is None for w in writers):  # this read overlapped the backfills
            seen.append(rows[0])
    for writer, log in zip(writers, logs, strict=True):
        finish(writer, log)
    # each read saw one committed state: an issue's articles arrive with it, counts only grow
    assert all(accepted == articles for _, accepted, articles in seen)
    assert [issues for issues, _, _ in seen] == sorted(issues for issues, _, _ in seen)
    assert any(0 < issues < 6 for issues, _, _ in seen), seen  # some reads came between two issues
    _, issues = run_query(
        parse_warehouse(lake), "select source_file, count(*) from issues group by all order by all"
    )
    assert [count for _, count in issues] == [1] * 6
    _, runs = run_query(
        parse_warehouse(lake), "select count(*), sum(files_loaded), sum(files_skipped) from runs"
    )
    assert runs == [(2, 6, 6)]  # every issue loaded by one backfill and skipped by the other
    _, articles = run_query(
        parse_warehouse(lake), "select count(*), count(distinct article_id) from articles"
    )
    assert articles[0][0] == articles[0][1] > 0
    result = runner.invoke(app, ["sql", READ_COUNTS, "--warehouse", lake, "--format", "csv"])
    assert result.exit_code == 0 and result.stdout.splitlines()[1].startswith("6,")
