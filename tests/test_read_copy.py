"""Readers never cost a run: analysts keep the read copy open, and a reader of the warehouse is named.

A DuckDB file has one process writing it and nobody else holding it meanwhile, readers
included. Every run ends by checkpointing the warehouse and publishing a copy of its file
(`<warehouse>.read.duckdb`); readers hold that copy, in other processes, across daily runs
and backfills. Someone who opens the warehouse itself makes the run wait a bounded time, in
Prefect retries, and is named when the run gives up.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows import bulk_load, load
from flows.settings import PROJECT_ROOT
from flows.storage import read_copy
from flows.storage.warehouse import parse_warehouse
from flows.transform import transform_issue
from tests.conftest import TODAY, load_issues_as_run
from tests.test_load import counts

READER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
query = "select (select count(*) from issues), (select count(*) from articles)"
print(*con.execute(query).fetchone(), flush=True)
sys.stdin.readline()  # held open until the test says
print(*con.execute(query).fetchone(), flush=True)
"""


@contextmanager
def reader(database: Path | str) -> Iterator[tuple[subprocess.Popen[str], tuple[int, int]]]:
    """A read-only DuckDB connection held open by another process; yields it and what it first saw."""
    process = subprocess.Popen(
        [sys.executable, "-c", READER, str(database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline().split()
    assert len(first) == 2, f"the reader could not open {database}"
    try:
        yield process, (int(first[0]), int(first[1]))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def seen_after(process: subprocess.Popen[str]) -> tuple[int, int]:
    """Let a held reader query again, then close; return what it saw."""
    out, _ = process.communicate("\n", timeout=60)
    issues, articles = out.split()
    return int(issues), int(articles)


def test_the_read_copy_goes_beside_the_warehouse_unless_set_or_off(tmp_path: Path) -> None:
    warehouse = str(tmp_path / "warehouse.duckdb")
    assert read_copy.read_copy_path(parse_warehouse(warehouse)) == tmp_path / "warehouse.read.duckdb"
    assert read_copy.read_copy_path(parse_warehouse(str(tmp_path / "w.db"))) == tmp_path / "w.db.read.duckdb"
    assert (
        read_copy.read_copy_path(parse_warehouse(warehouse), str(tmp_path / "shared.duckdb"))
        == tmp_path / "shared.duckdb"
    )
    assert read_copy.read_copy_path(parse_warehouse(warehouse), "off") is None
    assert read_copy.read_copy_path(parse_warehouse(f"ducklake:{tmp_path / 'catalog.ducklake'}")) is None


def test_finishing_a_run_leaves_a_complete_file_and_a_read_only_copy(
    tmp_path: Path, warehouse: str, sample_issue
) -> None:
    copy = tmp_path / "warehouse.read.duckdb"
    with load.open_warehouse(parse_warehouse(warehouse)) as con:
        bulk_load.load_issues(
            con,
            parse_warehouse(warehouse),
            [transform_issue(sample_issue, TODAY)],
            "run",
            lambda: datetime(2026, 1, 1),
        )
        assert Path(warehouse + ".wal").exists()  # the load's rows sit in the WAL
        published = read_copy.finish(con, parse_warehouse(warehouse), copy)
        assert not Path(warehouse + ".wal").exists()
        # the copy was read through the writer's own descriptor: DuckDB's lock is still held
        open_it = "import duckdb, sys; duckdb.connect(sys.argv[1], read_only=True)"
        other = subprocess.run(
            [sys.executable, "-c", open_it, warehouse],
            capture_output=True,
            text=True,
        )
        assert other.returncode == 1 and "Conflicting lock" in other.stderr
    assert published is not None and published.path == copy and published.bytes == copy.stat().st_size
    alone = tmp_path / "alone.duckdb"
    shutil.copyfile(warehouse, alone)  # the file without its WAL holds everything
    for database in (alone, copy):
        with duckdb.connect(str(database), read_only=True) as con:
            assert (counts(con)["issues"], counts(con)["articles"]) == (1, 6)
    assert stat.S_IMODE(copy.stat().st_mode) == 0o444
    assert not list(tmp_path.glob("*.partial"))


def test_a_reader_keeps_its_copy_while_a_new_one_is_published(
    tmp_path: Path, warehouse: str, sample_issue, sample_parsed
) -> None:
    copy = read_copy.read_copy_path(parse_warehouse(warehouse))
    assert copy is not None
    with load.open_warehouse(parse_warehouse(warehouse)) as con:
        read_copy.finish(con, parse_warehouse(warehouse), copy)  # an empty warehouse's copy
    with reader(copy) as (held, before):
        with load.open_warehouse(parse_warehouse(warehouse)) as con:
            bulk_load.load_issues(
                con,
                parse_warehouse(warehouse),
                [transform_issue(sample_issue, TODAY)],
                "run",
                lambda: datetime(2026, 1, 1),
            )
            read_copy.finish(con, parse_warehouse(warehouse), copy)
        assert seen_after(held) == before == (0, 0)  # its copy did not change under it
    with duckdb.connect(str(copy), read_only=True) as con:
        assert (counts(con)["issues"], counts(con)["articles"]) == (1, 6)


def publish_after_loading(warehouse: str, issue_file: Path | None) -> read_copy.Published:
    """Load one issue file (or nothing), then finish as a run does: checkpoint and publish the copy."""
    from flows.ingest import read_issue

    target = parse_warehouse(warehouse)
    with load.open_warehouse(target) as con:
        if issue_file is not None:
            issue = read_issue(str(issue_file), issue_file.read_bytes())
            bulk_load.load_issues(con, target, [transform_issue(issue, TODAY)], "run")
        published = read_copy.finish(con, target, read_copy.read_copy_path(target))
    assert published is not None
    return published


def test_a_copy_is_brought_up_to_date_by_writing_only_the_blocks_that_changed(
    tmp_path: Path, warehouse: str
) -> None:
    from bench.synthetic import build_archive

    copy = tmp_path / "warehouse.read.duckdb"
    spare = read_copy.spare_path(copy)
    written, sizes = [], []
    for issue_file in build_archive(tmp_path / "issues", 4):
        before = copy.read_bytes() if copy.exists() else None
        published = publish_after_loading(warehouse, issue_file)
        written.append(published.bytes_written)
        sizes.append(published.bytes)
        assert copy.read_bytes() == Path(warehouse).read_bytes()  # byte for byte, however made
        assert published.bytes == copy.stat().st_size
        if before is not None:
            assert spare.read_bytes() == before  # the copy replaced waits to be patched
            assert stat.S_IMODE(spare.stat().st_mode) == 0o444
        assert stat.S_IMODE(copy.stat().st_mode) == 0o444
    assert written[:2] == sizes[:2]  # no spare yet: whole copies
    assert all(0 < w < size for w, size in zip(written[2:], sizes[2:], strict=True)), (written, sizes)
    assert sorted(p.name for p in tmp_path.glob("warehouse.read.duckdb*")) == [copy.name, spare.name]
    with duckdb.connect(str(copy), read_only=True) as con:
        assert counts(con)["issues"] == 4


def test_a_spare_a_reader_still_has_open_is_left_alone_and_the_file_copied_whole(
    tmp_path: Path, warehouse: str
) -> None:
    from bench.synthetic import build_archive

    copy = tmp_path / "warehouse.read.duckdb"
    issue_files = build_archive(tmp_path / "issues", 3)
    publish_after_loading(warehouse, None)  # the empty warehouse's copy, which the reader opens
    with reader(copy) as (held, before):
        publish_after_loading(warehouse, issue_files[0])  # the reader's copy becomes the spare
        published = publish_after_loading(warehouse, issue_files[1])  # the spare is held: copied whole
        assert published.bytes_written == published.bytes
        assert seen_after(held) == before == (0, 0)  # its file did not change under it
    assert copy.read_bytes() == Path(warehouse).read_bytes()
    (tmp_path / "warehouse.read.duckdb.patching").write_bytes(b"left by a run stopped half-way")
    published = publish_after_loading(warehouse, issue_files[2])  # the spare is free again: patched
    assert published.bytes_written < published.bytes
    assert copy.read_bytes() == Path(warehouse).read_bytes()
    assert not (tmp_path / "warehouse.read.duckdb.patching").exists()
    with duckdb.connect(str(copy), read_only=True) as con:
        assert counts(con)["issues"] == 3


def test_the_holder_of_the_warehouse_is_named_reader_or_writer(tmp_path: Path, warehouse: str) -> None:
    with load.open_warehouse(parse_warehouse(warehouse)):
        pass
    with reader(warehouse) as (held, _):
        with pytest.raises(load.WarehouseBusy) as busy:
            load.connect(parse_warehouse(warehouse), timeout_s=0.3)
        message = str(busy.value)
        assert f"is held open by a reader, PID {held.pid} ({sys.executable} -c" in message
        assert "(waited 0 s): DuckDB lets no one write a file another process has open" in message
        assert str(tmp_path / "warehouse.read.duckdb") in message
    holder = load.lock_holder(
        'Could not set lock on file "x": Conflicting lock is held in /usr/bin/duckdb (PID 0). See also …'
    )
    assert (holder.pid, holder.command, holder.reading) == (0, "/usr/bin/duckdb", False)


# --- the flows, with readers in other processes --------------------------------------------------


@pytest.fixture
def two_issues(tmp_path: Path) -> tuple[Path, Path]:
    """An inbox of one synthetic issue and an archive of three more."""
    from bench.synthetic import build_archive

    files = build_archive(tmp_path / "issues", 4)
    inbox, archive = tmp_path / "inbox", tmp_path / "archive"
    inbox.mkdir()
    archive.mkdir()
    shutil.copy(files[0], inbox)
    for path in files[1:]:
        shutil.copy(path, archive)
    return inbox, archive


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_a_reader_holds_the_read_copy_across_a_daily_run_and_a_backfill(
    tmp_path: Path, two_issues: tuple[Path, Path]
) -> None:
    from flows.cli.app import app

    inbox, archive = two_issues
    warehouse = str(tmp_path / "warehouse.duckdb")
    copy = tmp_path / "warehouse.read.duckdb"
    runner = CliRunner()
    with reader_of_an_empty_copy(warehouse, copy) as (held, before):
        daily = runner.invoke(app, ["run", "--inbox", str(inbox), "--warehouse", warehouse])
        assert daily.exit_code == 0, daily.output
        with reader(copy) as (second, after_daily):
            backfill = runner.invoke(
                app, ["backfill", str(archive), "--warehouse", warehouse, "--no-progress"]
            )
            assert backfill.exit_code == 0, backfill.output
            assert seen_after(second) == after_daily == (1, 7)
        assert seen_after(held) == before == (0, 0)
    for database in (warehouse, str(copy)):
        with duckdb.connect(database, read_only=True) as con:
            assert (counts(con)["issues"], counts(con)["articles"]) == (4, 28), database
            assert con.execute("select count(*) from runs where status = 'completed'").fetchone() == (2,)


@contextmanager
def reader_of_an_empty_copy(
    warehouse: str, copy: Path
) -> Iterator[tuple[subprocess.Popen[str], tuple[int, int]]]:
    """Publish the copy of a new, empty warehouse and hold it open in another process."""
    with load.open_warehouse(parse_warehouse(warehouse)) as con:
        read_copy.finish(con, parse_warehouse(warehouse), copy)
    with reader(copy) as held:
        yield held


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_a_run_waits_for_a_reader_of_the_warehouse_in_retries_then_names_it(
    tmp_path: Path, inbox: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from flows.cli.app import app

    warehouse = str(tmp_path / "warehouse.duckdb")
    with load.open_warehouse(parse_warehouse(warehouse)):
        pass
    monkeypatch.setenv("NEWSPRINT_LOCK_TIMEOUT", "1")
    monkeypatch.setenv("NEWSPRINT_LOCK_RETRIES", "1")
    monkeypatch.setenv("NEWSPRINT_LOCK_RETRY_DELAY", "0")
    with reader(warehouse) as (held, _):
        result = CliRunner().invoke(app, ["run", "--inbox", str(inbox), "--warehouse", warehouse])
    assert result.exit_code == 1
    assert f"run failed: the warehouse {warehouse} is held open by a reader, PID {held.pid}" in result.output
    assert "Retry 1/1 will start immediately" in caplog.text  # one Prefect retry, then the failure
    assert "Traceback" not in result.output
    with duckdb.connect(warehouse, read_only=True) as con:
        assert counts(con)["issues"] == 0


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_a_run_gets_in_once_the_reader_of_the_warehouse_has_gone(
    tmp_path: Path, inbox: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from flows.cli.app import app

    warehouse = str(tmp_path / "warehouse.duckdb")
    with load.open_warehouse(parse_warehouse(warehouse)):
        pass
    monkeypatch.setenv("NEWSPRINT_LOCK_TIMEOUT", "1")
    monkeypatch.setenv("NEWSPRINT_LOCK_RETRIES", "30")
    monkeypatch.setenv("NEWSPRINT_LOCK_RETRY_DELAY", "1")
    leaves = subprocess.Popen(  # a notebook closed a few seconds after the run starts
        [sys.executable, "-c", "import duckdb, sys, time\n"
         "con = duckdb.connect(sys.argv[1], read_only=True); print('in', flush=True); time.sleep(4)",
         warehouse],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True, env=os.environ,
    )  # fmt: skip
    assert leaves.stdout is not None and leaves.stdout.readline().strip() == "in"
    result = CliRunner().invoke(app, ["run", "--inbox", str(inbox), "--warehouse", warehouse])
    leaves.wait(timeout=60)
    assert result.exit_code == 0, result.output
    assert "Retry 1/30 will start 1" in caplog.text
    with duckdb.connect(warehouse, read_only=True) as con:
        assert (counts(con)["issues"], counts(con)["articles"]) == (1, 6)


def test_a_revalidation_publishes_the_read_copy_too(tmp_path: Path, warehouse: str, sample_issue) -> None:
    from flows.cli.app import app

    load_issues_as_run(warehouse, [sample_issue])
    result = CliRunner().invoke(app, ["revalidate", "--warehouse", warehouse])
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(tmp_path / "warehouse.read.duckdb"), read_only=True) as con:
        assert (counts(con)["issues"], counts(con)["articles"]) == (1, 6)
