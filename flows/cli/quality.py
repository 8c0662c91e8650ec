"""Data-quality commands: `newsprint quality` (the run report) and `newsprint revalidate`."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from flows.cli.common import (
    ChecksOption,
    WarehouseOption,
    chosen_warehouse,
    console,
    err,
    parse_date,
    read_checks,
)
from flows.reports.report import (
    FINDING_COLUMNS,
    QualityReport,
    base_name,
    finding_rows,
    quality_markdown,
    quality_table,
)
from flows.settings import Settings, check_severities
from flows.storage.warehouse import Warehouse

commands = typer.Typer()


def _read(warehouse: Warehouse, issue_date: date | None) -> QualityReport:
    """Read the report on a read-only connection, or exit saying why it cannot be read."""
    import duckdb

    from flows.load import connect
    from flows.reports.quality import read_report

    if not warehouse.exists():
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
    """Every finding as a markdown table, errors first (the artifact counts info findings instead)."""
    lines = ["### Findings", ""]
    if not rows:
        return "\n".join([*lines, "None."])
    lines += ["| " + " | ".join(FINDING_COLUMNS) + " |", "|" + "---|" * len(FINDING_COLUMNS)]
    for row in rows:
        cells = ("" if row[c] is None else str(row[c]).replace("|", "\\|") for c in FINDING_COLUMNS)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _text(value: Any) -> str:
    if value is None:
        return ""
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _where(issue_date: Any, seq: Any) -> str:
    """An article's place in a narrow column: its issue's date and its position in the issue."""
    return f"{_text(issue_date)} #{seq}" if seq is not None else _text(issue_date)


def print_report(report: QualityReport, rows: list[dict[str, Any]]) -> None:
    """Print the report as tables that stay readable at 80 columns: long text wraps, never cut.

    `rows`: finding_rows' errors and warnings (info findings are counted from `by_check`).
    """
    totals = report.totals()
    console.print(
        f"[bold]Data quality: {report.scope}[/bold]: {totals['issues']} issue(s), {totals['accepted']} "
        f"accepted, {totals['rejected']} rejected, {totals['findings']} finding(s)"
    )
    issues = Table(
        "issue date", "paper", "file", "acc.", "rej.", "find.", title="Issues", title_justify="left"
    )
    for i in report.issues:
        counts = (str(i[key]) for key in ("accepted", "rejected", "findings"))
        issues.add_row(_text(i["issue_date"]), i["paper"], base_name(i["source_file"]), *counts)
    _fold(issues, "paper", "file")
    by_check = Table("check", "severity", "count", title="Findings by check")
    for c in report.by_check:
        by_check.add_row(c["check"], c["severity"], str(c["count"]))
    rejected = Table("where", "headline", "failed checks", "duplicate of", title="Rejected articles")
    for r in report.rejected:
        earlier = r.get("duplicate_of") or r.get("near_duplicate_of")
        rejected.add_row(_where(r["issue_date"], r["seq"]), r["headline"], _text(r["failed_checks"]), earlier)
    _fold(rejected, "headline", "failed checks", "duplicate of")
    findings = Table(
        "severity", "check", "where", "headline", "detail", title="Findings", title_justify="left"
    )
    for row in rows:
        if row["severity"] != "info":  # info findings are counted below, not listed
            where = _where(row["issue_date"], row["seq"])
            findings.add_row(row["severity"], row["check"], where, row["headline"], row["detail"])
    _fold(findings, "headline", "detail")
    counted = [f"{c['check']} ×{c['count']}" for c in report.by_check if c["severity"] == "info"]
    if counted:
        findings.caption = f"and info findings, counted: {', '.join(counted)} (--format markdown lists them)"
    for table in (issues, by_check, rejected, findings):
        table.title_justify = "left"
        if table.row_count:
            console.print(table)


def _fold(table: Table, *names: str) -> None:
    """Let these columns wrap their text onto more lines; the others keep theirs on one line, whole."""
    for column in table.columns:
        if column.header in names:
            column.overflow = "fold"
        else:
            column.no_wrap = True


@commands.command()
def quality(
    issue_date: Annotated[str | None, typer.Option(help="Only the issues of this date (YYYY-MM-DD).")] = None,
    warehouse: WarehouseOption = None,
    fmt: Annotated[str, typer.Option("--format", help="rich | markdown | json")] = "rich",
) -> None:
    """Print the data-quality report the runs publish as Prefect artifacts, from the warehouse."""
    if fmt not in ("rich", "markdown", "json"):
        raise typer.BadParameter("--format must be rich, markdown or json")
    report = _read(chosen_warehouse(warehouse), parse_date(issue_date))
    if fmt == "json":
        doc = {"totals": report.totals(), **asdict(report), "table": quality_table(report)}
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, default=str, indent=2) + "\n")
    elif fmt == "markdown":
        rows = finding_rows(report.findings, list_info=True)
        sys.stdout.write(quality_markdown(report) + "\n\n" + _table_markdown(rows) + "\n")
    else:
        print_report(report, finding_rows(report.findings))


@commands.command()
def revalidate(warehouse: WarehouseOption = None, checks: ChecksOption = None) -> None:
    """Re-apply the current checks to every loaded and rejected article, in one transaction."""
    from flows.load import WarehouseBusy, open_warehouse
    from flows.revalidate import revalidate_warehouse
    from flows.storage.read_copy import finish, read_copy_path

    settings = Settings(checks=check_severities(read_checks(checks)))
    target = chosen_warehouse(warehouse)
    if not target.exists():
        err.print(f"[red]no warehouse at {target}:[/red] run `newsprint run` first")
        raise typer.Exit(1)
    try:
        with open_warehouse(target, settings.lock_timeout_s) as con:
            outcome = revalidate_warehouse(con, target, settings.checks, datetime.now())
            finish(con, target, read_copy_path(target, settings.read_copy))
    except WarehouseBusy as error:
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from error
    console.print_json(data=asdict(outcome))
