"""Newsprint against a real Prefect server: what a user watching the UI would see, via the API.

One `prefect server start` on a free 127.0.0.1 port with its own PREFECT_HOME (SQLite) serves
the module. `newsprint run` reports a completed run with its artifacts, task runs and the stage
modules' logs; `newsprint serve` puts daily-ingest on its schedule and runs what the server
hands it; `prefect deploy` accepts the project's prefect.yaml.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import duckdb
import pytest

from bench.prefect_server import prefect_env, running_prefect_server
from bench.synthetic import build_archive
from flows.settings import PROJECT_ROOT, SAMPLE_ISSUE

pytestmark = [pytest.mark.integration, pytest.mark.slow]
BIN = Path(sys.executable).parent
T = TypeVar("T")


@pytest.fixture(scope="module")
def api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_prefect_server(tmp_path_factory.mktemp("prefect-server")) as url:
        yield url


@pytest.fixture
def client(api_url: str) -> Iterator[Any]:
    """A Prefect API client for the module's server."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}), get_client(sync_client=True) as api:
        yield api


def _env(tmp_path: Path, api_url: str, **extra: str) -> dict[str, str]:
    home = tmp_path / "client-home"
    home.mkdir(exist_ok=True)
    env = prefect_env(home, api_url, extra)
    env = {k: v for k, v in env.items() if not k.startswith("NEWSPRINT_")}
    return env | {"NEWSPRINT_SETTLE_SECONDS": "0"} | extra  # the inbox is written whole first


def _eventually(read: Callable[[], T], done: Callable[[T], bool], timeout: float = 120) -> T:
    """Poll the API until `done` (task runs and runner pick-ups arrive with a lag)."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.5)


def _completed(client: Any, flow_run_id: UUID) -> None:
    """Wait for a flow run the runner picked up to end, and check that it completed."""
    final = _eventually(
        lambda: client.read_flow_run(flow_run_id),
        lambda r: r.state is not None and r.state.is_final(),
        240,
    )
    assert final.state is not None and final.state.is_completed(), final.state


def test_a_run_is_completed_with_its_artifacts_tasks_and_stage_logs(
    tmp_path: Path, api_url: str, client: Any
) -> None:
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        FlowRunFilter,
        FlowRunFilterId,
        LogFilter,
        LogFilterFlowRunId,
    )
    from prefect.client.schemas.objects import StateType

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / SAMPLE_ISSUE.name).write_bytes(SAMPLE_ISSUE.read_bytes())
    warehouse = tmp_path / "warehouse.duckdb"
    done = subprocess.run(
        [str(BIN / "newsprint"), "run", "--inbox", str(inbox), "--warehouse", str(warehouse)],
        cwd=PROJECT_ROOT,
        env=_env(tmp_path, api_url),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    run_id = UUID(json.loads(done.stdout[done.stdout.index("{") :])["run_id"])

    run = client.read_flow_run(run_id)
    assert run.state is not None and run.state.type == StateType.COMPLETED
    assert client.read_flow(run.flow_id).name == "daily-ingest"

    artifacts = client.read_artifacts(
        artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
    )
    by_key = {a.key: a for a in artifacts}
    assert by_key["daily-ingest-summary"].type == "markdown"
    assert SAMPLE_ISSUE.name in str(by_key["daily-ingest-summary"].data)
    assert by_key["daily-ingest-findings"].type == "table"
    assert "dateline_present" in str(by_key["daily-ingest-findings"].data)  # the sample's rejected article

    logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
    stage_logs = {log.name: log.message for log in logs if log.name.startswith("flows.")}
    assert "6 articles accepted, 1 rejected" in stage_logs["flows.bulk_load"]  # a stage module's INFO line

    per_file = {f"{task} {SAMPLE_ISSUE.name}" for task in ("read-issue", "transform-issue", "load-issue")}
    tasks = _eventually(
        lambda: client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id]))),
        lambda found: per_file <= {t.name for t in found},
    )
    by_name = {t.name: t for t in tasks}
    assert per_file | {f"discover-files in {inbox}", "publish-read-copy warehouse.duckdb"} <= set(by_name)
    assert not {"io", "cpu", "duckdb"} & set(by_name[f"read-issue {SAMPLE_ISSUE.name}"].tags)  # an API call
    assert f"validated {SAMPLE_ISSUE.name}: 7 articles, 1 rejected" in stage_logs["flows.validate"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select run_id from runs").fetchall() == [(str(run_id),)]


def test_serve_schedules_daily_ingest_and_runs_what_the_server_hands_it(
    tmp_path: Path, api_url: str, client: Any
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / SAMPLE_ISSUE.name).write_bytes(SAMPLE_ISSUE.read_bytes())
    warehouse = tmp_path / "warehouse.duckdb"
    serve = subprocess.Popen(
        [str(BIN / "newsprint"), "serve", "--inbox", str(inbox), "--warehouse", str(warehouse)],
        cwd=PROJECT_ROOT,
        env=_env(tmp_path, api_url, PREFECT_RUNNER_POLL_FREQUENCY="2"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deployment = _eventually(lambda: _deployment(client, "daily-ingest/daily"), lambda d: d is not None)
        assert deployment is not None, "newsprint serve never registered its deployment"
        [schedule] = client.read_deployment_schedules(deployment.id)
        assert (schedule.schedule.cron, schedule.schedule.timezone) == ("0 6 * * *", "Asia/Shanghai")
        assert schedule.active
        assert deployment.parameters == {"inbox": str(inbox), "warehouse": str(warehouse)}

        # what the scheduler does at 06:00, done now
        flow_run = client.create_flow_run_from_deployment(deployment.id)
        _completed(client, flow_run.id)

        # a backfill started from the UI: its worker processes start from Prefect's engine
        build_archive(tmp_path / "archive", 3)
        backfill = _deployment(client, "backfill/archive")
        assert backfill is not None, "newsprint serve never registered the backfill deployment"
        backfill_run = client.create_flow_run_from_deployment(
            backfill.id, parameters={"archive": str(tmp_path / "archive")}
        )
        _completed(client, backfill_run.id)
    finally:
        os.killpg(serve.pid, signal.SIGINT)
        output = serve.communicate(timeout=180)[0]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        runs = con.execute("select run_id, count(*) from issues group by run_id order by 2").fetchall()
        assert runs == [(str(flow_run.id), 1), (str(backfill_run.id), 3)], output


def test_prefect_deploy_accepts_the_project_yaml(tmp_path: Path, api_url: str, client: Any) -> None:
    from prefect.client.schemas.actions import WorkPoolCreate

    client.create_work_pool(WorkPoolCreate(name="newsprint", type="process"), overwrite=True)
    done = subprocess.run(
        [str(BIN / "prefect"), "--no-prompt", "deploy", "--all"],
        cwd=PROJECT_ROOT,
        env=_env(tmp_path, api_url, NEWSPRINT_HOME=str(PROJECT_ROOT)),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    daily = client.read_deployment_by_name("daily-ingest/daily")
    archive = client.read_deployment_by_name("backfill/archive")
    assert (daily.work_pool_name, archive.work_pool_name) == ("newsprint", "newsprint")
    assert daily.entrypoint == "flows/pipeline.py:daily_ingest"
    assert [s.schedule.cron for s in client.read_deployment_schedules(daily.id)] == ["0 6 * * *"]


def _deployment(client: Any, name: str) -> Any:
    from prefect.exceptions import ObjectNotFound

    try:
        return client.read_deployment_by_name(name)
    except ObjectNotFound:
        return None
