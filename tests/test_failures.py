"""Clean failures: a full disk, a read-only file system, a signal, a killed backfill.

Each ends in one plain line on the console and a non-zero exit, the run recorded as failed
where the warehouse can still be written, the traceback in the debug log only, no worker left
behind, and nothing half-loaded: the next run finishes the work. The real cases run real
`newsprint` processes against the session's Prefect API; the full disk and the read-only file
system are a small tmpfs (as root; elsewhere those tests are skipped, and the same errors
are raised by hand in the in-process tests).
"""

from __future__ import annotations

import errno
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import psutil
import pytest
from typer.testing import CliRunner

import flows.pipeline  # noqa: F401  (Prefect's log handler binds the stderr of its import)
from flows.cli.app import app
from flows.runs import failures
from flows.runs.stopping import Interrupted
from flows.settings import PROJECT_ROOT

pytestmark = pytest.mark.usefixtures("prefect_harness")
NEWSPRINT = str(Path(sys.executable).with_name("newsprint"))


# --- what the console says ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "start"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "the disk holding the warehouse is full"),
        (
            duckdb.TransactionException(
                'TransactionContext Error: Failed to commit: Could not write file "w.duckdb.wal": '
                "No space left on device"
            ),
            "the disk holding the warehouse is full",
        ),
        (
            duckdb.FatalException(
                "FATAL Error: database has been invalidated because of a previous fatal error"
            ),
            "DuckDB stopped writing the warehouse after an earlier failure",
        ),
        (OSError(errno.EROFS, "Read-only file system"), "the warehouse is on a read-only file system"),
        (
            duckdb.IOException('IO Error: Cannot open file "w.duckdb": Read-only file system'),
            "the warehouse is on a read-only file system",
        ),
        (Interrupted(signal.SIGTERM), "interrupted by SIGTERM"),
        (RuntimeError("Query interrupted"), "interrupted by a signal"),
    ],
)
def test_the_machines_failures_are_explained_in_one_line(error: Exception, start: str) -> None:
    message = failures.explain(error)
    assert message is not None and message.startswith(start) and "\n" not in message


def test_an_explained_failure_is_found_behind_another() -> None:
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as full:
            raise RuntimeError("could not write the journal") from full
    except RuntimeError as error:
        assert (failures.explain(error) or "").startswith("the disk holding the warehouse is full")


def test_a_bug_is_not_explained_away() -> None:
    assert failures.explain(KeyError("headline")) is None


def test_a_failure_says_where_its_traceback_is_even_when_a_setting_is_unreadable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from flows.cli.common import fail

    monkeypatch.setenv("NEWSPRINT_BATCH_SIZE", "many")  # Settings() cannot be built
    monkeypatch.setenv("NEWSPRINT_DEBUG_LOG", str(tmp_path / "debug.log"))
    with pytest.raises(SystemExit) as stopped:
        fail(OSError(errno.ENOSPC, "No space left on device"))
    assert stopped.value.code == 1
    assert "the disk holding the warehouse is full" in capsys.readouterr().err
    assert "OSError: [Errno 28] No space left on device" in (tmp_path / "debug.log").read_text()


def test_an_unreadable_number_setting_is_named_with_what_it_takes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from flows.cli.app import main

    monkeypatch.setenv("NEWSPRINT_LOCK_TIMEOUT", "a minute")
    with pytest.raises(SystemExit) as stopped:
        main(["quality", "--warehouse", str(tmp_path / "w.duckdb")])
    assert stopped.value.code == 2  # a usage error, as an unreadable NEWSPRINT_WAREHOUSE is
    assert "newsprint: NEWSPRINT_LOCK_TIMEOUT is a number, not 'a minute'" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["run", "backfill"])
def test_a_full_disk_during_a_load_ends_in_one_line_and_a_recorded_run(
    inbox: Path, warehouse: str, monkeypatch: pytest.MonkeyPatch, command: str, tmp_path: Path
) -> None:
    from flows import bulk_load

    def disk_full(*args: Any, **kwargs: Any) -> Any:
        raise duckdb.TransactionException(
            f'TransactionContext Error: Failed to commit: Could not write file "{warehouse}.wal": '
            "No space left on device"
        )

    monkeypatch.setattr(bulk_load, "load_issues", disk_full)
    debug_log = tmp_path / "debug.log"
    monkeypatch.setenv("NEWSPRINT_DEBUG_LOG", str(debug_log))
    arguments = (
        ["run", "--inbox", str(inbox)] if command == "run" else ["backfill", str(inbox), "--no-progress"]
    )
    result = CliRunner().invoke(app, [*arguments, "--warehouse", warehouse])
    assert result.exit_code == 1
    assert "run failed: the disk holding the warehouse is full (TransactionContext Error" in result.output
    assert "Traceback" not in result.output
    with duckdb.connect(warehouse, read_only=True) as con:
        assert con.execute("select count(*) from issues").fetchone() == (0,)
        status, message = con.execute("select status, message from runs").fetchone()
    assert status == "failed" and message.startswith("the disk holding the warehouse is full")
    assert "Traceback" in debug_log.read_text(encoding="utf-8")  # where the traceback went


# --- a real full disk and a real read-only file system --------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MB tmpfs of its own (root only): room for a few issues, then ENOSPC."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "NEWSPRINT_"))}
    return env | {
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "NEWSPRINT_SETTLE_SECONDS": "0",
        "NEWSPRINT_DEBUG_LOG": str(tmp_path / "debug.log"),
        **extra,
    }


def _newsprint(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NEWSPRINT, *arguments],
        cwd=PROJECT_ROOT,
        env=_env(tmp_path),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Forty distinct synthetic issues: more than a 3 MB disk holds."""
    from bench.synthetic import build_archive

    folder = tmp_path_factory.mktemp("failures") / "archive"
    build_archive(folder, 40)
    return folder


def _issues(warehouse: Path) -> list[tuple[str, int]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select i.source_file, count(a.article_id) from issues i "
            "left join articles a on a.issue_sha256 = i.sha256 group by all order by 1"
        ).fetchall()


@pytest.mark.slow
@pytest.mark.parametrize("command", ["run", "backfill"])
def test_a_real_full_disk_stops_the_run_cleanly_and_the_next_run_finishes(
    tmp_path: Path, small_disk: Path, archive: Path, command: str
) -> None:
    warehouse = small_disk / "warehouse.duckdb"
    arguments = (
        ["run", "--inbox", str(archive)] if command == "run" else ["backfill", str(archive), "--no-progress"]
    )
    full = _newsprint(tmp_path, *arguments, "--warehouse", str(warehouse))
    output = full.stdout + full.stderr
    assert full.returncode == 1, output[-3000:]
    assert "run failed: the disk holding the warehouse is full" in output
    assert "Traceback" not in output
    assert "Traceback" in (tmp_path / "debug.log").read_text(encoding="utf-8")
    loaded = _issues(warehouse)
    assert len(loaded) < 40 and all(articles == 7 for _, articles in loaded)  # nothing half-loaded
    assert not list(small_disk.glob("*.partial"))
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)  # space freed
    again = _newsprint(tmp_path, *arguments, "--warehouse", str(warehouse))
    assert again.returncode == 0, (again.stdout + again.stderr)[-3000:]
    assert [(Path(f).name, n) for f, n in _issues(warehouse)] == [
        (p.name, 7) for p in sorted(archive.iterdir())
    ]


@pytest.mark.slow
def test_a_read_only_file_system_is_said_plainly_by_every_command_that_writes(
    tmp_path: Path, small_disk: Path, sample_bytes: bytes
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "qingdao-daily-2025-12-30.txt").write_bytes(sample_bytes)
    warehouse = small_disk / "warehouse.duckdb"
    # room for the warehouse and its read copy, then the file system turns read-only
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    assert _newsprint(tmp_path, "run", "--inbox", str(inbox), "--warehouse", str(warehouse)).returncode == 0
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    for arguments, line in (
        (["run", "--inbox", str(inbox)], "run failed: the warehouse is on a read-only file system"),
        (["revalidate"], "newsprint failed: the warehouse is on a read-only file system"),
    ):
        result = _newsprint(tmp_path, *arguments, "--warehouse", str(warehouse))
        output = result.stdout + result.stderr
        assert result.returncode == 1 and line in output, output[-3000:]
        assert "Traceback" not in output
    reading = _newsprint(tmp_path, "sql", "select count(*) from articles", "--warehouse", str(warehouse))
    assert reading.returncode == 0 and "6" in reading.stdout  # reading still works


# --- signals and kills ------------------------------------------------------------------------------


def _start(tmp_path: Path, arguments: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [NEWSPRINT, *arguments],
        cwd=PROJECT_ROOT,
        env=_env(tmp_path),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for_a_batch(process: subprocess.Popen[str]) -> list[str]:
    """Read the output until the first batch is written (the workers are busy with the next)."""
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        loaded = re.search(r"files done \((\d+) loaded", line)
        if loaded and int(loaded[1]) > 0:
            return lines
    raise AssertionError("the backfill ended before writing a batch:\n" + "".join(lines[-40:]))


@pytest.fixture(scope="module")
def long_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Enough issues that a backfill is still running when the signal comes."""
    from bench.synthetic import build_archive

    folder = tmp_path_factory.mktemp("signals") / "archive"
    build_archive(folder, 240)
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_backfill_at_a_safe_point_with_one_line(
    tmp_path: Path, long_archive: Path, signum: int
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    arguments = [
        "backfill",
        str(long_archive),
        "--warehouse",
        str(warehouse),
        "--no-progress",
        "--batch-size",
        "8",
    ]
    process = _start(tmp_path, [*arguments, "--workers", "1"])
    lines = _wait_for_a_batch(process)
    workers = psutil.Process(process.pid).children(recursive=True)
    process.send_signal(signum)
    output = "".join(lines) + process.communicate(timeout=300)[0]
    name = signal.Signals(signum).name
    assert process.returncode == 128 + signum, output[-3000:]
    assert f"run failed: interrupted by {name}" in output and "Traceback" not in output
    _gone, alive = psutil.wait_procs(workers, timeout=30)
    assert not alive
    with duckdb.connect(str(warehouse), read_only=True) as con:
        status, message = con.execute("select status, message from runs").fetchone()
    assert status == "failed" and message.startswith(f"interrupted by {name}")
    loaded = _issues(warehouse)
    assert 0 < len(loaded) < 240 and all(n == 7 for _, n in loaded)
    again = _newsprint(tmp_path, *arguments)
    assert again.returncode == 0, (again.stdout + again.stderr)[-3000:]
    assert len(_issues(warehouse)) == 240


@pytest.mark.slow
def test_no_worker_outlives_a_killed_backfill(tmp_path: Path, long_archive: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    process = _start(
        tmp_path,
        ["backfill", str(long_archive), "--warehouse", str(warehouse), "--no-progress", "--batch-size", "8"],
    )
    _wait_for_a_batch(process)
    descendants = psutil.Process(process.pid).children(recursive=True)
    assert any("spawn_main" in " ".join(p.cmdline()) for p in descendants)  # the workers
    assert any("resource_tracker" in " ".join(p.cmdline()) for p in descendants)
    process.kill()  # SIGKILL: no handler, no clean-up
    process.communicate(timeout=60)
    _gone, alive = psutil.wait_procs(descendants, timeout=30)
    assert not alive, [" ".join(p.cmdline())[:120] for p in alive]
