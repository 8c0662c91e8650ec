"""What the command modules share: the consoles, the `--warehouse` and `--checks` options, dates, failing."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

from flows.settings import SettingError, Settings, debug_log_path, read_check_severities

if TYPE_CHECKING:
    from flows.storage.warehouse import Warehouse

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

ChecksOption = Annotated[
    Path | None,
    typer.Option(
        "--checks",
        exists=True,
        dir_okay=False,
        help='TOML file of severities (`byline_present = "warning"`), over the defaults, NEWSPRINT_CHECKS.',
    ),
]


def read_checks(path: Path | None) -> dict[str, str] | None:
    """Read a `--checks` file: the severities it overrides (settings.check_severities merges them)."""
    if path is None:
        return None
    try:
        return read_check_severities(path)
    except (ValueError, OSError) as error:  # tomllib's TOMLDecodeError is a ValueError
        raise typer.BadParameter(str(error), param_hint="--checks") from error


def chosen_warehouse(warehouse: str | None) -> Warehouse:
    """Parse `--warehouse` once (none given: NEWSPRINT_WAREHOUSE's); one it cannot read is a bad option."""
    from flows.storage.warehouse import WarehouseSettingError

    try:
        return Settings().warehouse_or(warehouse)
    except WarehouseSettingError as error:
        raise typer.BadParameter(str(error), param_hint="--warehouse") from error


def flow_warehouse(warehouse: str | None) -> str | None:
    """Return the `--warehouse` to give a flow; one with a password goes through the environment.

    Prefect stores a flow run's parameters and shows them in its UI: a password must not be one.
    """
    from flows.storage.warehouse import redact

    if warehouse is None or redact(warehouse) == warehouse:
        return warehouse
    os.environ["NEWSPRINT_WAREHOUSE"] = warehouse  # read by the flow's Settings, in this process
    return None


def parse_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise typer.BadParameter(f"not a YYYY-MM-DD date: {value}") from error


def print_outcome(state: Any) -> None:
    """Print a flow run's summary row; exit non-zero when it failed (1, or 128 + a signal's number)."""
    from flows.runs import stopping

    result = state.result(raise_on_failure=False)
    row = result if isinstance(result, dict) else getattr(state, "data", None)
    if isinstance(row, dict):
        console.print_json(data={k: v for k, v in row.items() if not isinstance(v, datetime)})
    if state.is_failed():
        err.print(f"[red]run failed:[/red] {state.message}")
        interrupted = stopping.requested()
        raise typer.Exit(interrupted.exit_code if interrupted else 1)


def fail(error: Exception) -> NoReturn:
    """Write the traceback to the debug log and end with one line saying what went wrong."""
    from flows.runs import failures, logs
    from flows.storage.warehouse import WarehouseSettingError

    if isinstance(error, WarehouseSettingError):  # NEWSPRINT_WAREHOUSE unreadable
        err.print(f"[red]newsprint:[/red] NEWSPRINT_WAREHOUSE: {error}", markup=True, highlight=False)
        raise SystemExit(2) from None
    if isinstance(error, SettingError):  # another NEWSPRINT_* variable unreadable: its name says it
        err.print(f"[red]newsprint:[/red] {error}", markup=True, highlight=False)
        raise SystemExit(2) from None
    path = debug_log_path()
    logs.trace(error, path)
    message = failures.explain(error) or f"{type(error).__name__}: {error}"
    err.print(f"[red]newsprint failed:[/red] {message} (the traceback is in {path})")
    raise SystemExit(1) from None
