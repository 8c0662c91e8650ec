"""`newsprint sql` read before the CLI framework: same output, none of the pipeline imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

HEAVY = ("typer", "polars", "pandera", "rjieba", "prefect", "numpy", "pyarrow", "psycopg")
RUN = """
import json, sys
from flows.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit as done:
    code = done.code
heavy = [name for name in {heavy!r} if name in sys.modules]
print(json.dumps({{"code": code, "heavy": heavy}}), file=sys.stderr)
"""


@pytest.fixture
def warehouse(tmp_path: Path) -> str:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table issues as select 'qingdao-daily' as paper, 7 as articles")
    return str(path)


def newsprint(*args: str) -> tuple[str, dict]:
    done = subprocess.run(
        [sys.executable, "-c", RUN.format(heavy=HEAVY), *args], capture_output=True, text=True, timeout=120
    )
    return done.stdout, json.loads(done.stderr.strip().splitlines()[-1])


def test_a_query_imports_nothing_of_the_pipeline(warehouse: str) -> None:
    out, run = newsprint(
        "sql", "select paper, articles from issues", "--warehouse", warehouse, "--format", "csv"
    )
    assert out.splitlines() == ["paper,articles", "qingdao-daily,7"]
    assert run == {"code": 0, "heavy": []}


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_every_format_is_printed_as_the_typer_command_prints_it(warehouse: str, fmt: str) -> None:
    from typer.testing import CliRunner

    from flows.cli.app import app

    args = ["sql", "select paper, articles from issues", "-w", warehouse, "--format", fmt]
    out, run = newsprint(*args)
    assert run["code"] == 0 and "qingdao-daily" in out
    assert CliRunner().invoke(app, args).stdout == out


def test_a_refused_query_says_why_and_exits_1(warehouse: str) -> None:
    out, run = newsprint("sql", "drop table issues", "--warehouse", warehouse)
    assert run["code"] == 1 and out == ""


@pytest.mark.parametrize(
    "args",
    [["sql"], ["sql", "select 1", "--format", "xml"], ["sql", "select 1", "--bogus"], ["sql", "--help"]],
)
def test_what_argparse_cannot_read_goes_to_typer(args: list[str]) -> None:
    _, run = newsprint(*args)
    assert "typer" in run["heavy"]  # typer said what is wrong, or printed the help


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["sql", "select range as n from range(20000)", "--format", "csv"], 0),
        (["sql", "drop table issues"], 1),  # refused: run_sql's status
        (["sql", "select 1", "--bogus"], 2),  # typer's usage error
    ],
)
def test_the_process_exits_with_the_command_s_status_and_all_its_output(
    warehouse: str, args: list[str], code: int
) -> None:
    """`python -m flows` skips Python's teardown (flows/cli/main.py entry), not the output or the status."""
    done = subprocess.run(
        [sys.executable, "-m", "flows", *args, "--warehouse", warehouse],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == code, done.stderr
    if code == 0:  # every row reached the pipe before the process ended
        assert done.stdout.splitlines() == ["n", *map(str, range(20000))]
    else:
        assert done.stderr.strip()
