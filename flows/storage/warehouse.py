"""The warehouse setting, parsed once into a typed value: a DuckDB file (the default) or a DuckLake.

The setting (NEWSPRINT_WAREHOUSE, `--warehouse`) names the storage:

    data/warehouse.duckdb                                   a DuckDB file: no server, the default
    ducklake:/srv/lake/catalog.ducklake                     DuckLake, DuckDB-file catalog (one process)
    ducklake:postgres:dbname=newsprint host=db user=etl     DuckLake, PostgreSQL catalog (many processes)

A DuckLake setting may end with options: ` DATA_PATH <folder or URL>` (where the Parquet files
go: a folder, or `s3://…`/`gs://…` (flows/storage/object_store.py); only needed when the lake
is created, since the catalog remembers it), ` METADATA_SCHEMA <name>` (the PostgreSQL schema
of the catalog, so several lakes share one database) and ` SEARCH_INDEX <file>` (the local
DuckDB file holding the full-text index, flows/storage/lake_search.py).

The entry points (Settings, the command line, the top of each flow) parse it once into a
`Warehouse` and pass that down; `Warehouse.setting` writes it back, for a flow's parameters.
A password in the setting is never shown: `redact` hides it, and so does `str(warehouse)`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from pathlib import Path

from flows.storage.object_store import is_object_store

LAKE_PREFIX = "ducklake:"
POSTGRES_PREFIX = "postgres:"
OPTIONS = ("DATA_PATH", "METADATA_SCHEMA", "SEARCH_INDEX")
_OPTION = re.compile(r"\s+(" + "|".join(OPTIONS) + r")\s+('(?:[^']|'')*'|\S+)")
_PASSWORD = re.compile(r"""(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s'"]+)""", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]+@")


def redact(text: str) -> str:
    """Hide the passwords of conninfo strings (`password=…`) and URLs (`user:…@`) in a text."""
    return _URL_PASSWORD.sub(r"\1***@", _PASSWORD.sub(r"\1***", text))


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

    def __str__(self) -> str:
        return redact(self.setting)

    @property
    def setting(self) -> str:
        """Write the warehouse as its setting, which `parse_warehouse` reads back to the same value."""
        if not self.lake:
            return self.location
        options = zip(OPTIONS, (self.data_path, self.metadata_schema, self.search_index), strict=True)
        return " ".join([LAKE_PREFIX + self.location, *(f"{k} {_quote(v)}" for k, v in options if v)])

    @property
    def postgres(self) -> bool:
        return self.lake and self.location.startswith(POSTGRES_PREFIX)

    def exists(self) -> bool:
        """Tell whether there is a warehouse to read (a PostgreSQL catalog is taken to exist)."""
        return self.postgres or Path(self.location).exists()

    def search_index_file(self, data_path: str, default_folder: Path) -> Path:
        """Return the DuckDB file that holds a lake's full-text index: beside its catalog or data folder.

        `data_path`: the lake's data folder as its catalog holds it; `default_folder`: where the
        index of a PostgreSQL-catalog lake whose files are in an object store goes.
        """
        if self.search_index:
            return Path(self.search_index)
        if not self.postgres:
            return Path(self.location).with_suffix(".search.duckdb")
        if data_path and "://" not in data_path:
            return Path(data_path.rstrip("/") + ".search.duckdb")
        digest = hashlib.sha256(f"{self.location} {self.metadata_schema}".encode()).hexdigest()[:12]
        return default_folder / f"search-index-{digest}.duckdb"

    def with_data_path(self, data_path: str) -> Warehouse:
        """Return this lake with its Parquet files at `data_path` (a folder or an object-store URL)."""
        return replace(self, data_path=_ending_slash(_absolute(data_path)) if data_path else "")


def _quote(value: str) -> str:
    return value if re.fullmatch(r"[^\s']+", value) else "'" + value.replace("'", "''") + "'"


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
    search_index = options.get("SEARCH_INDEX", "")
    lake = Warehouse(
        location=catalog,
        lake=True,
        metadata_schema=options.get("METADATA_SCHEMA", ""),
        search_index=_absolute(search_index) if search_index else "",
    )
    return lake.with_data_path(options.get("DATA_PATH", ""))
