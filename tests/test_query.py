"""The analyst's SQL: reads only, cannot write or escape, and says clearly why a statement was refused."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows import load
from flows.cli.app import app
from flows.query import QueryError, refuse_writes, run_query
from flows.storage.warehouse import parse_warehouse
from tests.conftest import load_issues_as_run

runner = CliRunner()


@pytest.fixture
def loaded(warehouse: str, sample_issue) -> str:
    load_issues_as_run(warehouse, [sample_issue])
    return warehouse


def _counts(warehouse: str) -> tuple[int, int]:
    with duckdb.connect(warehouse, read_only=True) as con:
        return con.execute("select (select count(*) from issues), (select count(*) from articles)").fetchone()


@pytest.mark.parametrize(
    ("statement", "kind"),
    [
        ("insert into articles select * from articles", "INSERT"),
        ("update articles set headline = 'x'", "UPDATE"),
        ("delete from articles", "DELETE"),
        ("create table notes as select 1 as n", "CREATE"),
        ("create temp table notes as select 1 as n", "CREATE"),
        ("drop table articles", "DROP"),
        ("attach '{tmp}/other.duckdb' as other", "ATTACH"),
        ("copy (select * from articles) to '{tmp}/articles.csv'", "COPY"),
        ("export database '{tmp}/dump'", "EXPORT"),
        ("select 1; delete from articles", "DELETE"),
        ("set threads = 1; select 1", "SET"),
    ],
)
def test_writes_are_refused_before_they_run(loaded: str, tmp_path: Path, statement: str, kind: str) -> None:
    before = _counts(loaded)
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir()}  # the warehouse (and its WAL)
    query = statement.format(tmp=tmp_path)
    with pytest.raises(QueryError, match=f"read-only and statement [12] is {kind}"):
        run_query(parse_warehouse(loaded), query)
    assert _counts(loaded) == before
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == files  # no file written or changed


def test_the_command_prints_the_refusal_without_a_traceback(loaded: str, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    result = runner.invoke(app, ["sql", f"copy articles to '{target}'", "--warehouse", loaded])
    assert result.exit_code == 1
    assert "refused: `newsprint sql` is read-only and statement 1 is COPY" in result.output
    assert "Traceback" not in result.output and not target.exists()


@pytest.mark.parametrize(
    "query",
    [
        "select count(*) from articles",
        "with a as (select seq from articles) select max(seq) from a",
        "describe articles",
        "show tables",
        "summarize select body_chars from articles",
        "explain select * from articles",
        "pragma table_info('articles')",
        "select * from duckdb_settings() where name = 'enable_external_access'",
        "select checkpoint_id from (select 1 as checkpoint_id)",
    ],
)
def test_reading_statements_run(loaded: str, query: str) -> None:
    refuse_writes(query)
    columns, rows = run_query(parse_warehouse(loaded), query)
    assert columns and rows


def test_the_read_only_connection_is_a_second_guard(loaded: str) -> None:
    con = load.connect(parse_warehouse(loaded), read_only=True)
    try:
        with pytest.raises(duckdb.InvalidInputException, match="read-only"):
            con.execute("delete from articles")
    finally:
        con.close()


def test_a_syntax_error_is_a_clear_message(loaded: str) -> None:
    with pytest.raises(QueryError, match="query failed: Parser Error"):
        run_query(parse_warehouse(loaded), "selec 1")


# Every way found to make `newsprint sql` write a file, change a setting, load or install an
# extension, or read outside the warehouse ({wh}: the warehouse file, {tmp}: its folder).
HOSTILE = [
    "SET log_query_path = '{wh}'; SELECT 1",
    "SET log_query_path = '{wh}.wal'; SELECT 1",
    "PRAGMA log_query_path = '{wh}'",
    "SET profiling_output = '{wh}'",
    "PRAGMA enable_profiling = 'json'",
    "EXPLAIN ANALYZE COPY (select * from articles) TO '{tmp}/out.csv'",
    "EXPLAIN ANALYZE select * from enable_logging(storage = 'file', storage_path = '{tmp}')",
    "CALL enable_logging(storage = 'file', storage_path = '{tmp}')",
    "select * from enable_logging(storage = 'file', storage_path = '{tmp}')",
    """select * from system.main."ENABLE_LOGGING"(storage = 'file', storage_path = '{tmp}')""",
    "select write_log('x', log_type := 'QueryLog')",
    "select * from query('select * from enable_logging(storage = ''file'')')",
    "INSTALL '{tmp}/evil.duckdb_extension'",
    "INSTALL httpfs",
    "FORCE INSTALL fts",
    "LOAD httpfs",
    "UPDATE EXTENSIONS",
    "select * from read_text('/etc/passwd')",
    "select * from read_blob('{tmp}/../../../etc/hostname')",
    "select * from glob('/etc/*')",
    "select * from read_csv('/etc/passwd', sep = ':')",
    "select * from read_parquet('http://127.0.0.1:9/x.parquet')",
    "ATTACH '{wh}' AS again",
    "ATTACH '{tmp}/other.duckdb' AS other",
    "COPY articles TO '{tmp}/articles.csv'",
    "EXPORT DATABASE '{tmp}/dump'",
    "CHECKPOINT",
    "FORCE CHECKPOINT",
    "select * from checkpoint()",
    "select * from force_checkpoint()",
    "VACUUM",
    "SET enable_external_access = true; select * from read_text('/etc/passwd')",
    "RESET lock_configuration",
    "SET allowed_directories = ['/']",
    "SET temp_directory = '{tmp}'",
    "SET VARIABLE x = 1",
    "CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')",
    "create temp table notes as select 1",
    "create macro m(x) as x",
    "USE system",
    "CALL pragma_version()",
    "PRAGMA enable_checkpoint_on_shutdown",
]


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder of its own, where an INSTALL would put an extension (~/.duckdb)."""
    home = tmp_path.parent / f"{tmp_path.name}-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("statement", HOSTILE)
def test_no_statement_writes_escapes_or_unlocks(
    loaded: str, tmp_path: Path, isolated_home: Path, statement: str
) -> None:
    files = _files(tmp_path)
    assert any(name.endswith(".wal") for name in files)  # the WAL is there to be aimed at
    query = statement.format(wh=loaded, tmp=tmp_path)
    result = runner.invoke(app, ["sql", query, "--warehouse", loaded])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert _files(tmp_path) == files  # the warehouse and its WAL byte for byte, and nothing new
    assert list(isolated_home.iterdir()) == []
    assert _counts(loaded) == (1, 6)


# DuckDB 1.5.5 lets enable_logging through a locked configuration, and a file log it cannot
# open then aborts the process: only the first guard (the parse) stops these.
PARSE_ONLY = [s for s in HOSTILE if "enable_logging" in s.lower()]


@pytest.mark.parametrize("statement", [s for s in HOSTILE if s not in PARSE_ONLY])
def test_the_locked_connection_alone_stops_every_hostile_statement(
    loaded: str, tmp_path: Path, isolated_home: Path, statement: str
) -> None:
    """The second guard, without the first: whatever DuckDB runs of these on it changes nothing."""
    from flows.query import lock_down

    files = _files(tmp_path)
    con = load.connect(parse_warehouse(loaded), read_only=True)
    try:
        lock_down(con, parse_warehouse(loaded))
        with pytest.raises(duckdb.Error):
            con.execute(statement.format(wh=loaded, tmp=tmp_path))
            for setting in ("enable_external_access", "lock_configuration"):  # a statement that ran
                assert con.execute(f"select current_setting('{setting}')").fetchone() == (
                    setting == "lock_configuration",
                )
            con.execute("select * from read_text('/etc/hostname')")
    finally:
        con.close()
    assert _files(tmp_path) == files
    assert list(isolated_home.iterdir()) == []


def test_files_outside_are_read_only_through_the_opt_in_folder(loaded: str, tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-csv"
    outside.mkdir()
    (outside / "scores.csv").write_text("paper,score\nqingdao-daily,3\n", encoding="utf-8")
    query = f"select * from read_csv('{outside}/scores.csv')"
    with pytest.raises(QueryError, match="disabled by configuration"):
        run_query(parse_warehouse(loaded), query)
    assert run_query(parse_warehouse(loaded), query, read_dirs=[outside]) == (
        ["paper", "score"],
        [("qingdao-daily", 3)],
    )
    with pytest.raises(QueryError, match="disabled by configuration"):
        run_query(parse_warehouse(loaded), "select * from read_text('/etc/hostname')", read_dirs=[outside])
    result = runner.invoke(app, ["sql", query, "--warehouse", loaded, "--read-files", str(outside)])
    assert result.exit_code == 0 and "qingdao-daily" in result.output
