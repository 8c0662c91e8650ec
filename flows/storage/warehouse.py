"""Open the warehouse: one DuckDB file (the default) or a DuckLake (a catalog plus Parquet files).

The setting (NEWSPRINT_WAREHOUSE, `--warehouse`) names the storage:

    data/warehouse.duckdb                                   a DuckDB file: no server, the default
    ducklake:/srv/lake/catalog.ducklake                     DuckLake, DuckDB-file catalog (one process)
    ducklake:postgres:dbname=newsprint host=db user=etl     DuckLake, PostgreSQL catalog (many processes)

A DuckLake setting may end with options: ` DATA_PATH <folder or URL>` (where the Parquet files
go: a folder, or `s3://…`/`gs://…` (flows/storage/object_store.py); only needed when the lake is
created, since the catalog remembers it), ` METADATA_SCHEMA
<name>` (the PostgreSQL schema of the catalog, so several lakes share one database) and
` SEARCH_INDEX <file>` (the local DuckDB file holding the full-text index, see
`flows/storage/lake_search.py`). The same tables, views and SQL run on both: a lake connection is an
in-memory DuckDB with the lake attached and made the default database.

Extensions are loaded from the files in their PyPI wheels, never downloaded. A password in
the setting is never shown: `redact` hides it in every message and log line that names it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from flows.settings import DATA_DIR, sql
from flows.storage import checkpoint
from flows.storage.lake_locks import LakeBusy, LakeLocks, conninfo_of, load_keys, whole_lake
from flows.storage.object_store import is_object_store, s3_secret_from_env

if TYPE_CHECKING:
    from flows.transform import IssueBundle

log = logging.getLogger(__name__)

LAKE_PREFIX = "ducklake:"
POSTGRES_PREFIX = "postgres:"
LAKE_NAME = "lake"  # the attached lake's database name (its catalog is `__ducklake_metadata_lake`)
OPTIONS = ("DATA_PATH", "METADATA_SCHEMA", "SEARCH_INDEX")
_OPTION = re.compile(r"\s+(" + "|".join(OPTIONS) + r")\s+('(?:[^']|'')*'|\S+)")
# Never reach for the network to install an extension: the wheels ship them.
DuckDBConfig = dict[str, str | bool | int | float | list[str]]  # duckdb.connect's `config`
OFFLINE: DuckDBConfig = {"autoinstall_known_extensions": False}
WRITER_LOCK_WAIT_S = 600.0  # a load waits this long for the locks another writer holds
_PASSWORD = re.compile(r"""(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s'"]+)""", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]+@")
# The storage format a new warehouse file is created in. DuckDB's default (v0.10.2, readable by
# older releases) cannot compress strings with zstd: the articles' text took 2.5 times the room.
STORAGE_VERSION = "v1.5.0"


def redact(text: str) -> str:
    """Hide the passwords of conninfo strings (`password=…`) and URLs (`user:…@`) in a text."""
    return _URL_PASSWORD.sub(r"\1***@", _PASSWORD.sub(r"\1***", text))


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


class WarehouseSettingError(ValueError):
    """The warehouse setting cannot be understood; the message shows the accepted forms."""


@dataclass(frozen=True)
class Warehouse:
    """Where the warehouse lives, parsed from its setting."""

    location: str  # the DuckDB file, or the lake's catalog: a file path or `postgres:<libpq conninfo>`
    lake: bool = False
    data_path: str = ""  # empty: the catalog's own (DuckLake's default `<catalog>.files/` for a new one)
    metadata_schema: str = ""
    search_index: str = ""

    @property
    def postgres(self) -> bool:
        return self.lake and self.location.startswith(POSTGRES_PREFIX)

    def exists(self) -> bool:
        """Tell whether there is a warehouse to read (a PostgreSQL catalog is taken to exist)."""
        return self.postgres or Path(self.location).exists()

    def search_index_file(self, data_path: str) -> Path:
        """Return the DuckDB file that holds a lake's full-text index: beside its catalog or data folder."""
        if self.search_index:
            return Path(self.search_index)
        if not self.postgres:
            return Path(self.location).with_suffix(".search.duckdb")
        if data_path and "://" not in data_path:
            return Path(data_path.rstrip("/") + ".search.duckdb")
        digest = hashlib.sha256(f"{self.location} {self.metadata_schema}".encode()).hexdigest()[:12]
        return DATA_DIR / f"search-index-{digest}.duckdb"

    @property
    def lake_id(self) -> str:
        """Name the lake (catalog and schema) for what is kept per lake in this process."""
        return f"{self.location} {self.metadata_schema}"

    def locks(self) -> LakeLocks:
        """Return the advisory locks of this lake's writers (storage/lake_locks.py), one set per schema."""
        return LakeLocks(conninfo_of(self.location), self.metadata_schema or "main")


def _unquote(value: str) -> str:
    return value[1:-1].replace("''", "'") if value.startswith("'") else value


def _absolute(path: str) -> str:
    """Make a local path absolute (DuckLake stores it, and every worker must agree); keep URLs."""
    return path if "://" in path else str(Path(path).expanduser().resolve())


def _ending_slash(path: str) -> str:
    """End an object-store path with `/`: DuckLake joins file names to it as they are."""
    return path if not is_object_store(path) or path.endswith("/") else path + "/"


def parse_warehouse(setting: str) -> Warehouse:
    """Parse the warehouse setting: a DuckDB file path, or `ducklake:<catalog>` with options."""
    text = setting.strip()
    if not text.startswith(LAKE_PREFIX):
        return Warehouse(location=text)
    options = {name: _unquote(value) for name, value in _OPTION.findall(text)}
    catalog = _OPTION.sub("", text[len(LAKE_PREFIX) :]).strip()
    if not catalog or re.match(r"^(sqlite|mysql|quack):", catalog):
        raise WarehouseSettingError(
            f"cannot use the warehouse setting {redact(setting)!r}: a DuckLake catalog is a file "
            "(`ducklake:/srv/lake/catalog.ducklake`) or PostgreSQL "
            "(`ducklake:postgres:dbname=newsprint host=… DATA_PATH /srv/lake/data`)"
        )
    if not catalog.startswith(POSTGRES_PREFIX):
        catalog = _absolute(catalog)
    data_path = options.get("DATA_PATH", "")
    search_index = options.get("SEARCH_INDEX", "")
    return Warehouse(
        location=catalog,
        lake=True,
        data_path=_ending_slash(_absolute(data_path)) if data_path else "",
        metadata_schema=options.get("METADATA_SCHEMA", ""),
        search_index=_absolute(search_index) if search_index else "",
    )


def warehouse_exists(setting: str) -> bool:
    """Tell whether the warehouse the setting names is there to be read."""
    return parse_warehouse(setting).exists()


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
    row = con.execute(sql("lake/data_path")).fetchone()
    data_path = row[0] if row else ""
    if is_object_store(data_path) and not is_object_store(warehouse.data_path):
        use_object_store(con)  # a lake made elsewhere, attached without its DATA_PATH
    index = warehouse.search_index_file(data_path)
    con.execute(sql("lake/set_search_index"), {"path": str(index)})
    if warehouse.postgres:
        _lake_locks[warehouse.lake_id] = warehouse.locks()
    con.execute(sql("lake/set_lake_id"), {"lake_id": warehouse.lake_id})


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


def is_lake(con: duckdb.DuckDBPyConnection) -> bool:
    """Tell whether a connection's default database is a DuckLake."""
    row = con.execute(sql("lake/default_is_lake")).fetchone()
    return bool(row and row[0])


def search_index_file(con: duckdb.DuckDBPyConnection) -> Path | None:
    """Return the side file of a lake connection's full-text index (None: the index is in the file)."""
    if not is_lake(con):
        return None
    row = con.execute(sql("lake/get_search_index")).fetchone()
    return Path(row[0]) if row and row[0] else None


def schema_is_applied(con: duckdb.DuckDBPyConnection, digest: str) -> bool:
    """Tell whether the schema files of this digest were applied to this lake (a DuckDB file: never).

    Replacing a view is a new snapshot in a lake: the schema is applied once per version of
    its files, by whichever process first opens the lake with them, not by every process.
    """
    if not is_lake(con):
        return False
    try:
        row = con.execute(sql("lake/schema_applied"), {"digest": digest}).fetchone()
    except duckdb.CatalogException:  # a lake that never had its schema applied
        return False
    return bool(row and row[0])


def remember_schema(con: duckdb.DuckDBPyConnection, digest: str) -> None:
    """Record in the lake that the schema files of this digest are applied (a DuckDB file needs no note)."""
    if is_lake(con):
        con.execute(sql("lake/create_schema_versions"))
        con.execute(sql("lake/record_schema"), {"digest": digest})


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


# lake id → the advisory locks of its writers, for the PostgreSQL-catalog lakes attached here
_lake_locks: dict[str, LakeLocks] = {}


@contextmanager
def writer_lock(
    con: duckdb.DuckDBPyConnection,
    bundles: Sequence[IssueBundle] | None = None,
    timeout_s: float = WRITER_LOCK_WAIT_S,
) -> Iterator[None]:
    """Hold the advisory locks of a load of these issues on a PostgreSQL-catalog lake; else do nothing.

    Taken before the load's transaction begins and released after it commits, so the next
    writer of the same issue, bodies or dates starts its transaction after that commit and
    sees it (flows/storage/lake_locks.py). Without issues: the whole lake, alone. A DuckDB file or
    file catalog needs none: only one process can open it for writing.
    """
    row = con.execute(sql("lake/get_lake_id")).fetchone()
    locks = _lake_locks.get(row[0]) if row and row[0] else None
    if locks is None:
        yield
        return
    keys = whole_lake(locks.namespace) if bundles is None else load_keys(locks.namespace, bundles)
    try:
        with locks.hold(keys, timeout_s):
            yield
    except LakeBusy as error:
        raise WarehouseBusy(str(error)) from error
