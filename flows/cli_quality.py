"""Data-quality commands: `newsprint quality` (the run report) and `newsprint revalidate`."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markdown import Markdown
from rich.table import Table

from flows.cli import WarehouseOption, app, console, err
from flows.report import TABLE_COLUMNS, QualityReport, quality_markdown, quality_table
from flows.settings import Settings

ChecksOption = Annotated[
    Path | None,
    typer.Option(
        "--checks",
        exists=True,
        dir_okay=False,
        help='TOML file of severities (`byline_present = "warning"`), over pyproject and NEWSPRINT_CHECKS.',
    ),
]


def _issue_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise typer.BadParameter(f"not a YYYY-MM-DD date: {value}") from error


def _read(warehouse: str, issue_date: date | None) -> QualityReport:
    """Read the report on a read-only connection, or exit saying why it cannot be read."""
    import duckdb

    from flows.load import connect
    from flows.quality import read_report
    from flows.warehouse import warehouse_exists

    if not warehouse_exists(warehouse):
        err.print(f"[red]no warehouse at {warehouse}:[/red] run `newsprint run` first")
        raise typer.Exit(1)
    try:
        con = connect(warehouse, read_only=True, timeout_s=Settings().lock_timeout_s)
    except Exception as error:  # WarehouseBusy and DuckDB errors alike
        err.print(f"[red]cannot open {warehouse}:[/red] {error}")
        raise typer.Exit(1) from error
    try:
        return read_report(con, issue_date=issue_date)
    except duckdb.Error as error:
        err.print(
            f"[red]cannot read the quality report:[/red] {error} (`newsprint run` upgrades an old warehouse)"
        )
        raise typer.Exit(1) from error
    finally:
        con.close()


def _table_markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["### Rejected articles and findings", ""]
    if not rows:
        return "\n".join([*lines, "None."])
    lines += ["| " + " | ".join(TABLE_COLUMNS) + " |", "|" + "---|" * len(TABLE_COLUMNS)]
    for row in rows:
        cells = ("" if row[c] is None else str(row[c]).replace("|", "\\|") for c in TABLE_COLUMNS)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


@app.command()
def quality(
    issue_date: Annotated[str | None, typer.Option(help="Only the issues of this date (YYYY-MM-DD).")] = None,
    warehouse: WarehouseOption = None,
    fmt: Annotated[str, typer.Option("--format", help="rich | markdown | json")] = "rich",
) -> None:
    """Print the data-quality report the runs publish as Prefect artifacts, from the warehouse."""
    if fmt not in ("rich", "markdown", "json"):
        raise typer.BadParameter("--format must be rich, markdown or json")
    report = _read(warehouse or Settings().warehouse, _issue_date(issue_date))
    rows = quality_table(report)
    if fmt == "json":
        doc = {"totals": report.totals(), **asdict(report), "table": rows}
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, default=str, indent=2) + "\n")
    elif fmt == "markdown":
        sys.stdout.write(quality_markdown(report) + "\n\n" + _table_markdown(rows) + "\n")
    else:
        console.print(Markdown(quality_markdown(report)))
        table = Table(*TABLE_COLUMNS, title="Rejected articles and findings", show_lines=False)
        for row in rows:
            table.add_row(*("" if row[c] is None else str(row[c]) for c in TABLE_COLUMNS))
        console.print(table)


@app.command()
def revalidate(warehouse: WarehouseOption = None, checks: ChecksOption = None) -> None:
    """Re-apply the current checks to every loaded and rejected article, in one transaction."""
    from flows.load import WarehouseBusy, open_warehouse
    from flows.read_copy import finish, read_copy_path
    from flows.revalidate import revalidate_warehouse
    from flows.warehouse import warehouse_exists

    try:
        settings = Settings().with_checks_file(checks)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    target = warehouse or settings.warehouse
    if not warehouse_exists(target):
        err.print(f"[red]no warehouse at {target}:[/red] run `newsprint run` first")
        raise typer.Exit(1)
    try:
        with open_warehouse(target, settings.lock_timeout_s) as con:
            outcome = revalidate_warehouse(con, settings.checks, datetime.now())
            finish(con, target, read_copy_path(target, settings.read_copy))
    except WarehouseBusy as error:
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from error
    console.print_json(data=asdict(outcome))
