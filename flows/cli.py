"""The `newsprint` command line: run the flow, parse an issue, query the warehouse."""

from __future__ import annotations

import json
import os
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from flows.settings import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
console = Console()
err = Console(stderr=True, soft_wrap=True)

WarehouseOption = Annotated[
    str | None,
    typer.Option(
        "--warehouse",
        "-w",
        help="DuckDB file (default data/warehouse.duckdb, env NEWSPRINT_WAREHOUSE) or ducklake:<catalog>.",
    ),
]


def flow_warehouse(warehouse: str | None) -> str | None:
    """Return the `--warehouse` to give a flow; one with a password goes through the environment.

    Prefect stores a flow run's parameters and shows them in its UI: a password must not be one.
    """
    from flows.warehouse import redact

    if warehouse is None or redact(warehouse) == warehouse:
        return warehouse
    os.environ["NEWSPRINT_WAREHOUSE"] = warehouse  # read by the flow's Settings, in this process
    return None


def _date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise typer.BadParameter(f"not a YYYY-MM-DD date: {value}") from error


@app.command()
def run(
    inbox: Annotated[
        Path | None, typer.Option(help="Inbox folder (default data/inbox/, env NEWSPRINT_INBOX).")
    ] = None,
    warehouse: WarehouseOption = None,
    issue_date: Annotated[str | None, typer.Option(help="Issue date when the file name has none.")] = None,
    paper: Annotated[str | None, typer.Option(help="Paper name (default: from the file name).")] = None,
    checks: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="TOML file of check severities (over pyproject's)."),
    ] = None,
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
    from flows import stopping
    from flows.pipeline import daily_ingest
    from flows.settings import read_check_severities

    with stopping.on_signals():
        state = daily_ingest(
            inbox=str(inbox) if inbox else None,
            warehouse=flow_warehouse(warehouse),
            issue_date=_date(issue_date),
            paper=paper,
            checks=read_check_severities(checks) if checks else None,
            settle_seconds=settle_seconds,
            return_state=True,
        )
    print_outcome(state)


def print_outcome(state: Any) -> None:
    """Print a flow run's summary row; exit non-zero when it failed (1, or 128 + a signal's number)."""
    from flows import stopping

    result = state.result(raise_on_failure=False)
    row = result if isinstance(result, dict) else getattr(state, "data", None)
    if isinstance(row, dict):
        console.print_json(data={k: v for k, v in row.items() if not isinstance(v, datetime)})
    if state.is_failed():
        err.print(f"[red]run failed:[/red] {state.message}")
        interrupted = stopping.requested()
        raise typer.Exit(interrupted.exit_code if interrupted else 1)


@app.command()
def parse(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="An issue's text file.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print the JSON contract.")] = False,
    issue_date: Annotated[str | None, typer.Option(help="Issue date when the file name has none.")] = None,
) -> None:
    """Show what the pipeline makes of one issue, without touching the warehouse."""
    from flows.files import read_entry
    from flows.ingest import IngestError, read_issue
    from flows.parse import parse_issue

    entry = read_entry(file, Settings().max_file_bytes, settle_s=0)  # the same limit as `run`
    try:
        if entry.data is None:
            raise IngestError(entry.reason or entry.arriving or "not read")
        issue = read_issue(str(file), entry.data, issue_date=_date(issue_date))
    except IngestError as error:
        err.print(f"[red]cannot read {file}:[/red] {error}")
        raise typer.Exit(2) from error
    parsed = parse_issue(issue, date.today())
    if json_output:
        sys.stdout.write(json.dumps(parsed.to_json(), ensure_ascii=False, indent=2) + "\n")
        return
    from flows.preview import print_preview

    print_preview(parsed, console)


@app.command()
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
    from flows.cli_sql import run_sql  # what `newsprint sql` runs without typer (flows/cli_sql.py)

    if (query is None) == (file is None):
        raise typer.BadParameter("give either a query or --file")
    if fmt not in ("table", "csv", "json"):
        raise typer.BadParameter("--format must be table, csv or json")
    code = run_sql(query, file, warehouse, fmt, read_files or [])
    if code:
        raise typer.Exit(code)


def main(argv: list[str] | None = None) -> None:
    """The `newsprint` command: a failure ends in one line on the console, its traceback in the debug log."""
    try:
        app(args=argv, prog_name="newsprint")
    except Exception as error:
        fail(error)


def fail(error: Exception) -> NoReturn:
    """Write the traceback to the debug log and end with one line saying what went wrong."""
    from flows import failures, logs

    path = Settings().debug_log
    logs.trace(error, path)
    message = failures.explain(error) or f"{type(error).__name__}: {error}"
    err.print(f"[red]newsprint failed:[/red] {message} (the traceback is in {path})")
    raise SystemExit(1) from None


from flows import cli_analysis, cli_bench, cli_ops, cli_quality  # noqa: E402, F401  (registers commands)
