"""Shared fixtures: the real sample issue, its parse, a throwaway warehouse."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

# Keep the tests' Prefect state out of ~/.prefect: set before anything imports prefect.
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="newsprint-prefect-")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# And out of the user's home: DuckDB reads installed extensions from ~/.duckdb/extensions (an
# `INSTALL fts` once run there would make the offline-loading tests pass or fail by the user).
os.environ["HOME"] = tempfile.mkdtemp(prefix="newsprint-home-")
# The tests write each inbox file whole before a run: none is still arriving (flows/runs/files.py).
os.environ["NEWSPRINT_SETTLE_SECONDS"] = "0"
# The runs' debug log goes beside the tests' Prefect state, not into the checkout's data/.
os.environ["NEWSPRINT_DEBUG_LOG"] = os.path.join(os.environ["PREFECT_HOME"], "newsprint-debug.log")

from datetime import date
from pathlib import Path

import pytest

from flows.ingest import read_issue
from flows.models import Issue, ParsedIssue
from flows.parse import parse_issue
from flows.settings import SAMPLE_ISSUE

# Removed at exit, after Prefect's temporary server has stopped (registered later, it runs first).
atexit.register(shutil.rmtree, os.environ["PREFECT_HOME"], ignore_errors=True)
atexit.register(shutil.rmtree, os.environ["HOME"], ignore_errors=True)

TODAY = date(2026, 1, 15)


def load_issues_as_run(warehouse: str, issues: list[Issue]) -> None:
    """Load issues into a warehouse as `newsprint run` does, for tests that then read it."""
    from datetime import datetime

    from flows import bulk_load, load
    from flows.storage.warehouse import parse_warehouse
    from flows.transform import transform_issue

    target = parse_warehouse(warehouse)
    with load.open_warehouse(target) as con:
        bulk_load.load_issues(
            con,
            target,
            [transform_issue(issue, TODAY) for issue in issues],
            "run",
            lambda: datetime(2026, 1, 1),
        )


@pytest.fixture(scope="session")
def sample_bytes() -> bytes:
    return SAMPLE_ISSUE.read_bytes()


@pytest.fixture(scope="session")
def sample_issue(sample_bytes: bytes) -> Issue:
    return read_issue(SAMPLE_ISSUE.name, sample_bytes)


@pytest.fixture(scope="session")
def sample_parsed(sample_issue: Issue) -> ParsedIssue:
    return parse_issue(sample_issue, TODAY)


@pytest.fixture
def warehouse(tmp_path: Path) -> str:
    return str(tmp_path / "warehouse.duckdb")


@pytest.fixture
def inbox(tmp_path: Path, sample_bytes: bytes) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / SAMPLE_ISSUE.name).write_bytes(sample_bytes)
    return folder


@pytest.fixture(scope="session")
def prefect_harness():
    """One Prefect test server for the session's flow tests (started only when asked for)."""
    from prefect.logging.configuration import setup_logging
    from prefect.testing.utilities import prefect_test_harness

    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # Prefect sets its log handlers up at the first flow run, on the sys.stderr of that moment:
    # inside a CliRunner, a stream closed after the call, which later runs would write to.
    setup_logging()
    with prefect_test_harness(server_startup_timeout=180):
        yield
