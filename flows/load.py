"""Load issues into DuckDB: DDL from `sql/`, one transaction per issue, Arrow in, idempotent.

A DuckDB file has one writing process at a time; `connect` waits a bounded time for the
lock and then says clearly who holds it, so two runs at once never corrupt or double-load.
The warehouse may also be a DuckLake (`flows/warehouse.py`), where loads from several
processes are serialised per issue by a writer lock.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from flows import handover, stopping
from flows.read_copy import read_copy_path
from flows.settings import SQL_DIR, sql
from flows.transform import IssueBundle
from flows.warehouse import (
    WarehouseBusy,
    close_connection,
    lock_holder,
    open_connection,
    parse_warehouse,
    redact,
    remember_schema,
    schema_is_applied,
    writer_lock,
)

log = logging.getLogger(__name__)
POLL_MAX_S = 0.2  # the longest wait between two attempts to open a busy warehouse (connect)
COMMENTS_SUFFIX = "_comments.sql"  # DDL files of COMMENT ON statements, applied when they change something
_COMMENT = re.compile(
    r"^comment on (?:table|column) ([\w.\"]+) is '((?:[^']|'')*)';", re.IGNORECASE | re.MULTILINE
)
FIRST_REPORT_S = 2.0  # a process waiting for the warehouse says who holds it after this long
REPORT_EVERY_S = 5.0  # and again this often


def ddl_files() -> list[Path]:
    return sorted((SQL_DIR / "ddl").glob("*.sql"))


def view_files() -> list[Path]:
    return sorted((SQL_DIR / "views").glob("*.sql"))


def _is_lock_error(error: Exception) -> bool:
    text = str(error)
    return "lock" in text.lower() or "Conflicting" in text


def connect(warehouse: str, *, read_only: bool = False, timeout_s: float = 60.0) -> duckdb.DuckDBPyConnection:
    """Open the warehouse (a DuckDB file or a DuckLake), waiting up to `timeout_s` for another process.

    While it waits it marks that it does (flows/handover.py), so a backfill hands the file over
    at the end of its batch, and it logs who holds the warehouse every few seconds. It tries
    again after 0.05, 0.1, then every POLL_MAX_S seconds: a refused attempt costs 10 ms of CPU,
    so not more often than that.
    """
    target = parse_warehouse(warehouse)
    mark = handover.waiting_mark(target)
    started = time.monotonic()
    deadline = started + timeout_s
    report_at = started + FIRST_REPORT_S
    delay = 0.05
    waited = False
    while True:
        try:
            con = open_connection(target, read_only=read_only)
        except duckdb.IOException as error:
            if not _is_lock_error(error):
                raise
            stopping.check()  # a signal while waiting: stop now, not when the wait ends
            now = time.monotonic()
            if now >= deadline:
                raise WarehouseBusy(busy_message(warehouse, timeout_s, str(error))) from error
            if now >= report_at:
                holder = lock_holder(str(error))
                doing = "held open by a reader" if holder.reading else "being written by another process"
                log.info(
                    "waiting for the warehouse %s, %s, %s: waited %.0f s of %.0f",
                    redact(warehouse), doing, holder, now - started, timeout_s,
                )  # fmt: skip
                report_at = now + REPORT_EVERY_S
            handover.announce(mark)
            waited = True
            time.sleep(delay)
            delay = min(delay * 2, POLL_MAX_S)
        else:
            if waited:
                handover.withdraw(mark)
            return con


def busy_message(warehouse: str, waited_s: float, error: str) -> str:
    """Say who holds the warehouse and what to do; a reader is pointed at the read copy."""
    holder = lock_holder(error)
    if holder.reading:
        return (
            f"the warehouse {warehouse} is held open by a reader, {holder} (waited {waited_s:.0f} s): "
            "DuckDB lets no one write a file another process has open; close that session "
            f"(analysts keep the read copy, {read_copy_path(warehouse)}, open instead)"
        )
    return (
        f"the warehouse {warehouse} is being written by another process, {holder} "
        f"(waited {waited_s:.0f} s); try again when that run has finished"
    )


def apply_ddl(con: duckdb.DuckDBPyConnection) -> None:
    """Create the tables and analyst views if they are missing, and comment them (idempotent).

    A lake's schema is applied once per version of its files (flows/warehouse.py).
    """
    files = [*ddl_files(), *view_files()]
    digest = schema_digest(files)
    if schema_is_applied(con, digest):
        return
    with writer_lock(con):  # the lake alone: no load meanwhile (a file's comments have their own transaction)
        if schema_is_applied(con, digest):  # another process applied it while this one waited
            return
        for path in files:
            text = path.read_text(encoding="utf-8")
            if path.name.endswith(COMMENTS_SUFFIX) and not comments_differ(con, text):
                continue
            con.execute(text)
        remember_schema(con, digest)


def schema_digest(files: list[Path]) -> str:
    """Return the hash of the schema files' names and texts: a new one is a new schema version."""
    texts = "\n".join(f"{path.name}\n{path.read_text(encoding='utf-8')}" for path in files)
    return hashlib.sha256(texts.encode()).hexdigest()


def comments_differ(con: duckdb.DuckDBPyConnection, text: str) -> bool:
    """Tell whether a comments file would change the catalog's comments.

    Why not apply it every time: a COMMENT ON rewrites its table's catalog entry, and the
    file's hundred-odd statements cost a writer about 0.1 s at every open.
    """
    wanted = {name.replace('"', ""): value.replace("''", "'") for name, value in _COMMENT.findall(text)}
    have = dict(con.execute(sql("catalog/comments")).fetchall())
    return any(have.get(name) != value for name, value in wanted.items())


def open_writer(warehouse: str, timeout_s: float = 60.0) -> duckdb.DuckDBPyConnection:
    """Open the warehouse for writing, with its schema applied; close it with `close_writer`."""
    con = connect(warehouse, timeout_s=timeout_s)
    try:
        apply_ddl(con)
    except BaseException:
        close_writer(warehouse, con)
        raise
    return con


def close_writer(warehouse: str, con: duckdb.DuckDBPyConnection) -> None:
    """Close a writer's connection (a DuckDB file checkpoints if its WAL is due, flows/checkpoint.py)."""
    close_connection(parse_warehouse(warehouse), con)


@contextmanager
def open_warehouse(warehouse: str, timeout_s: float = 60.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse for writing, with its schema applied."""
    con = open_writer(warehouse, timeout_s)
    try:
        yield con
    finally:
        close_writer(warehouse, con)


class BatchWriter:
    """Write batch after batch through one connection, and hand the warehouse over when asked.

    Opening the warehouse replays its WAL and checks its schema: one open a batch cost a
    ten-year backfill's writer 4–5 s. So the connection stays open between batches, and is
    closed after a batch only for a process waiting for the warehouse (flows/handover.py), or
    after a failed batch (a retry starts from a new connection).
    """

    def __init__(self, warehouse: str, timeout_s: float = 60.0) -> None:
        self.warehouse = warehouse
        self.timeout_s = timeout_s
        self.opens = 0
        self._mark = handover.waiting_mark(parse_warehouse(warehouse))
        self._open: ExitStack | None = None
        self._con: duckdb.DuckDBPyConnection | None = None

    @contextmanager
    def batch(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Give the connection for one batch; after it, close for a waiting process."""
        if self._con is None:
            opened = ExitStack()
            self._con = opened.enter_context(open_warehouse(self.warehouse, self.timeout_s))
            self._open = opened
            self.opens += 1
        try:
            yield self._con
        except BaseException:
            self.close()
            raise
        if handover.is_wanted(self._mark):
            self.close()
            handover.wait_for_taker(self._mark)

    def close(self) -> None:
        """Close the warehouse (checkpointing it if its WAL is due), if it is open."""
        opened, self._open, self._con = self._open, None, None
        if opened is not None:
            opened.close()

    def __enter__(self) -> BatchWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def is_loaded(con: duckdb.DuckDBPyConnection, sha256: str) -> bool:
    row = con.execute(sql("load/issue_is_loaded"), {"sha256": sha256}).fetchone()
    return bool(row and row[0])


def loaded_file_hashes(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Return the raw-byte hashes of loaded files, so a resumed backfill skips them unread."""
    return {row[0] for row in con.execute(sql("load/loaded_file_hashes")).fetchall()}


def loaded_file_sizes(con: duckdb.DuckDBPyConnection) -> set[int]:
    """Return the byte sizes of loaded files (a file of another size is not among them)."""
    return {row[0] for row in con.execute(sql("load/loaded_file_sizes")).fetchall()}


def registered_hashes(con: duckdb.DuckDBPyConnection, hashes: list[str]) -> AbstractContextManager[None]:
    """Make hashes the relation `wanted` (hash) that load/known_bodies and load/loaded_issues read."""
    return registered(con, "wanted", pl.DataFrame({"hash": hashes}, schema={"hash": pl.String}))


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> Iterator[None]:
    """Make a Polars frame a relation the next statements can read, through Arrow.

    Why not a list parameter: DuckDB's Python client converts a list value by value, and
    tries to import pandas twice per value when pandas is absent (about 0.5 ms per hash);
    an Arrow table goes in whole. In one piece: a frame concatenated from a batch's issues
    holds a chunk per issue, and DuckDB reads an Arrow chunk at a time (a batch's 960 term
    rows in 64 chunks took 11 ms to insert, rechunked 1.8 ms; bench/HISTORY.md, stop 20).
    """
    con.register(name, frame.rechunk().to_arrow())
    try:
        yield
    finally:
        con.unregister(name)


def _insert(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> None:
    """Insert a Polars frame through Arrow with one set-based statement."""
    if frame.height == 0:
        return
    with registered(con, "incoming", frame):
        con.execute(sql(f"load/insert_{name}"))


def article_rows(
    frames: list[pl.DataFrame], segmented: list[pl.DataFrame], loaded_at: list[datetime]
) -> pl.DataFrame:
    """Issues' article rows (accepted or rejected) with their tokens and each issue's load time.

    One join for a backfill's whole batch, not one per issue: a Polars call costs about as
    much as the join itself.
    """
    nonempty = [i for i, frame in enumerate(frames) if frame.height]
    if not nonempty:
        return pl.DataFrame()
    stamps = pl.Series("loaded_at", [loaded_at[i] for i in nonempty for _ in range(frames[i].height)])
    articles = pl.concat([frames[i] for i in nonempty], how="vertical_relaxed")
    tokens = pl.concat([segmented[i] for i in nonempty], how="vertical_relaxed")
    return articles.join(tokens, on="article_id", how="left", maintain_order="left").with_columns(stamps)


def load_issue(
    con: duckdb.DuckDBPyConnection, bundle: IssueBundle, run_id: str | None, now: datetime
) -> bool:
    """Load one issue in one transaction (the daily run's writer); False if it was already there.

    The batch path with a batch of one (flows/bulk_load.py): one way to judge and load an issue.
    """
    from flows import bulk_load  # it builds on this module

    (result,) = bulk_load.load_issues(con, [bundle], run_id, lambda: now, writer_settings=False)
    return result.loaded


def record_run(con: duckdb.DuckDBPyConnection, run: dict[str, object]) -> None:
    """Append the run's row (its own small transaction)."""
    _insert(con, "run", pl.DataFrame([run]))


def record_failed_files(con: duckdb.DuckDBPyConnection, rows: list[dict[str, object]]) -> None:
    if rows:
        _insert(con, "failed_files", pl.DataFrame(rows))
