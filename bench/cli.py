"""`newsprint bench`: a backfill of real-size issues beside the peer script and the bare segmentation."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from flows.cli.common import console, err
from flows.settings import Settings

commands = typer.Typer()

SIZES = ("real", "sample")


def result_table(r: dict[str, Any]) -> Table:
    """Lay the measurements out as the README's Performance table."""
    table = Table(
        "",
        "wall s",
        "CPU s",
        "MB per CPU-s",
        "peak RSS MB",
        "warehouse MB (× text)",
        title=f"newsprint bench: {r['issues']} issues, {r['mb']:.1f} MB ({r['size']} size, {r['source']})",
    )
    rows = [
        ("newsprint backfill (Prefect server running)", r["seconds"], r["cpu_seconds"], r["peak_rss_mb"]),
        ("the same without Prefect", r["plain_seconds"], r["plain_cpu_seconds"], r["plain_peak_rss_mb"]),
        (
            "peer script (pure jieba, one process)",
            r["peer_seconds"],
            r["peer_cpu_seconds"],
            r["peer_peak_rss_mb"],
        ),
        ("bare: read + rjieba tag, every core", r["segment_seconds"], r["segment_cpu_seconds"], None),
    ]
    warehouses = {0: (r["warehouse_mb"], r["warehouse_ratio"]), 2: (r["peer_warehouse_mb"], None)}
    for number, (name, wall, cpu, peak) in enumerate(rows):
        if wall is None:
            table.add_row(name, "not run", "", "", "", "")
            continue
        size, ratio = warehouses.get(number, (None, None))
        if size is not None and ratio is None:
            ratio = size / r["mb"]
        table.add_row(
            name,
            f"{wall:.1f}",
            f"{cpu:.1f}",
            f"{r['mb'] / cpu:.2f}",
            "" if peak is None else f"{peak:.0f}",
            "" if size is None else f"{size:.0f} ({ratio:.1f}×)",
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


@commands.command()
def bench(
    issues: Annotated[int, typer.Option(min=1, help="Daily issues in the archive.")] = 365,
    size: Annotated[
        str,
        typer.Option(
            help="real: issues of a real paper's size (about 100 articles, 280 kB); sample: the sample's."
        ),
    ] = "real",
    corpus: Annotated[
        Path | None,
        typer.Option(
            file_okay=False,
            help="The People's Daily dump to draw real-size issues from (env NEWSPRINT_CORPUS, "
            "default data/corpus); synthetic issues of that size without it.",
        ),
    ] = None,
    peer_script: Annotated[
        Path | None,
        typer.Option(
            dir_okay=False,
            help="The peer script (env NEWSPRINT_PEER_SCRIPT, default ../shared/bench/peer_script.py); "
            "left out when missing.",
        ),
    ] = None,
    without: Annotated[
        list[str] | None, typer.Option(help="Leave a part out: plain (the backfill without Prefect), peer.")
    ] = None,
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
    """Backfill N issues, beside the peer script on the same archive and the bare cost of segmenting it."""
    from bench.harness import PHASES, run_bench
    from bench.peer import peer_script as find_peer
    from bench.real_size import corpus_folder

    if size not in SIZES:
        raise typer.BadParameter(f"--size is one of {', '.join(SIZES)}, not {size!r}")
    left_out = set(without or [])
    if left_out - {"plain", "peer"}:
        raise typer.BadParameter(f"--without takes plain or peer, not {', '.join(sorted(left_out))}")
    settings = Settings()
    folder = keep or Path(tempfile.mkdtemp(prefix="newsprint-bench-"))
    if keep and any(keep.iterdir() if keep.exists() else []):
        raise typer.BadParameter(f"{keep} is not empty: give an empty or new folder")
    source = corpus_folder(corpus) if size == "real" else None
    peer = find_peer(peer_script) if "peer" not in left_out else None
    if not json_output:
        err.print(
            f"building {issues} {size}-size issues ({source or 'synthetic'}) in {folder} and timing the "
            f"backfill{', the peer script' if peer else ''} (this takes a while)…"
        )
    try:
        result = run_bench(
            issues,
            workers or settings.workers,
            batch_size or settings.batch_size,
            folder,
            seed,
            size=size,
            corpus=source,
            peer=peer,
            phases=[phase for phase in PHASES if phase not in left_out],
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
    versus = f", {row['times_peer']:.1f} times the peer's" if row["times_peer"] else ""
    console.print(
        f"{row['mb_per_cpu_s']:.2f} MB of text per CPU-second{versus}; peak {row['peak_rss_mb']:.0f} MB RSS "
        f"summed ({row['peak_rss_with_prefect_server_mb']:.0f} with the Prefect server); warehouse "
        f"{row['warehouse_ratio']:.1f} times its text. {row['workers']} workers, batches of "
        f"{row['batch_size']} files or {row['batch_mb']} MB; load average {row['load_average_start']} → "
        f"{row['load_average']} on {row['cpus']} CPUs"
    )
