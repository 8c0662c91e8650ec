"""Benchmarks and profiles of the pipeline: each module runs with `python -m bench.<name>`."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path


def scratch_folder(prefix: str) -> Path:
    """Make a temporary folder that is removed when the process exits.

    A benchmark's archive and warehouses take gigabytes at ten years (4.7 GB for
    prefect_overhead's), and left behind they filled this machine's disk.
    """
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def copy_warehouse(source: str | Path, target: str | Path) -> None:
    """Copy a DuckDB warehouse file with its WAL, if it has one (a writer's close may leave it)."""
    for suffix in ("", ".wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")
