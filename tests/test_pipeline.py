"""The daily-ingest flow end to end under Prefect's test harness."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

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
