"""The daily-ingest and backfill flows end to end under Prefect's test harness."""

from __future__ import annotations

import codecs
import json
import time
import weakref
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import duckdb
import pytest

from flows.storage.warehouse import Warehouse
from tests.test_load import counts

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_daily_ingest_loads_the_sample_then_nothing(inbox: Path, warehouse: str) -> None:
    from flows.pipeline import daily_ingest

    first = daily_ingest(inbox=str(inbox), warehouse=warehouse)
    assert (first["files_loaded"], first["articles_accepted"], first["articles_rejected"]) == (1, 6, 1)
    second = daily_ingest(inbox=str(inbox), warehouse=warehouse)
    assert (second["files_seen"], second["files_loaded"], second["files_skipped"]) == (1, 0, 1)
    with duckdb.connect(warehouse, read_only=True) as con:
        assert con.execute("select count(*) from issues").fetchone() == (1,)
        assert con.execute("select count(*) from articles").fetchone() == (6,)
        runs = con.execute(
            "select files_loaded, files_skipped, status from runs order by started_at"
        ).fetchall()
        assert runs == [(1, 0, "completed"), (0, 1, "completed")]
        run_ids = con.execute("select run_id from issues").fetchall()
        assert run_ids == [(first["run_id"],)]


def test_an_unreadable_file_fails_the_run_but_the_rest_loads(inbox: Path, warehouse: str) -> None:
    from flows.pipeline import daily_ingest

    (inbox / "empty-2025-12-31.txt").write_bytes(b"")
    state = daily_ingest(inbox=str(inbox), warehouse=warehouse, return_state=True)
    assert state.is_failed()
    assert (inbox / "empty-2025-12-31.txt").exists()
    with duckdb.connect(warehouse, read_only=True) as con:
        assert con.execute("select count(*) from issues").fetchone() == (1,)
        assert con.execute("select reason from failed_files").fetchall() == [("empty file",)]


def test_the_same_issue_in_other_encodings_loads_nothing_new(
    inbox: Path, warehouse: str, sample_bytes: bytes
) -> None:
    from flows.pipeline import daily_ingest

    daily_ingest(inbox=str(inbox), warehouse=warehouse)
    before = table_counts(warehouse)
    text = sample_bytes.decode("utf-8")
    crlf = text.replace("\n", "\r\n")
    (inbox / "qingdao-daily-2025-12-30.gb18030.txt").write_bytes(crlf.encode("gb18030"))
    (inbox / "qingdao-daily-2025-12-30.utf16le.txt").write_bytes(
        codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    )
    (inbox / "qingdao-daily-2025-12-30.utf16be.txt").write_bytes(
        codecs.BOM_UTF16_BE + crlf.encode("utf-16-be")
    )
    (inbox / "qingdao-daily-2025-12-30.bom.txt").write_bytes(codecs.BOM_UTF8 + sample_bytes)
    second = daily_ingest(inbox=str(inbox), warehouse=warehouse)
    assert (second["files_seen"], second["files_loaded"], second["files_skipped"]) == (5, 0, 5)
    assert table_counts(warehouse) == before


def test_a_failed_read_is_recorded_and_the_next_run_loads_the_file(
    inbox: Path, warehouse: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.pipeline import daily_ingest
    from flows.runs import files

    real_read = files.read_bytes
    calls: list[Path] = []

    def flaky(path: Path, limit: int) -> tuple[bytes, Any]:
        calls.append(path)
        if len(calls) == 1:
            raise OSError(5, "Input/output error")
        return real_read(path, limit)

    monkeypatch.setattr(files, "read_bytes", flaky)
    state = daily_ingest(inbox=str(inbox), warehouse=warehouse, return_state=True)
    assert state.is_failed() and len(calls) == 1  # recorded, not retried in the run
    result = daily_ingest(inbox=str(inbox), warehouse=warehouse)
    assert result["files_loaded"] == 1 and len(calls) == 2
    with duckdb.connect(warehouse, read_only=True) as con:
        reasons = con.execute("select reason from failed_files").fetchall()
    assert reasons == [("cannot read: Input/output error (errno 5)",)]


def test_only_listing_retries_and_every_task_has_a_verb_name() -> None:
    from flows import pipeline

    listing = [pipeline.discover_files, pipeline.discover_archive]
    assert all(t.retries == 2 and t.retry_condition_fn is pipeline.retry_on_io_error for t in listing)
    reading_and_writing = [pipeline.read_issue, pipeline.load_bundle, pipeline.load_batch]
    assert all(t.retries == 0 for t in reading_and_writing)  # README, When things go wrong
    tasks = [
        *listing,
        *reading_and_writing,
        pipeline.transform,
        pipeline.transform_batch,
    ]
    assert sorted(t.name for t in tasks) == [
        "discover-files",
        "list-archive",
        "load-batch",
        "load-issue",
        "read-issue",
        "transform-batch",
        "transform-issue",
    ]


def test_task_runs_are_named_after_their_file_or_their_batch_dates(sample_issue) -> None:
    from flows import pipeline
    from flows.runs.backfill import BatchItem

    names = [f"archive/2016/01/qingdao-daily-2016-01-{day:02}.txt" for day in (3, 1, 2)]
    batch = pipeline.Transformed([BatchItem(name, None, 0) for name in names])
    assert pipeline.transform_batch.task_run_name(parameters={"paths": [Path(n) for n in names]}) == (
        "transform-batch 2016-01-01 to 2016-01-03 (3 files)"
    )
    assert pipeline.load_batch.task_run_name(parameters={"batch": batch}) == (
        "load-batch 2016-01-01 to 2016-01-03 (3 files)"
    )
    assert pipeline.transform.task_run_name(parameters={"issue": sample_issue}) == (
        "transform-issue qingdao-daily-2025-12-30.txt"
    )
    assert (
        pipeline.read_issue.task_run_name.format(path=Path("in/x-2025-12-30.txt"))
        == "read-issue x-2025-12-30.txt"
    )
    assert (
        pipeline.open_writer.task_run_name(parameters={"warehouse": Warehouse("data/w.duckdb")})
        == "open-warehouse w.duckdb"
    )


def test_only_io_errors_are_retried() -> None:
    from prefect.states import Failed

    from flows.ingest import IngestError
    from flows.pipeline import retry_on_io_error

    assert retry_on_io_error(None, None, Failed(data=OSError(5, "Input/output error")))
    assert retry_on_io_error(None, None, Failed(data=duckdb.IOException("disk full")))
    assert not retry_on_io_error(None, None, Failed(data=IngestError("empty file")))
    assert not retry_on_io_error(None, None, Failed(data=ValueError("a bug")))


def table_counts(warehouse: str) -> dict[str, int]:
    with duckdb.connect(warehouse, read_only=True) as con:
        return counts(con)


# --- backfill -------------------------------------------------------------------------------


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """Ten synthetic daily issues in year/month folders, and a photo dated after them."""
    from bench.synthetic import build_archive

    root = tmp_path / "archive"
    for path in build_archive(tmp_path / "flat", 10):
        target = root / path.name[14:18] / path.name[19:21] / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        path.rename(target)
    (root / "2016" / "01" / "photo-2016-01-11.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    return root


def _backfill(archive: Path, warehouse: str, *options: str) -> tuple[int, dict[str, Any]]:
    from typer.testing import CliRunner

    from flows.cli.app import app

    args = ["backfill", str(archive), "--warehouse", warehouse, "--batch-size", "3", "--workers", "2"]
    result = CliRunner().invoke(app, [*args, *options])
    return result.exit_code, json.loads(result.stdout[result.stdout.index("{") :])


def _task_runs(flow_run_id: str, name: str) -> list[Any]:
    """Read a flow run's task runs of one kind (they reach the API through events, with a lag)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterId,
        TaskRunFilter,
        TaskRunFilterName,
    )

    deadline = time.monotonic() + 30
    with get_client(sync_client=True) as client:
        while True:
            runs = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(flow_run_id)])),
                task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_=name)),
            )
            if (runs and all(r.state and r.state.is_final() for r in runs)) or time.monotonic() > deadline:
                return runs
            time.sleep(0.5)


def test_backfill_loads_an_archive_in_batches_and_resumes(
    archive: Path, warehouse: str, caplog: pytest.LogCaptureFixture
) -> None:
    code, first = _backfill(archive, warehouse, "--until", "2016-01-04", "--no-progress")
    assert code == 0
    assert (first["files_seen"], first["files_loaded"], first["articles_accepted"]) == (4, 4, 28)
    assert set(first["seconds"]) >= {"read", "decode", "load", "wall"}

    # the rest, as after an interruption: what is loaded is skipped unread, the photo fails
    code, second = _backfill(archive, warehouse)
    assert code == 1
    counts = [second[f"files_{k}"] for k in ("seen", "loaded", "skipped", "failed")]
    assert counts == [11, 6, 4, 1]
    assert f"11 file(s) in {archive}, 4 of them already in {warehouse};" in caplog.text  # files, not issues
    with duckdb.connect(warehouse, read_only=True) as con:
        assert con.execute("select count(*), count(distinct sha256) from issues").fetchone() == (10, 10)
        assert con.execute("select count(*) from articles").fetchone() == (70,)
        reasons = con.execute("select source_file, reason from failed_files").fetchall()
        assert [(Path(f).name, r) for f, r in reasons] == [
            ("photo-2016-01-11.png", "binary file (a PNG image), not text")
        ]
    batches = _task_runs(second["run_id"], "transform-batch%")
    assert len(batches) == 4  # 11 files in batches of 3: a task per batch, never per article


def test_backfill_frees_each_batch_once_written(
    archive: Path, warehouse: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A written batch is gone before the next is written, not left for a full collection.

    Prefect's futures hold their state (and the batch in it) in a reference cycle; unfreed,
    batches piled up in the writer until Python's next full collection.
    """
    from flows import bulk_load
    from flows.pipeline import backfill_archive

    written: list[list[weakref.ref[Any]]] = []
    load_issues = bulk_load.load_issues

    def load_and_watch(
        con: duckdb.DuckDBPyConnection, target: Warehouse, bundles: list[Any], *args: Any, **kwargs: Any
    ) -> Any:
        alive = [len([r for r in refs if r() is not None]) for refs in written]
        assert alive == [0] * len(written), f"bundles still alive, batch by batch: {alive}"
        written.append([weakref.ref(b) for b in bundles])
        return load_issues(con, target, bundles, *args, **kwargs)

    monkeypatch.setattr(bulk_load, "load_issues", load_and_watch)
    row = backfill_archive(str(archive), warehouse, until=date(2016, 1, 10), batch_size=2, workers=1)
    assert row["files_loaded"] == 10 and len(written) == 5


def test_backfill_batches_hold_at_most_batch_mb_of_files(
    archive: Path, warehouse: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten issues make one batch by count; 35 kB a batch cuts them to one or two each."""
    from flows import bulk_load
    from flows.pipeline import backfill_archive

    sizes: list[int] = []
    load_issues = bulk_load.load_issues

    def load_and_count(
        con: duckdb.DuckDBPyConnection, target: Warehouse, bundles: list[Any], *args: Any, **kwargs: Any
    ) -> Any:
        sizes.append(sum(b.issue.file_size for b in bundles))
        return load_issues(con, target, bundles, *args, **kwargs)

    monkeypatch.setattr(bulk_load, "load_issues", load_and_count)
    row = backfill_archive(str(archive), warehouse, until=date(2016, 1, 10), batch_mb=0.035, workers=1)
    assert row["files_loaded"] == 10 and 5 <= len(sizes) < 10
    assert all(size <= 35_000 for size in sizes)


def test_a_backfill_whose_worker_dies_on_a_file_fails_that_file_and_loads_the_rest(
    archive: Path, warehouse: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kernel kills a worker that one huge issue took past the machine's memory: that file
    fails, the rest load, and the backfill does not stop at it."""
    import functools

    from flows import pipeline
    from flows.runs.workers import WORKER_DIED, Workers
    from tests.crashing import MARK, transform_or_die

    marked = archive / "2016" / "01" / "qingdao-daily-2016-01-05.txt"
    marked.write_bytes(marked.read_bytes() + f"\n{MARK}\n".encode())
    monkeypatch.setattr(pipeline, "Workers", functools.partial(Workers, transform=transform_or_die))
    state = pipeline.backfill_archive(str(archive), warehouse, batch_size=3, workers=1, return_state=True)
    row = state.result(raise_on_failure=False)
    assert state.is_failed() and row["files_loaded"] == 9 and row["files_failed"] == 2  # and the photo
    with duckdb.connect(warehouse, read_only=True) as con:
        reasons = dict(con.execute("select source_file, reason from failed_files").fetchall())
    assert reasons[str(marked)] == WORKER_DIED


def test_backfill_shows_its_progress_in_the_ui(archive: Path, warehouse: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    code, result = _backfill(archive, warehouse, "--since", "2016-01-09")
    assert code == 1 and (result["files_seen"], result["files_loaded"]) == (3, 2)
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=["backfill-progress", "backfill-summary"]),
                flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(result["run_id"])]),
            )
        )
    by_key = {a.key: a for a in artifacts}
    progress = by_key["backfill-progress"]
    assert progress.type == "progress"
    assert float(progress.data) == pytest.approx(200 / 3)  # the failed photo keeps it below 100
    assert progress.description == "3 of 3 files done: 2 loaded, 0 skipped (already loaded), 1 failed"
    summary = str(by_key["backfill-summary"].data)
    assert summary.startswith("# backfill: qingdao-daily 2016-01-09 to 2016-01-10 (2 issues), failed\n")
    assert f"## Files in {archive / '2016' / '01'}" in summary
    assert "| photo-2016-01-11.png | failed |" in summary  # failed files first


# --- schedule and deployments ------------------------------------------------------------


def test_the_daily_deployment_runs_at_six_in_shanghai() -> None:
    from flows.pipeline import deployments
    from flows.settings import Settings

    settings = Settings()
    daily, archive, upkeep = deployments(
        settings.schedule_cron, settings.schedule_timezone, {"inbox": "/srv/inbox"}, settings.maintenance_cron
    )
    assert (daily.flow_name, daily.name, daily.parameters) == (
        "daily-ingest",
        "daily",
        {"inbox": "/srv/inbox"},
    )
    [schedule] = daily.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("0 6 * * *", "Asia/Shanghai")
    assert "0 6 * * * Asia/Shanghai" in daily.tags  # beside the next run's time in the UI
    assert (archive.flow_name, archive.name, archive.schedules) == ("backfill", "archive", [])
    [weekly] = upkeep.schedules
    assert (upkeep.flow_name, weekly.schedule.cron) == ("lake-maintenance", "0 3 * * 0")


def test_serve_says_when_the_next_run_is_in_the_schedules_time_zone_and_in_utc() -> None:
    from datetime import UTC, datetime

    from flows.cli.ops import describe_schedule

    assert describe_schedule("0 6 * * *", "Asia/Shanghai", datetime(2026, 12, 7, 12, 0, tzinfo=UTC)) == (
        "daily-ingest/daily runs on `0 6 * * *` in Asia/Shanghai: next at 2026-12-08 06:00 CST "
        "(2026-12-07 22:00 UTC); the Prefect UI shows times in the browser's time zone"
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--timezone", "Mars/Olympus"], "unknown time zone"),
        (["--cron", "61 6 * * *"], "Invalid cron string"),
    ],
)
def test_serve_refuses_a_bad_schedule_before_serving(options: list[str], message: str) -> None:
    from typer.testing import CliRunner

    from flows.cli.app import app

    result = CliRunner().invoke(app, ["serve", *options])
    assert result.exit_code == 2 and message in result.output


def test_prefect_yaml_deploys_the_flows_of_this_project() -> None:
    import yaml
    from prefect.flows import load_flow_from_entrypoint

    from flows.settings import PROJECT_ROOT, Settings

    config = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    found = {d["name"]: d for d in config["deployments"]}
    assert set(found) == {"daily", "archive", "maintenance"}
    names = {
        name: load_flow_from_entrypoint(str(PROJECT_ROOT / d["entrypoint"])).name for name, d in found.items()
    }
    assert names == {"daily": "daily-ingest", "archive": "backfill", "maintenance": "lake-maintenance"}
    [schedule] = found["daily"]["schedules"]
    settings = Settings()
    assert (schedule["cron"], schedule["timezone"]) == (settings.schedule_cron, settings.schedule_timezone)


def test_newsprint_run_sends_a_heartbeat_only_when_the_operator_asks_for_one(
    inbox: Path, warehouse: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.flow_engine import FlowRunEngine
    from prefect.settings import temporary_settings

    from flows.pipeline import run_daily_ingest

    sent: list[object] = []
    monkeypatch.setattr(FlowRunEngine, "_emit_flow_run_heartbeat", lambda self, *args: sent.append(args))
    assert run_daily_ingest(inbox=str(inbox), warehouse=warehouse).is_completed()
    assert sent == []  # Prefect's default (180 s) is not the operator's choice: no heartbeat thread
    operator_set = {"flows.heartbeat_frequency": 30}  # as PREFECT_FLOWS_HEARTBEAT_FREQUENCY=30 sets it
    with temporary_settings(updates=operator_set):
        assert run_daily_ingest(inbox=str(inbox), warehouse=warehouse).is_completed()
    assert len(sent) == 1  # the thread's first heartbeat, at the run's start
