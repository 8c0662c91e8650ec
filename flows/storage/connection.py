"""Open the warehouse: wait for another writer, apply the schema, close behind the checkpoint journal.

A DuckDB file has one writing process at a time; `connect` waits a bounded time for the
lock and then says clearly who holds it, so two runs at once never corrupt or double-load.
Apart from the loading (flows/load.py, which re-exports these) so that reading the warehouse
(`newsprint sql`) imports DuckDB and nothing heavier.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from flows.runs import stopping
from flows.settings import SQL_DIR, sql
from flows.storage import handover
from flows.storage.database import (
    WarehouseBusy,
    close_connection,
    lock_holder,
    open_connection,
    remember_schema,
    schema_is_applied,
    writer_lock,
)
from flows.storage.warehouse import Warehouse

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


def connect(
    warehouse: Warehouse, *, read_only: bool = False, timeout_s: float = 60.0
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse (a DuckDB file or a DuckLake), waiting up to `timeout_s` for another process.

    While it waits it marks that it does (flows/storage/handover.py), so a backfill hands the file over
    at the end of its batch, and it logs who holds the warehouse every few seconds. It tries
    again after 0.05, 0.1, then every POLL_MAX_S seconds: a refused attempt costs 10 ms of CPU,
    so not more often than that.
    """
    mark = handover.waiting_mark(warehouse)
    started = time.monotonic()
    deadline = started + timeout_s
    report_at = started + FIRST_REPORT_S
    delay = 0.05
    waited = False
    while True:
        try:
            con = open_connection(warehouse, read_only=read_only)
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
                    warehouse, doing, holder, now - started, timeout_s,
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


def busy_message(warehouse: Warehouse, waited_s: float, error: str) -> str:
    """Say who holds the warehouse and what to do; a reader is pointed at the read copy."""
    from flows.storage.read_copy import read_copy_path  # only for the message

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


def apply_ddl(con: duckdb.DuckDBPyConnection, warehouse: Warehouse) -> None:
    """Create the tables and analyst views if they are missing, and comment them (idempotent).

    Applied once per version of the files (`schema_is_applied`): a warehouse whose schema is
    current costs an open one query.
    """
    files = [*ddl_files(), *view_files(), SQL_DIR / "migrate.sql"]
    digest = schema_digest(files)
    if schema_is_applied(con, digest):
        return
    with writer_lock(
        warehouse
    ):  # the lake alone: no load meanwhile (a file's comments have their own transaction)
        if schema_is_applied(con, digest):  # another process applied it while this one waited
            return
        for path in ddl_files():
            _apply(con, path)
        migrate(con)
        for path in view_files():
            _apply(con, path)
        remember_schema(con, digest)


def schema_digest(files: list[Path]) -> str:
    """Return the hash of the schema files' names and texts: a new one is a new schema version."""
    texts = "\n".join(f"{path.name}\n{path.read_text(encoding='utf-8')}" for path in files)
    return hashlib.sha256(texts.encode()).hexdigest()


def _apply(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Run one DDL or view file; a comments file only when it would change something."""
    text = path.read_text(encoding="utf-8")
    if path.name.endswith(COMMENTS_SUFFIX) and not comments_differ(con, text):
        return
    con.execute(text)


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Bring a warehouse made by an earlier version to today's tables.

    `article_terms` was a table of counts; it is now a view that counts the stored tokens
    (sql/views/article_terms.sql), the same rows. Its table is dropped before the view
    replaces it: a quarter of the warehouse's size.
    """
    row = con.execute(sql("migrate/terms_table_exists")).fetchone()
    if row and row[0]:
        con.execute(sql("migrate/drop_terms_table"))
        log.info("article_terms is now a view over the stored tokens; its table was dropped")


def comments_differ(con: duckdb.DuckDBPyConnection, text: str) -> bool:
    """Tell whether a comments file would change the catalog's comments.

    Why not apply it every time: a COMMENT ON rewrites its table's catalog entry, and the
    file's hundred-odd statements cost a writer about 0.1 s at every open.
    """
    wanted = {name.replace('"', ""): value.replace("''", "'") for name, value in _COMMENT.findall(text)}
    have = dict(con.execute(sql("catalog/comments")).fetchall())
    return any(have.get(name) != value for name, value in wanted.items())


def open_writer(warehouse: Warehouse, timeout_s: float = 60.0) -> duckdb.DuckDBPyConnection:
    """Open the warehouse for writing, with its schema applied; close it with `close_writer`."""
    con = connect(warehouse, timeout_s=timeout_s)
    try:
        apply_ddl(con, warehouse)
    except BaseException:
        close_writer(warehouse, con)
        raise
    return con


def close_writer(warehouse: Warehouse, con: duckdb.DuckDBPyConnection) -> None:
    """Close a writer's connection (a DuckDB file checkpoints if its WAL is due: storage/checkpoint.py)."""
    close_connection(warehouse, con)


@contextmanager
def open_warehouse(warehouse: Warehouse, timeout_s: float = 60.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse for writing, with its schema applied."""
    con = open_writer(warehouse, timeout_s)
    try:
        yield con
    finally:
        close_writer(warehouse, con)
