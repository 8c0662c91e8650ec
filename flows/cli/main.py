"""`newsprint sql`, and the `newsprint` entry point that runs it without the CLI framework.

A query from a script or a notebook's shell pays for Python, DuckDB and the query: `main` reads
`newsprint sql …` with argparse before it imports typer (which builds a pydantic adapter per
parameter: 0.2–0.4 s) or anything of the pipeline. Any other command, `--help`, and arguments
argparse cannot read go to the typer app (flows/cli/app.py), whose `sql` command runs `run_sql` too.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flows.cli.sql import FORMATS, run_sql


def entry() -> None:
    """The `newsprint` process (and `python -m flows`): `main`, then an exit without Python's teardown.

    Why: tearing down what a run imports and holds (Prefect, pydantic's models, Polars, DuckDB,
    the segmenter's dictionary) took the interpreter 0.5–1.4 s after the command had finished.
    What must happen at exit has happened by then: the handler below is registered before
    anything else and so runs after every other exit handler (Prefect's log and event workers
    drain, logging flushes); it flushes the standard streams and ends the process with the
    command's exit status. `main` called in-process (the tests) exits as usual.
    """
    status = [1]  # an exception that escapes main: Python prints it, the process exits with 1
    atexit.register(_exit_now, status)
    try:
        main()
    except SystemExit as stop:
        code = stop.code
        status[0] = 0 if code is None else code if isinstance(code, int) else 1  # a message: 1
        raise
    except KeyboardInterrupt:
        status[0] = 128 + signal.SIGINT  # as a shell reports a command stopped by Ctrl-C
        raise
    status[0] = 0


def _exit_now(status: list[int]) -> None:
    """End the process with `status` once the streams are flushed (the last exit handler)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe or stream: nothing can reach it
            stream.flush()
    os._exit(status[0])


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
