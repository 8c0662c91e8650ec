"""`newsprint sql`: one read-only query, its rows printed as a table, CSV or JSON; light to import."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

FORMATS = ("table", "csv", "json")


def run_sql(
    query: str | None,
    file: Path | None,
    warehouse: str | None,
    fmt: str,
    read_files: list[Path] | None = None,
) -> int:
    """Run one query on a read-only connection and print its rows; return the exit code."""
    from flows.query import QueryError, run_query
    from flows.settings import Settings
    from flows.storage.warehouse import WarehouseSettingError

    if query is not None:
        text = query
    elif file is not None:
        text = file.read_text(encoding="utf-8")
    else:
        raise ValueError("give either a query or a file")
    try:
        settings = Settings()
        columns, rows = run_query(
            settings.warehouse_or(warehouse), text, settings.query_timeout_s, read_files or ()
        )
    except (QueryError, WarehouseSettingError) as error:
        from rich.console import Console

        Console(stderr=True, soft_wrap=True).print(f"[red]{error}[/red]")
        return 1
    print_rows(columns, rows, fmt)
    return 0


def print_rows(columns: list[str], rows: list[tuple[Any, ...]], fmt: str) -> None:
    """Print a query's rows as a table, CSV or JSON."""
    if fmt == "json":
        records = [dict(zip(columns, r, strict=True)) for r in rows]
        sys.stdout.write(json.dumps(records, ensure_ascii=False, default=str, indent=2) + "\n")
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")  # a line for `tail`, `cut`, `$(…)`
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(*columns, show_lines=False)
        for r in rows:
            table.add_row(*("" if v is None else str(v) for v in r))
        Console().print(table)
