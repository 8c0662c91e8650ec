"""`newsprint bench`: time a backfill of a synthetic archive against the bare segmentation cost."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from flows.cli import app, console, err
from flows.settings import Settings


def result_table(r: dict[str, Any]) -> Table:
    """Lay the measurements out as the README's Performance table."""
    table = Table(
        "",
        "wall s",
        "× bare",
        "CPU s",
        "CPU × bare",
        "MB/s",
        "articles/s",
        "peak RSS MB",
        "peak PSS MB",
        title="newsprint bench",
    )
    rows = [
        ("bare (read, rjieba tag)", r["segment_seconds"], r["segment_cpu_seconds"], "segment_peak"),
        ("backfill (flow)", r["seconds"], r["cpu_seconds"], "peak"),
        ("backfill (no Prefect)", r["plain_seconds"], r["plain_cpu_seconds"], "plain_peak"),
    ]
    for name, wall, cpu, peak in rows:
        table.add_row(
            name,
            f"{wall:.1f}",
            f"{wall / r['segment_seconds']:.2f}",
            f"{cpu:.1f}",
            f"{cpu / r['segment_cpu_seconds']:.2f}",
            f"{r['mb'] / wall:.2f}",
            f"{r['articles'] / wall:.0f}",
            f"{r[peak + '_rss_mb']:.0f}",
            f"{r[peak + '_pss_mb']:.0f}",
        )
    return table


def stage_table(result: dict[str, Any]) -> Table:
    """Per-stage wall seconds, summed over the processes that ran them."""
    table = Table("stage", "flow", "without Prefect", title="wall seconds per stage, summed over processes")
    flow: dict[str, float] = result["stages"]
    plain: dict[str, float] = result["plain_stages"]
    for stage in dict.fromkeys([*flow, *plain]):
        table.add_row(stage, _cell(flow.get(stage)), _cell(plain.get(stage)))
    return table


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


@app.command()
def bench(
    issues: Annotated[int, typer.Option(min=1, help="Daily issues in the synthetic archive.")] = 365,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Worker processes (as backfill: NEWSPRINT_WORKERS, cores - 1).")
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(min=1, help="Issues per batch (default as backfill: NEWSPRINT_BATCH_SIZE).")
    ] = None,
    keep: Annotated[
        Path | None, typer.Option(file_okay=False, help="Build and keep the archive and warehouses here.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic archive.")] = 20251230,
) -> None:
    """Backfill a synthetic archive of N issues and compare it with the bare cost of segmenting it."""
    from flows.bench import run_bench

    settings = Settings()
    folder = keep or Path(tempfile.mkdtemp(prefix="newsprint-bench-"))
    if keep and any(keep.iterdir() if keep.exists() else []):
        raise typer.BadParameter(f"{keep} is not empty: give an empty or new folder")
    if not json_output:
        err.print(f"building {issues} issues in {folder} and timing the backfill (this takes a while)…")
    try:
        result = run_bench(
            issues, workers or settings.workers, batch_size or settings.batch_size, folder, seed
        )
    finally:
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    row = result.to_json()
    if json_output:
        sys.stdout.write(json.dumps(row) + "\n")
        return
    console.print(result_table(row))
    console.print(stage_table(row))
    console.print(
        f"{row['issues']} issues, {row['mb']:.1f} MB, {row['articles']} articles; ratio {row['ratio']:.2f} "
        f"(CPU {row['cpu_ratio']:.2f}; without Prefect {row['plain_ratio']:.2f}, "
        f"CPU {row['plain_cpu_ratio']:.2f}); "
        f"Prefect start-up {row['prefect_startup_seconds']:.1f} s ({row['prefect_api']} API); "
        f"{row['workers']} workers, batches of {row['batch_size']} files or {row['batch_mb']} MB; "
        f"load average {row['load_average_start']} → {row['load_average']} on {row['cpus']} CPUs"
    )
