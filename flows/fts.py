"""DuckDB's fts extension, loaded from its wheel: apart from search, so `newsprint sql` loads it light."""

from __future__ import annotations

from pathlib import Path

import duckdb


class SearchError(RuntimeError):
    """Search cannot run; the message says what to do."""


def fts_extension_file() -> Path:
    """Find the fts extension built for this DuckDB in the duckdb-extension-fts wheel."""
    try:
        import duckdb_extension_fts
    except ImportError as error:
        raise SearchError("the duckdb-extension-fts package is not installed") from error
    root = Path(duckdb_extension_fts.__file__).parent / "extensions"
    path = root / f"v{duckdb.__version__}" / "fts.duckdb_extension"
    if not path.exists():
        found = sorted(p.parent.name for p in root.glob("*/fts.duckdb_extension"))
        raise SearchError(
            f"duckdb-extension-fts has no build for DuckDB {duckdb.__version__} (it has {found}): "
            "pin both packages to the same version"
        )
    return path


def load_fts(con: duckdb.DuckDBPyConnection) -> None:
    """Load the fts extension from its file, so nothing is fetched from the network."""
    con.load_extension(str(fts_extension_file()))
