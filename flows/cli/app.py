"""The `newsprint` command line: run the flow, parse an issue, query the warehouse."""

from __future__ import annotations

import typer

from bench import cli as bench
from flows.cli import analysis, daily, ops, quality
from flows.cli.common import fail

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
for module in (daily, analysis, bench, ops, quality):
    app.add_typer(module.commands)  # no name: the module's commands join the app's


def main(argv: list[str] | None = None) -> None:
    """The `newsprint` command: a failure ends in one line on the console, its traceback in the debug log."""
    try:
        app(args=argv, prog_name="newsprint")
    except Exception as error:
        fail(error)
