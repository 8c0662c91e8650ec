"""The multi-machine recipe of prefect.yaml and docs/scaling.md: deployments, parameters, worker shutdown."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from bench.prefect_server import prefect_env, running_prefect_server
from flows.settings import PROJECT_ROOT, Settings


def deployments() -> dict[str, dict]:
    document = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    return {d["name"]: d for d in document["deployments"]}


def test_prefect_yaml_deploys_the_three_flows_to_the_pool_with_the_daily_inbox_a_parameter() -> None:
    found = deployments()
    assert {name: d["entrypoint"] for name, d in found.items()} == {
        "daily": "flows/pipeline.py:daily_ingest",
        "archive": "flows/pipeline.py:backfill_archive",
        "maintenance": "flows/pipeline.py:maintain_lake",
    }
    assert found["daily"]["parameters"] == {"inbox": "{{ $NEWSPRINT_INBOX }}"}
    assert {d["work_pool"]["name"] for d in found.values()} == {"newsprint"}
    [weekly] = found["maintenance"]["schedules"]
    assert weekly["cron"] == Settings().maintenance_cron


@pytest.mark.integration
def test_the_recipe_deploys_with_the_inbox_and_a_worker_stops_on_sigterm(tmp_path: Path) -> None:
    with running_prefect_server(tmp_path) as api:
        env = prefect_env(tmp_path / "prefect-home", api)
        prefect = [sys.executable, "-m", "prefect"]
        created = subprocess.run(
            [*prefect, "work-pool", "create", "newsprint", "--type", "process"],
            env=env,
            capture_output=True,
            timeout=120,
        )
        assert created.returncode == 0, created.stderr[-2000:]
        deploy_env = {**env, "NEWSPRINT_INBOX": "/mnt/newsprint/inbox", "NEWSPRINT_HOME": str(PROJECT_ROOT)}
        deployed = subprocess.run(
            [*prefect, "--no-prompt", "deploy", "--all"],
            env=deploy_env,
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert deployed.returncode == 0, deployed.stdout[-2000:] + deployed.stderr[-2000:]
        shown = subprocess.run(
            [*prefect, "deployment", "inspect", "daily-ingest/daily"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert "/mnt/newsprint/inbox" in shown.stdout, shown.stdout[-2000:]
        log = tmp_path / "worker.log"
        with log.open("wb") as out:
            worker = subprocess.Popen(
                [*prefect, "worker", "start", "--pool", "newsprint", "--limit", "1"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + 180
            while b"started" not in log.read_bytes():
                assert worker.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
                time.sleep(0.5)
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=180) == 0
        finally:
            if worker.poll() is None:
                worker.kill()
        assert "stopped" in log.read_text()
