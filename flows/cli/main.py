"""`newsprint sql`, and the `newsprint` entry point that runs it without the CLI framework.

A query from a script or a notebook's shell pays for Python, DuckDB and the query: `main` reads
`newsprint sql …` with argparse before it imports typer (which builds a pydantic adapter per
parameter: 0.2–0.4 s) or anything of the pipeline. Any other command, `--help`, and arguments
argparse cannot read go to the typer app (flows/cli/app.py), whose `sql` command runs `run_sql` too.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flows.cli.sql import FORMATS, run_sql


def main(argv: Sequence[str] | None = None) -> None:
    """The `newsprint` command: `sql` read here when it can be, everything else by typer."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["sql"] and not {"-h", "--help"} & set(args):
        parsed = _read_sql_arguments(args[1:])
        if parsed is not None:
            try:
                code = run_sql(**parsed)
            except Exception as error:
                from flows.cli.common import fail

                fail(error)
            raise SystemExit(code)
    from flows.cli.app import main as typer_main

    typer_main(args)


def _read_sql_arguments(args: list[str]) -> dict[str, Any] | None:
    """Read `sql`'s arguments as the typer command declares them; None when typer must say what is wrong."""
    parser = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    parser.add_argument("query", nargs="?")
    parser.add_argument("--file", "-f", type=Path)
    parser.add_argument("--warehouse", "-w")
    parser.add_argument("--format", dest="fmt", default="table")
    parser.add_argument("--read-files", dest="read_files", type=Path, action="append", default=[])
    try:
        parsed, unknown = parser.parse_known_args(args)
    except argparse.ArgumentError:
        return None
    if unknown or (parsed.query is None) == (parsed.file is None) or parsed.fmt not in FORMATS:
        return None
    if parsed.file is not None and not parsed.file.is_file():
        return None
    if not all(folder.is_dir() for folder in parsed.read_files):
        return None
    return vars(parsed)
