"""Operations commands: `newsprint backfill` an archive, `newsprint serve` the daily schedule."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from flows.cli.common import WarehouseOption, err, flow_warehouse, parse_date, print_outcome
from flows.settings import Settings

commands = typer.Typer()

# flows.runs.backfill's progress logger, by name: importing flows.runs.backfill (Polars, Pandera, rjieba)
# for it cost every command, `newsprint sql` included, a second
progress_log = logging.getLogger("flows.runs.backfill.progress")


class ProgressBarHandler(logging.Handler):
    """Move a rich progress bar on the backfill's progress log records."""

    def __init__(self, bar: Progress) -> None:
        super().__init__(logging.INFO)
        self.bar = bar
        self.task_id = bar.add_task("backfill", total=None)

    def emit(self, record: logging.LogRecord) -> None:
        from flows.runs.backfill import Progress as BackfillProgress  # loaded by the backfill that logs

        progress = getattr(record, "progress", None)
        if isinstance(progress, BackfillProgress):
            self.bar.update(
                self.task_id,
                total=progress.total,
                completed=progress.done,
                description=f"{progress.loaded} loaded, {progress.skipped} skipped, {progress.failed} failed",
            )


@contextmanager
def progress_bar(enabled: bool) -> Iterator[None]:
    """Draw the backfill's progress in the terminal while the block runs."""
    if not enabled:
        yield
        return
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )
    handler = ProgressBarHandler(bar)
    progress_log.addHandler(handler)
    try:
        with bar:
            yield
    finally:
        progress_log.removeHandler(handler)


@commands.command()
def backfill(
    archive: Annotated[
        Path, typer.Argument(exists=True, file_okay=False, help="Archive folder (searched recursively).")
    ],
    since: Annotated[str | None, typer.Option(help="First issue date to load (from file names).")] = None,
    until: Annotated[str | None, typer.Option(help="Last issue date to load (from file names).")] = None,
    warehouse: WarehouseOption = None,
    batch_size: Annotated[
        int | None, typer.Option(min=1, help="Issues per batch (default 64, env NEWSPRINT_BATCH_SIZE).")
    ] = None,
    batch_mb: Annotated[
        float | None,
        typer.Option(min=0.001, help="Most MB of files per batch (default 1.5, env NEWSPRINT_BATCH_MB)."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Worker processes (default cores - 1, env NEWSPRINT_WORKERS).")
    ] = None,
    progress: Annotated[bool, typer.Option(help="Draw a progress bar.")] = True,
    settle_seconds: Annotated[
        float | None,
        typer.Option(min=0, help="Leave files modified less than this many seconds ago (default 0)."),
    ] = None,
) -> None:
    """Run the backfill flow over an archive: batches in parallel processes, one writer; resumable."""
    from flows.pipeline import backfill_archive
    from flows.runs import stopping

    with stopping.on_signals(), progress_bar(progress):
        state = backfill_archive(
            archive=str(archive),
            warehouse=flow_warehouse(warehouse),
            since=parse_date(since),
            until=parse_date(until),
            batch_size=batch_size,
            batch_mb=batch_mb,
            workers=workers,
            settle_seconds=settle_seconds,
            return_state=True,
        )
    print_outcome(state)


def describe_schedule(cron: str, timezone: str, after: datetime | None = None) -> str:
    """Say when daily-ingest runs, in the schedule's time zone and in UTC (the UI shows the browser's).

    Raises ValueError for a cron string Prefect does not accept.
    """
    from prefect.server.schemas.schedules import CronSchedule

    try:
        schedule = CronSchedule(cron=cron, timezone=timezone)
    except ValueError as error:  # pydantic's, several lines long
        raise ValueError(
            f"Invalid cron string {cron!r}: five fields, minute hour day month weekday"
        ) from error
    [when] = asyncio.run(schedule.get_dates(n=1, start=after))
    local, utc = when.astimezone(ZoneInfo(timezone)), when.astimezone(UTC)
    return (
        f"daily-ingest/daily runs on `{cron}` in {timezone}: next at {local:%Y-%m-%d %H:%M %Z} "
        f"({utc:%Y-%m-%d %H:%M} UTC); the Prefect UI shows times in the browser's time zone"
    )


@commands.command()
def serve(
    cron: Annotated[
        str | None, typer.Option(help='Cron schedule (default "0 6 * * *", env NEWSPRINT_CRON).')
    ] = None,
    timezone: Annotated[
        str | None, typer.Option(help="IANA time zone (default Asia/Shanghai, env NEWSPRINT_TIMEZONE).")
    ] = None,
    inbox: Annotated[Path | None, typer.Option(help="Inbox folder the scheduled runs read.")] = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Serve daily-ingest on a cron schedule, backfill on demand and a lake's weekly upkeep, until stopped."""
    from prefect.settings import PREFECT_API_URL

    from flows.pipeline import serve_deployments

    settings = Settings()
    cron = cron or settings.schedule_cron
    timezone = timezone or settings.schedule_timezone
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise typer.BadParameter(f"unknown time zone {timezone!r} (e.g. Asia/Shanghai)") from error
    if not PREFECT_API_URL.value():
        err.print(
            "[yellow]PREFECT_API_URL is not set: the schedule lives on a temporary server that stops "
            "with this process. Start a server (`prefect server start`) and set PREFECT_API_URL first "
            "(README, Monitoring).[/yellow]"
        )
    parameters = {"inbox": str(inbox) if inbox else None, "warehouse": flow_warehouse(warehouse)}
    try:
        err.print(describe_schedule(cron, timezone))
        serve_deployments(
            cron,
            timezone,
            {k: v for k, v in parameters.items() if v is not None},
            settings.maintenance_cron,
        )
    except ValueError as error:  # an invalid cron string
        raise typer.BadParameter(str(error)) from error


@commands.command("lake-maintenance")
def lake_maintenance(
    warehouse: WarehouseOption = None,
    keep_days: Annotated[
        int | None,
        typer.Option(min=0, help="Days of snapshots to keep (default 7, env NEWSPRINT_KEEP_SNAPSHOTS_DAYS)."),
    ] = None,
) -> None:
    """Flush a lake's inlined rows, merge small files, expire old snapshots and delete unused files."""
    from flows.pipeline import maintain_lake

    print_outcome(maintain_lake(warehouse=flow_warehouse(warehouse), keep_days=keep_days, return_state=True))
