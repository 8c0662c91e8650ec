"""The everyday commands: `newsprint run` (the daily flow), `parse` one issue, `sql` (read-only)."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from flows.cli.common import (
    ChecksOption,
    WarehouseOption,
    console,
    err,
    flow_warehouse,
    parse_date,
    print_outcome,
    read_checks,
)
from flows.settings import Settings

commands = typer.Typer()


@commands.command()
def run(
    inbox: Annotated[
        Path | None, typer.Option(help="Inbox folder (default data/inbox/, env NEWSPRINT_INBOX).")
    ] = None,
    warehouse: WarehouseOption = None,
    issue_date: Annotated[str | None, typer.Option(help="Issue date when the file name has none.")] = None,
    paper: Annotated[str | None, typer.Option(help="Paper name (default: from the file name).")] = None,
    checks: ChecksOption = None,
    settle_seconds: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="Leave files modified less than this many seconds ago for the next run "
            "(default 30, env NEWSPRINT_SETTLE_SECONDS).",
        ),
    ] = None,
) -> None:
    """Run the daily-ingest flow once over the inbox."""
    from flows.pipeline import run_daily_ingest
    from flows.runs import stopping

    with stopping.on_signals():
        state = run_daily_ingest(
            inbox=str(inbox) if inbox else None,
            warehouse=flow_warehouse(warehouse),
            issue_date=parse_date(issue_date),
            paper=paper,
            checks=read_checks(checks),
            settle_seconds=settle_seconds,
        )
    print_outcome(state)


@commands.command()
def parse(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="An issue's text file.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print the JSON contract.")] = False,
    issue_date: Annotated[str | None, typer.Option(help="Issue date when the file name has none.")] = None,
) -> None:
    """Show what the pipeline makes of one issue, without touching the warehouse."""
    from flows.ingest import IngestError, read_issue
    from flows.parse import parse_issue
    from flows.runs.files import read_entry

    entry = read_entry(file, Settings().max_file_bytes, settle_s=0)  # the same limit as `run`
    try:
        if entry.data is None:
            raise IngestError(entry.reason or entry.arriving or "not read")
        issue = read_issue(str(file), entry.data, issue_date=parse_date(issue_date))
    except IngestError as error:
        err.print(f"[red]cannot read {file}:[/red] {error}")
        raise typer.Exit(2) from error
    parsed = parse_issue(issue, date.today())
    if json_output:
        sys.stdout.write(json.dumps(parsed.to_json(), ensure_ascii=False, indent=2) + "\n")
        return
    from flows.reports.preview import print_preview

    print_preview(parsed, console)


@commands.command()
def sql(
    query: Annotated[str | None, typer.Argument(help="SQL to run (read-only).")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Run the SQL in this file.")] = None,
    warehouse: WarehouseOption = None,
    fmt: Annotated[str, typer.Option("--format", help="table | csv | json")] = "table",
    read_files: Annotated[
        list[Path] | None,
        typer.Option(
            "--read-files",
            exists=True,
            file_okay=False,
            help="Let the query read files under this folder (repeatable); otherwise none outside.",
        ),
    ] = None,
) -> None:
    """Run ad-hoc SQL read-only: it cannot write, change a setting or read outside the warehouse."""
    from flows.cli.sql import run_sql  # what `newsprint sql` runs without typer (flows/cli/main.py)

    if (query is None) == (file is None):
        raise typer.BadParameter("give either a query or --file")
    if fmt not in ("table", "csv", "json"):
        raise typer.BadParameter("--format must be table, csv or json")
    code = run_sql(query, file, warehouse, fmt, read_files or [])
    if code:
        raise typer.Exit(code)
