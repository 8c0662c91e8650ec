"""One writer, always: runs at once never double-load, and whoever has to wait is told why.

The loads are real `newsprint` processes started together against the test session's Prefect
API; a held lock comes from another process, as DuckDB locks files per process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

# Import Prefect's side now: its log handler binds the stderr of the moment, and a CliRunner's
# stderr is closed once the command returns.
import flows.pipeline  # noqa: F401
from flows.cli.app import app
from flows.settings import PROJECT_ROOT

pytestmark = [pytest.mark.usefixtures("prefect_harness"), pytest.mark.slow]
NEWSPRINT = str(Path(sys.executable).with_name("newsprint"))


@pytest.fixture(scope="module")
def issues(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Eight distinct daily issues built from the sample."""
    from bench.synthetic import build_archive

    return build_archive(tmp_path_factory.mktemp("issues"), 8)


def _folder(root: Path, name: str, files: list[Path]) -> Path:
    folder = root / name
    folder.mkdir()
    for path in files:
        (folder / path.name).write_bytes(path.read_bytes())
    return folder


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a `newsprint` process that reports to this session's Prefect API."""
    from prefect.settings import PREFECT_API_URL

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "NEWSPRINT_"))}
    env |= {
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "NEWSPRINT_SETTLE_SECONDS": "0",  # the inboxes are written whole before the runs start
    }
    return env | extra


def test_three_loads_at_once_load_each_issue_exactly_once(tmp_path: Path, issues: list[Path]) -> None:
    warehouse = str(tmp_path / "warehouse.duckdb")
    env = _env(tmp_path, NEWSPRINT_LOCK_TIMEOUT="600")
    commands = {  # the schedule, a manual run and a backfill, with overlapping issues
        "scheduled run": [NEWSPRINT, "run", "--inbox", str(_folder(tmp_path, "a", issues[0:4]))],
        "manual run": [NEWSPRINT, "run", "--inbox", str(_folder(tmp_path, "b", issues[2:6]))],
        "backfill": [NEWSPRINT, "backfill", str(_folder(tmp_path, "c", issues[4:8])), "--batch-size", "2"],
    }
    processes = {
        name: subprocess.Popen(
            [*command, "--warehouse", warehouse],
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name, command in commands.items()
    }
    outputs = {name: process.communicate(timeout=600)[0] for name, process in processes.items()}
    for name, process in processes.items():
        assert process.returncode == 0, f"{name} failed:\n{outputs[name][-3000:]}"
    with duckdb.connect(warehouse, read_only=True) as con:
        loaded = con.execute("select source_file, count(*) from issues group by all").fetchall()
        assert sorted(Path(f).name for f, _ in loaded) == [p.name for p in issues]
        assert {n for _, n in loaded} == {1}
        assert con.execute("select count(*) from failed_files").fetchone() == (0,)
        # every issue loaded in full: its articles are all there, once
        assert con.execute(
            "select count(*) from issues i where articles_accepted <> "
            "(select count(*) from articles a where a.issue_sha256 = i.sha256)"
        ).fetchone() == (0,)
        runs = con.execute("select flow_name, files_loaded, files_skipped, status from runs").fetchall()
    assert sorted(r[0] for r in runs) == ["backfill", "daily-ingest", "daily-ingest"]
    assert sum(r[1] for r in runs) == 8 and sum(r[2] for r in runs) == 4
    assert {r[3] for r in runs} == {"completed"}


@pytest.fixture
def held(tmp_path: Path) -> Iterator[str]:
    """A warehouse another process holds open for writing, as a long load does."""
    warehouse = str(tmp_path / "held.duckdb")
    code = (
        "import sys\nfrom flows.load import open_warehouse\n"
        "from flows.storage.warehouse import Warehouse\n"
        f"with open_warehouse(Warehouse({warehouse!r})):\n"
        "    print('HOLDING', flush=True)\n    sys.stdin.read()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "HOLDING"
    yield warehouse
    holder.communicate(timeout=60)  # closing stdin lets it finish


def test_a_run_waits_a_bounded_time_then_says_who_is_writing(
    held: str, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSPRINT_LOCK_TIMEOUT", "1")
    monkeypatch.setenv("NEWSPRINT_LOCK_RETRIES", "0")
    result = CliRunner().invoke(app, ["run", "--inbox", str(inbox), "--warehouse", held])
    assert result.exit_code == 1
    assert f"run failed: the warehouse {held} is being written by another process, PID" in result.output
    assert "(waited 1 s); try again when that run has finished" in result.output
    assert "Traceback" not in result.output


def test_a_backfill_waits_a_bounded_time_then_says_who_is_writing(
    held: str, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSPRINT_LOCK_TIMEOUT", "1")
    monkeypatch.setenv("NEWSPRINT_LOCK_RETRIES", "0")
    result = CliRunner().invoke(app, ["backfill", str(inbox), "--warehouse", held, "--no-progress"])
    assert result.exit_code == 1
    assert "is being written by another process, PID" in result.output
    assert "from flows.load import open_warehouse" in result.output  # its command line
    assert "(waited 1 s); try again when that run has finished" in result.output
    assert "Traceback" not in result.output


def test_an_analyst_query_during_a_load_gets_a_clear_message(
    held: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSPRINT_QUERY_TIMEOUT", "1")
    result = CliRunner().invoke(app, ["sql", "select count(*) from articles", "--warehouse", held])
    assert result.exit_code == 1
    assert "the warehouse is busy: a load is writing to" in result.output
    assert "try again when the run has finished" in result.output
    assert "Traceback" not in result.output
