"""The checkpoint journal: a writer killed inside DuckDB's in-place metadata write loses nothing.

The kill is rebuilt byte for byte instead of timed: the files as they were when the journal was
written, the checkpoint's data blocks written, half of its metadata block written, and no new
header — what SIGKILL leaves when it stops the 256 KB write between two pages.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from flows import bulk_load, load
from flows.ingest import read_issue
from flows.runs import backfill
from flows.settings import sql
from flows.storage import checkpoint
from flows.storage.warehouse import Warehouse, parse_warehouse
from flows.transform import IssueBundle, transform_issue
from tests.conftest import TODAY
from tests.test_crash import per_issue_rows

NOW = datetime(2026, 1, 15, 6, 0)


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> list[IssueBundle]:
    from bench.synthetic import build_archive

    paths = build_archive(tmp_path_factory.mktemp("journal") / "archive", 2)
    return [transform_issue(read_issue(str(p), p.read_bytes()), TODAY) for p in paths]


def _files(database: Path) -> dict[str, bytes]:
    """The warehouse's files by suffix: the database, its WAL, its journal."""
    return {
        suffix: path.read_bytes()
        for suffix in ("", ".wal", checkpoint.JOURNAL_SUFFIX)
        if (path := Path(str(database) + suffix)).exists()
    }


def _write(database: Path, files: dict[str, bytes]) -> None:
    database.parent.mkdir(parents=True, exist_ok=True)
    for suffix, content in files.items():
        Path(str(database) + suffix).write_bytes(content)


@pytest.fixture
def interrupted(
    tmp_path: Path, bundles: list[IssueBundle], monkeypatch: pytest.MonkeyPatch
) -> tuple[dict[str, bytes], bytes, Path]:
    """Load one issue and checkpoint it, load a second; return the files as the journal was
    written before the second checkpoint, the database after that checkpoint, and a reference."""
    database = tmp_path / "warehouse.duckdb"
    with load.open_warehouse(parse_warehouse(str(database))) as con:
        bulk_load.load_issues(con, parse_warehouse(str(database)), [bundles[0]], "test", lambda: NOW)
        checkpoint.checkpoint(con, database)
    assert set(_files(database)) == {""}, "a checkpoint leaves neither WAL nor journal"

    snapshots: list[dict[str, bytes]] = []
    write_journal = checkpoint._write_journal

    def write_and_snapshot(journal: Path, extents: list[tuple[int, bytes]]) -> None:
        write_journal(journal, extents)
        snapshots.append(_files(database))

    monkeypatch.setattr(checkpoint, "_write_journal", write_and_snapshot)
    with load.open_warehouse(parse_warehouse(str(database))) as con:
        bulk_load.load_issues(con, parse_warehouse(str(database)), [bundles[1]], "test", lambda: NOW)
        checkpoint.checkpoint(con, database)
    (before,) = snapshots
    assert set(before) == {"", ".wal", checkpoint.JOURNAL_SUFFIX}
    return before, database.read_bytes(), database


PAGE = 4096  # SIGKILL stops a large write between two pages


def _torn(before: bytes, after: bytes, metadata: list[tuple[int, bytes]]) -> bytes:
    """The database as a kill one page into the metadata write leaves it (and no new header)."""
    torn = bytearray(after + before[len(after) :])
    torn[: checkpoint.HEADERS_BYTES] = before[: checkpoint.HEADERS_BYTES]
    for offset, image in metadata:
        torn[offset + PAGE : offset + len(image)] = image[PAGE:]
    return bytes(torn)


def test_a_kill_inside_the_metadata_write_is_undone_by_the_journal(
    tmp_path: Path, interrupted: tuple[dict[str, bytes], bytes, Path], bundles: list[IssueBundle]
) -> None:
    before, after, reference = interrupted
    journal = tmp_path / "journal"
    journal.write_bytes(before[checkpoint.JOURNAL_SUFFIX])
    metadata = checkpoint._read_journal(journal)[1:]
    torn = _torn(before[""], after, metadata)
    rewritten = [
        o for o, image in metadata if torn[o : o + len(image)] not in (image, after[o : o + len(image)])
    ]
    assert rewritten, "the checkpoint rewrote a metadata block in place: else this test proves nothing"

    # without the journal the file does not open: the hazard is DuckDB's, not a test artefact
    bare = tmp_path / "bare" / "warehouse.duckdb"
    _write(bare, {"": torn, ".wal": before[".wal"]})
    with pytest.raises(duckdb.Error, match="Corrupt database file"):
        duckdb.connect(str(bare)).close()

    # with it, the next writer undoes the checkpoint and DuckDB replays the WAL: nothing lost
    crashed = tmp_path / "crashed" / "warehouse.duckdb"
    _write(
        crashed,
        {"": torn, ".wal": before[".wal"], checkpoint.JOURNAL_SUFFIX: before[checkpoint.JOURNAL_SUFFIX]},
    )
    shas = [bundle.issue.sha256 for bundle in bundles]
    expected = per_issue_rows(str(reference), shas)
    assert all(rows["issues"] == 1 and rows["articles"] > 0 for rows in expected.values())
    assert per_issue_rows(str(crashed), shas) == expected
    assert not Path(str(crashed) + checkpoint.JOURNAL_SUFFIX).exists()


def test_a_journal_left_after_a_completed_checkpoint_is_dropped(
    tmp_path: Path, interrupted: tuple[dict[str, bytes], bytes, Path], bundles: list[IssueBundle]
) -> None:
    before, after, reference = interrupted
    done = tmp_path / "done" / "warehouse.duckdb"
    _write(done, {"": after, checkpoint.JOURNAL_SUFFIX: before[checkpoint.JOURNAL_SUFFIX]})
    assert "completed" in (checkpoint.recover(done) or "")
    assert done.read_bytes() == after
    shas = [bundle.issue.sha256 for bundle in bundles]
    assert per_issue_rows(str(done), shas) == per_issue_rows(str(reference), shas)


def test_a_damaged_journal_is_refused_with_what_to_do(
    tmp_path: Path, interrupted: tuple[dict[str, bytes], bytes, Path]
) -> None:
    before, after, _ = interrupted
    damaged = tmp_path / "damaged" / "warehouse.duckdb"
    journal = bytearray(before[checkpoint.JOURNAL_SUFFIX])
    journal[len(journal) // 2] ^= 0xFF
    _write(damaged, {"": after, checkpoint.JOURNAL_SUFFIX: bytes(journal)})
    with pytest.raises(checkpoint.JournalError, match="restore from a backup"):
        checkpoint.recover(damaged)
    assert damaged.read_bytes() == after  # nothing written on a journal it cannot trust


def test_a_journal_that_cannot_be_written_leaves_no_partial_file(
    tmp_path: Path, bundles: list[IssueBundle], monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "warehouse.duckdb"
    real = checkpoint._write_extents

    def disk_full(partial: Path, extents: list[tuple[int, bytes]]) -> None:
        real(partial, extents[:1])  # the headers fit, then the disk is full
        raise OSError(28, "No space left on device")

    warehouse = Warehouse(str(database))
    con = load.connect(warehouse)
    try:
        load.apply_ddl(con, warehouse)
        bulk_load.load_issues(con, warehouse, [bundles[0]], "test", lambda: NOW)
        monkeypatch.setattr(checkpoint, "_write_extents", disk_full)
        before = _files(database)
        with pytest.raises(OSError, match="No space left"):
            checkpoint.checkpoint(con, database)
        assert _files(database) == before  # no journal, no checkpoint: the WAL still holds the issue
        assert not checkpoint.partial_path(checkpoint.journal_path(database)).exists()
    finally:
        monkeypatch.undo()
        checkpoint.release(con, database)


def test_a_partial_journal_left_by_a_killed_writer_is_removed_on_the_next_open(
    tmp_path: Path, interrupted: tuple[dict[str, bytes], bytes, Path], bundles: list[IssueBundle]
) -> None:
    before, _, reference = interrupted
    killed = tmp_path / "killed" / "warehouse.duckdb"
    files = {k: v for k, v in before.items() if k != checkpoint.JOURNAL_SUFFIX}
    _write(killed, files)
    partial = checkpoint.partial_path(checkpoint.journal_path(killed))
    partial.write_bytes(before[checkpoint.JOURNAL_SUFFIX][:1000])  # killed while writing it
    con = load.connect(parse_warehouse(str(killed)), read_only=True)
    con.close()
    assert not partial.exists()
    assert _files(killed) == files  # the checkpoint never began: nothing else to undo
    shas = [bundle.issue.sha256 for bundle in bundles]
    assert per_issue_rows(str(killed), shas) == per_issue_rows(str(reference), shas)


def test_a_writer_closes_without_checkpointing_a_small_wal(
    tmp_path: Path, bundles: list[IssueBundle]
) -> None:
    """A day's issue stays in the WAL (a checkpoint would rewrite whole row groups); readers see it."""
    database = tmp_path / "warehouse.duckdb"
    warehouse = Warehouse(str(database))
    with load.open_warehouse(warehouse) as con:
        bulk_load.load_issues(con, warehouse, [bundles[0]], "test", lambda: NOW)
    assert set(_files(database)) == {"", ".wal"}
    assert 0 < (tmp_path / "warehouse.duckdb.wal").stat().st_size < checkpoint.CHECKPOINT_WAL_BYTES
    reader = load.connect(warehouse, read_only=True)
    assert reader.execute("select count(*) from issues").fetchone() == (1,)  # replayed in memory
    reader.close()
    with load.open_warehouse(warehouse) as con:
        bulk_load.load_issues(con, warehouse, [bundles[1]], "test", lambda: NOW)
        assert con.execute("select count(*) from issues").fetchone() == (2,)
        checkpoint.checkpoint(con, database)
    assert set(_files(database)) == {""}
    accepted = sum(b.validated.accepted.height for b in bundles[:2])
    with duckdb.connect(str(database), read_only=True) as reader:  # the file alone holds both issues
        assert reader.execute("select count(*) from articles").fetchone() == (accepted,)


# --- a checkpoint's memory --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "expected"),
    [("61.0 MiB", 61 * 2**20), ("64MB", 64_000_000), ("1.5 GiB", int(1.5 * 2**30)), ("512 bytes", 512)],
)
def test_memory_settings_are_read_as_bytes(setting: str, expected: int) -> None:
    assert checkpoint.memory_bytes(setting) == expected


def test_a_memory_setting_that_is_not_a_size_is_refused() -> None:
    with pytest.raises(ValueError, match="not a DuckDB memory size"):
        checkpoint.memory_bytes("lots")


def _setting(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute(sql("settings/memory_limit")).fetchone()[0]


def _limit(con: duckdb.DuckDBPyConnection) -> int:
    return checkpoint.memory_bytes(_setting(con))  # DuckDB shows it to a tenth of a MiB


@contextmanager
def _one_issue_committed(
    folder: Path, bundle: IssueBundle, bound: str
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writer with one issue committed and not checkpointed, DuckDB bounded at `bound`."""
    warehouse = Warehouse(str(folder / "warehouse.duckdb"))
    with load.open_warehouse(warehouse) as con:
        bulk_load.load_issues(con, warehouse, [bundle], "test", lambda: NOW)
        con.execute(sql("settings/set_memory_limit"), {"limit": bound})
        yield con


def test_a_bounded_checkpoint_gets_the_rows_it_writes_and_a_margin_then_the_bound_again(
    tmp_path: Path, bundles: list[IssueBundle]
) -> None:
    with _one_issue_committed(tmp_path, bundles[0], "16MB") as con:
        (pending,) = con.execute(sql("checkpoint/uncheckpointed_bytes")).fetchone()
        assert pending > 0, "the committed issue waits in memory for the checkpoint"
        with checkpoint.memory_for_checkpoint(con):
            needed = 2 * pending + checkpoint.CHECKPOINT_MARGIN_BYTES
            assert _limit(con) == pytest.approx(needed, abs=2**20 / 10)
        # restored as DuckDB shows it: truncated to a tenth of a MiB, which it reads a tenth lower
        assert _limit(con) == pytest.approx(16_000_000, abs=2**20 / 5)


def test_a_bound_below_what_duckdb_cannot_free_grows_instead_of_failing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="flows.storage.checkpoint")
    with duckdb.connect() as con:
        con.execute("set temp_directory = ''")  # nowhere to spill: the rows must stay in memory
        con.execute("create table t (i bigint, s varchar)")
        for start in range(0, 200_000, 10_000):  # appended rows are DuckDB's IN_MEMORY_TABLE
            con.execute(
                "insert into t select range, repeat(md5(range::varchar), 8) from range($a, $b)",
                {"a": start, "b": start + 10_000},
            )
        with pytest.raises(duckdb.OutOfMemoryException, match="could not free up enough memory"):
            con.execute(sql("settings/set_memory_limit"), {"limit": "20MB"})
        checkpoint.bound_memory(con, "20MB")
        (held,) = con.execute(sql("settings/memory_held")).fetchone()
        assert _limit(con) > held  # what it holds, and a margin: the next batch runs
        assert con.execute("select count(*) from t").fetchone() == (200_000,)
        checkpoint.bound_memory(con, "500MB")  # a bound it can keep is set as asked
        assert abs(_limit(con) - 500 * 10**6) < 2**20
    assert "bounded at" in caplog.text and "instead of 20MB" in caplog.text


def test_a_connection_bounded_higher_than_its_checkpoint_needs_is_left_alone(
    tmp_path: Path, bundles: list[IssueBundle]
) -> None:
    with _one_issue_committed(tmp_path, bundles[0], "1GB") as con:
        bound = _setting(con)
        with checkpoint.memory_for_checkpoint(con):
            assert _setting(con) == bound
        assert _setting(con) == bound


@pytest.fixture(scope="module")
def grown_warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[IssueBundle]]:
    """A warehouse of 192 of the sample's issues, and 16 issues six times the sample's size."""
    from bench.synthetic import build_archive

    folder = tmp_path_factory.mktemp("grown")
    paths = build_archive(folder / "archive", 192 + 6 * 16)
    database = folder / "warehouse.duckdb"
    with load.BatchWriter(parse_warehouse(str(database))) as writer:
        for batch in backfill.batches(paths[:192], 64):
            with writer.batch() as con:
                bulk_load.load_issues(
                    con,
                    writer.warehouse,
                    _bundles([(p.name, p.read_bytes()) for p in batch]),
                    "grown",
                    batch_writer=True,
                )
    groups = [paths[192 + 6 * i : 192 + 6 * (i + 1)] for i in range(16)]
    large = [(group[0].name, b"\n\n".join(p.read_bytes() for p in group)) for group in groups]
    return database, _bundles(large)


def _bundles(files: list[tuple[str, bytes]]) -> list[IssueBundle]:
    """Transform files as a backfill's worker does: validated together."""
    items = backfill.transform_files([backfill.FileJob(name, data) for name, data in files], TODAY)
    assert all(item.bundle for item in items), [item.reason for item in items]
    return [item.bundle for item in items if item.bundle]


def test_a_bounded_writer_checkpoints_a_batch_of_large_issues_into_a_grown_warehouse(
    tmp_path: Path, grown_warehouse: tuple[Path, list[IssueBundle]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bounded at 32 MB, DuckDB's checkpoint of this batch gets what it needs, and completes."""
    source, large = grown_warehouse
    database = tmp_path / source.name
    shutil.copytree(source.parent, tmp_path, dirs_exist_ok=True, ignore=shutil.ignore_patterns("archive"))
    monkeypatch.setattr(bulk_load, "WRITER_MEMORY_LIMIT", "32MB")
    monkeypatch.setattr(checkpoint, "CHECKPOINT_WAL_BYTES", 1)  # checkpoint after this batch
    with load.BatchWriter(parse_warehouse(str(database))) as writer, writer.batch() as con:
        bulk_load.load_issues(con, writer.warehouse, large, "large", batch_writer=True)
    assert not checkpoint.wal_path(database).exists(), "the batch was checkpointed into the file"
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("select count(*) from issues").fetchone() == (192 + 16,)


def test_a_checkpoint_that_fails_is_finished_unbounded_and_the_backfill_goes_on(
    tmp_path: Path,
    grown_warehouse: tuple[Path, list[IssueBundle]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A checkpoint that fails is fatal to DuckDB's instance (as when one ran out of its memory
    bound; here DuckDB's own switch aborts it): the writer opens the file again (the journal
    undoes the half-written checkpoint, DuckDB replays the WAL), checkpoints without a bound,
    and goes on to the next batch: nothing is lost and nothing stops."""
    source, large = grown_warehouse
    database = tmp_path / source.name
    shutil.copytree(source.parent, tmp_path, dirs_exist_ok=True, ignore=shutil.ignore_patterns("archive"))
    monkeypatch.setattr(checkpoint, "CHECKPOINT_WAL_BYTES", 1)
    with load.BatchWriter(parse_warehouse(str(database))) as writer:
        with writer.batch() as con:
            bulk_load.load_issues(con, writer.warehouse, large, "large", batch_writer=True)
            con.execute("set debug_checkpoint_abort = 'before_header'")  # this instance's next checkpoint
        assert writer.opens == 2, "opened again after the failed checkpoint"
        with writer.batch() as con:  # the next batch has a live connection
            assert con.execute("select count(*) from issues").fetchone() == (192 + 16,)
    assert "opening the warehouse again" in caplog.text
    assert not checkpoint.wal_path(database).exists()
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("select count(*) from issues").fetchone() == (192 + 16,)


@pytest.mark.slow
def test_a_backfill_of_real_size_issues_goes_past_the_point_that_failed(tmp_path: Path) -> None:
    """A backfill of real-size issues (bench/real_size.py: about 100 articles, 280 kB) stopped
    for good, at 64 MB and 24 MiB of checkpoint headroom, at the 210th synthetic one (the 226th
    to 263rd of People's Daily's): DuckDB's fatal `failed to pin block` in a checkpoint, and
    again when run again. 240 of them load whole."""
    from bench.harness import backfill_without_prefect
    from bench.real_size import build_archive

    archive = build_archive(tmp_path / "archive", 240)[0].parent
    phase = backfill_without_prefect(archive, str(tmp_path / "warehouse.duckdb"), workers=1, batch_size=64)
    assert phase.counts["files_loaded"] == 240 and phase.counts["files_failed"] == 0
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from issues").fetchone() == (240,)


def test_a_backfill_s_writer_finishes_with_its_wal_checkpointed(
    tmp_path: Path, bundles: list[IssueBundle]
) -> None:
    """A daily run leaves a small WAL for the next writer; a backfill ends with none (compact)."""
    database = tmp_path / "warehouse.duckdb"
    with load.BatchWriter(parse_warehouse(str(database))) as writer:
        with writer.batch() as con:
            bulk_load.load_issues(con, writer.warehouse, bundles, "run", batch_writer=True)
        assert checkpoint.wal_path(database).exists(), "a small WAL: no checkpoint due"
        writer.finish()
    assert not checkpoint.wal_path(database).exists()
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("select count(*) from issues").fetchone() == (len(bundles),)


def _made_by(database: Path, version: bytes) -> None:
    """Write another DuckDB's version into a file's main header, as that DuckDB would have made it.

    DuckDB's checksum of the header is left as it was: the journal reads the header before
    DuckDB does, and refuses the file without opening it.
    """
    with database.open("r+b") as file:
        file.seek(checkpoint._MAKER_AT)
        file.write(version.ljust(checkpoint._MAKER_BYTES, b"\0"))


def test_the_version_of_the_duckdb_that_made_a_file_is_read_from_its_header(tmp_path: Path) -> None:
    database = tmp_path / "made.duckdb"
    duckdb.connect(str(database)).close()
    assert checkpoint.made_by(database) == duckdb.__version__ == checkpoint.LAYOUT_OF
    (tmp_path / "text.duckdb").write_text("not a database")
    assert checkpoint.made_by(tmp_path / "text.duckdb") is None


def test_a_writer_refuses_a_file_made_by_another_duckdb_and_says_how_to_copy_it(tmp_path: Path) -> None:
    database = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(database)).close()
    _made_by(database, b"v1.4.3")
    content = database.read_bytes()
    with pytest.raises(
        checkpoint.LayoutError, match=r"made by DuckDB 1\.4\.3.*copy from database old to new"
    ):
        load.connect(parse_warehouse(str(database)))
    assert database.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["warehouse.duckdb"]  # no WAL, no journal


def test_a_journal_beside_a_file_made_by_another_duckdb_is_left_alone(
    tmp_path: Path, interrupted: tuple[dict[str, bytes], bytes, Path]
) -> None:
    before, _, _ = interrupted
    other = tmp_path / "other" / "warehouse.duckdb"
    _write(other, before)
    _made_by(other, b"v1.4.3")
    files = _files(other)
    with pytest.raises(checkpoint.LayoutError, match=r"made by DuckDB 1\.4\.3"):
        checkpoint.recover(other)
    assert _files(other) == files  # the blocks not written back, the journal kept


def test_the_journal_refuses_to_run_on_another_duckdb_library(
    tmp_path: Path, interrupted: tuple[dict[str, bytes], bytes, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    before, _, _ = interrupted
    monkeypatch.setattr(checkpoint, "LAYOUT_OF", "1.6.0")  # as if the journal knew another DuckDB
    new = tmp_path / "new" / "warehouse.duckdb"
    with pytest.raises(checkpoint.LayoutError, match=r"runs duckdb 1\.5\.5.*make dev"):
        load.connect(parse_warehouse(str(new)))
    assert not new.exists()
    crashed = tmp_path / "crashed" / "warehouse.duckdb"
    _write(crashed, before)
    with pytest.raises(checkpoint.LayoutError, match=r"knows the file layout of DuckDB 1\.6\.0"):
        checkpoint.recover(crashed)
    assert _files(crashed) == before
