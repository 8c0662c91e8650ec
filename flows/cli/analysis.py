"""Analyst commands: `newsprint search` (BM25 full-text search) and `newsprint export` (Parquet)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from flows.cli.common import WarehouseOption, chosen_warehouse, console, err
from flows.settings import Settings
from flows.storage.warehouse import Warehouse

commands = typer.Typer()

if TYPE_CHECKING:
    import duckdb


def _open_read_only(target: Warehouse) -> duckdb.DuckDBPyConnection:
    """Open the warehouse read-only, or exit with a message saying why it cannot be."""
    from flows.load import connect

    if not target.exists():
        err.print(f"[red]no warehouse at {target}:[/red] run `newsprint run` first")
        raise typer.Exit(1)
    try:
        return connect(target, read_only=True, timeout_s=Settings().lock_timeout_s)
    except Exception as error:  # WarehouseBusy and DuckDB errors alike
        err.print(f"[red]cannot open {target}:[/red] {error}")
        raise typer.Exit(1) from error


@commands.command()
def search(
    words: Annotated[list[str], typer.Argument(help="Words to look for, e.g. 人工智能, or 机器人 青岛.")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many articles to show.")] = 10,
    fmt: Annotated[str, typer.Option("--format", help="table | json")] = "table",
    any_word: Annotated[
        bool, typer.Option("--any", help="Match articles with any word of the query, not all.")
    ] = False,
    warehouse: WarehouseOption = None,
) -> None:
    """Search the articles, ranked by BM25 over their segmented text."""
    from flows.storage.search import SearchError, search_articles

    if fmt not in ("table", "json"):
        raise typer.BadParameter("--format must be table or json")
    query = " ".join(words)
    target = chosen_warehouse(warehouse)
    con = _open_read_only(target)
    try:
        hits = search_articles(con, target, query, limit=limit, any_word=any_word)
    except SearchError as error:
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from error
    finally:
        con.close()
    if fmt == "json":
        sys.stdout.write(json.dumps([h.to_json() for h in hits], ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(show_lines=True)
    table.add_column("rank", justify="right")
    table.add_column("score", justify="right")
    table.add_column("headline", overflow="fold", ratio=2)
    table.add_column("issue date", no_wrap=True)
    table.add_column("snippet", overflow="fold", ratio=3)
    for hit in hits:
        issue_date = hit.issue_date.isoformat() if hit.issue_date else ""
        table.add_row(str(hit.rank), f"{hit.score:.3f}", hit.headline or "", issue_date, hit.snippet)
    console.print(table)
    if not hits:
        err.print(f"no article matches {query!r}")


@commands.command()
def export(
    out_dir: Annotated[Path, typer.Argument(file_okay=False, help="Folder to write the Parquet files in.")],
    warehouse: WarehouseOption = None,
) -> None:
    """Write every table as Parquet under DIR/<table>/, partitioned by issue date."""
    from flows.reports.export import export_warehouse

    con = _open_read_only(chosen_warehouse(warehouse))
    try:
        exported = export_warehouse(con, out_dir)
    finally:
        con.close()
    table = Table("table", "rows", "layout", "path")
    for item in exported:
        layout = "issue_date=YYYY-MM-DD/" if item.partitioned else "one file"
        table.add_row(item.table, str(item.rows), layout, str(item.path))
    console.print(table)
