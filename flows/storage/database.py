"""Open the warehouse: one DuckDB file, or an in-memory DuckDB with a DuckLake attached.

The same tables, views and SQL run on both: a lake connection is an in-memory DuckDB with the
lake attached and made the default database. Extensions are loaded from the files in their
PyPI wheels, never downloaded. What a connection is connected to is the `Warehouse` its
caller holds (flows/storage/warehouse.py), passed to whatever needs to know.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from flows.settings import sql
from flows.storage import checkpoint
from flows.storage.lake_locks import LakeBusy, LakeLocks, conninfo_of, load_keys, whole_lake
from flows.storage.object_store import is_object_store, s3_secret_from_env
from flows.storage.warehouse import Warehouse, redact

if TYPE_CHECKING:
    from flows.transform import IssueBundle

log = logging.getLogger(__name__)

LAKE_NAME = "lake"  # the attached lake's database name (its catalog is `__ducklake_metadata_lake`)
# Never reach for the network to install an extension: the wheels ship them.
DuckDBConfig = dict[str, str | bool | int | float | list[str]]  # duckdb.connect's `config`
OFFLINE: DuckDBConfig = {"autoinstall_known_extensions": False}
WRITER_LOCK_WAIT_S = 600.0  # a load waits this long for the locks another writer holds
# The storage format a new warehouse file is created in. DuckDB's default (v0.10.2, readable by
# older releases) cannot compress strings with zstd: the articles' text took 2.5 times the room.
STORAGE_VERSION = "v1.5.0"


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse; the message says what to do."""


_HOLDER = re.compile(r"held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


@dataclass(frozen=True)
class LockHolder:
    """The process DuckDB's lock error names: its PID, command line, and whether it only reads."""

    pid: int | None
    command: str
    reading: bool

    def __str__(self) -> str:
        return f"PID {self.pid} ({self.command})" if self.pid else self.command


def lock_holder(error: str) -> LockHolder:
    """Read who holds the file from DuckDB's lock error (its message names the program and PID).

    The command line, from /proc where there is one, tells an analyst's `duckdb -readonly …`
    from a run. DuckDB tells a refused writer that it could open the file read-only when the
    holder only reads it.
    """
    reading = "read-only mode" in error
    match = _HOLDER.search(error)
    if match is None:
        return LockHolder(None, "another process", reading)
    try:
        arguments = Path(f"/proc/{match['pid']}/cmdline").read_bytes().split(b"\0")
        command = " ".join(" ".join(a.decode(errors="replace") for a in arguments).split())
    except OSError:
        command = ""
    command = command or match["program"]
    return LockHolder(int(match["pid"]), command if len(command) <= 100 else command[:99] + "…", reading)


def extension_file(name: str) -> Path:
    """Find the extension built for this DuckDB in the `duckdb-extension-<name>` wheel."""
    spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    if spec is None or not spec.submodule_search_locations:
        package = name.replace("_", "-")
        raise RuntimeError(f"the duckdb-extension-{package} package is not installed (see pyproject.toml)")
    root = Path(next(iter(spec.submodule_search_locations))) / "extensions"
    path = root / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.exists():
        found = sorted(p.parent.name for p in root.glob(f"*/{name}.duckdb_extension"))
        raise RuntimeError(
            f"duckdb-extension-{name} has no build for DuckDB {duckdb.__version__} (it has {found}): "
            "pin both packages to the same version"
        )
    return path


def open_connection(warehouse: Warehouse, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse once; DuckDB's errors (a held lock among them) pass through."""
    if not warehouse.lake:
        database = Path(warehouse.location)
        checkpoint.recover(database)  # a checkpoint a killed writer left half done
        config: DuckDBConfig = {}
        if not read_only:
            checkpoint.check_layout(database)  # the journal writes to this file: a layout it knows
            database.parent.mkdir(parents=True, exist_ok=True)
            if not database.exists():  # the format is chosen once, when the file is made
                config["storage_compatibility_version"] = STORAGE_VERSION
        con = duckdb.connect(warehouse.location, read_only=read_only, config=config)
        con.execute(sql("settings/quiet"))
        if not read_only:
            checkpoint.take_over(con, database)
        return con
    con = duckdb.connect(":memory:", config=OFFLINE)
    try:
        con.execute(sql("settings/quiet"))
        attach_lake(con, warehouse, read_only)
    except duckdb.Error as error:  # its message may quote the catalog's conninfo, password and all
        con.close()
        raise type(error)(redact(str(error))) from None
    except BaseException:
        con.close()
        raise
    return con


def close_connection(warehouse: Warehouse, con: duckdb.DuckDBPyConnection) -> None:
    """Close a writer: a DuckDB file is checkpointed behind its journal first (storage/checkpoint.py)."""
    if warehouse.lake:
        con.close()
    else:
        checkpoint.release(con, Path(warehouse.location))


def attach_lake(con: duckdb.DuckDBPyConnection, warehouse: Warehouse, read_only: bool) -> None:
    """Load the extensions, attach the lake as `lake` and make it the default database."""
    con.load_extension(str(extension_file("ducklake")))
    if warehouse.postgres:
        con.load_extension(str(extension_file("postgres_scanner")))  # needed before the ATTACH
    elif not read_only:
        Path(warehouse.location).parent.mkdir(parents=True, exist_ok=True)
    if warehouse.data_path and "://" not in warehouse.data_path and not read_only:
        Path(warehouse.data_path).mkdir(parents=True, exist_ok=True)
    if is_object_store(warehouse.data_path):
        use_object_store(con)
    params = {"catalog": warehouse.location, "data_path": warehouse.data_path}
    con.execute(sql("lake/create_secret"), {**params, "metadata_schema": warehouse.metadata_schema})
    _attach(con, sql("lake/attach_read_only" if read_only else "lake/attach"))
    con.execute(sql("lake/use_lake"))
    if is_object_store(catalog_data_path(con)) and not is_object_store(warehouse.data_path):
        use_object_store(con)  # a lake made elsewhere, attached without its DATA_PATH


def catalog_data_path(con: duckdb.DuckDBPyConnection) -> str:
    """Return where the attached lake keeps its Parquet files, as its catalog remembers."""
    row = con.execute(sql("lake/data_path")).fetchone()
    return row[0] if row and row[0] else ""


def use_object_store(con: duckdb.DuckDBPyConnection) -> None:
    """Load httpfs, and make the environment's S3 credentials a secret (flows/storage/object_store.py)."""
    con.load_extension(str(extension_file("httpfs")))
    secret = s3_secret_from_env(os.environ)
    if secret is not None:
        con.execute(sql("lake/create_s3_secret"), secret.params())


def _attach(con: duckdb.DuckDBPyConnection, statement: str, attempts: int = 5) -> None:
    """Attach the lake; when several processes create a new lake at once, attach the one that won.

    DuckLake creates a missing catalog on ATTACH; two processes doing so at the same moment
    race on PostgreSQL's catalog (`duplicate key … pg_namespace`), and the losers only have to
    attach again.
    """
    for attempt in range(1, attempts + 1):
        try:
            con.execute(statement)
            return
        except duckdb.Error as error:
            if "Failed to initialize DuckLake" not in str(error) or attempt == attempts:
                raise
            log.info("another process created the lake at the same moment; attaching it")
            time.sleep(0.2 * attempt)


def schema_is_applied(con: duckdb.DuckDBPyConnection, digest: str) -> bool:
    """Tell whether the schema files of this digest were applied to this warehouse.

    Applying them again is idempotent but not free: a DuckDB file's writer spent 0.1 s of every
    open on it, and replacing a view is a new snapshot in a lake. So they are applied once per
    version of the files, by whichever process first opens the warehouse with them.
    """
    try:
        row = con.execute(sql("schema_versions/applied"), {"digest": digest}).fetchone()
    except duckdb.CatalogException:  # a warehouse that never had its schema applied
        return False
    return bool(row and row[0])


def remember_schema(con: duckdb.DuckDBPyConnection, digest: str) -> None:
    """Record in the warehouse that the schema files of this digest are applied."""
    con.execute(sql("schema_versions/create"))
    con.execute(sql("schema_versions/record"), {"digest": digest})


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run the block in one transaction: committed if it ends, rolled back if it raises.

    The commit stays outside the rollback's reach: a commit DuckDB fails (out of memory while
    writing the WAL) has ended the transaction already, and rolling back then fails with
    "cannot rollback - no transaction is active", the message a run reported instead of the
    commit's own error.
    """
    con.execute("begin transaction")
    try:
        yield
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


@cache
def lake_locks(warehouse: Warehouse) -> LakeLocks:
    """Return the advisory locks of a PostgreSQL-catalog lake's writers, one set per lake in a process."""
    return LakeLocks(conninfo_of(warehouse.location), warehouse.metadata_schema or "main")


@contextmanager
def writer_lock(
    warehouse: Warehouse,
    bundles: Sequence[IssueBundle] | None = None,
    timeout_s: float = WRITER_LOCK_WAIT_S,
) -> Iterator[None]:
    """Hold the advisory locks of a load of these issues on a PostgreSQL-catalog lake; else do nothing.

    Taken before the load's transaction begins and released after it commits, so the next
    writer of the same issue, bodies or dates starts its transaction after that commit and
    sees it (flows/storage/lake_locks.py). Without issues: the whole lake, alone. A DuckDB
    file or file catalog needs none: only one process can open it for writing.
    """
    if not warehouse.postgres:
        yield
        return
    locks = lake_locks(warehouse)
    keys = whole_lake(locks.namespace) if bundles is None else load_keys(locks.namespace, bundles)
    try:
        with locks.hold(keys, timeout_s):
            yield
    except LakeBusy as error:
        raise WarehouseBusy(str(error)) from error
